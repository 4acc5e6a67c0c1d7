// Webhook signatures per host, payload parsing and replay memory: the pure parts of the hook.
import t from 'tap';
import { createHmac } from 'node:crypto';
import { detectKind, signBody, verifyHook, sameBytes } from '../../../../agent/api/webhooks/signature.js';
import { parseHook } from '../../../../agent/api/webhooks/payload.js';
import { DeliveryMemory } from '../../../../agent/api/webhooks/replay.js';

const SECRET = Buffer.from('s3cret-for-unit-tests-0123456789');
const body = Buffer.from(JSON.stringify({ ref: 'refs/heads/production', after: 'a'.repeat(40) }));
const hex = createHmac('sha256', SECRET).update(body).digest('hex');

t.test('GitHub: sha256=<hex HMAC> of the raw body', async (t) => {
  t.same(verifyHook({ 'x-hub-signature-256': `sha256=${hex}`, 'x-github-delivery': 'd1' }, body, SECRET), { ok: true, kind: 'github', delivery: 'd1' });
  t.equal(verifyHook({ 'x-hub-signature-256': hex }, body, SECRET).ok, false, 'without the sha256= prefix');
  t.equal(verifyHook({ 'x-hub-signature-256': `sha256=${hex}` }, Buffer.concat([body, Buffer.from(' ')]), SECRET).ok, false, 'one byte more in the body');
  t.equal(verifyHook({ 'x-hub-signature-256': `sha256=${hex}` }, body, Buffer.from('another-secret-0123456789')).ok, false, 'another secret');
  t.equal(verifyHook({ 'x-hub-signature-256': `sha256=${hex.slice(0, 63)}` }, body, SECRET).ok, false, 'short hex');
  t.equal(verifyHook({ 'x-hub-signature-256': `sha256=${hex.toUpperCase()}` }, body, SECRET).ok, true, 'hex case does not matter');
  t.equal(verifyHook({ 'x-github-delivery': 'd1' }, body, SECRET).ok, false, 'delivery without signature');
});

t.test('Gitea and Forgejo: bare hex HMAC', async (t) => {
  t.same(verifyHook({ 'x-gitea-signature': hex, 'x-gitea-delivery': 'g1' }, body, SECRET), { ok: true, kind: 'gitea', delivery: 'g1' });
  t.same(verifyHook({ 'x-forgejo-signature': hex, 'x-forgejo-delivery': 'f1' }, body, SECRET), { ok: true, kind: 'gitea', delivery: 'f1' });
  t.equal(verifyHook({ 'x-gitea-signature': 'zz' + hex.slice(2) }, body, SECRET).ok, false);
});

t.test('GitLab: the secret itself in X-Gitlab-Token', async (t) => {
  t.same(verifyHook({ 'x-gitlab-token': SECRET.toString(), 'x-gitlab-event-uuid': 'u1' }, body, SECRET), { ok: true, kind: 'gitlab', delivery: 'u1' });
  t.equal(verifyHook({ 'x-gitlab-token': SECRET.toString().slice(0, -1) }, body, SECRET).ok, false, 'a prefix of the secret');
  t.equal(verifyHook({ 'x-gitlab-token': '' }, body, SECRET).ok, false);
});

t.test('generic: X-Autoinfra-Signature with or without sha256=', async (t) => {
  t.equal(verifyHook({ 'x-autoinfra-signature': signBody(body, SECRET) }, body, SECRET).ok, true);
  t.equal(verifyHook({ 'x-autoinfra-signature': `sha256=${signBody(body, SECRET)}`, 'x-autoinfra-delivery': 'x' }, body, SECRET).ok, true);
});

t.test('no signature header at all, and a path hint that overrides detection', async (t) => {
  const v = verifyHook({}, body, SECRET);
  t.equal(v.ok, false);
  t.notMatch(JSON.stringify(v), SECRET.toString(), 'reasons never carry the secret');
  t.equal(detectKind({ 'x-gitea-signature': hex }, 'github'), 'github');
  t.equal(verifyHook({ 'x-gitea-signature': hex }, body, SECRET, 'github').ok, false, '/hooks/github wants GitHub\'s header');
  t.ok(sameBytes(Buffer.from('a'), Buffer.from('a')) && !sameBytes(Buffer.from('a'), Buffer.from('ab')));
});

t.test('parseHook: push, ping, tags, other events, bad bodies', async (t) => {
  t.same(parseHook('github', { 'x-github-event': 'push' }, body), { type: 'push', branch: 'production', commit: 'a'.repeat(40) });
  t.same(parseHook('gitlab', { 'x-gitlab-event': 'Push Hook' }, Buffer.from('{"ref":"refs/heads/feature/x","after":"0000000000000000000000000000000000000000"}')), { type: 'push', branch: 'feature/x' }, 'a deleted branch names no commit');
  t.same(parseHook('github', { 'x-github-event': 'ping' }, Buffer.from('{"zen":"hi"}')), { type: 'ping' });
  t.equal(parseHook('gitea', { 'x-gitea-event': 'push' }, Buffer.from('{"ref":"refs/tags/v1"}')).type, 'ignored');
  t.equal(parseHook('github', { 'x-github-event': 'issues' }, body).type, 'ignored');
  t.equal(parseHook('github', {}, Buffer.from('payload=%7B%7D')).type, 'invalid', 'form-encoded bodies are refused');
  t.equal(parseHook('generic', {}, Buffer.from('[]')).type, 'invalid');
  t.equal(parseHook('generic', {}, Buffer.from('{"ref":"refs/heads/"}')).type, 'invalid');
});

t.test('DeliveryMemory: replays seen, bounded, oldest forgotten first', async (t) => {
  const m = new DeliveryMemory(3);
  t.equal(m.seen('a'), false);
  t.equal(m.seen('a'), true);
  m.seen('b'); m.seen('c'); m.seen('d');
  t.equal(m.size, 3);
  t.equal(m.seen('a'), false, 'a was the oldest and went');
  t.equal(m.seen('d'), true);
});
