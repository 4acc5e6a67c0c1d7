// Durable per-environment state: what is live, which commits failed, and the journal of the
// operation in progress (so a restart after kill -9 converges). Versioned; decode() migrates.
import type { Colour } from '../runtime/types.js';

export interface LiveService {
  colour: Colour;
  hash: string;
  /** Container name (stable across restarts of the container). */
  container: string;
  image: string;
  /** Repo digest of the image that ran, when known. */
  digest?: string;
  /** A one-shot job (exits 0 and stays exited). */
  job?: boolean;
}

export interface Operation {
  commit: string;
  phase: 'preflight' | 'starting' | 'switched' | 'watching' | 'draining';
  /** How many times an attempt at this commit was cut short by an agent crash. */
  attempts: number;
  startedAt: string;
  /** The live set before the switch (kept until the watch passes, so a revert can return to it). */
  previous?: EnvState['live'];
}

export interface EnvState {
  v: 1;
  env: string;
  branch: string;
  live?: { commit: string; since: string; services: Record<string, LiveService> };
  /** Newest last; bounded. */
  failed: { commit: string; reason: string; at: string }[];
  operation?: Operation;
}

export const MAX_FAILED_REMEMBERED = 50;

export function emptyEnvState(env: string, branch: string): EnvState {
  return { v: 1, env, branch, failed: [] };
}

export function decodeEnvState(raw: unknown, env: string, branch: string): EnvState {
  const s = raw as Partial<EnvState> | undefined;
  if (!s || typeof s !== 'object') return emptyEnvState(env, branch);
  // v1 is the first schema; later versions migrate here.
  return { v: 1, env, branch: s.branch ?? branch, live: s.live, failed: Array.isArray(s.failed) ? s.failed : [], operation: s.operation };
}

export function isFailed(state: EnvState, commit: string): { reason: string; at: string } | undefined {
  return state.failed.find((f) => f.commit === commit);
}

export function withFailure(state: EnvState, commit: string, reason: string, at: string): EnvState {
  const failed = [...state.failed.filter((f) => f.commit !== commit), { commit, reason, at }].slice(-MAX_FAILED_REMEMBERED);
  return { ...state, failed, operation: undefined };
}
