// The publisher against a real git http-backend: orphan branch creation, idempotent re-publish,
// README rows, git host down → queue waits → drains, and secrets kept out of branch and logs.
import t from 'tap';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { startGitServer } from '../../helpers/git-server.js';
import { waitFor } from '../../helpers/exec.js';
import { createLogger, silentLogger } from '../../../agent/logger.js';
import { DeployLog } from '../../../agent/log/deploy-log.js';
import { LogPublisher } from '../../../agent/log/publisher.js';
import { keyId } from '../../../shared/log/keys.js';
import { verifyHostFile } from '../../../shared/log/verify.js';

const clock = { now: () => Date.now() };

function tmp(t: { teardown(fn: () => void): void }, prefix: string): string {
  const d = mkdtempSync(path.join(tmpdir(), prefix));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

t.test('publishes to a new orphan branch, idempotently, with a README', async (t) => {
  const server = await startGitServer({ auth: { username: 'deploy', password: 'pw' } });
  t.teardown(() => server.dispose());
  await server.createRepo('app');
  await server.commit('app', 'master', { 'infra/docker-compose.yml': 'services: {}\n' });
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const dir = tmp(t, 'ai-log-');
  const log = await DeployLog.open({ dir: path.join(dir, 'queue'), host: 'web-1', signingKey: privateKey, clock, logger: silentLogger() });
  t.teardown(() => log.close());
  const headers = { Authorization: `Basic ${Buffer.from('deploy:pw').toString('base64')}` };
  const pub = new LogPublisher({ log, url: server.url('app'), headers, dir: path.join(dir, 'store'), host: 'web-1', clock, logger: silentLogger(), batchMs: 5, backoffMs: 5 });

  await log.append({ env: 'production', commit: 'a'.repeat(40), action: 'start', result: 'ok' });
  await log.append({ env: 'production', commit: 'a'.repeat(40), action: 'live', result: 'ok' });
  await log.append({ env: 'master', commit: 'b'.repeat(40), action: 'failed', result: 'failed', detail: { reason: 'health gate timed out' } });
  t.equal(pub.pending(), 3);
  await pub.flush();
  t.equal(pub.pending(), 0);
  const tip = await server.head('app', 'deploy-log');
  t.ok(tip, 'branch created');
  t.equal(await server.git('app', ['rev-list', '--count', 'deploy-log']), '1', 'orphan: one commit, no parent');
  const file = (await server.show('app', 'deploy-log', 'hosts/web-1.jsonl')) + '\n';
  t.equal(file.split('\n').length - 1, 3);
  t.ok(verifyHostFile('hosts/web-1.jsonl', file, { pinned: [keyId(publicKey)] }).ok, 'published file verifies');
  const readme = await server.show('app', 'deploy-log', 'README.md');
  t.match(readme, /\| web-1 \| production \| aaaaaaaaaaaa \| \d{4}-/);
  t.match(readme, /\| web-1 \| master \| — \| — \| .*bbbbbbbbbbbb: health gate timed out \|/);
  t.notOk(await server.show('app', 'master', 'infra/docker-compose.yml').then(() => false), 'master untouched');

  await pub.flush();
  t.equal(await server.head('app', 'deploy-log'), tip, 'nothing new → no commit');

  // A second publisher with a fresh store (as after losing its store): still no duplicate.
  const pub2 = new LogPublisher({ log, url: server.url('app'), headers, dir: path.join(dir, 'store2'), host: 'web-1', clock, logger: silentLogger(), batchMs: 5, backoffMs: 5 });
  await log.append({ env: 'production', action: 'health', result: 'ok' });
  await pub2.flush();
  const file2 = (await server.show('app', 'deploy-log', 'hosts/web-1.jsonl')) + '\n';
  t.equal(file2.split('\n').length - 1, 4, 'only the new line was appended');
  t.equal(await server.git('app', ['rev-list', '--count', 'deploy-log']), '2');
});

t.test('git host down: entries wait, then drain; secrets never leave the host', async (t) => {
  const server = await startGitServer();
  t.teardown(() => server.dispose());
  await server.createRepo('app');
  const url = server.url('app');
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const dir = tmp(t, 'ai-log-');
  const out = new PassThrough();
  let logged = '';
  out.on('data', (c: Buffer) => { logged += c.toString('utf8'); });
  const logger = createLogger({ level: 'debug', stream: out });
  const SECRET = 'hunter2-very-secret';
  const log = await DeployLog.open({ dir: path.join(dir, 'queue'), host: 'db-1', signingKey: privateKey, clock, logger, secrets: [SECRET] });
  t.teardown(() => log.close());
  const pub = new LogPublisher({ log, url, dir: path.join(dir, 'store'), host: 'db-1', clock, logger, batchMs: 5, backoffMs: 10, maxBackoffMs: 100 });
  pub.start();
  t.teardown(() => pub.stop());
  await log.append({ env: 'production', action: 'preflight', result: 'ok', detail: { env_file: `DB_PASSWORD=${SECRET}`, password: 'x', note: 'ok' } });
  await waitFor('first entry on remote', async () => (await server.head('app', 'deploy-log')) !== undefined, { timeoutMs: 10_000, intervalMs: 20 });

  await server.stop();
  for (let i = 0; i < 10; i++) await log.append({ env: 'production', action: 'health', result: 'info', detail: { i, token: SECRET } }, { secrets: ['per-append-secret'] });
  await new Promise((r) => setTimeout(r, 300));
  t.equal(pub.pending(), 10, 'queue holds entries while the git host is down');
  await server.start();
  await waitFor('queue drained', async () => pub.pending() === 0, { timeoutMs: 15_000, intervalMs: 20 });
  const file = (await server.show('app', 'deploy-log', 'hosts/db-1.jsonl')) + '\n';
  t.equal(file.split('\n').length - 1, 11, 'all entries published once');
  t.ok(verifyHostFile('hosts/db-1.jsonl', file, { pinned: [keyId(publicKey)] }).ok);
  t.match(logged, /cannot publish/, 'the outage was logged');
  const everything = await server.git('app', ['log', '-p', '--all']);
  t.notOk(everything.includes(SECRET), 'secret not in any commit of the branch');
  t.notOk(logged.includes(SECRET), 'secret not in the agent log output');
  t.match(file, /DB_PASSWORD=\[redacted\]/);
  t.notMatch(file, /"password"|"token"/);
});

t.test('summary() overrides this host\'s README rows; a forked remote is refused, not built on', async (t) => {
  const server = await startGitServer();
  t.teardown(() => server.dispose());
  await server.createRepo('app');
  await server.commit('app', 'master', { a: '1' });
  const dir = tmp(t, 'ai-log-');
  const { privateKey } = generateKeyPairSync('ed25519');
  const log = await DeployLog.open({ dir: path.join(dir, 'q1'), host: 'web-1', signingKey: privateKey, clock, logger: silentLogger() });
  t.teardown(() => log.close());
  await log.append({ env: 'production', commit: 'a'.repeat(40), action: 'live', result: 'ok' });
  const summary = () => [{ host: 'web-1', env: 'production', liveCommit: 'f'.repeat(40), since: '2026-11-25T00:00:00.000Z' }];
  await new LogPublisher({ log, url: server.url('app'), dir: path.join(dir, 'g1'), host: 'web-1', clock, logger: silentLogger(), summary }).flush();
  t.match(await server.show('app', 'deploy-log', 'README.md'), /\| web-1 \| production \| ffffffffffff \| 2026-11-25T00:00:00.000Z \|/);

  // Same host name, a fresh queue (state dir lost): its seq 1 differs from the remote's seq 1.
  const other = await DeployLog.open({ dir: path.join(dir, 'q2'), host: 'web-1', signingKey: privateKey, clock, logger: silentLogger() });
  t.teardown(() => other.close());
  await other.append({ env: 'production', action: 'agent-start', result: 'info' });
  const before = await server.head('app', 'deploy-log');
  await t.rejects(new LogPublisher({ log: other, url: server.url('app'), dir: path.join(dir, 'g2'), host: 'web-1', clock, logger: silentLogger() }).flush(), { code: 'E_LOG_PUBLISH', message: /chains forked/ });
  t.equal(await server.head('app', 'deploy-log'), before, 'nothing pushed');
});
