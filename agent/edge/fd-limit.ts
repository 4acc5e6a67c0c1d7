// The process's open-file limit and the tunnel cap it allows. A tunnel holds two descriptors for
// as long as it lives; if tunnels that send nothing could take them all, accept() and upstream
// connects fail with EMFILE and the edge stops serving everyone. So tunnels get at most half of
// the descriptors (a quarter of the limit in tunnels), whatever maxTunnels says.
import { readFileSync } from 'node:fs';

/** The soft RLIMIT_NOFILE of this process (Linux /proc), or undefined where it cannot be read. */
export function openFileLimit(limitsFile = '/proc/self/limits'): number | undefined {
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync(limitsFile, 'utf8'));
    return m && m[1] !== 'unlimited' ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** The tunnel cap under `limit` open files: half the fds, two per tunnel. */
export function tunnelCap(maxTunnels: number, limit: number | undefined): number {
  return limit === undefined ? maxTunnels : Math.max(1, Math.min(maxTunnels, Math.floor(limit / 4)));
}
