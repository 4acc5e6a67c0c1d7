// agent.yml: defaults, and one located problem per mistake.
import t from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAgentConfig, repoUrlProblem } from '../../../../agent/config/load.js';
import { ConfigError } from '../../../../shared/errors.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../../fixtures/config');

function problemsOf(text: string): string[] {
  try {
    parseAgentConfig('agent.yml', text);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems.map((p) => `${p.line}:${p.column} ${p.path ?? ''} ${p.reason}`);
    throw e;
  }
  return [];
}

t.test('minimal file gets documented defaults', async (t) => {
  const c = parseAgentConfig('agent.yml', 'host: web-1\nrepo:\n  url: https://git.example.org/a/b.git\n');
  t.equal(c.poll.intervalMs, 15_000);
  t.equal(c.poll.maxBackoffMs, 300_000);
  t.same(c.branches, { production: 'production', master: 'master' });
  t.same(c.previews, { enabled: true, pattern: 'preview/*', pullRequests: false });
  t.equal(c.stateDir, '/var/lib/autoinfra');
  t.equal(c.edge.routesFile, '/var/lib/autoinfra/routes.json');
  t.equal(c.edge.controlSocket, '/run/autoinfra/edge.sock');
  t.same(c.edge.listen, [':80']);
  t.equal(c.log.format, 'text');
});

t.test('full file parses with every key', async (t) => {
  const c = parseAgentConfig('valid-full.yml', readFileSync(path.join(fixtures, 'valid-full.yml'), 'utf8'));
  t.equal(c.poll.intervalMs, 30_000);
  t.equal(c.poll.maxBackoffMs, 120_000);
  t.equal(c.repo.auth.tokenFile, '/etc/autoinfra/token');
  t.equal(c.edge.tls.length, 1);
  t.equal(c.log.format, 'json');
  t.ok(c.previews.pullRequests);
});

t.test('edge.tunnels: idle timeout and caps for the edge\'s WebSocket tunnels (defaults are the edge\'s)', async (t) => {
  const c = parseAgentConfig('agent.yml', 'host: a\nrepo: {url: "https://x/y.git"}\nedge:\n  tunnels: {idle_timeout: 30s, max: 500, max_per_client: 10}\n');
  t.same(c.edge.tunnels, { idleTimeoutMs: 30_000, max: 500, maxPerClient: 10 });
  t.same(parseAgentConfig('agent.yml', 'host: a\nrepo: {url: "https://x/y.git"}\n').edge.tunnels, {});
});

const cases: [string, string, RegExp][] = [
  ['syntax error', 'host: web-1\nrepo: [\n', /^\d+:\d+ +.*(flow|end|missing)/i],
  ['duplicate key', 'host: a\nhost: b\nrepo: {url: "https://x/y.git"}\n', /^2:1 .*duplicate key/],
  ['unknown top-level key with suggestion', 'host: a\nrepo: {url: "https://x/y.git"}\nstate_dri: /x\n', /^3:1 state_dri unknown key "state_dri" \(did you mean "state_dir"\?\)/],
  ['unknown nested key', 'host: a\nrepo:\n  url: https://x/y.git\n  branch: main\n', /^4:3 repo\.branch unknown key "branch"/],
  ['missing repo', 'host: a\n', /repo missing required key "repo"/],
  ['missing url', 'host: a\nrepo: {}\n', /repo\.url missing required key "url"/],
  ['wrong type', 'host: a\nrepo: {url: "https://x/y.git"}\npoll: 15\n', /^3:7 poll expected object, got number 15/],
  ['bad enum', 'host: a\nrepo: {url: "https://x/y.git"}\nlog: {format: xml}\n', /^3:15 log\.format expected one of "text", "json"/],
  ['ssh url', 'host: a\nrepo:\n  url: git@github.com:me/app.git\n', /^3:8 repo\.url SSH .* not supported: use the HTTPS URL .* token/],
  ['ssh scheme', 'host: a\nrepo:\n  url: ssh://git@host/me/app.git\n', /SSH .* not supported/],
  ['plain http off loopback', 'host: a\nrepo:\n  url: http://git.example.org/a.git\n', /only allowed for loopback/],
  ['credentials inline', 'host: a\nrepo:\n  url: https://u:p@git.example.org/a.git\n', /credentials must not be in the URL/],
  ['poll too fast', 'host: a\nrepo: {url: "https://x/y.git"}\npoll: {interval: 100ms}\n', /poll\.interval must be at least 1s, got 100ms/],
  ['bad duration', 'host: a\nrepo: {url: "https://x/y.git"}\npoll: {interval: soon}\n', /poll\.interval .*duration/],
  ['token and password', 'host: a\nrepo:\n  url: https://x/y.git\n  auth: {token_file: /t, username: u, password_file: /p}\n', /repo\.auth give either token_file/],
  ['bad host name', 'host: Web_1\nrepo: {url: "https://x/y.git"}\n', /^1:7 host .*lowercase letters/],
  ['bad tunnel idle timeout', 'host: a\nrepo: {url: "https://x/y.git"}\nedge: {tunnels: {idle_timeout: soon}}\n', /edge\.tunnels\.idle_timeout expected a duration/],
  ['tunnel cap zero', 'host: a\nrepo: {url: "https://x/y.git"}\nedge: {tunnels: {max_per_client: 0}}\n', /edge\.tunnels\.max_per_client/],
  ['bad listen', 'host: a\nrepo: {url: "https://x/y.git"}\nedge: {listen: ["eighty"]}\n', /edge\.listen\[0\] expected ADDRESS:PORT/],
];

for (const [name, text, expected] of cases) {
  t.test(`bad config: ${name}`, async (t) => {
    const problems = problemsOf(text);
    t.ok(problems.some((p) => expected.test(p)), `expected ${expected} in:\n${problems.join('\n')}`);
  });
}

t.test('every problem is reported at once', async (t) => {
  const problems = problemsOf('host: A\nrepo:\n  url: git@x:y\n  auht: 1\nlog: {format: xml}\npoll: {interval: 10ms}\n');
  t.equal(problems.length, 5, problems.join('\n'));
});

t.test('empty file', async (t) => {
  t.match(problemsOf('')[0], /empty/);
});

t.test('repoUrlProblem accepts https and loopback http', async (t) => {
  t.equal(repoUrlProblem('https://git.example.org/a/b.git'), undefined);
  t.equal(repoUrlProblem('http://127.0.0.1:3000/a/b.git'), undefined);
  t.equal(repoUrlProblem('http://localhost/a.git'), undefined);
});

t.test('api.webhook_secret_file: optional, a path', async (t) => {
  const base = 'host: web-1\nrepo:\n  url: https://git.example.org/a/b.git\n';
  t.same(parseAgentConfig('agent.yml', base).api, { listen: '127.0.0.1:7070' }, 'off by default');
  t.same(parseAgentConfig('agent.yml', `${base}api:\n  webhook_secret_file: /etc/autoinfra/webhook.secret\n`).api, { listen: '127.0.0.1:7070', webhookSecretFile: '/etc/autoinfra/webhook.secret' });
  t.match(problemsOf(`${base}api:\n  webhook_secret: x\n`).join('\n'), /api\.webhook_secret.*webhook_secret_file/);
});
