// Each fixture directory is one merge/interpolation rule: base.yml (+ overlay.yml, dotenv,
// process-env.json) must load to exactly expected.json.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { loadCompose } from '../../../../shared/compose/load.js';
import { FIXTURES, fixtureInput } from './fixture.js';

const cases = readdirSync(FIXTURES).filter((c) => existsSync(path.join(FIXTURES, c, 'expected.json')));

t.ok(cases.length >= 15, 'has merge fixtures');
for (const c of cases) {
  t.test(c, async (t) => {
    const expected = JSON.parse(readFileSync(path.join(FIXTURES, c, 'expected.json'), 'utf8')) as unknown;
    const r = loadCompose(fixtureInput(c));
    t.strictSame({ model: r.model, warnings: r.warnings }, expected);
  });
}
