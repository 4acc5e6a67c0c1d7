// A Clock on which time passes only when something waits: sleep(ms) moves now() forward by ms at
// once, so deadlines, watch windows and rate-limit windows take no real time in unit tests.
import type { Clock, Timer } from '../../agent/clock.js';

export class InstantClock implements Clock {
  private timers: { at: number; every?: number; fn: () => void; cancelled: boolean }[] = [];
  constructor(private t = Date.UTC(2026, 11, 1)) {}

  now(): number {
    return this.t;
  }

  async sleep(ms: number): Promise<void> {
    this.advance(ms);
    await new Promise<void>((r) => setImmediate(r));
  }

  /** Moves time forward, firing the timers that came due. */
  advance(ms: number): void {
    this.t += Math.max(0, ms);
    for (const timer of this.timers) {
      while (!timer.cancelled && timer.at <= this.t) {
        timer.fn();
        if (timer.every === undefined) timer.cancelled = true;
        else timer.at += timer.every;
      }
    }
    this.timers = this.timers.filter((x) => !x.cancelled);
  }

  after(ms: number, fn: () => void): Timer {
    return this.add({ at: this.t + ms, fn, cancelled: false });
  }

  every(ms: number, fn: () => void): Timer {
    return this.add({ at: this.t + ms, every: Math.max(1, ms), fn, cancelled: false });
  }

  private add(timer: { at: number; every?: number; fn: () => void; cancelled: boolean }): Timer {
    this.timers.push(timer);
    return { cancel: () => { timer.cancelled = true; } };
  }
}
