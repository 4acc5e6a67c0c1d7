// The status model: durable state joined with what the event stream says is happening.
import t from 'tap';
import { environmentFor, type EnvironmentKind } from '../../../../agent/environment.js';
import type { DeployEvent } from '../../../../agent/events.js';
import { StatusModel, environmentStatus, reduceEnvironment } from '../../../../agent/status/status-model.js';
import { emptyEnvState, type EnvState } from '../../../../agent/state/env-state.js';

const env = (kind: EnvironmentKind, branch: string = kind) => environmentFor({ kind, branch, ref: `refs/heads/${branch}` }, 'h1');
const prod = env('production');
const C1 = '1'.repeat(40);
const ev = (type: DeployEvent['type'], more: Partial<DeployEvent> = {}): DeployEvent => ({ type, env: prod, at: Date.UTC(2026, 0, 1), commit: C1, ...more });

t.test('reduceEnvironment: step while running, cleared at the end, last failure kept', async (t) => {
  let s = environmentStatus(prod);
  s = reduceEnvironment(s, ev('detected'));
  t.equal(s.head, C1);
  t.equal(s.step, undefined, 'a head seen is not a step');
  s = reduceEnvironment(s, ev('started', { service: 'web' }));
  t.same(s.step, { type: 'started', commit: C1, service: 'web', at: '2026-01-01T00:00:00.000Z' });
  s = reduceEnvironment(s, ev('failed', { service: 'web', stage: 'gate', reason: 'exit 3' }));
  t.equal(s.step?.type, 'failed', "a service's gate failure is still a step: the commit's own failed follows");
  s = reduceEnvironment(s, ev('failed', { stage: 'gate', reason: 'web: exit 3', code: 'E_HEALTH' }));
  t.equal(s.step, undefined);
  t.same(s.lastFailure, { commit: C1, stage: 'gate', reason: 'web: exit 3', code: 'E_HEALTH', at: '2026-01-01T00:00:00.000Z' });
  t.equal(s.lastEvent?.type, 'failed');
  s = reduceEnvironment(s, ev('live'));
  t.equal(s.step, undefined);
  t.ok(s.lastFailure, 'the last failure stays visible after recovery');
});

t.test('StatusModel: durable part re-read after each event, ordered by rank, torn-down removed', async (t) => {
  const states = new Map<string, EnvState>();
  const model = new StatusModel(async (e) => states.get(e.name));
  const preview = env('preview', 'preview/x');
  model.seed(preview, undefined);
  model.seed(prod, emptyEnvState('production', 'production'), C1);
  model.seed(env('master'), undefined);
  t.same(model.snapshot().map((e) => e.env), ['production', 'master', 'preview-x']);
  states.set('production', { ...emptyEnvState('production', 'production'), live: { commit: C1, since: 'now', services: {} } });
  await model.onEvent(ev('live'));
  t.equal(model.snapshot()[0].live?.commit, C1);
  t.equal(model.snapshot()[0].head, C1, 'seeded head kept');
  await model.onEvent({ type: 'torn-down', env: preview, at: 0 });
  t.same(model.snapshot().map((e) => e.env), ['production', 'master']);
  const broken = new StatusModel(async () => { throw new Error('disk'); });
  await broken.onEvent(ev('started', { service: 'web' }));
  t.equal(broken.snapshot()[0].step?.type, 'started', 'a state read failure never fails the emit');
});
