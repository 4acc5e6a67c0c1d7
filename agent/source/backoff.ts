// Poll timing. Pure: the random source is injected so tests can pin the jitter.

/** The interval with ±10 % jitter; `random()` returns [0, 1). */
export function jittered(intervalMs: number, random: () => number): number {
  return Math.round(intervalMs * (0.9 + 0.2 * random()));
}

/**
 * Wait after `failures` consecutive failed polls (failures ≥ 1): the interval doubled per failure,
 * capped at maxBackoffMs, then jittered (the cap still holds after jitter).
 */
export function backoffDelay(intervalMs: number, maxBackoffMs: number, failures: number, random: () => number): number {
  const raw = intervalMs * 2 ** Math.min(Math.max(failures, 1), 30);
  const capped = Math.min(raw, Math.max(maxBackoffMs, intervalMs));
  return Math.min(jittered(capped, random), Math.max(maxBackoffMs, intervalMs));
}
