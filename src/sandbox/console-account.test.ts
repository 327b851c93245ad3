import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ConsoleBrowser, detail, fieldError } from './console-test-support.ts';
import type { RunningSandbox } from './index.ts';
import { sandboxForSuite, startTestSandbox } from './test-support.ts';

const APPS = '/developer/smart-on-fhir/apps';

describe('Cerner Central System Account', () => {
  let sandbox: RunningSandbox;
  let browser: ConsoleBrowser;
  let clientId: string;
  let jwksHost: Server;
  let jwksOrigin: string;

  before(async () => {
    jwksHost = createServer((request, response) => {
      const bodies: Record<string, [number, string]> = {
        '/good': [
          200,
          JSON.stringify({
            keys: [
              { kty: 'EC', crv: 'P-384', x: 'x', y: 'y', kid: 'k1', alg: 'ES384' },
              { kty: 'RSA', n: 'n', e: 'AQAB', kid: 'k2', alg: 'RS384' },
            ],
          }),
        ],
        '/html': [200, '<!doctype html><p>Not Found</p>'],
        '/empty': [200, '{"keys":[]}'],
        '/private': [
          200,
          JSON.stringify({ keys: [{ kty: 'EC', crv: 'P-384', x: 'x', y: 'y', d: 'secret', kid: 'leaky' }] }),
        ],
      };
      const [status, body] = bodies[request.url ?? ''] ?? [404, 'no'];
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(body);
    });
    await new Promise<void>((resolve) => jwksHost.listen(0, '127.0.0.1', resolve));
    jwksOrigin = `http://127.0.0.1:${(jwksHost.address() as AddressInfo).port}`;
    sandbox = await startTestSandbox({ apps: [] });
    browser = new ConsoleBrowser(sandbox.origin);
    await browser.signIn();
    ({ clientId } = await browser.register());
  });
  after(async () => {
    await sandbox.close();
    await new Promise((resolve) => jwksHost.close(resolve));
  });

  const account = () => `/system-accounts/${clientId}`;

  it('shows Account ID = Client ID, LIMITED, Production Yes, ACTIVE and a masked secret', async () => {
    const page = (await browser.get(account())).text;
    assert.equal(detail(page, 'Account ID'), `<code id="account-id">${clientId}</code>`);
    assert.equal(detail(page, 'Account Type'), 'LIMITED');
    assert.equal(detail(page, 'Production'), 'Yes');
    assert.equal(detail(page, 'Status'), 'ACTIVE');
    assert.match(
      page,
      /<a class="button secondary small" href="\/system-accounts\/[^"]+\/secret">Manage<\/a>/,
    );
    assert.match(page, /<button type="submit" class="secondary small">View<\/button>/);
    assert.doesNotMatch(page, /id="client-secret"/);
  });

  it('View shows the secret once; Manage rotates it and shows the new one once', async () => {
    await browser.get(account());
    const first = await browser.post(`${account()}/secret/view`, {});
    assert.equal(first.status, 200);
    const secret = /<code class="secret" id="client-secret">([^<]+)<\/code>/.exec(first.text)?.[1];
    assert.match(secret ?? '', /^[A-Za-z0-9_-]{43}$/);
    const second = await browser.post(`${account()}/secret/view`, {});
    assert.equal(second.status, 409);
    assert.match(second.text, /This secret was already viewed once\. Use Manage to rotate it/);
    assert.ok(!second.text.includes(secret as string));

    const manage = await browser.get(`${account()}/secret`);
    assert.match(manage.text, /<button type="submit">Rotate Secret<\/button>/);
    const rotated = await browser.post(`${account()}/secret/rotate`, {});
    const fresh = /<code class="secret" id="client-secret">([^<]+)<\/code>/.exec(rotated.text)?.[1];
    assert.ok(fresh && fresh !== secret, 'a new secret');
    assert.match(rotated.text, /The new secret replaced the old one, which no longer works\./);
    assert.equal((await browser.post(`${account()}/secret/view`, {})).status, 409, 'shown once already');
  });

  it('View without a signed-in developer goes to Sign in and shows nothing', async () => {
    const stranger = new ConsoleBrowser(sandbox.origin);
    const answer = await stranger.post(`${account()}/secret/view`, {});
    assert.equal(answer.status, 303);
    assert.match(answer.location ?? '', /^\/developer\/sign-in\?return_to=/);
  });

  it('Edit saves the JSON Web Key Set URL with the URL (Strongly Recommended) radio, refusing a bad one', async () => {
    const form = await browser.get(`${account()}/jwks/edit`);
    assert.match(
      form.text,
      /<input type="radio" id="jwks-url" name="jwks_choice" value="url" checked>URL \(Strongly Recommended\)<\/label>/,
    );
    assert.match(form.text, /<label for="jwks_url">JSON Web Key Set URL<\/label>/);
    const bad = await browser.post(`${account()}/jwks`, {
      jwks_choice: 'url',
      jwks_url: 'javascript:alert(1)',
    });
    assert.equal(bad.status, 400);
    assert.match(fieldError(bad.text, 'jwks_url') ?? '', /Enter an http\(s\) URL/);
    const saved = await browser.post(`${account()}/jwks`, {
      jwks_choice: 'url',
      jwks_url: `${jwksOrigin}/good`,
    });
    assert.equal(saved.location, account());
    const page = (await browser.follow(saved)).text;
    assert.equal(detail(page, 'JSON Web Key Set URL'), `${jwksOrigin}/good`);
    assert.match(page, /<button type="submit" class="secondary small">Test<\/button>/);
  });

  async function testWith(path: string) {
    await browser.post(`${account()}/jwks`, { jwks_choice: 'url', jwks_url: `${jwksOrigin}${path}` });
    await browser.get(account());
    return browser.post(`${account()}/jwks/test`, {});
  }

  it('Test fetches the URL and lists the keys found (kid, alg)', async () => {
    const answer = await testWith('/good');
    assert.equal(answer.status, 200);
    assert.match(
      answer.text,
      /id="jwks-test-result"><strong>Test passed\.<\/strong> Found 2 public keys at /,
    );
    assert.match(
      answer.text,
      /<tr><td><code>k1<\/code><\/td><td>ES384<\/td><td>EC<\/td><\/tr><tr><td><code>k2<\/code><\/td><td>RS384<\/td><td>RSA<\/td><\/tr>/,
    );
  });

  it('Test names the exact failure: not JSON, no keys, private key material, an HTTP error, unreachable', async () => {
    const cases: [string, RegExp][] = [
      ['/html', /The answer from http:\/\/127\.0\.0\.1:\d+\/html is not JSON\./],
      ['/empty', /The key set at .*\/empty has no keys/],
      ['/private', /publishes private key material \(key leaky\)/],
      ['/missing', /\/missing answered HTTP 404, not 200 with a key set\./],
    ];
    for (const [path, message] of cases) {
      const answer = await testWith(path);
      assert.match(answer.text, /role="alert" id="jwks-test-result"><strong>Test failed\.<\/strong>/, path);
      assert.match(answer.text, message, path);
    }
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await browser.post(`${account()}/jwks`, {
      jwks_choice: 'url',
      jwks_url: `http://127.0.0.1:${port}/jwks`,
    });
    await browser.get(account());
    const unreachable = await browser.post(`${account()}/jwks/test`, {});
    assert.match(
      unreachable.text,
      new RegExp(`Could not reach http://127\\.0\\.0\\.1:${port}/jwks: connection refused\\.`),
    );
  });
});

describe('the sandbox’s 404 pages', () => {
  const sandbox = sandboxForSuite(() => startTestSandbox({ apps: [] }));

  it('answer a browser with a page that does not wear the sign-in header, and API clients with JSON', async () => {
    for (const path of ['/nowhere', `${APPS}/no-such-app`, '/system-accounts/nobody']) {
      const response = await fetch(`${sandbox.origin}${path}`, { headers: { accept: 'text/html' } });
      assert.equal(response.status, 404, path);
      const page = await response.text();
      assert.match(page, /<h1>Not found<\/h1>/, path);
      assert.doesNotMatch(page, /Oracle Health<span>Sign in/, path);
    }
    const api = await fetch(`${sandbox.origin}/nowhere`);
    assert.deepEqual(await api.json(), { error: 'not_found' });
  });
});
