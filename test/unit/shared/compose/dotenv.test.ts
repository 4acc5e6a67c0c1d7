import t from 'tap';
import { parseDotenv } from '../../../../shared/compose/dotenv.js';

t.test('syntax compose accepts', async (t) => {
  const text = [
    '# comment', '', 'A=1', 'export B=two', 'C = spaced  ', 'D=value # comment', 'E=no#comment',
    "F='single ${A} $B'", 'G="double ${A} \\"q\\" \\n"', 'H=${A}-${MISSING:-dflt}', 'I=', 'J="multi', 'line"', 'FROM_ENV',
    'K="$$x"',
  ].join('\n');
  const r = parseDotenv(text, (n) => (n === 'FROM_ENV' ? 'env' : undefined));
  t.strictSame(r.problems, []);
  t.strictSame(Object.fromEntries(r.values), {
    A: '1', B: 'two', C: 'spaced', D: 'value', E: 'no#comment', F: 'single ${A} $B', G: 'double 1 "q" \n', H: '1-dflt', I: '', J: 'multi\nline', FROM_ENV: 'env', K: '$x',
  });
});

t.test('problems carry line numbers', async (t) => {
  const r = parseDotenv('A=1\n1BAD=x\nC="open\n');
  t.strictSame(r.problems.map((p) => p.line), [2, 3]);
});
