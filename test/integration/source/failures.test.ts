// Outages and refusals: backoff, one log line per outage, last good heads kept, recovery, rotation.
import t from 'tap';
import path from 'node:path';
import { writeFileSync } from 'node:fs';
import { startGitServer } from '../../helpers/git-server.js';
import { waitFor } from '../../helpers/exec.js';
import type { SourceEvent } from '../../../agent/source/git-source.js';
import { capturingLogger, makeSource, summarize, tempDir } from './source-helpers.js';

t.test('wrong token: clear error naming the URL, backoff, triggers do not hammer; rotation recovers', async (t) => {
  const server = await startGitServer({ auth: { username: 'oauth2', password: 'right-token' } });
  t.teardown(() => server.dispose());
  await server.createRepo('app');
  const c1 = await server.commit('app', 'master', { 'infra/a': '1' });
  const dir = tempDir(t);
  const tokenFile = path.join(dir, 'token');
  writeFileSync(tokenFile, 'wrong-token\n');
  const { logger, lines } = capturingLogger();
  const src = makeSource(server, 'app', path.join(dir, 'repo.git'), { auth: { tokenFile }, logger, intervalMs: 20, maxBackoffMs: 160 });

  const err = await src.pollOnce().then(() => undefined, (e: unknown) => e as Error & { code: string });
  t.equal(err?.code, 'E_SOURCE_AUTH');
  t.match(err?.message, server.url('app'), 'names the repo URL');
  t.match(err?.message, tokenFile, 'names the token file');
  t.notMatch(err?.message, 'wrong-token', 'never the token');
  t.equal(src.status().consecutiveFailures, 1);
  t.equal(src.status().healthy, false);

  const events: SourceEvent[] = [];
  server.resetCounts();
  src.start((e) => { events.push(e); });
  t.teardown(() => src.stop());
  const t0 = Date.now();
  while (Date.now() - t0 < 700) {
    src.trigger('master');
    await new Promise((r) => setTimeout(r, 10));
  }
  // Backoff 40, 80, 160, 160 … ms: about 6 polls in 700 ms (at the 20 ms interval it would be ~35).
  const polls = summarize(server).adverts;
  t.ok(polls >= 3 && polls <= 9, `backed off despite 70 triggers: ${polls} polls in 700 ms`);
  t.equal(lines.filter((l) => l.includes('git source failing')).length, 1, 'one error line for the whole outage');
  t.same(events, []);

  writeFileSync(tokenFile, 'right-token\n');
  await waitFor('recovery after rotation', async () => events.length > 0, { timeoutMs: 3000, intervalMs: 10 });
  t.same(events, [{ type: 'head-changed', env: src.environmentOf('master'), new: c1 }], 'rotated token picked up without restart');
  t.ok(src.status().healthy);
  t.equal(lines.filter((l) => l.includes('git source recovered')).length, 1, 'one line when the outage ends');
});

t.test('server stopped: backoff, heads kept, recovery after it returns; trigger cuts the wait', async (t) => {
  const server = await startGitServer();
  t.teardown(() => server.dispose());
  await server.createRepo('app');
  const c1 = await server.commit('app', 'master', { 'infra/a': '1' });
  const { logger, lines } = capturingLogger();
  const src = makeSource(server, 'app', path.join(tempDir(t), 'repo.git'), { logger, intervalMs: 50, maxBackoffMs: 400 });
  const events: SourceEvent[] = [];
  src.start((e) => { events.push(e); });
  t.teardown(() => src.stop());
  await waitFor('first poll', async () => events.length === 1, { timeoutMs: 3000, intervalMs: 10 });

  await server.stop();
  await waitFor('three failed polls', async () => src.status().consecutiveFailures >= 3, { timeoutMs: 5000, intervalMs: 10 });
  t.match(src.status().lastError, /cannot reach git repository http:\/\/127\.0\.0\.1:\d+\/app\.git/);
  t.same(src.heads(), new Map([['master', c1]]), 'last good heads stay');
  t.equal(lines.filter((l) => l.includes('git source failing')).length, 1, 'one line when the outage starts');

  const c2 = await server.commit('app', 'master', { 'infra/a': '2' });
  await server.start();
  const back = Date.now();
  await waitFor('recovery', async () => events.length === 2, { timeoutMs: 3000, intervalMs: 5 });
  const took = Date.now() - back;
  t.ok(took <= 400 + 40 + 300, `recovered within one backoff wait of the server's return (${took} ms)`);
  t.same(events[1], { type: 'head-changed', env: src.environmentOf('master'), old: c1, new: c2 });
  t.equal(lines.filter((l) => l.includes('git source recovered')).length, 1);
  t.equal(src.status().consecutiveFailures, 0);
});

t.test('trigger cuts a long wait; triggers during a poll coalesce into one follow-up poll', async (t) => {
  const server = await startGitServer();
  t.teardown(() => server.dispose());
  await server.createRepo('app');
  await server.commit('app', 'master', { 'infra/a': '1' });
  const src = makeSource(server, 'app', path.join(tempDir(t), 'repo.git'), { intervalMs: 60_000, maxBackoffMs: 60_000 });
  const events: SourceEvent[] = [];
  let release!: () => void;
  let blocked = false;
  src.start(async (e) => {
    events.push(e);
    if (blocked) await new Promise<void>((r) => { release = r; });
  });
  t.teardown(() => src.stop());
  await waitFor('first poll', async () => events.length === 1, { timeoutMs: 3000, intervalMs: 10 });

  blocked = true;
  await server.commit('app', 'master', { 'infra/a': '2' });
  server.resetCounts();
  const t0 = Date.now();
  src.trigger('master');
  await waitFor('triggered poll', async () => events.length === 2, { timeoutMs: 3000, intervalMs: 5 });
  t.ok(Date.now() - t0 < 1000, 'the 60 s wait was cut short');
  for (let i = 0; i < 5; i++) src.trigger();
  blocked = false;
  release();
  await waitFor('follow-up poll', async () => summarize(server).adverts === 2, { timeoutMs: 3000, intervalMs: 5 });
  await new Promise((r) => setTimeout(r, 300));
  t.equal(summarize(server).adverts, 2, 'five triggers during the poll → exactly one follow-up poll');
});

t.test('restart: heads restored, no refetch, no duplicate events; a wiped store refetches silently', async (t) => {
  const server = await startGitServer();
  t.teardown(() => server.dispose());
  await server.createRepo('app');
  const c1 = await server.commit('app', 'master', { 'infra/a': '1' });
  const p1 = await server.commit('app', 'production', { 'infra/a': 'p' });
  const dir = path.join(tempDir(t), 'repo.git');
  const first = makeSource(server, 'app', dir);
  t.equal((await first.pollOnce()).length, 2);

  const second = makeSource(server, 'app', dir);
  t.same(second.heads(), new Map([['production', p1], ['master', c1]]), 'heads restored at construction');
  server.resetCounts();
  t.same(await second.pollOnce(), [], 'no duplicate events');
  t.equal(server.requests.length, 1, 'no refetch: one listing only');

  // The object store lost its packs (disk trouble, manual cleanup): heads stay, objects come back, no events.
  const { rmSync, readdirSync } = await import('node:fs');
  for (const f of readdirSync(path.join(dir, 'objects', 'pack'))) rmSync(path.join(dir, 'objects', 'pack', f));
  const third = makeSource(server, 'app', dir);
  t.same(await third.pollOnce(), [], 'no events for heads already announced');
  t.same(await third.readTree(c1), new Map([['infra/a', Buffer.from('1')]]), 'objects fetched again');
});

t.test('a bad URL is refused at construction', async (t) => {
  const server = await startGitServer();
  t.teardown(() => server.dispose());
  t.throws(() => makeSource(server, 'app', '/nonexistent', { url: 'git@github.com:o/r.git' }), { code: 'E_SOURCE_URL', message: /SSH/ });
  t.throws(() => makeSource(server, 'app', '/nonexistent', { url: 'http://example.com/r.git' }), { code: 'E_SOURCE_URL' });
});

t.test('an unusable store directory is a recorded failure, not a silent loop', async (t) => {
  const server = await startGitServer();
  t.teardown(() => server.dispose());
  await server.createRepo('app');
  await server.commit('app', 'master', { a: '1' });
  const file = path.join(tempDir(t), 'a-file');
  writeFileSync(file, 'not a directory');
  const { logger, lines } = capturingLogger();
  const src = makeSource(server, 'app', path.join(file, 'repo.git'), { logger });
  await t.rejects(src.pollOnce(), { code: 'E_SOURCE_STORE', message: /ENOTDIR/ });
  t.equal(src.status().consecutiveFailures, 1);
  t.equal(lines.filter((l) => l.includes('git source failing')).length, 1);
});

t.test('a server that accepts and never answers: bounded by the request timeout; stop() is prompt', async (t) => {
  const net = await import('node:net');
  const sockets: import('node:net').Socket[] = [];
  const silent = net.createServer((s) => { sockets.push(s); });
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => { sockets.forEach((s) => s.destroy()); silent.close(); });
  const port = (silent.address() as import('node:net').AddressInfo).port;
  const server = await startGitServer();
  t.teardown(() => server.dispose());
  const src = makeSource(server, 'app', path.join(tempDir(t), 'repo.git'), { url: `http://127.0.0.1:${port}/app.git`, requestTimeoutMs: 200 });
  const t0 = Date.now();
  await t.rejects(src.pollOnce(), { code: 'E_SOURCE_UNREACHABLE' });
  const took = Date.now() - t0;
  t.ok(took >= 150 && took < 2000, `gave up after the timeout (${took} ms)`);

  const slow = makeSource(server, 'app', path.join(tempDir(t), 'repo2.git'), { url: `http://127.0.0.1:${port}/app.git`, requestTimeoutMs: 60_000 });
  slow.start(() => undefined);
  await new Promise((r) => setTimeout(r, 100));
  const t1 = Date.now();
  await slow.stop();
  t.ok(Date.now() - t1 < 1000, 'stop() aborts the hung request');
});
