/** The probes, described (routes.ts wires them): tiny, stable bodies that probes need not parse. */
import { Type } from 'typebox';

export const livenessSchema = {
  summary: 'Liveness: the process answers',
  tags: ['Operations'],
  response: { 200: Type.Object({ status: Type.Literal('ok') }) },
} as const;

export const readinessSchema = {
  summary: 'Readiness: the database answers, migrations are done, not shutting down',
  tags: ['Operations'],
  response: {
    200: Type.Object({ status: Type.Literal('ready') }),
    503: Type.Object({
      status: Type.Literal('not_ready'),
      reason: Type.String({ description: '`database_unavailable`, `migrations_pending` or `shutting_down`' }),
    }),
  },
} as const;
