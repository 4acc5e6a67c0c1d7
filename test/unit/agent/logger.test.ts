// The one logger: readable text lines, or JSON lines for journald.
import t from 'tap';
import { PassThrough } from 'node:stream';
import { createLogger } from '../../../agent/logger.js';

function capture(format: 'text' | 'json'): { lines: () => string[]; log: ReturnType<typeof createLogger> } {
  const stream = new PassThrough();
  const out: string[] = [];
  stream.on('data', (c: Buffer) => out.push(...c.toString().split('\n').filter(Boolean)));
  return { lines: () => out, log: createLogger({ format, stream, defaultMeta: { component: 'agent' } }) };
}

t.test('json format: one JSON object per line with level, message, fields', async (t) => {
  const { lines, log } = capture('json');
  log.info('production is live', { env: 'production', commit: 'abc' });
  await new Promise((r) => setImmediate(r));
  const entry = JSON.parse(lines()[0]) as Record<string, unknown>;
  t.match(entry, { level: 'info', message: 'production is live', env: 'production', commit: 'abc', component: 'agent' });
  t.match(entry.timestamp, /^\d{4}-\d\d-\d\dT/);
});

t.test('text format: time, level, component, message, then key=value fields', async (t) => {
  const { lines, log } = capture('text');
  log.warn('git source failing', { url: 'https://git.example.org/a.git', detail: 'two words' });
  await new Promise((r) => setImmediate(r));
  t.match(lines()[0], /^\d\d:\d\d:\d\d\.\d{3} warn +\[agent\] git source failing url=https:\/\/git\.example\.org\/a\.git detail="two words"$/);
});
