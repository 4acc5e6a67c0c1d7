// DoS by YAML (issue 13, "a repo writer"): inputs built to cost time or memory far beyond their
// size are refused with an E_COMPOSE problem naming the file (and line and key where there is
// one), in time and memory linear in their size. Each case here hung, crashed the process or was
// accepted before the limits; the figures (how fast) are printed by bench/yaml.ts, these tests
// check what is refused and what is said. The small bombs are fixtures in
// test/fixtures/compose/bad/ (bad-input.test.ts).
import t, { type Test } from 'tap';
import { ComposeError } from '../../../../shared/compose/compose-error.js';
import { loadCompose, type LoadComposeInput } from '../../../../shared/compose/load.js';
import { renderStack } from '../../../../shared/compose/render.js';
import { parseDotenv } from '../../../../shared/compose/dotenv.js';
import type { Problem } from '../../../../shared/errors.js';

const FILE = 'infra/docker-compose.yml';
const SERVICE = 'services:\n  web:\n    image: example.invalid/web:1\n';
// A hang guard, not a speed target: each case finishes in well under a second (bench/yaml.ts).
const bounded = { timeout: 20_000 };

function refused(text: string, more: Partial<LoadComposeInput> = {}): ComposeError {
  try {
    loadCompose({ files: [{ file: FILE, text }], projectDir: 'infra', ...more });
  } catch (e) {
    if (e instanceof ComposeError) return e;
    throw e;
  }
  throw new Error('accepted');
}

function only(t: Test, err: ComposeError): Problem {
  t.equal(err.code, 'E_COMPOSE');
  t.equal(err.problems.length, 1, 'one problem, not one per node');
  return err.problems[0];
}

t.test('a 50 KB alias bomb under the old alias-count cap fails at once, naming file, line and key', bounded, async (t) => {
  // One anchor of 6 000 scalars, aliased 999 times: 6 million nodes from 50 KB. The yaml
  // library's own cap (alias count × nested aliases ≤ 1000) let this through, and copying it
  // took 9 s and 1.3 GB.
  const text = `x-a: &a [${Array(6000).fill('lolol').join(', ')}]\nx-b: [${Array(999).fill('*a').join(', ')}]\n${SERVICE}`;
  t.ok(text.length > 45_000 && text.length < 55_000, `${text.length} bytes`);
  const heap = process.memoryUsage().heapUsed;
  const p = only(t, refused(text));
  t.equal(p.file, FILE);
  t.equal(p.line, 2);
  t.equal(p.path, 'x-b[0]');
  t.match(p.reason, /^aliases expand this document from 7\d{3} to 6\.00e\+6 nodes, more than allowed .*\*a alone expands to 6001 nodes$/);
  t.ok(process.memoryUsage().heapUsed - heap < 200 * 1024 * 1024, 'nothing was expanded');
});

t.test('aliases within the ratio are still fine (x- anchors merged into services)', async (t) => {
  let text = 'x-common: &common\n  restart: always\n  labels: {team: a, tier: web}\n  environment: {A: "1", B: "2", C: "3"}\nservices:\n';
  for (let i = 0; i < 300; i++) text += `  s${i}:\n    <<: *common\n    image: example.invalid/s${i}:1\n`;
  const { model } = loadCompose({ files: [{ file: FILE, text }], projectDir: 'infra' });
  t.equal(Object.keys(model.services as object).length, 300);
});

t.test('a 100 000-deep flow collection is refused before the parser builds it', bounded, async (t) => {
  // Before: the process died (V8 out of memory); 5 000 deep gave "Maximum call stack size exceeded".
  const text = `${SERVICE}    labels:\n      deep: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`;
  const p = only(t, refused(text));
  t.equal(p.file, FILE);
  t.equal(p.line, 5);
  t.equal(p.reason, 'nested more than 100 levels deep');
});

t.test('duplicate keys are found among 60 000 keys, with the key path (the check is linear)', bounded, async (t) => {
  let text = 'x-k:\n';
  for (let i = 0; i < 60_000; i++) text += `  k${i}: ${i}\n`;
  const ok = loadCompose({ files: [{ file: FILE, text: text + SERVICE }], projectDir: 'infra' });
  t.equal(Object.keys(ok.model['x-k'] as object).length, 60_000, '60 000 distinct keys load');
  const p = only(t, refused(`${text}  k17: again\n${SERVICE}`));
  t.equal(p.line, 60_002);
  t.equal(p.path, 'x-k.k17');
  t.equal(p.reason, 'duplicate key (each key may appear once)');
});

t.test('a compose file over 1 MiB is refused unread, counting UTF-8 bytes', async (t) => {
  const big = only(t, refused(`${SERVICE}# ${'x'.repeat(1024 * 1024)}\n`));
  t.equal(big.file, FILE);
  t.match(big.reason, /^the file is 1 MiB, more than the 1 MiB a YAML input may have/);
  // 400 000 three-byte characters: under 1 Mi characters, over 1 MiB.
  const wide = only(t, refused(`${SERVICE}# ${'€'.repeat(400_000)}\n`));
  t.match(wide.reason, /^the file is 1\.1 MiB, more than the 1 MiB/);
  t.doesNotThrow(() => loadCompose({ files: [{ file: FILE, text: `${SERVICE}# ${'x'.repeat(1000 * 1000)}\n` }], projectDir: 'infra' }), 'just under is fine');
});

t.test('a 20 000-deep ${A:-${A:-…}} is a located problem, not a stack overflow', bounded, async (t) => {
  // Before: RangeError "Maximum call stack size exceeded", with no file, line or code.
  const text = `${SERVICE}    environment:\n      A: "${'${A:-'.repeat(20_000)}x${'}'.repeat(20_000)}"\n`;
  const p = only(t, refused(text));
  t.equal(p.file, FILE);
  t.equal(p.line, 5);
  t.equal(p.path, 'services.web.environment.A');
  t.equal(p.reason, 'variable templates are nested more than 32 deep');
  // 32 levels still interpolate.
  const ok = loadCompose({ files: [{ file: FILE, text: `${SERVICE}    environment:\n      A: "${'${X:-'.repeat(32)}deep${'}'.repeat(32)}"\n` }], projectDir: 'infra' });
  t.equal((ok.model.services as Record<string, { environment: Record<string, string> }>).web.environment.A, 'deep');
});

t.test('interpolation that would build more than 16 MiB stops with one problem at the key that crossed', bounded, async (t) => {
  const labels = Array.from({ length: 40 }, (_, i) => `      l${i}: "$BIG"`).join('\n');
  const p = only(t, refused(`${SERVICE}    labels:\n${labels}\n`, { processEnv: { BIG: 'x'.repeat(1024 * 1024) } }));
  t.equal(p.file, FILE);
  t.equal(p.path, 'services.web.labels.l16');
  t.equal(p.reason, 'interpolated values exceed the 16 MiB limit for one stack');
});

t.test('.env lines that double an earlier value stop at the limit, naming the line', bounded, async (t) => {
  // A=1 KB, then each line twice the previous one: 40 lines would be a terabyte.
  let env = `V0=${'x'.repeat(1024)}\n`;
  for (let i = 1; i < 40; i++) env += `V${i}=\${V${i - 1}}\${V${i - 1}}\n`;
  const r = parseDotenv(env);
  t.equal(r.problems.length, 1);
  t.equal(r.problems[0].line, 15, 'V14 would pass 16 MiB');
  t.equal(r.problems[0].reason, 'interpolated values exceed the 16 MiB limit for one stack');
  const err = only(t, refused(SERVICE, { envFile: { file: 'infra/.env', text: env } }));
  t.equal(err.file, 'infra/.env');
  t.equal(err.line, 15);
});

t.test('an unterminated quote over 200 000 .env lines is reported in linear time', bounded, async (t) => {
  // Before: each line rescanned the whole value so far (quadratic).
  const r = parseDotenv(`A="start\n${'more text\n'.repeat(200_000)}`);
  t.same(r.problems, [{ line: 1, reason: 'unterminated double-quoted value of A' }]);
});

t.test('env files shared by many services cannot render a stack past 16 MiB', bounded, async (t) => {
  const env = Array.from({ length: 9000 }, (_, i) => `K${i}=${'v'.repeat(100)}`).join('\n');
  let compose = 'services:\n';
  for (let i = 0; i < 40; i++) compose += `  s${i}:\n    image: example.invalid/s:1\n    env_file: ./big.env\n`;
  const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
  const files = new Map([[FILE, enc(compose)], ['infra/big.env', enc(env)]]);
  const err = await renderStack({ files, branch: 'master', env: 'master', commit: 'c'.repeat(40), host: 'h1' }).then(() => undefined, (e: unknown) => e);
  t.ok(err instanceof ComposeError, 'refused');
  const p = (err as ComposeError).problems;
  t.equal(p.length, 1);
  t.equal(p[0].file, FILE);
  t.match(p[0].path, /^services\.s\d+$/, 'names the service past 16 MiB');
  t.match(p[0].reason, /^the rendered stack is larger than 16 MiB at this service/);
});
