// The Docker engine's failures, told apart the way the executor acts on them.

/** The engine's pull errors, said the way an operator acts on them. */
export function pullFailure(message: string): string {
  const m = message.replace(/^image \S+: pull failed: /, '');
  if (/unauthorized|authentication required|no basic auth credentials|denied/i.test(m)) return `credentials missing or refused (${m})`;
  if (/manifest unknown|not found|does not exist/i.test(m)) return `tag or repository not found (${m})`;
  if (/no space left on device/i.test(m)) return `disk full on this host (${m})`;
  if (/connection refused|no such host|i\/o timeout|dial tcp|TLS handshake/i.test(m)) return `registry unreachable (${m})`;
  return m;
}

/** The Docker engine cannot be reached at all (socket gone, daemon down), as opposed to refusing. */
export function isEngineUnreachable(e: unknown): boolean {
  for (let cur: unknown = e, depth = 0; cur && depth < 5; cur = (cur as { cause?: unknown }).cause, depth++) {
    const { code, syscall } = cur as { code?: unknown; syscall?: unknown };
    if (code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'EPIPE' || (code === 'ENOENT' && syscall === 'connect')) return true;
    if (/connect (ENOENT|ECONNREFUSED)/.test(String((cur as Error).message ?? ''))) return true;
  }
  return false;
}
