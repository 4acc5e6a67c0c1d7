import t from 'tap';
import type { LogEntry } from '../../../../shared/log/entry.js';
import { renderReadme, summariseHost } from '../../../../shared/log/readme.js';

const e = (seq: number, env: string, action: LogEntry['action'], result: LogEntry['result'], commit?: string, detail?: Record<string, unknown>): LogEntry =>
  ({ v: 1, seq, time: `2026-01-01T00:00:0${seq}.000Z`, host: 'h1', env, commit, action, result, detail, prev: '', key: '', sig: '' });

t.test('rows come from the log: live commit, since, last failure; removed previews vanish', async (t) => {
  const rows = [...summariseHost([
    e(1, '-', 'agent-start', 'info'),
    e(2, 'production', 'live', 'ok', 'a'.repeat(40)),
    e(3, 'production', 'failed', 'failed', 'b'.repeat(40), { reason: 'health gate: 3 failures' }),
    e(4, 'preview-x', 'preview-created', 'ok', 'c'.repeat(40)),
    e(5, 'preview-x', 'preview-removed', 'ok'),
  ]).values()];
  t.same(rows, [{ host: 'h1', env: 'production', liveCommit: 'a'.repeat(40), since: '2026-01-01T00:00:02.000Z', lastFailure: { time: '2026-01-01T00:00:03.000Z', commit: 'b'.repeat(40), reason: 'health gate: 3 failures' } }]);
  const md = renderReadme([...rows, { host: 'a0', env: 'master' }]);
  t.match(md, /\| host \| environment \| live commit \| since \| last failure \|/);
  t.match(md, /\| a0 \| master \| — \| — \| — \|\n\| h1 \| production \| aaaaaaaaaaaa \| 2026-01-01T00:00:02.000Z \| 2026-01-01T00:00:03.000Z bbbbbbbbbbbb: health gate: 3 failures \|/);
});

t.test('pipes and newlines in reasons do not break the table', async (t) => {
  const md = renderReadme([{ host: 'h', env: 'e', lastFailure: { time: 't', reason: 'a|b\nc' } }]);
  t.match(md, /\| h \| e \| — \| — \| t: a b c \|/);
});
