/**
 * The container recipe (Dockerfile, compose.yaml, deploy/Caddyfile) against the code, since no
 * container engine runs here: every command it runs is a `chartside` command, every variable it
 * sets is one the configuration reads, every file it copies or mounts exists, the health checks
 * call the readiness probe, and the image runs as a non-root user.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');

/** Every configuration source: a variable the recipe sets must be named in one of them. */
const configText = readdirSync(join(root, 'src/config'))
  .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'))
  .map((file) => read(`src/config/${file}`))
  .join('\n');
const cliMain = read('src/cli/cli.ts');

function assertConfigVariable(name: string): void {
  assert.ok(configText.includes(name), `${name} is read by src/config/`);
}
function assertCliCommand(command: string): void {
  assert.ok(cliMain.includes(`command === '${command}'`), `chartside ${command} exists`);
}

/** Dockerfile instructions, continuation lines joined. */
function instructions(text: string): { op: string; args: string }[] {
  return text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const [op, ...rest] = line.split(/\s+/);
      return { op: (op as string).toUpperCase(), args: rest.join(' ') };
    });
}

describe('Dockerfile', () => {
  const steps = instructions(read('Dockerfile'));
  const of = (op: string) => steps.filter((step) => step.op === op);
  const stageStart = steps.map((step) => step.op).lastIndexOf('FROM');
  const finalStage = steps.slice(stageStart);

  it('builds in stages from Node 20 slim, production dependencies only', () => {
    const image = /ARG NODE_IMAGE=(\S+)/.exec(read('Dockerfile'))?.[1];
    assert.match(image ?? '', /^node:20[\w.-]*-slim$/);
    assert.ok(of('FROM').length >= 2, 'multi-stage');
    assert.ok(of('FROM').every((step) => step.args.startsWith('$' + '{NODE_IMAGE}')));
    assert.ok(of('RUN').some((step) => step.args.includes('npm ci --omit=dev')));
    assert.ok(
      !finalStage.some((step) => step.op === 'RUN' && /apt-get install|npm (ci|install)/.test(step.args)),
      'no toolchain or install in the image that runs',
    );
  });

  it('copies files that exist and runs chartside serve as a non-root user', () => {
    for (const step of of('COPY').filter((s) => !s.args.includes('--from='))) {
      const sources = step.args
        .split(/\s+/)
        .filter((part) => !part.startsWith('--'))
        .slice(0, -1);
      for (const source of sources) assert.ok(existsSync(join(root, source)), `COPY ${source} exists`);
    }
    const user = finalStage.filter((step) => step.op === 'USER').at(-1)?.args;
    assert.ok(user && user !== 'root' && user !== '0', `runs as ${user}`);
    const entrypoint = JSON.parse(of('ENTRYPOINT').at(-1)?.args ?? '[]') as string[];
    assert.deepEqual(entrypoint, ['node', 'bin/chartside.js']);
    assert.ok(existsSync(join(root, 'bin/chartside.js')));
    const command = JSON.parse(of('CMD').at(-1)?.args ?? '[]') as string[];
    assert.deepEqual(command, ['serve']);
    assertCliCommand('serve');
  });

  it('sets only variables the configuration reads, and checks /readyz', () => {
    for (const step of of('ENV')) {
      for (const [, name] of step.args.matchAll(/([A-Z][A-Z0-9_]*)=/g)) {
        if (name !== 'NODE_ENV') assertConfigVariable(name as string);
      }
    }
    assert.ok(configText.includes('env.NODE_ENV'), 'NODE_ENV is read as the run mode');
    const healthcheck = of('HEALTHCHECK')[0]?.args ?? '';
    assert.match(healthcheck, /\/readyz/);
    assert.match(read('src/health/routes.ts'), /'\/readyz'/);
    assert.ok(existsSync(join(root, '.dockerignore')));
    assert.match(read('.dockerignore'), /^node_modules$/m);
  });
});

describe('compose.yaml', () => {
  const compose = parse(read('compose.yaml'), { merge: true }) as {
    services: Record<string, Record<string, unknown>>;
  };
  const gateways = Object.entries(compose.services).filter(([, service]) => service.build === '.');

  it('runs two gateways of the image on PostgreSQL behind a load balancer', () => {
    assert.deepEqual(
      gateways.map(([name]) => name),
      ['gateway-1', 'gateway-2'],
    );
    assert.match(String(compose.services.db?.image), /^postgres:/);
    const lb = compose.services.lb as { image: string; volumes: string[] };
    assert.match(lb.image, /^caddy:/);
    const [mount] = lb.volumes;
    const file = (mount as string).split(':')[0] as string;
    assert.ok(existsSync(join(root, file)), `${file} exists`);
    const caddyfile = read(file);
    for (const [name, service] of gateways) {
      const port = (service.environment as Record<string, string>).PORT;
      assert.ok(caddyfile.includes(`${name}:${port}`), `the balancer sends to ${name}:${port}`);
    }
    assert.match(caddyfile, /health_uri \/readyz/);
  });

  it('each gateway runs chartside serve with variables the configuration reads', () => {
    for (const [name, service] of gateways) {
      const command = service.command as string[];
      assert.deepEqual(command, ['serve'], name);
      assertCliCommand(command[0] as string);
      const environment = service.environment as Record<string, string>;
      for (const variable of Object.keys(environment)) assertConfigVariable(variable);
      assert.equal(environment.CHARTSIDE_ENV, 'production');
      assert.equal(environment.TRUST_PROXY, 'true');
      assert.match(
        environment.DATABASE_URL as string,
        /^postgres:\/\/chartside:\$\{CHARTSIDE_DB_PASSWORD:\?\}@db:5432\/chartside$/,
      );
      // Secrets come from the shell (a secret store), never from the file.
      assert.match(environment.CHARTSIDE_MASTER_KEY as string, /^\$\{CHARTSIDE_MASTER_KEY:\?/);
      assert.deepEqual(service.depends_on, { db: { condition: 'service_healthy' } });
    }
  });
});
