import t from 'tap';
import { interpolateString } from '../../../../shared/compose/interpolate.js';

const env: Record<string, string> = { SET: 'v', EMPTY: '', NUM: '8080' };
const look = (n: string): string | undefined => env[n];
const run = (s: string): string => interpolateString(s, look);

t.test('operators', async (t) => {
  const cases: [string, string][] = [
    ['$SET', 'v'], ['${SET}', 'v'], ['a${SET}b', 'avb'], ['$SET.x', 'v.x'], ['$UNSET', ''], ['${UNSET}', ''],
    ['${UNSET:-d}', 'd'], ['${EMPTY:-d}', 'd'], ['${SET:-d}', 'v'],
    ['${UNSET-d}', 'd'], ['${EMPTY-d}', ''], ['${SET-d}', 'v'],
    ['${SET:+x}', 'x'], ['${EMPTY:+x}', ''], ['${UNSET:+x}', ''],
    ['${SET+x}', 'x'], ['${EMPTY+x}', 'x'], ['${UNSET+x}', ''],
    ['${UNSET:-${ALSO:-${SET}}}', 'v'], ['${UNSET:-a ${NUM} b}', 'a 8080 b'], ['${UNSET:-}', ''],
    ['$$', '$'], ['$$SET', '$SET'], ['$${SET}', '${SET}'], ['a$$$SET', 'a$v'],
    ['${SET:?msg}', 'v'], ['${EMPTY?msg}', ''], ['${UNSET:-{braces}}', '{braces}'],
  ];
  for (const [input, want] of cases) t.equal(run(input), want, input);
});

t.test('required variables name the variable and the message', async (t) => {
  for (const input of ['${UNSET:?need it}', '${EMPTY:?need it}', '${UNSET?need it}']) {
    t.throws(() => run(input), { name: 'TemplateError', message: /required variable (UNSET|EMPTY) is missing a value: need it/ }, input);
  }
});

t.test('invalid templates', async (t) => {
  for (const input of ['${', '${SET', '${1X}', '${SET:=x}', 'cost 5$', '$ x', '${}']) {
    t.throws(() => run(input), { name: 'TemplateError' }, input);
  }
});

t.test('unset variables are reported for warnings', async (t) => {
  const unset: string[] = [];
  interpolateString('${A} $B ${C:-x} ${SET}', look, (n) => unset.push(n));
  t.strictSame(unset, ['A', 'B']);
});

t.test('a required variable\'s message is shown as the author wrote it, never with a (secret) value interpolated into it', async (t) => {
  const secretEnv: Record<string, string> = { DB_PASS: 's3cr3t-db-password' };
  for (const input of ['${DB_URL:?cannot connect as admin:$DB_PASS}', '${DB_URL?cannot connect as admin:${DB_PASS}}', '${DB_URL:?${UNSET:-x$DB_PASS}}']) {
    const err = (() => { try { interpolateString(input, (n) => secretEnv[n]); return undefined; } catch (e) { return e as Error; } })();
    t.match(err, { name: 'TemplateError', message: /^required variable DB_URL is missing a value: / }, input);
    t.notMatch(err?.message ?? '', 's3cr3t', input);
    t.match(err?.message ?? '', 'DB_PASS', `${input}: the message keeps its words, the reference unexpanded`);
  }
});
