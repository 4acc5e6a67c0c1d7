// The webhook endpoint over a real HTTP server (the agent's API): what triggers a poll and what
// does not. The trigger is the boundary to the source, recorded here; the e2e test drives the agent.
import t, { type Test } from 'tap';
import http from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startApi } from '../../../../agent/api/server.js';
import { loadWebhookSecret, webhookHandler } from '../../../../agent/api/webhooks/handler.js';
import { signBody } from '../../../../agent/api/webhooks/signature.js';
import { createLogger, silentLogger } from '../../../../agent/logger.js';
import { Writable } from 'node:stream';

const SECRET = 'a-webhook-secret-of-32-characters';

async function api(t: Test, maxBytes?: number) {
  const triggered: string[] = [];
  const logged: string[] = [];
  const logger = createLogger({ level: 'debug', stream: new Writable({ write(c: Buffer, _e, cb) { logged.push(String(c)); cb(); } }) });
  const webhook = webhookHandler({ secret: Buffer.from(SECRET), trigger: (b) => triggered.push(b), logger, ...(maxBytes ? { maxBytes } : {}) });
  const server = await startApi('127.0.0.1:0', { trigger: () => undefined, status: async () => ({}), webhook }, logger);
  t.teardown(() => server.close());
  const post = async (pathname: string, headers: Record<string, string>, body: string) => {
    const r = await fetch(`http://${server.address}${pathname}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    return { status: r.status, body: await r.text() };
  };
  return { triggered, logged, post, address: server.address };
}

const push = (branch: string) => JSON.stringify({ ref: `refs/heads/${branch}`, after: 'b'.repeat(40), repository: { full_name: 'o/r' } });

t.test('signed deliveries trigger their branch and answer 202; replays 409', async (t) => {
  const a = await api(t);
  const body = push('production');
  const gh = { 'x-github-event': 'push', 'x-github-delivery': 'd-1', 'x-hub-signature-256': `sha256=${signBody(body, SECRET)}` };
  const r = await a.post('/webhook', gh, body);
  t.equal(r.status, 202, r.body);
  t.same(a.triggered, ['production']);
  t.equal((await a.post('/webhook', gh, body)).status, 409, 'same delivery id again');
  t.same(a.triggered, ['production'], 'the replay triggered nothing');
  t.equal((await a.post('/hooks/gitea', { 'x-gitea-event': 'push', 'x-gitea-delivery': 'd-1', 'x-gitea-signature': signBody(body, SECRET) }, body)).status, 202, 'ids are per kind');
  t.equal((await a.post('/hooks/gitlab', { 'x-gitlab-event': 'Push Hook', 'x-gitlab-event-uuid': 'u-1', 'x-gitlab-token': SECRET }, push('master'))).status, 202);
  t.same(a.triggered, ['production', 'production', 'master']);
  t.equal((await a.post('/webhook', { 'x-github-event': 'ping', 'x-github-delivery': 'p', 'x-hub-signature-256': `sha256=${signBody('{"zen":"z"}', SECRET)}` }, '{"zen":"z"}')).status, 200, 'ping');
  t.equal(a.triggered.length, 3);
});

t.test('bad or missing signature: 401, nothing triggered, logged once per source, secret never logged', async (t) => {
  const a = await api(t);
  const body = push('production');
  for (let i = 0; i < 5; i++) {
    t.equal((await a.post('/webhook', { 'x-hub-signature-256': `sha256=${'0'.repeat(64)}`, 'x-github-delivery': `bad-${i}` }, body)).status, 401);
  }
  t.equal((await a.post('/webhook', {}, body)).status, 401, 'no signature');
  t.equal((await a.post('/hooks/gitlab', { 'x-gitlab-token': 'wrong' }, body)).status, 401);
  t.same(a.triggered, []);
  t.equal(a.logged.filter((l) => /refused \(401\)/.test(l)).length, 1, 'one line for the source');
  t.notMatch(a.logged.join(''), SECRET);
  // The ids of refused deliveries are not remembered: the real delivery with that id still works.
  t.equal((await a.post('/webhook', { 'x-hub-signature-256': `sha256=${signBody(body, SECRET)}`, 'x-github-delivery': 'bad-0' }, body)).status, 202);
});

t.test('body over the limit: 413, declared or streamed; unknown kind 404', async (t) => {
  const a = await api(t, 1024);
  const big = JSON.stringify({ ref: 'refs/heads/production', pad: 'x'.repeat(2000) });
  t.equal((await a.post('/webhook', { 'x-hub-signature-256': `sha256=${signBody(big, SECRET)}` }, big)).status, 413);
  // Chunked, no content-length: the limit holds while reading.
  const status = await new Promise<number>((resolve, reject) => {
    const [host, port] = a.address.split(':');
    const req = http.request({ host, port: Number(port), method: 'POST', path: '/webhook', headers: { 'x-hub-signature-256': 'sha256=' + '0'.repeat(64) } }, (res) => { res.resume(); resolve(res.statusCode!); });
    req.on('error', reject);
    for (let i = 0; i < 4; i++) req.write('x'.repeat(512));
    req.end();
  });
  t.equal(status, 413);
  t.equal((await a.post('/hooks/bitbucket', {}, '{}')).status, 404);
  t.same(a.triggered, []);
});

t.test('no secret configured: hooks answer 404; secret file checks', async (t) => {
  const server = await startApi('127.0.0.1:0', { trigger: () => undefined, status: async () => ({}) }, silentLogger());
  t.teardown(() => server.close());
  t.equal((await fetch(`http://${server.address}/webhook`, { method: 'POST', body: '{}' })).status, 404);
  const dir = mkdtempSync(path.join(tmpdir(), 'hook-secret-'));
  writeFileSync(path.join(dir, 's'), `${SECRET}\n`);
  writeFileSync(path.join(dir, 'short'), 'abc\n');
  t.equal((await loadWebhookSecret(path.join(dir, 's'))).toString(), SECRET, 'trailing newline dropped');
  await t.rejects(loadWebhookSecret(path.join(dir, 'short')), { code: 'E_WEBHOOK_SECRET' });
  await t.rejects(loadWebhookSecret(path.join(dir, 'missing')), { code: 'E_WEBHOOK_SECRET', message: /not found/ });
});
