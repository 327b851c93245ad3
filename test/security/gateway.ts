/** A gateway built in-process on an in-memory database, for security tests driven with inject. */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { type BuildOptions, buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/index.ts';
import { createOrganization } from '../../src/settings/organizations.ts';

export async function inProcessGateway(
  env: Record<string, string> = {},
  options: BuildOptions = {},
): Promise<{ app: FastifyInstance; orgId: string }> {
  const config = loadConfig({
    CHARTSIDE_ENV: 'test',
    PUBLIC_URL: 'https://gw.example.org',
    DATABASE_URL: 'sqlite::memory:',
    CHARTSIDE_MASTER_KEY: randomBytes(32).toString('base64'),
    CHARTSIDE_SWEEP_INTERVAL_SECONDS: '0',
    LOG_LEVEL: 'silent',
    ...env,
  });
  const app = await buildApp(config, options);
  const orgId = (await createOrganization(app.services.db, { name: 'Clinic' })).id;
  return { app, orgId };
}
