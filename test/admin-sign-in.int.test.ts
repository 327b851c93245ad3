/**
 * Console sign-in over HTTP, on SQLite and PostgreSQL: cookies, sessions held server-side,
 * CSRF on the sign-in form, lockout with backoff kept in the database, framing refused.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sha256Hex } from '../src/crypto/random.ts';
import {
  type ConsoleApp,
  ConsoleClient,
  csrfTokenOf,
  PASSWORD,
  signedIn,
  startConsoleApp,
} from './support/admin-console.ts';

function setCookie(response: { headers: Record<string, unknown> }, name: string): string {
  const raw = response.headers['set-cookie'];
  const all = Array.isArray(raw) ? raw : [raw];
  const found = all.find((value) => typeof value === 'string' && value.startsWith(`${name}=`));
  assert.ok(found, `sets ${name}`);
  return found as string;
}

for (const engine of ['sqlite', 'postgres'] as const) {
  describe(`console sign-in (${engine})`, () => {
    let consoleApp: ConsoleApp;
    before(async () => {
      consoleApp = await startConsoleApp({ engine });
    });
    after(() => consoleApp.close());

    it('sends a signed-out visitor to sign-in, remembering where they were going', async () => {
      const client = new ConsoleClient(consoleApp.app);
      const response = await client.get('/admin/settings/connections/cerner');
      assert.equal(response.statusCode, 303);
      assert.equal(
        response.headers.location,
        `/admin/sign-in?next=${encodeURIComponent('/admin/settings/connections/cerner')}`,
      );
      const signIn = await client.signIn(consoleApp.email, PASSWORD, '/admin/settings/connections/cerner');
      assert.equal(signIn.statusCode, 303);
      assert.equal(signIn.headers.location, '/admin/settings/connections/cerner');
    });

    it('signs in with the right password: HttpOnly, SameSite=Lax, Path=/admin session cookie, stored hashed', async () => {
      const client = new ConsoleClient(consoleApp.app);
      const response = await client.signIn(consoleApp.email.toUpperCase());
      assert.equal(response.statusCode, 303, response.body);
      assert.equal(response.headers.location, '/admin');
      const cookie = setCookie(response, 'chartside_session');
      assert.match(cookie, /; HttpOnly/);
      assert.match(cookie, /; SameSite=Lax/);
      assert.match(cookie, /; Path=\/admin/);
      assert.doesNotMatch(cookie, /; Secure/, 'plain-http PUBLIC_URL (dev) has no Secure flag');
      const token = client.cookies.get('chartside_session') as string;
      assert.ok(token.length >= 43, '256-bit session id');

      const { db } = consoleApp.app.services;
      const rows = await db.selectFrom('console_session').select(['id_hash']).execute();
      assert.ok(rows.some((row) => row.id_hash === sha256Hex(token)));
      assert.ok(!rows.some((row) => row.id_hash === token), 'the cookie value itself is not stored');

      const page = await client.get('/admin/launches');
      assert.equal(page.statusCode, 200);
      assert.match(page.body, new RegExp(consoleApp.email));
    });

    it('refuses a wrong password and an unknown email with the same message, keeping the typed email', async () => {
      const client = new ConsoleClient(consoleApp.app);
      const wrong = await client.signIn(consoleApp.email, 'not the password at all');
      const unknown = await client.signIn('nobody@clinic.example', 'not the password at all');
      for (const response of [wrong, unknown]) {
        assert.equal(response.statusCode, 401);
        assert.match(response.body, /That email and password do not match an operator account\./);
        assert.equal(client.cookies.has('chartside_session'), false);
      }
      assert.match(wrong.body, new RegExp(`value="${consoleApp.email}"`));
      assert.match(unknown.body, /value="nobody@clinic\.example"/);
    });

    it('refuses a sign-in POST without the form’s CSRF token, or with a token for another cookie', async () => {
      const client = new ConsoleClient(consoleApp.app);
      const page = await client.get('/admin/sign-in');
      const token = csrfTokenOf(page.body);
      const missing = await client.post('/admin/sign-in', { email: consoleApp.email, password: PASSWORD });
      assert.equal(missing.statusCode, 403);
      assert.match(missing.body, /This form could not be accepted/);

      const other = new ConsoleClient(consoleApp.app);
      await other.get('/admin/sign-in');
      const swapped = await other.post('/admin/sign-in', {
        _csrf: token,
        email: consoleApp.email,
        password: PASSWORD,
      });
      assert.equal(swapped.statusCode, 403);
      assert.equal(other.cookies.has('chartside_session'), false);
    });

    it('locks an email after 5 failures (429 + Retry-After), refusing even the right password, kept in the database', async () => {
      const { db } = consoleApp.app.services;
      const email = `locked-${randomBytes(3).toString('hex')}@clinic.example`;
      const { createOperator } = await import('../src/admin/operators.ts');
      await createOperator(db, { orgId: consoleApp.orgId, email, password: PASSWORD });
      const client = new ConsoleClient(consoleApp.app);
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++)
        statuses.push((await client.signIn(email, `wrong password ${i}`)).statusCode);
      assert.deepEqual(statuses, [401, 401, 401, 401, 429]);

      const right = await client.signIn(email, PASSWORD);
      assert.equal(right.statusCode, 429, 'locked: the password is not even checked');
      assert.match(right.body, /Too many failed sign-ins for this email/);
      const retryAfter = Number(right.headers['retry-after']);
      assert.ok(retryAfter > 0 && retryAfter <= 60, `Retry-After ${retryAfter}`);
      assert.equal(client.cookies.has('chartside_session'), false);

      const row = await db
        .selectFrom('sign_in_throttle')
        .selectAll()
        .where('email', '=', email)
        .executeTakeFirstOrThrow();
      assert.equal(Number(row.failures), 5);
      assert.ok(row.locked_until && Date.parse(row.locked_until) > Date.now());

      // After the lock ends, the right password works and clears the count.
      await db
        .updateTable('sign_in_throttle')
        .set({ locked_until: new Date(Date.now() - 1000).toISOString() })
        .where('email', '=', email)
        .execute();
      assert.equal((await client.signIn(email, PASSWORD)).statusCode, 303);
      assert.equal(
        await db.selectFrom('sign_in_throttle').select('email').where('email', '=', email).executeTakeFirst(),
        undefined,
      );

      const audit = await db
        .selectFrom('audit_event')
        .select(['action', 'actor', 'details'])
        .where('actor', '=', `operator:${email}`)
        .execute();
      assert.equal(audit.filter((event) => event.action === 'operator.sign_in_failed').length, 5);
      assert.equal(audit.filter((event) => event.action === 'operator.signed_in').length, 1);
      assert.ok(!JSON.stringify(audit).includes('wrong password'), 'no typed password in the audit trail');
    });

    it('locks unknown emails the same way (the answer does not reveal which emails exist)', async () => {
      const client = new ConsoleClient(consoleApp.app);
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++)
        statuses.push((await client.signIn('ghost@clinic.example', 'nope nope nope')).statusCode);
      assert.deepEqual(statuses, [401, 401, 401, 401, 429]);
    });

    it('signing out ends the session on the server: the old cookie no longer works', async () => {
      const client = await signedIn(consoleApp);
      const token = client.cookies.get('chartside_session') as string;
      const page = await client.get('/admin/launches');
      const out = await client.post('/admin/sign-out', { _csrf: csrfTokenOf(page.body) });
      assert.equal(out.statusCode, 303);
      assert.equal(out.headers.location, '/admin/sign-in?signed_out=1');

      const replay = new ConsoleClient(consoleApp.app);
      replay.cookies.set('chartside_session', token);
      const response = await replay.get('/admin/launches');
      assert.equal(response.statusCode, 303);
      assert.match(String(response.headers.location), /^\/admin\/sign-in/);
    });

    it('ends sessions after 2 hours idle or 12 hours in all', async () => {
      const { db } = consoleApp.app.services;
      for (const expire of [
        { last_seen_at: new Date(Date.now() - 2 * 3600_000 - 1000).toISOString() },
        { expires_at: new Date(Date.now() - 1000).toISOString() },
      ]) {
        const client = await signedIn(consoleApp);
        const hash = sha256Hex(client.cookies.get('chartside_session') as string);
        await db.updateTable('console_session').set(expire).where('id_hash', '=', hash).execute();
        const response = await client.get('/admin/launches');
        assert.equal(response.statusCode, 303, JSON.stringify(expire));
        const row = await db
          .selectFrom('console_session')
          .select('id_hash')
          .where('id_hash', '=', hash)
          .executeTakeFirst();
        assert.equal(row, undefined, 'the expired session row is deleted');
      }
    });

    it('console pages refuse framing and allow only their own scripts', async () => {
      const client = await signedIn(consoleApp);
      for (const path of [
        '/admin/sign-in',
        '/admin/launches',
        '/admin/settings/connections/cerner',
        '/admin/nope',
      ]) {
        const response = await client.get(path);
        assert.equal(response.headers['x-frame-options'], 'DENY', path);
        const csp = String(response.headers['content-security-policy']);
        assert.match(csp, /frame-ancestors 'none'/, path);
        assert.match(csp, /script-src 'self'(;|$)/, path);
        assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/, path);
        assert.equal(response.headers['cache-control'], 'no-store', path);
        assert.doesNotMatch(
          response.body,
          /<script>|\sstyle="|\son[a-z]+="/,
          `${path}: no inline script, style or handler`,
        );
      }
    });
  });
}

describe('console cookies behind https', () => {
  it('marks the session and sign-in cookies Secure when PUBLIC_URL is https', async () => {
    const consoleApp = await startConsoleApp({ publicUrl: 'https://gateway.example.org' });
    try {
      const client = new ConsoleClient(consoleApp.app);
      const form = await client.get('/admin/sign-in');
      assert.match(setCookie(form, 'chartside_sign_in'), /; Secure/);
      const response = await client.signIn(consoleApp.email);
      assert.match(setCookie(response, 'chartside_session'), /; Secure/);
    } finally {
      await consoleApp.close();
    }
  });
});
