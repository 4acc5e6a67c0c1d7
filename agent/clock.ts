// Time as a dependency: every wait in the agent (poll, backoff, health gates, drain, retries,
// periodic checks) takes a Clock, so tests and the fault suite decide how time passes and a stop()
// can cut any sleep short. Nothing else calls setTimeout/setInterval to wait on agent time.

export interface Timer {
  /** Stops the timer; calling it twice is harmless. */
  cancel(): void;
}

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms`, or early (without throwing) when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Runs `fn` once after `ms`. The timer never keeps the process alive. */
  after(ms: number, fn: () => void): Timer;
  /** Runs `fn` every `ms`. The timer never keeps the process alive. */
  every(ms: number, fn: () => void): Timer;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const onAbort = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, Math.max(0, ms));
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  },
  after(ms: number, fn: () => void): Timer {
    const t = setTimeout(fn, Math.max(0, ms));
    t.unref();
    return { cancel: () => clearTimeout(t) };
  },
  every(ms: number, fn: () => void): Timer {
    const t = setInterval(fn, Math.max(1, ms));
    t.unref();
    return { cancel: () => clearInterval(t) };
  },
};
