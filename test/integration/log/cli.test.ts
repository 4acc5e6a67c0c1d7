// `autoinfra log verify` and `log show` as an operator runs them, against a real git server.
import t from 'tap';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startGitServer } from '../../helpers/git-server.js';
import { runAutoinfra } from '../../helpers/cli.js';
import { silentLogger } from '../../../agent/logger.js';
import { DeployLog, logPaths } from '../../../agent/log/deploy-log.js';
import { LogPublisher } from '../../../agent/log/publisher.js';
import { keyId } from '../../../shared/log/keys.js';

t.test('log verify and log show', async (t) => {
  const server = await startGitServer();
  t.teardown(() => server.dispose());
  await server.createRepo('app');
  await server.commit('app', 'master', { 'infra/docker-compose.yml': 'services: {}\n' });
  const root = mkdtempSync(path.join(tmpdir(), 'ai-log-cli-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const keys = { a: generateKeyPairSync('ed25519'), b: generateKeyPairSync('ed25519') };
  const ids = { a: keyId(keys.a.publicKey), b: keyId(keys.b.publicKey) };
  await server.commit('app', 'production', { 'infra/autoinfra.yml': `agents:\n  a: {signing_key: '${ids.a}'}\n  b:\n    signing_key: '${ids.b}'\n  c: {signing_key: '${ids.b}'}\n` });
  let clockMs = Date.parse('2026-11-25T10:00:00Z');
  const clock = { now: () => (clockMs += 1000) };
  for (const host of ['a', 'b'] as const) {
    const log = await DeployLog.open({ dir: path.join(root, host, 'q'), host, signingKey: keys[host].privateKey, clock, logger: silentLogger() });
    await log.append({ env: 'production', commit: '1'.repeat(40), action: 'start', result: 'ok', detail: { colour: 'blue' } });
    await log.append({ env: 'production', commit: '1'.repeat(40), action: 'live', result: 'ok' });
    await log.append({ env: 'master', commit: '2'.repeat(40), action: 'failed', result: 'failed', detail: { reason: 'pull failed' } });
    await new LogPublisher({ log, url: server.url('app'), dir: path.join(root, host, 'git'), host, clock, logger: silentLogger() }).flush();
    await log.close();
  }

  const missing = await runAutoinfra(['log', 'verify', '--repo', server.url('app')]);
  t.equal(missing.code, 1, 'a pinned host with no file fails');
  t.match(missing.stdout, /^FAILED +c +hosts\/c\.jsonl: host "c" is pinned but has no log file/m);
  const ok = await runAutoinfra(['log', 'verify', '--repo', server.url('app'), '--allow-missing', 'c']);
  t.equal(ok.code, 0, ok.stderr);
  t.match(ok.stdout, /^ok +a +3 lines \(seq 1–3\)/m);
  t.match(ok.stdout, /^note +c +pinned but has no entries yet \(allowed\)/m);
  t.match(ok.stdout, /deploy log verified: 2 hosts, 6 lines/);

  // A checked-out copy, tampered.
  const dir = path.join(root, 'checkout');
  mkdirSync(path.join(dir, 'hosts'), { recursive: true });
  for (const h of ['a', 'b']) writeFileSync(path.join(dir, 'hosts', `${h}.jsonl`), (await server.show('app', 'deploy-log', `hosts/${h}.jsonl`)) + '\n');
  const keysFile = path.join(root, 'keys.txt');
  writeFileSync(keysFile, `a ${ids.a}\nb ${ids.b}\n`);
  t.equal((await runAutoinfra(['log', 'verify', '--dir', dir, '--keys', keysFile])).code, 0);
  const aFile = path.join(dir, 'hosts', 'a.jsonl');
  writeFileSync(aFile, readFileSync(aFile, 'utf8').replace('"live"', '"drain"'));
  for (const extra of [[], ['--fast']]) {
    const bad = await runAutoinfra(['log', 'verify', '--dir', dir, '--keys', keysFile, ...extra]);
    t.equal(bad.code, 1, `tampered → exit 1 ${extra.join(' ')}`);
    t.match(bad.stdout, /^FAILED +a +hosts\/a\.jsonl:2: signature does not verify/m, 'names the changed line');
    t.match(bad.stdout, /^ok +b /m);
    t.match(bad.stdout, /deploy log NOT verified: 1 of 2 hosts failed/);
  }
  writeFileSync(keysFile, `a ${ids.b}\nb ${ids.b}\n`);
  const wrongKey = await runAutoinfra(['log', 'verify', '--dir', dir, '--keys', keysFile]);
  t.match(wrongKey.stdout, /FAILED +a +hosts\/a\.jsonl:1: signed by ed25519:\S+, which is not pinned for host "a"/);
  const noKeys = await runAutoinfra(['log', 'verify', '--dir', dir]);
  t.equal(noKeys.code, 1);
  t.match(noKeys.stderr, /no pinned keys: pass --keys FILE \[E_LOG_SOURCE\]/);

  const show = await runAutoinfra(['log', 'show', '--repo', server.url('app'), '--env', 'production']);
  t.equal(show.code, 0, show.stderr);
  t.equal(show.stdout.trim().split('\n').length, 4, 'two hosts × two production entries');
  t.match(show.stdout, /2026-11-25T10:00:0\dZ?.* {2}a {2}#1 +production {2}start {2}ok +111111111111 {2}\{"colour":"blue"\}/);
  const json = await runAutoinfra(['log', 'show', '--dir', dir, '--host', 'b', '--json', '--since', '2026-11-25T10:00:05Z']);
  const lines = json.stdout.trim().split('\n').map((l) => JSON.parse(l) as { host: string; seq: number });
  t.ok(lines.length >= 1 && lines.every((e) => e.host === 'b'), '--host and --since filter');
});

t.test('log show without --repo/--dir reads this host\'s local queue (state_dir from agent.yml)', async (t) => {
  const root = mkdtempSync(path.join(tmpdir(), 'ai-log-cli-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const { privateKey } = generateKeyPairSync('ed25519');
  const log = await DeployLog.open({ dir: logPaths(root).queue, host: 'web-1', signingKey: privateKey, clock: { now: () => Date.parse('2026-11-25T09:00:00Z') }, logger: silentLogger() });
  await log.append({ env: '-', action: 'agent-start', result: 'info', detail: { version: '0.1.0' } });
  await log.close();
  const config = path.join(root, 'agent.yml');
  writeFileSync(config, `host: web-1\nrepo:\n  url: https://git.example.org/team/app.git\nstate_dir: ${root}\n`);
  const r = await runAutoinfra(['--config', config, 'log', 'show']);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /2026-11-25T09:00:00.000Z {2}web-1 {2}#1 +- {2}agent-start {2}info/);
});

