// SecretFiles places decrypted compose secrets by content hash only: whatever a secret is called,
// the file lands inside the runtime directory (a `../` name once wrote outside it).
import t from 'tap';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { SecretFiles } from '../../../../agent/executor/secret-files.js';
import { createLogger } from '../../../../agent/logger.js';
import type { ServiceSpec, Stack } from '../../../../shared/stack/model.js';

const content = new TextEncoder().encode('s3cret-value');
const hash = 'a'.repeat(64);

function stackWith(name: string): { stack: Stack; service: ServiceSpec } {
  const service = { name: 'web', secrets: [{ source: name, target: `/run/secrets/x` }] } as unknown as ServiceSpec;
  const stack = { env: 'master', secrets: { [name]: { name, content, hash } }, services: { web: service } } as unknown as Stack;
  return { stack, service };
}

t.test('a secret named with ../ is written inside the runtime dir, by content hash', async (t) => {
  const root = await mkdtemp(path.join(os.tmpdir(), 'ai-secret-files-'));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const dir = path.join(root, 'run', 'secrets');
  const files = new SecretFiles(dir, createLogger({ level: 'error' }));
  const { stack, service } = stackWith('../../../escaped');
  const out = await files.materialise(stack, service);
  const file = out['../../../escaped'];
  t.ok(file.startsWith(dir + path.sep), `${file} is inside ${dir}`);
  t.equal(await readFile(file, 'utf8'), 's3cret-value');
  t.notOk(path.basename(file).includes('escaped'), 'the name takes no part in the path');
  t.strictSame((await readdir(root)).sort(), ['run'], 'nothing written beside the runtime dir');
});

t.test('two names with the same content share one file; prune keeps what is used', async (t) => {
  const root = await mkdtemp(path.join(os.tmpdir(), 'ai-secret-files-'));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const files = new SecretFiles(root, createLogger({ level: 'error' }));
  const a = stackWith('a');
  const b = stackWith('b');
  const fa = (await files.materialise(a.stack, a.service)).a;
  const fb = (await files.materialise(b.stack, b.service)).b;
  t.equal(fa, fb);
  await files.prune(a.stack);
  t.equal(await readFile(fa, 'utf8'), 's3cret-value');
});
