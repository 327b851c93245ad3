/**
 * The admin console over HTTP for integration tests: a gateway on a fresh database, operators,
 * and a small browser-like client (cookie jar, CSRF token read from the page, forms posted
 * urlencoded). Requests go through app.inject, which exercises the real routing, parsers and hooks.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { createOperator } from '../../src/admin/operators.ts';
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/index.ts';
import { createOrganization } from '../../src/settings/organizations.ts';
import { createTestDatabase, type TestDatabase, type TestEngine } from './databases.ts';

export const PASSWORD = 'correct horse battery staple';

export interface ConsoleApp {
  readonly app: FastifyInstance;
  readonly database: TestDatabase;
  readonly orgId: string;
  readonly email: string;
  close(): Promise<void>;
}

export async function startConsoleApp(
  options: {
    engine?: TestEngine;
    publicUrl?: string;
    masterKey?: string;
    databaseUrl?: string;
    /** Who signs in: an org operator of the console's org (default), or a platform admin. */
    role?: 'org_operator' | 'platform_admin';
  } = {},
): Promise<ConsoleApp> {
  const database = options.databaseUrl
    ? { url: options.databaseUrl, folder: null, drop: async () => {} }
    : await createTestDatabase(options.engine ?? 'sqlite');
  const app = await buildApp(
    loadConfig({
      CHARTSIDE_ENV: 'test',
      PUBLIC_URL: options.publicUrl ?? 'http://127.0.0.1:3999',
      DATABASE_URL: database.url,
      CHARTSIDE_MASTER_KEY: options.masterKey ?? randomBytes(32).toString('base64'),
      CHARTSIDE_SWEEP_INTERVAL_SECONDS: '0',
      LOG_LEVEL: 'silent',
    }),
  );
  const org = await createOrganization(app.services.db, { name: 'Console Clinic' });
  const email = `ops-${randomBytes(4).toString('hex')}@clinic.example`;
  const orgId = options.role === 'platform_admin' ? null : org.id;
  await createOperator(app.services.db, { orgId, email, password: PASSWORD });
  return {
    app,
    database,
    orgId: org.id,
    email,
    async close() {
      await app.close();
      await database.drop();
    },
  };
}

/** A cookie jar over app.inject, following nothing: each test asserts each hop. */
export class ConsoleClient {
  readonly cookies = new Map<string, string>();
  constructor(readonly app: FastifyInstance) {}

  cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  private remember(response: LightMyRequestResponse): void {
    for (const cookie of response.cookies as { name: string; value: string; maxAge?: number }[]) {
      if (cookie.value === '' || cookie.maxAge === 0) this.cookies.delete(cookie.name);
      else this.cookies.set(cookie.name, cookie.value);
    }
  }

  async get(url: string, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
    const response = await this.app.inject({
      method: 'GET',
      url,
      headers: { cookie: this.cookieHeader(), ...headers },
    });
    this.remember(response);
    return response;
  }

  async post(
    url: string,
    form: Record<string, string>,
    headers: Record<string, string> = {},
  ): Promise<LightMyRequestResponse> {
    const response = await this.app.inject({
      method: 'POST',
      url,
      headers: {
        cookie: this.cookieHeader(),
        'content-type': 'application/x-www-form-urlencoded',
        ...headers,
      },
      payload: new URLSearchParams(form).toString(),
    });
    this.remember(response);
    return response;
  }

  /** GET a page and POST one of its forms with the page's CSRF token plus `fields`. */
  async submit(pageUrl: string, action: string, fields: Record<string, string>) {
    const page = await this.get(pageUrl);
    assert.equal(page.statusCode, 200, `${pageUrl} answered ${page.statusCode}`);
    return this.post(action, { _csrf: csrfTokenOf(page.body), ...fields });
  }

  async signIn(email: string, password = PASSWORD, next?: string): Promise<LightMyRequestResponse> {
    const form = await this.get(next ? `/admin/sign-in?next=${encodeURIComponent(next)}` : '/admin/sign-in');
    assert.equal(form.statusCode, 200);
    return this.post('/admin/sign-in', {
      _csrf: csrfTokenOf(form.body),
      email,
      password,
      ...(next ? { next } : {}),
    });
  }
}

export function csrfTokenOf(body: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(body);
  assert.ok(match, 'the page has a CSRF field');
  return match[1] as string;
}

export async function signedIn(consoleApp: ConsoleApp): Promise<ConsoleClient> {
  const client = new ConsoleClient(consoleApp.app);
  const response = await client.signIn(consoleApp.email);
  assert.equal(response.statusCode, 303, response.body);
  return client;
}

/** The text of the element with this id (good enough for the flat markup the console renders). */
export function fieldError(body: string, field: string): string | null {
  const match = new RegExp(`id="${field}-error">([^<]*)<`).exec(body);
  return match ? (match[1] as string) : null;
}

/** Every one of `texts` is on the page, in this order (a page's structure, top to bottom). */
export function assertInOrder(body: string, texts: readonly string[]): void {
  const at = texts.map((text) => body.indexOf(text));
  assert.deepEqual(
    texts.filter((_text, i) => (at[i] as number) < 0),
    [],
    'all present',
  );
  assert.deepEqual(
    [...at].sort((a, b) => a - b),
    at,
    `in this order: ${texts.join(' → ')}`,
  );
}
