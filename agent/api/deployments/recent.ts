// Pure: the last outcomes of deploy attempts (commit and environment), bounded, so a `wait` that
// starts after the attempt ended still learns it was superseded or rejected — outcomes the status
// model does not keep (it keeps live and failed only).
import type { EnvResult } from './outcome.js';

export class RecentOutcomes {
  private readonly byKey = new Map<string, { commit: string; result: EnvResult }>();

  constructor(private readonly capacity = 1000) {}

  record(commit: string, result: EnvResult): void {
    const key = `${result.env} ${commit}`;
    this.byKey.delete(key);
    this.byKey.set(key, { commit, result });
    if (this.byKey.size > this.capacity) this.byKey.delete(this.byKey.keys().next().value as string);
  }

  /** Results for the commit (full id or a prefix), newest per environment. */
  find(given: string): EnvResult[] {
    const out = new Map<string, EnvResult>();
    const g = given.toLowerCase();
    for (const { commit, result } of this.byKey.values()) if (commit.toLowerCase().startsWith(g)) out.set(result.env, result);
    return [...out.values()];
  }
}
