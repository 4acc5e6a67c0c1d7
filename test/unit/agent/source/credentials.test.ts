import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Credentials, TOKEN_USERNAME } from '../../../../agent/source/credentials.js';

const basic = (user: string, pass: string): string => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

t.test('token as Basic password with username oauth2; re-read reports rotation', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ai-cred-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const tokenFile = path.join(dir, 'token');
  writeFileSync(tokenFile, 'tok-1\n');
  const c = new Credentials({ tokenFile });
  t.equal(TOKEN_USERNAME, 'oauth2');
  t.same(await c.headers(), { Authorization: basic('oauth2', 'tok-1') }, 'trailing newline trimmed');
  t.equal(await c.reload(), false, 'same token: not changed');
  writeFileSync(tokenFile, 'tok-2');
  t.equal(await c.reload(), true, 'rotated');
  t.same(await c.headers(), { Authorization: basic('oauth2', 'tok-2') });
  t.equal(c.file, tokenFile);
});

t.test('username + password file; no auth; unreadable and empty files', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ai-cred-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const passwordFile = path.join(dir, 'pw');
  writeFileSync(passwordFile, 'p@ss:word');
  t.same(await new Credentials({ username: 'deploy', passwordFile }).headers(), { Authorization: basic('deploy', 'p@ss:word') });
  t.same(await new Credentials(undefined).headers(), {});
  await t.rejects(new Credentials({ tokenFile: path.join(dir, 'missing') }).headers(), { code: 'E_SOURCE_CREDENTIALS', message: /missing: ENOENT/ });
  writeFileSync(path.join(dir, 'empty'), '\n');
  await t.rejects(new Credentials({ tokenFile: path.join(dir, 'empty') }).headers(), { code: 'E_SOURCE_CREDENTIALS', message: /empty/ });
});
