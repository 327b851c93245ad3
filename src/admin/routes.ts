import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.ts';

/** The admin console (server-rendered). */
export async function adminRoutes(_app: FastifyInstance, _services: Services): Promise<void> {}
