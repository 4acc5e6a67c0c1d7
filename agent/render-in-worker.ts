// Renders a commit on a worker thread with a heap limit and a wall-clock limit. The YAML limits
// (shared/yaml/limits.ts) bound every blow-up we know of; this bounds the ones we do not: a
// hostile commit that still exhausts memory or time fails as E_RENDER_LIMIT (the commit is
// `failed`), and the agent's own heap, polling and serving are untouched. Before, a 209 KB file
// aborted the agent and systemd restarted it into the same render.
import { Worker } from 'node:worker_threads';
import { ComposeError } from '../shared/compose/compose-error.js';
import type { RenderInput } from '../shared/compose/render.js';
import { AutoinfraError, type Problem } from '../shared/errors.js';
import { fingerprintKeyOrProcess } from '../shared/secrets/fingerprint.js';
import type { Stack } from '../shared/stack/model.js';
import type { RenderReply } from './render-worker.js';

export interface RenderLimits {
  /** The worker's old-generation heap, MiB. A real 100-service render needs ~30. */
  heapMb: number;
  /** Wall clock for one render, ms. A real render takes well under a second. */
  timeoutMs: number;
}

export const DEFAULT_RENDER_LIMITS: RenderLimits = { heapMb: 512, timeoutMs: 60_000 };

export class RenderLimitError extends AutoinfraError {
  static readonly code = 'E_RENDER_LIMIT';
  constructor(commit: string, reason: string, data: Record<string, unknown>) {
    super(RenderLimitError.code, `cannot render ${commit.slice(0, 12)}: ${reason}`, { commit, ...data });
    this.name = 'RenderLimitError';
  }
}

// From dist/ the worker is the .js file. From source (tests, the CLI under tsx) it is the .ts
// file, and tsx's loader does not reach a worker through `--import` on Node 20: a small eval'd
// bootstrap registers tsx in the worker, then imports the entry.
const FROM_SOURCE = import.meta.url.endsWith('.ts');
const ENTRY = new URL(FROM_SOURCE ? './render-worker.ts' : './render-worker.js', import.meta.url);
const WORKER: URL | string = FROM_SOURCE
  ? `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => { m.register(); return import(${JSON.stringify(ENTRY.href)}); });`
  : ENTRY;

export function renderInWorker(input: RenderInput, limits: RenderLimits = DEFAULT_RENDER_LIMITS): Promise<Stack> {
  return new Promise<Stack>((resolve, reject) => {
    // Without a host key, fingerprints must still be this process's (stable across renders), not
    // a fresh worker's.
    const workerData: RenderInput = { ...input, fingerprintKey: fingerprintKeyOrProcess(input.fingerprintKey) };
    const worker = new Worker(WORKER, { workerData, resourceLimits: { maxOldGenerationSizeMb: limits.heapMb }, eval: typeof WORKER === 'string' });
    let settled = false;
    const settle = (f: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void worker.terminate();
      f();
    };
    const timer = setTimeout(() => settle(() => reject(new RenderLimitError(input.commit, `the render took longer than ${limits.timeoutMs} ms and was stopped`, { limit: 'time', timeoutMs: limits.timeoutMs }))), limits.timeoutMs);
    worker.once('message', (reply: RenderReply) => settle(() => (reply.ok ? resolve(reply.stack as Stack) : reject(rebuild(reply)))));
    worker.once('error', (e: Error & { code?: string }) => settle(() => reject(e.code === 'ERR_WORKER_OUT_OF_MEMORY'
      ? new RenderLimitError(input.commit, `the render needed more than ${limits.heapMb} MiB of memory and was stopped`, { limit: 'memory', heapMb: limits.heapMb })
      : new RenderLimitError(input.commit, `the render failed: ${e.message}`, { limit: 'crash' }))));
    worker.once('exit', (code) => settle(() => reject(new RenderLimitError(input.commit, `the render stopped without an answer (exit ${code})`, { limit: 'crash' }))));
  });
}

/** The worker's error as the same type the caller would have seen from renderStack. */
function rebuild(reply: Extract<RenderReply, { ok: false }>): Error {
  if (reply.code === ComposeError.code) {
    const e = new ComposeError('', (reply.problems ?? []) as Problem[]);
    e.message = reply.message;
    return e;
  }
  if (reply.code) return new AutoinfraError(reply.code, reply.message, reply.data);
  return new Error(reply.message);
}
