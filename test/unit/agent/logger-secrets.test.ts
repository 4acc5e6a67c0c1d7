// Issue 13 (leaks): the journald/terminal logger scrubs like the deploy log does.
import t from 'tap';
import { PassThrough } from 'node:stream';
import { createLogger } from '../../../agent/logger.js';
import { SecretValues } from '../../../shared/log/secret-values.js';

async function lines(format: 'text' | 'json', write: (log: ReturnType<typeof createLogger>) => void, secrets: SecretValues): Promise<string> {
  const stream = new PassThrough();
  const out: string[] = [];
  stream.on('data', (c: Buffer) => out.push(c.toString()));
  write(createLogger({ format, stream, secrets }));
  await new Promise((r) => setImmediate(r));
  return out.join('');
}

for (const format of ['text', 'json'] as const) {
  t.test(`${format}: secret values registered after creation are replaced in message and meta`, async (t) => {
    const secrets = new SecretValues();
    const out = await lines(format, (log) => {
      secrets.add('hunter2-db-pass');
      log.error('render failed: hunter2-db-pass is not a number', { detail: { output: 'DB_PASS=hunter2-db-pass' }, list: ['x hunter2-db-pass'], password: 'hunter2-db-pass' });
      log.warn('cannot reach https://bot:ghp_abc123@git.example.org/a.git');
    }, secrets);
    t.notMatch(out, 'hunter2-db-pass');
    t.notMatch(out, 'ghp_abc123');
    t.match(out, 'render failed: [redacted] is not a number');
    t.match(out, 'DB_PASS=[redacted]');
    t.match(out, 'https://***@git.example.org/a.git');
  });
}
