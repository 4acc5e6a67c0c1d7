// The worker side of renderInWorker: one render per thread, answered once. Runs renderStack as
// it is; the parent owns the limits (heap, time) and turns their breach into a labelled error.
import { parentPort, workerData } from 'node:worker_threads';
import { renderStack, type RenderInput } from '../shared/compose/render.js';
import { AutoinfraError, InvalidInputError } from '../shared/errors.js';

export type RenderReply =
  | { ok: true; stack: unknown }
  | { ok: false; code?: string; message: string; data?: Record<string, unknown>; problems?: unknown[] };

renderStack(workerData as RenderInput).then(
  (stack) => parentPort!.postMessage({ ok: true, stack } satisfies RenderReply),
  (e: unknown) => {
    const reply: RenderReply = e instanceof AutoinfraError
      ? { ok: false, code: e.code, message: e.message, data: e.data, ...(e instanceof InvalidInputError ? { problems: e.problems } : {}) }
      : { ok: false, message: e instanceof Error ? e.message : String(e) };
    parentPort!.postMessage(reply);
  },
);
