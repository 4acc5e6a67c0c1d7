// The CLI as a user runs it: a real process.
import t from 'tap';
import { existsSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runAutoinfra } from '../../../helpers/cli.js';

const verbs = ['agent', 'edge', 'compose', 'render', 'plan', 'status', 'trigger', 'wait', 'log', 'keygen', 'secrets', 'demo'];

t.test('--help lists every subcommand', async (t) => {
  const r = await runAutoinfra(['--help']);
  t.equal(r.code, 0);
  for (const v of verbs) t.match(r.stdout, new RegExp(`^  ${v}\\b`, 'm'), `lists ${v}`);
  const log = await runAutoinfra(['log', '--help']);
  t.match(log.stdout, /show/);
  t.match(log.stdout, /verify/);
  const compose = await runAutoinfra(['compose', '--help']);
  t.match(compose.stdout, /config/);
  const secrets = await runAutoinfra(['secrets', '--help']);
  t.match(secrets.stdout, /encrypt/);
});

t.test('--version prints the package version', async (t) => {
  const r = await runAutoinfra(['--version']);
  t.match(r.stdout.trim(), /^\d+\.\d+\.\d+$/);
});

t.test('agent with a bad config exits non-zero with the located errors and nothing else', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ai-cli-'));
  const file = path.join(dir, 'bad.yml');
  writeFileSync(file, 'host: web-1\nrepo:\n  url: git@example.org:team/app.git\npoll: {intervall: 5s}\n');
  const r = await runAutoinfra(['agent', '--config', file]);
  t.equal(r.code, 2);
  t.equal(r.stdout, '', 'nothing on stdout');
  t.match(r.stderr, `${file}:3:8: repo.url: SSH and git:// are not supported`);
  t.match(r.stderr, `${file}:4:8: poll.intervall: unknown key "intervall" (did you mean "interval"?)`);
});

t.test('unknown subcommand is an argument error', async (t) => {
  const r = await runAutoinfra(['deploy-everything']);
  t.not(r.code, 0);
  t.match(r.stderr, /unknown command/);
});

t.test('keygen --config writes the keys where the config says, and refuses a config it cannot read', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ai-cli-'));
  const config = path.join(dir, 'agent.yml');
  const age = path.join(dir, 'k', 'age.key');
  const signing = path.join(dir, 'other', 'sign.key');
  writeFileSync(config, `host: web-7\nrepo: {url: "https://git.example.org/a/b.git"}\nkeys: {age: ${age}, signing: ${signing}}\n`);
  const r = await runAutoinfra(['--config', config, 'keygen']);
  t.equal(r.code, 0, r.stderr);
  t.ok(existsSync(age) && existsSync(signing), 'both keys at the configured paths');
  t.equal(statSync(age).mode & 0o777, 0o600);
  t.match(r.stdout, /^ {2}web-7:$/m, "the config's host name is the snippet's");
  t.match(r.stdout, new RegExp(`Wrote ${age} and ${signing}`));
  const again = await runAutoinfra(['--config', config, 'keygen']);
  t.not(again.code, 0, 'existing keys at the configured paths are not replaced without --force');
  t.match(again.stderr, /E_KEYS_EXIST/);
  const missing = await runAutoinfra(['--config', path.join(dir, 'nope.yml'), 'keygen']);
  t.not(missing.code, 0, 'a named config that cannot be read is an error, not ignored');
  t.match(missing.stderr, /nope\.yml/);
  const byDir = await runAutoinfra(['--config', config, 'keygen', '--dir', path.join(dir, 'd')]);
  t.equal(byDir.code, 0, byDir.stderr);
  t.ok(existsSync(path.join(dir, 'd', 'age.key')), '--dir still wins');
});

t.test('bad input exits 2: unknown command or option, missing argument, an untracked branch', async (t) => {
  for (const args of [['deploy-everything'], ['status', '--no-such-flag'], ['wait'], ['render']]) {
    const r = await runAutoinfra(args);
    t.equal(r.code, 2, `${args.join(' ')}: ${r.stderr.trim().split('\n')[0]}`);
  }
  t.equal((await runAutoinfra(['--help'])).code, 0, 'help is not an error');
  t.equal((await runAutoinfra(['--version'])).code, 0);
  const dir = mkdtempSync(path.join(tmpdir(), 'ai-cli-'));
  const config = path.join(dir, 'agent.yml');
  writeFileSync(config, 'host: web-1\nrepo: {url: "https://git.example.org/a/b.git"}\napi: {listen: "127.0.0.1:9"}\n');
  const r = await runAutoinfra(['--config', config, 'trigger', 'nope']);
  t.equal(r.code, 2, 'an untracked branch is refused before anything is asked of the agent');
  t.match(r.stderr, /branch nope is not tracked by this agent \(production: production, master: master/);
  t.match(r.stderr, /E_UNKNOWN_BRANCH/);
  const down = await runAutoinfra(['--config', config, 'trigger', 'master']);
  t.equal(down.code, 1, 'a tracked branch with no agent answering is an operation failure');
  t.match(down.stderr, /E_AGENT_UNREACHABLE/);
});
