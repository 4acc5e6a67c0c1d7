// Polling until a condition holds, bounded in time (demo, tests).
/**
 * Polls `fn` until it returns a value. Each attempt is raced against a (ref'd) timer: a fetch to a
 * port whose container is still starting can hang with no live handle, and must not stall a test.
 */
export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, opts: { timeoutMs?: number; intervalMs?: number; attemptTimeoutMs?: number } = {}): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  let lastErr: unknown;
  for (;;) {
    try {
      let timer: NodeJS.Timeout | undefined;
      const attemptTimeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error('attempt timed out')), opts.attemptTimeoutMs ?? 5000); });
      const v = await Promise.race([fn(), attemptTimeout]).finally(() => clearTimeout(timer));
      if (v !== undefined && v !== false) return v as T;
    } catch (e) { lastErr = e; }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${lastErr ? `: ${String(lastErr)}` : ''}`);
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 100));
  }
}
