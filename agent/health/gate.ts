// The health gate: a new container must pass N consecutive checks within a deadline before it
// may take traffic. The result is a value (kamal/gitops-engine style); callers render it.
// A container that exits, or that Docker restarts (restart policy: a crash loop), fails the gate
// within CRASH_POLL_MS + CRASH_CODE_WAIT_MS of it, naming the exit code and its last output lines.
import type { HealthSpec } from '../../shared/stack/model.js';
import { redactDetail } from '../../shared/log/redact.js';
import type { Clock } from '../clock.js';
import type { LiveContainer, Runtime } from '../runtime/types.js';

export type HealthStatus = 'healthy' | 'starting' | 'unhealthy' | 'unknown';

export interface HealthResult {
  status: HealthStatus;
  /** Safe to publish: known secret values redacted, the output tail shortened. */
  message: string;
  attempts: number;
  elapsedMs: number;
  /** Exit code of a container that exited or crash-looped. */
  exitCode?: number;
  /** The container's last output lines as they were: for the local logger only, never published. */
  output?: string;
}

export interface GateInput {
  runtime: Runtime;
  container: LiveContainer;
  spec: HealthSpec;
  clock: Clock;
  signal?: AbortSignal;
  /** Known secret values of the stack: redacted from the output tail in `message`. */
  secrets?: readonly string[];
  /** Called after each check (for progress logs). */
  onCheck?: (ok: boolean, message: string) => void;
}

/** How often the container's state is looked at between checks (a crash is seen this fast). */
const CRASH_POLL_MS = 250;
/** After a restart is seen with the container running again, how long to wait for its next exit code. */
const CRASH_CODE_WAIT_MS = 2000;
const TAIL_LINES = 5;
const TAIL_CHARS = 300;

export async function healthGate({ runtime, container, spec, clock, signal, secrets = [], onCheck }: GateInput): Promise<HealthResult> {
  const start = clock.now();
  const deadline = start + spec.deadlineMs;
  const restartsBefore = container.restartCount ?? 0;
  let restartSeenAt: number | undefined;
  let nextCheck = start;
  let successes = 0;
  let attempts = 0;
  let last = 'no check ran';
  const result = (status: HealthStatus, message: string): HealthResult => ({ status, message, attempts, elapsedMs: clock.now() - start });
  for (;;) {
    if (signal?.aborted) return result('unknown', 'cancelled');
    const current = await runtime.inspect(container.id);
    if (!current) return result('unhealthy', 'container vanished');
    const restarts = (current.restartCount ?? 0) - restartsBefore;
    if (current.state === 'exited' || current.state === 'dead' || current.state === 'restarting') {
      return { ...result('unhealthy', ''), ...(await exitReport(runtime, current, restarts, secrets, 'container exited')) };
    }
    if (restarts > 0) {
      // Docker restarted it and it runs again: its exit code is gone until it exits once more.
      restartSeenAt ??= clock.now();
      if (clock.now() - restartSeenAt >= CRASH_CODE_WAIT_MS) return { ...result('unhealthy', ''), ...(await exitReport(runtime, current, restarts, secrets, 'container exited')) };
    } else if (clock.now() >= nextCheck) {
      attempts++;
      const check = await checkOnce(runtime, current, spec, secrets);
      last = check.message;
      onCheck?.(check.ok, check.message);
      if (check.ok) {
        successes++;
        if (successes >= spec.successes) return result('healthy', check.message);
      } else {
        successes = 0;
        // Docker itself says unhealthy (retries exhausted): no point waiting for the deadline.
        if (spec.kind === 'docker' && current.health === 'unhealthy' && clock.now() - start >= spec.startPeriodMs) return result('unhealthy', 'docker healthcheck reports unhealthy');
      }
      if (clock.now() + spec.intervalMs > deadline) {
        return result('unhealthy', `not healthy within ${spec.deadlineMs} ms (${successes}/${spec.successes} consecutive successes; last: ${last})`);
      }
      nextCheck = clock.now() + spec.intervalMs;
    }
    await clock.sleep(restarts > 0 ? CRASH_POLL_MS : Math.min(CRASH_POLL_MS, Math.max(0, nextCheck - clock.now())), signal);
  }
}

/** A job passes when its container exits 0 within the deadline. */
export async function jobGate({ runtime, container, clock, secrets = [], deadlineMs }: { runtime: Runtime; container: LiveContainer; clock: Clock; secrets?: readonly string[]; deadlineMs: number }): Promise<HealthResult> {
  const start = clock.now();
  for (let attempts = 1; ; attempts++) {
    const c = await runtime.inspect(container.id);
    if (!c) return { status: 'unhealthy', message: 'job container vanished', attempts, elapsedMs: clock.now() - start };
    if (c.state === 'exited' || c.state === 'dead') {
      if (c.exitCode === 0) return { status: 'healthy', message: 'job completed (exit 0)', attempts, elapsedMs: clock.now() - start };
      return { status: 'unhealthy', attempts, elapsedMs: clock.now() - start, ...(await exitReport(runtime, c, 0, secrets, 'job exited')) };
    }
    if (clock.now() - start > deadlineMs) return { status: 'unhealthy', message: `job still running after ${deadlineMs} ms`, attempts, elapsedMs: clock.now() - start };
    await clock.sleep(100);
  }
}

/** "container exited (code 3; Docker restarted it 2 times); last output: …" plus the raw tail for local logs. */
async function exitReport(runtime: Runtime, c: LiveContainer, restarts: number, secrets: readonly string[], what: string): Promise<Pick<HealthResult, 'message' | 'exitCode' | 'output'>> {
  const output = await runtime.logsTail(c.id, TAIL_LINES);
  const tail = publishableOutput(output, secrets).slice(-TAIL_CHARS);
  const restarted = restarts > 0 ? `; Docker restarted it ${restarts} time${restarts === 1 ? '' : 's'}` : '';
  const code = what === 'job exited' ? `with code ${c.exitCode ?? '?'}` : `(code ${c.exitCode ?? '?'}${restarted})`;
  return { message: `${what} ${code}${tail ? `; last output: ${tail}` : ''}`, exitCode: c.exitCode, output: output || undefined };
}

/**
 * Container output as the public log may show it: known secret values replaced *before* the
 * whitespace is folded (a multi-line secret, a PEM key, would no longer match after), and each
 * line of a multi-line secret too, since a tail of a few lines may hold only part of it.
 */
function publishableOutput(raw: string, secrets: readonly string[]): string {
  const lines = secrets.flatMap((v) => (v.includes('\n') ? v.split('\n').map((l) => l.trim()).filter((l) => l.length >= 8) : []));
  return String(redactDetail({ raw }, [...secrets, ...lines])?.raw ?? '').replace(/\s+/g, ' ').trim();
}

async function checkOnce(runtime: Runtime, c: LiveContainer, spec: HealthSpec, secrets: readonly string[]): Promise<{ ok: boolean; message: string }> {
  switch (spec.kind) {
    case 'none':
      return c.state === 'running' ? { ok: true, message: 'running' } : { ok: false, message: `state ${c.state}` };
    case 'docker':
      if (c.health === 'none') return { ok: false, message: 'the image/compose defines no healthcheck' };
      return { ok: c.health === 'healthy', message: `docker health ${c.health}` };
    case 'command': {
      const r = await runtime.exec(c.id, spec.command ?? ['true'], spec.timeoutMs);
      const shown = publishableOutput(r.output, secrets).slice(0, 200);
      return { ok: r.exitCode === 0, message: `command exit ${r.exitCode}${shown ? `: ${shown}` : ''}` };
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
