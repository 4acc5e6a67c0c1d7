// Where the executor reports what it did: the signed deploy log (agent/log) in the agent, a list
// in tests. Entries carry no secret values.
export interface RecordEntry {
  env: string;
  commit?: string;
  action: 'agent-start' | 'agent-stop' | 'head-seen' | 'preflight' | 'pull' | 'build' | 'start' | 'health' | 'switch' | 'drain' | 'remove' | 'prune' | 'drift-repair' | 'watch-revert' | 'failed' | 'live';
  result: 'ok' | 'failed' | 'info';
  detail?: Record<string, unknown>;
}

export interface Recorder {
  record(e: RecordEntry): Promise<void>;
}

export class MemoryRecorder implements Recorder {
  readonly entries: RecordEntry[] = [];
  async record(e: RecordEntry): Promise<void> {
    this.entries.push(e);
  }
}
