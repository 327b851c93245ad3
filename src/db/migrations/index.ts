import type { Migration, MigrationProvider } from 'kysely';
import type { Engine } from '../engine.ts';
import * as initial from './0001-initial.ts';
import * as admin from './0002-admin.ts';
import * as fhirProxy from './0003-fhir-proxy.ts';
import * as cds from './0004-cds.ts';
import * as keyRotation from './0005-key-rotation.ts';
import * as leanerLaunchWrites from './0006-leaner-launch-writes.ts';
import * as goingToProduction from './0007-going-to-production.ts';
import * as webhooks from './0008-webhooks.ts';
import * as vendorsAndLaunchContext from './0009-vendors-and-launch-context.ts';

/**
 * Migrations live in code (no folder scanning), so a built `dist/` and `tsx` run the same set.
 * Each migration gets the engine for the rare column type that differs.
 */
export function migrationProvider(engine: Engine): MigrationProvider {
  const all: Record<string, Migration> = {
    '0001-initial': { up: (db) => initial.up(db, engine) },
    '0002-admin': { up: (db) => admin.up(db, engine) },
    '0003-fhir-proxy': { up: (db) => fhirProxy.up(db, engine) },
    '0004-cds': { up: (db) => cds.up(db, engine) },
    '0005-key-rotation': { up: (db) => keyRotation.up(db, engine) },
    '0006-leaner-launch-writes': { up: (db) => leanerLaunchWrites.up(db, engine) },
    '0007-going-to-production': { up: (db) => goingToProduction.up(db, engine) },
    '0008-webhooks': { up: (db) => webhooks.up(db, engine) },
    '0009-vendors-and-launch-context': { up: (db) => vendorsAndLaunchContext.up(db, engine) },
  };
  return { getMigrations: async () => all };
}
