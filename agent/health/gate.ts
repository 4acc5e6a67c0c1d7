// The health gate: a new container must pass N consecutive checks within a deadline before it
// may take traffic. The result is a value (kamal/gitops-engine style); callers render it.
import type { HealthSpec } from '../../shared/stack/model.js';
import type { Clock } from '../clock.js';
import type { LiveContainer, Runtime } from '../runtime/types.js';

export type HealthStatus = 'healthy' | 'starting' | 'unhealthy' | 'unknown';

export interface HealthResult {
  status: HealthStatus;
  message: string;
  attempts: number;
  elapsedMs: number;
}

export interface GateInput {
  runtime: Runtime;
  container: LiveContainer;
  spec: HealthSpec;
  clock: Clock;
  signal?: AbortSignal;
  /** Called after each check (for progress logs). */
  onCheck?: (ok: boolean, message: string) => void;
}

export async function healthGate({ runtime, container, spec, clock, signal, onCheck }: GateInput): Promise<HealthResult> {
  const start = clock.now();
  const deadline = start + spec.deadlineMs;
  let successes = 0;
  let attempts = 0;
  let last = 'no check ran';
  for (;;) {
    if (signal?.aborted) return { status: 'unknown', message: 'cancelled', attempts, elapsedMs: clock.now() - start };
    attempts++;
    const current = await runtime.inspect(container.id);
    if (!current) return { status: 'unhealthy', message: 'container vanished', attempts, elapsedMs: clock.now() - start };
    if (current.state === 'exited' || current.state === 'dead') {
      const tail = await runtime.logsTail(container.id, 5);
      return { status: 'unhealthy', message: `container exited (code ${current.exitCode ?? '?'})${tail ? `; last output: ${tail.replace(/\s+/g, ' ').slice(0, 300)}` : ''}`, attempts, elapsedMs: clock.now() - start };
    }
    const check = await checkOnce(runtime, current, spec);
    last = check.message;
    onCheck?.(check.ok, check.message);
    if (check.ok) {
      successes++;
      if (successes >= spec.successes) return { status: 'healthy', message: check.message, attempts, elapsedMs: clock.now() - start };
    } else {
      successes = 0;
      // Docker itself says unhealthy (retries exhausted): no point waiting for the deadline.
      if (spec.kind === 'docker' && current.health === 'unhealthy' && clock.now() - start >= spec.startPeriodMs) {
        return { status: 'unhealthy', message: `docker healthcheck reports unhealthy`, attempts, elapsedMs: clock.now() - start };
      }
    }
    if (clock.now() + spec.intervalMs > deadline) {
      return { status: 'unhealthy', message: `not healthy within ${spec.deadlineMs} ms (${successes}/${spec.successes} consecutive successes; last: ${last})`, attempts, elapsedMs: clock.now() - start };
    }
    await clock.sleep(spec.intervalMs, signal);
  }
}

async function checkOnce(runtime: Runtime, c: LiveContainer, spec: HealthSpec): Promise<{ ok: boolean; message: string }> {
  switch (spec.kind) {
    case 'none':
      return c.state === 'running' ? { ok: true, message: 'running' } : { ok: false, message: `state ${c.state}` };
    case 'docker':
      if (c.health === 'none') return { ok: false, message: 'the image/compose defines no healthcheck' };
      return { ok: c.health === 'healthy', message: `docker health ${c.health}` };
    case 'command': {
      const r = await runtime.exec(c.id, spec.command ?? ['true'], spec.timeoutMs);
      return { ok: r.exitCode === 0, message: `command exit ${r.exitCode}${r.output ? `: ${r.output.trim().slice(0, 200)}` : ''}` };
    }
    case 'http': {
      const port = spec.port !== undefined ? c.ports[spec.port] : Object.values(c.ports)[0];
      if (!port) return { ok: false, message: `container port ${spec.port ?? '?'} is not published on 127.0.0.1` };
      const url = `http://127.0.0.1:${port}${spec.path ?? '/'}`;
      return httpCheck(url, spec.timeoutMs);
    }
  }
}

async function httpCheck(url: string, timeoutMs: number): Promise<{ ok: boolean; message: string }> {
  const ac = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  // A ref'd timer: a request to a port whose process is still starting can otherwise hang.
  const timeout = new Promise<{ ok: boolean; message: string }>((resolve) => {
    timer = setTimeout(() => { ac.abort(); resolve({ ok: false, message: `GET ${new URL(url).pathname} timed out after ${timeoutMs} ms` }); }, timeoutMs);
  });
  const request = (async () => {
    try {
      const res = await fetch(url, { signal: ac.signal, redirect: 'manual', headers: { 'user-agent': 'autoinfra-health' } });
      await res.arrayBuffer().catch(() => undefined);
      const ok = res.status >= 200 && res.status < 400;
      return { ok, message: `GET ${new URL(url).pathname} → ${res.status}` };
    } catch (e) {
      const cause = (e as { cause?: { code?: string } }).cause?.code;
      return { ok: false, message: `GET ${new URL(url).pathname} failed: ${cause ?? (e as Error).message}` };
    }
  })();
  try {
    return await Promise.race([request, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
