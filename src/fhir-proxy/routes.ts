import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.ts';

/** `/fhir/:launchId/*`: the FHIR proxy. */
export async function fhirProxyRoutes(_app: FastifyInstance, _services: Services): Promise<void> {}
