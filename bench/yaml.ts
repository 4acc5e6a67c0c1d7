// DoS by YAML: what the limits cost. Prints ms for loading 6 000 vs 60 000 distinct keys (the
// ratio shows the duplicate-key check is linear; it was quadratic: 68 s for 60 000), and for
// refusing the bombs of test/unit/shared/compose/yaml-dos.test.ts. Bounded: 5 runs each.
import { loadCompose } from '../shared/compose/load.js';

const SERVICE = 'services:\n  web:\n    image: example.invalid/web:1\n';
const load = (text: string): void => {
  try { loadCompose({ files: [{ file: 'infra/docker-compose.yml', text }], projectDir: 'infra' }); } catch { /* refusals are the point */ }
};
function median(fn: () => void): number {
  fn(); // warm-up
  const times: number[] = [];
  for (let i = 0; i < 5; i++) { const t0 = performance.now(); fn(); times.push(performance.now() - t0); }
  return times.sort((a, b) => a - b)[2];
}
const keys = (n: number): string => { let t = 'x-k:\n'; for (let i = 0; i < n; i++) t += `  k${i}: ${i}\n`; return t + SERVICE; };
const k6 = median(() => load(keys(6000)));
const k60 = median(() => load(keys(60_000)));
console.log(`keys: 6000 ${k6.toFixed(0)} ms, 60000 ${k60.toFixed(0)} ms, ratio ${(k60 / k6).toFixed(1)} (linear ≈ 10)`);
const cases: Record<string, string> = {
  'alias bomb 50 KB': `x-a: &a [${Array(6000).fill('lolol').join(', ')}]\nx-b: [${Array(999).fill('*a').join(', ')}]\n${SERVICE}`,
  'flow 100000 deep': `x-d: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n${SERVICE}`,
  'template 20000 deep': `${SERVICE}    environment:\n      A: "${'${A:-'.repeat(20_000)}x${'}'.repeat(20_000)}"\n`,
};
for (const [name, text] of Object.entries(cases)) console.log(`${name} (${(text.length / 1024).toFixed(0)} KB): refused in ${median(() => load(text)).toFixed(1)} ms`);
