import t from 'tap';
import { classifyRef, globMatch, refForBranch, trackedRefs, trackedBranch, type TrackingRules } from '../../../../agent/source/tracked-refs.js';

const rules: TrackingRules = { branches: { production: 'production', master: 'master' }, previews: { enabled: true, pattern: 'preview/*', pullRequests: true } };

t.test('production, master, previews, pull requests; deploy-log never', async (t) => {
  t.same(classifyRef('refs/heads/production', rules), { branch: 'production', kind: 'production' });
  t.same(classifyRef('refs/heads/master', rules), { branch: 'master', kind: 'master' });
  t.same(classifyRef('refs/heads/preview/a', rules), { branch: 'preview/a', kind: 'preview' });
  t.same(classifyRef('refs/heads/preview/a/b', rules), { branch: 'preview/a/b', kind: 'preview' }, '* spans slashes');
  t.same(classifyRef('refs/pull/12/head', rules), { branch: 'pull/12', kind: 'preview' });
  t.equal(classifyRef('refs/pull/12/merge', rules), undefined);
  t.equal(classifyRef('refs/heads/feature', rules), undefined);
  t.equal(classifyRef('refs/tags/v1', rules), undefined);
  t.equal(classifyRef('HEAD', rules), undefined);
  const greedy = { ...rules, previews: { enabled: true, pattern: '*', pullRequests: false } };
  t.equal(classifyRef('refs/heads/deploy-log', greedy), undefined, 'deploy-log is never a source, even for pattern *');
  t.same(classifyRef('refs/heads/feature', greedy), { branch: 'feature', kind: 'preview' });
  t.equal(classifyRef('refs/pull/1/head', greedy), undefined, 'pull requests are opt-in');
  const off = { ...rules, previews: { enabled: false, pattern: 'preview/*', pullRequests: true } };
  t.equal(classifyRef('refs/heads/preview/a', off), undefined, 'previews disabled');
  t.equal(classifyRef('refs/pull/1/head', off), undefined);
  t.same(classifyRef('refs/heads/master', off), { branch: 'master', kind: 'master' });
});

t.test('trackedRefs, refForBranch, trackedBranch, globMatch', async (t) => {
  const m = trackedRefs([
    { ref: 'HEAD', oid: 'a'.repeat(40) },
    { ref: 'refs/heads/master', oid: 'a'.repeat(40) },
    { ref: 'refs/heads/deploy-log', oid: 'b'.repeat(40) },
    { ref: 'refs/pull/3/head', oid: 'c'.repeat(40) },
  ], rules);
  t.same([...m.keys()], ['master', 'pull/3']);
  t.same(m.get('pull/3'), { branch: 'pull/3', kind: 'preview', ref: 'refs/pull/3/head', commit: 'c'.repeat(40) });
  t.equal(refForBranch('pull/3'), 'refs/pull/3/head');
  t.equal(refForBranch('preview/x'), 'refs/heads/preview/x');
  t.same(trackedBranch('production', rules), { branch: 'production', ref: 'refs/heads/production', kind: 'production' });
  t.same(trackedBranch('preview/x', rules), { branch: 'preview/x', ref: 'refs/heads/preview/x', kind: 'preview' });
  t.same(trackedBranch('pull/7', rules), { branch: 'pull/7', ref: 'refs/pull/7/head', kind: 'preview' });
  t.ok(globMatch('pr-?', 'pr-1'));
  t.notOk(globMatch('pr-?', 'pr-12'));
  t.ok(globMatch('a.b+(c)', 'a.b+(c)'), 'regex characters are literal');
  t.notOk(globMatch('a.b', 'axb'));
});
