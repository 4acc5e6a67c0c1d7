// The planner is pure: stacks and live containers are plain objects here.
import t from 'tap';
import { plan, dependencyOrder, findDrift, describePlan, PlanError } from '../../../agent/planner.js';
import type { LiveContainer } from '../../../agent/runtime/types.js';
import type { EnvState } from '../../../agent/state/env-state.js';
import { service, stack } from '../../helpers/stack.js';

function liveState(services: Record<string, { colour: 'blue' | 'green'; hash: string }>): EnvState {
  return {
    v: 1, env: 'production', branch: 'production', failed: [],
    live: { commit: 'c0', since: '2026-01-01T00:00:00Z', services: Object.fromEntries(Object.entries(services).map(([k, v]) => [k, { ...v, container: `ai-production-${k}-${v.colour}`, image: 'img' }])) },
  };
}

function container(name: string, over: Partial<LiveContainer> = {}): LiveContainer {
  return { id: name, name, labels: {}, env: 'production', service: name.split('-')[2], state: 'running', health: 'none', image: 'img', ports: {}, ...over };
}

t.test('first deploy creates every service in blue', async (t) => {
  const p = plan(stack('production', 'c1', [service('web'), service('api')]), [], { v: 1, env: 'production', branch: 'production', failed: [] });
  t.same(p.actions.map((a) => [a.service, a.action, a.toColour]), [['api', 'create', 'blue'], ['web', 'create', 'blue']]);
  t.ok(p.changes);
});

t.test('unchanged hash is kept, changed hash replaced into the other colour, missing service removed', async (t) => {
  const web = service('web', { version: 'v2' });
  const api = service('api');
  const state = liveState({ web: { colour: 'blue', hash: 'old' }, api: { colour: 'green', hash: api.hash }, worker: { colour: 'blue', hash: 'w' } });
  const p = plan(stack('production', 'c2', [web, api]), [], state);
  t.same(p.actions.map((a) => [a.service, a.action, a.fromColour, a.toColour]), [
    ['api', 'keep', 'green', undefined],
    ['web', 'replace', 'blue', 'green'],
    ['worker', 'remove', 'blue', undefined],
  ]);
  t.match(describePlan(p).join('\n'), /production\/web replace \(bluegreen blue → green\)/);
});

t.test('nothing to do: no changes', async (t) => {
  const web = service('web');
  const state = liveState({ web: { colour: 'blue', hash: web.hash } });
  const p = plan(stack('production', 'c2', [web]), [container('ai-production-web-blue')], state);
  t.notOk(p.changes);
});

t.test('containers outside the live set are orphans', async (t) => {
  const web = service('web');
  const state = liveState({ web: { colour: 'blue', hash: web.hash } });
  const p = plan(stack('production', 'c2', [web]), [container('ai-production-web-blue'), container('ai-production-web-green')], state);
  t.same(p.orphans.map((o) => o.name), ['ai-production-web-green']);
  t.ok(p.changes);
});

t.test('fixed host ports force recreate', async (t) => {
  const web = service('web', { ports: [{ target: 8080, published: '8081', protocol: 'tcp' }] });
  const p = plan(stack('production', 'c1', [web]), [], { v: 1, env: 'production', branch: 'production', failed: [] });
  t.equal(p.actions[0].strategy, 'recreate');
});

t.test('dependency order, and cycles are errors', async (t) => {
  const s = stack('production', 'c1', [
    service('web', { dependsOn: { api: { condition: 'service_healthy' } } }),
    service('api', { dependsOn: { db: { condition: 'service_started' } } }),
    service('db'),
  ]);
  t.same(dependencyOrder(s), ['db', 'api', 'web']);
  const cyclic = stack('production', 'c1', [service('a', { dependsOn: { b: { condition: 'service_started' } } }), service('b', { dependsOn: { a: { condition: 'service_started' } } })]);
  t.throws(() => dependencyOrder(cyclic), PlanError);
});

t.test('drift: missing, stopped, changed', async (t) => {
  const state = liveState({ a: { colour: 'blue', hash: 'h' }, b: { colour: 'blue', hash: 'h' }, c: { colour: 'blue', hash: 'h' }, d: { colour: 'blue', hash: 'h' } });
  const drift = findDrift(state, [
    container('ai-production-b-blue', { hash: 'h', state: 'exited', exitCode: 137 }),
    container('ai-production-c-blue', { hash: 'other' }),
    container('ai-production-d-blue', { hash: 'h' }),
  ]);
  t.same(drift.map((d) => [d.service, d.kind]), [['a', 'missing'], ['b', 'stopped'], ['c', 'changed']]);
});
