// The Dockerfile's build and start steps, carried out without a container
// engine (test/fixtures/dockerfile.ts) on a clean copy of the repository: its
// build stage (npm ci, prune) runs for real, its runtime stage is assembled
// from what it copies, and the server starts as its ENTRYPOINT and CMD say,
// with its ENV, answering /health and its HEALTHCHECK. The steps are read
// from the Dockerfile, so the test follows it when it changes.

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { options } from '../../src/config/options';
import { execForm, parseDockerfile, StageRun } from '../fixtures/dockerfile';
import { startCommand, type RunningServer } from '../fixtures/server-process';

const ROOT = join(__dirname, '..', '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'tickflow-docker-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const stages = parseDockerfile(join(ROOT, 'Dockerfile'));
const built = new Map<string, StageRun>();
let runtime: StageRun;

/** A free loopback port, as `docker run -p` would publish. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** The environment of the container: the image's ENV plus `docker run -e` values. */
function containerEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: join(dir, 'home'), ...runtime.mappedEnv(), ...extra };
}

function healthcheck(env: NodeJS.ProcessEnv): number | null {
  const check = runtime.last('HEALTHCHECK') ?? '';
  const command = execForm(check.slice(check.indexOf('CMD') + 3).trim());
  return spawnSync(command[0] as string, command.slice(1), { cwd: runtime.path('.'), env, encoding: 'utf8', timeout: 20_000 }).status;
}

/** The TICKFLOW_* variables docker-compose.yml gives the tickflow service (lines not commented out). */
function composeEnvironment(): Record<string, string> {
  const text = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
  const service = text.slice(text.indexOf('\n  tickflow:\n'));
  return Object.fromEntries(
    [...service.matchAll(/^ {6}(TICKFLOW_[A-Z_]+): *(.+)$/gm)].map((m) => [m[1] as string, (m[2] as string).trim()]),
  );
}

async function start(extra: Record<string, string>): Promise<RunningServer> {
  const command = [...execForm(runtime.last('ENTRYPOINT') ?? '[]'), ...execForm(runtime.last('CMD') ?? '[]')];
  return startCommand(command[0] as string, command.slice(1), { env: containerEnv(extra), cwd: runtime.path('.') }, 60_000);
}

before(() => {
  // The build context: the files git tracks or would track, as they are in the work tree.
  const context = join(dir, 'context');
  const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: ROOT, encoding: 'utf8' })
    .split('\0')
    .filter((f) => f !== '');
  for (const file of files) {
    if (existsSync(join(ROOT, file))) cpSync(join(ROOT, file), join(context, file));
  }
  // There is no `node` user here to give /data to; ownership is the engine's part.
  const shims = join(dir, 'shims');
  mkdirSync(shims);
  writeFileSync(join(shims, 'chown'), '#!/bin/sh\nexit 0\n');
  chmodSync(join(shims, 'chown'), 0o755);
  // npm's cache of the host stands for the registry the image build reaches.
  const shellEnv = { ...process.env, npm_config_prefer_offline: 'true', npm_config_update_notifier: 'false' };
  for (const stage of stages) {
    const run = new StageRun(stage, join(dir, 'stages', stage.name));
    run.build(context, built, shellEnv, shims);
    built.set(stage.name, run);
  }
  runtime = built.get(stages.at(-1)?.name ?? '') as StageRun;
});

describe('the Dockerfile', () => {
  it('builds on node:20-bookworm and runs on node:20-bookworm-slim as an unprivileged user', () => {
    assert.deepEqual(
      stages.map((s) => s.image),
      ['node:20-bookworm', 'node:20-bookworm-slim'],
    );
    assert.equal(runtime.last('USER'), 'node');
    assert.equal(runtime.last('EXPOSE'), String(options.port.defaultValue()));
    assert.equal(runtime.last('STOPSIGNAL'), 'SIGTERM');
    // The volume holds the store file that the image's ENV points at.
    assert.equal(runtime.last('VOLUME'), dirname(runtime.env.TICKFLOW_DB ?? ''));
    assert.ok(!existsSync(runtime.path('node_modules/typescript')), 'dev dependencies pruned');
    const addon = `uws_${process.platform}_${process.arch}_${process.versions.modules}.node`;
    assert.deepEqual(readdirSync(runtime.path('node_modules/uWebSockets.js/binaries')), [addon], 'only the addon this image runs');
    assert.ok(!existsSync(runtime.path('src')) && !existsSync(runtime.path('test')), 'sources left in the build stage');
  });

  it('leaves out of the build context everything git ignores', () => {
    const ignored = (name: string): string[] =>
      readFileSync(join(ROOT, name), 'utf8')
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l !== '' && !l.startsWith('#'));
    const docker = new Set(ignored('.dockerignore'));
    for (const entry of ignored('.gitignore')) assert.ok(docker.has(entry), `.dockerignore lacks ${entry}`);
    assert.ok(docker.has('.git'));
  });

  it('starts as its CMD says, answers /health and its HEALTHCHECK, and drains on SIGTERM', async () => {
    const port = String(await freePort());
    const env = { TICKFLOW_PORT: port };
    const server = await start(env);
    let code: number | null;
    try {
      const health = await fetch(`http://127.0.0.1:${port}/health`);
      assert.equal(health.status, 200);
      assert.equal(healthcheck(containerEnv(env)), 0);
      const listening = server.logs.find((l) => l.includes('"msg":"listening'));
      assert.match(listening ?? '', /"host":"127\.0\.0\.1"/, 'without a token file the server keeps to loopback');
    } finally {
      code = await server.stop();
    }
    assert.equal(code, 0);
    assert.ok(server.logs.some((l) => l.includes('"msg":"stopped"')));
    assert.ok(existsSync(runtime.path(runtime.env.TICKFLOW_DB ?? '')), 'the store is in the volume');
    assert.equal(healthcheck(containerEnv(env)), 1, 'the probe fails once the server is gone');
  });

  it('listens on every interface with a mounted token file, as docker-compose.yml runs it', async () => {
    const compose = composeEnvironment();
    assert.equal(compose.TICKFLOW_TOKEN_FILE, '/run/secrets/tickflow-tokens', 'the token file is the compose secret');
    const token = 'ops-token-for-the-docker-test';
    const tokens = join(dir, 'tokens.json');
    const sha256 = createHash('sha256').update(token).digest('hex');
    writeFileSync(tokens, JSON.stringify({ tokens: [{ name: 'ops', sha256, roles: ['admin', 'subscribe'] }] }));
    const port = String(await freePort());
    // The secret's mount and the broker service stand in for what compose provides; port 1 refuses at once.
    const env = { ...compose, TICKFLOW_PORT: port, TICKFLOW_TOKEN_FILE: tokens, TICKFLOW_KAFKA_BROKERS: '127.0.0.1:1' };
    const server = await start(env);
    try {
      assert.equal((await fetch(`http://127.0.0.1:${port}/health`)).status, 200, '/health needs no token');
      assert.equal(healthcheck(containerEnv(env)), 0);
      assert.equal((await fetch(`http://127.0.0.1:${port}/metrics`)).status, 401);
      const metrics = await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(metrics.status, 200);
      const config = server.logs.find((l) => l.includes('"msg":"configuration"')) ?? '';
      assert.match(config, /"token-file":"\(set\)"/, 'the token file is masked in the logged configuration');
      assert.match(config, /"from":\{[^}]*"token-file":"env"/);
    } finally {
      assert.equal(await server.stop(), 0);
    }
  });
});
