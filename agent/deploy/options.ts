// The executor's timings and limits, with their defaults in one place.

export interface ExecutorOptions {
  /** After a switch, watch the new colour this long before draining the old (default 120 s). */
  watchMs: number;
  watchPollMs: number;
  /** Revert when 5xx + connection errors reach this share of requests … */
  errorRate: number;
  /** … and at least this many errors. */
  minErrors: number;
  /** A crashed attempt at one commit is retried this many times before the commit is failed. */
  maxCrashAttempts: number;
  stopTimeoutS: number;
  /** Drift repair rate limit: at most this many repairs of one container per window. */
  maxRepairsPerWindow: number;
  repairWindowMs: number;
}

export const defaultExecutorOptions: Readonly<ExecutorOptions> = Object.freeze({
  watchMs: 120_000,
  watchPollMs: 250,
  errorRate: 0.05,
  minErrors: 10,
  maxCrashAttempts: 3,
  stopTimeoutS: 10,
  maxRepairsPerWindow: 5,
  repairWindowMs: 300_000,
});
