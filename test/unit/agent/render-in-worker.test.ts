// The agent renders each commit on a worker thread with a heap and a time limit (issue 13, DoS
// by YAML): a render that exhausts either fails as E_RENDER_LIMIT while this process, the
// agent, keeps its heap; a normal stack comes back as renderStack makes it; input errors keep
// their type and their located problems.
import t from 'tap';
import { ComposeError } from '../../../shared/compose/compose-error.js';
import { renderStack, type RenderInput } from '../../../shared/compose/render.js';
import { RenderLimitError, renderInWorker } from '../../../agent/render-in-worker.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const input = (compose: string): RenderInput => ({
  files: new Map([['infra/docker-compose.yml', enc(compose)], ['infra/secrets/token', enc('s3cret')]]),
  branch: 'master', env: 'master', commit: 'a'.repeat(40), host: 'h1',
});
const NORMAL = 'services:\n  web:\n    image: example.invalid/web:1\n    environment: {A: "1"}\n    secrets: [token]\nsecrets:\n  token: {file: ./secrets/token}\n';

t.test('a normal stack comes back as renderStack makes it', async (t) => {
  t.same(await renderInWorker(input(NORMAL)), await renderStack(input(NORMAL)));
});

t.test('a compose error keeps its type, code and located problems', async (t) => {
  const err = await renderInWorker(input('services:\n  web:\n    image: *nope\n')).catch((e: unknown) => e);
  t.ok(err instanceof ComposeError);
  const e = err as ComposeError;
  t.equal(e.code, 'E_COMPOSE');
  t.match(e.problems[0], { file: 'infra/docker-compose.yml', line: 3, path: 'services.web.image' });
  t.match(e.message, /cannot render master at aaaaaaaaaaaa: 1 problem/);
});

t.test('a render that exhausts the heap limit fails as E_RENDER_LIMIT; this heap is untouched', async (t) => {
  // 60 000 keys (under every YAML limit) need far more than a 16 MiB heap: the stand-in for a
  // commit that gets past the limits and still blows up.
  let big = 'x-k:\n';
  for (let i = 0; i < 60_000; i++) big += `  k${i}: ${i}\n`;
  const heap = process.memoryUsage().heapUsed;
  const err = await renderInWorker(input(big + NORMAL), { heapMb: 16, timeoutMs: 60_000 }).catch((e: unknown) => e);
  t.ok(err instanceof RenderLimitError, String(err));
  t.equal((err as RenderLimitError).code, 'E_RENDER_LIMIT');
  t.match((err as Error).message, /^cannot render aaaaaaaaaaaa: the render needed more than 16 MiB of memory/);
  t.ok(process.memoryUsage().heapUsed - heap < 64 * 1024 * 1024, 'the parent heap did not grow with the render');
  // And the next render on a fresh worker works.
  t.ok(await renderInWorker(input(NORMAL)));
});

t.test('a render over its time limit is stopped as E_RENDER_LIMIT', async (t) => {
  let big = 'x-k:\n';
  for (let i = 0; i < 60_000; i++) big += `  k${i}: ${i}\n`;
  const err = await renderInWorker(input(big + NORMAL), { heapMb: 512, timeoutMs: 50 }).catch((e: unknown) => e);
  t.ok(err instanceof RenderLimitError);
  t.match((err as Error).message, /took longer than 50 ms and was stopped/);
});
