/** `GET /`: where someone who opens the gateway's address lands (home-page.ts), and the docs it links. */
import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.ts';
import { sendDocument } from './docs.ts';
import { homeHandler } from './home-page.ts';
import { documentSchema, homeSchema } from './schemas.ts';

export function homeRoutes(app: FastifyInstance, services: Services): void {
  app.get('/', { schema: homeSchema }, homeHandler(services));
  // Development and tests only: production serves no files from the repository.
  if (services.config.mode !== 'production') app.get('/docs/:name', { schema: documentSchema }, sendDocument);
}
