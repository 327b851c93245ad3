/** `GET /`: where someone who opens the gateway's address lands (home-page.ts). */
import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.ts';
import { homeHandler } from './home-page.ts';

export function homeRoutes(app: FastifyInstance, services: Services): void {
  app.get('/', homeHandler(services));
}
