// Every error code the source defines is explained to operators in docs/errors.md (fastify-style).
import t from 'tap';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

t.test('every E_ code in agent/ and shared/ is documented', async (t) => {
  const docs = readFileSync(path.join(root, 'docs/errors.md'), 'utf8');
  const codes = new Set<string>();
  for (const file of [...sources(path.join(root, 'agent')), ...sources(path.join(root, 'shared'))]) {
    for (const m of readFileSync(file, 'utf8').matchAll(/'(E_[A-Z0-9_]+)'/g)) codes.add(m[1]);
  }
  t.ok(codes.size > 20, `found ${codes.size} codes`);
  for (const code of [...codes].sort()) t.ok(docs.includes(`\`${code}\``), `${code} is in docs/errors.md`);
});
