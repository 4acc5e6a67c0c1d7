// The repo policy (infra/autoinfra.yml) as plain data.

export interface Signer { key: string; name?: string; email?: string }
/** A pinned key with a validity window (seq or ISO time, inclusive): see shared/log/pinned-keys.ts. */
export interface WindowedKey { key: string; since?: number | string; until?: number | string }
export interface AgentKeys { signing_key?: string; signing_keys?: (string | WindowedKey)[]; age?: string }

export interface PolicyAllow {
  privileged?: boolean;
  /** Host namespaces a service may join: network_mode/pid/ipc/uts/userns/cgroup `host`. */
  host_namespaces?: ('network' | 'pid' | 'ipc' | 'uts' | 'userns' | 'cgroup')[];
  /** Capabilities that may be added even though they break isolation (SYS_ADMIN, ALL, ...). */
  capabilities?: string[];
  /** `true` allows every device; a list allows those host device paths. */
  devices?: boolean | string[];
  /** Host paths (and what is under them) that may be bind-mounted even though they are sensitive. */
  bind_mounts?: string[];
  /** seccomp/apparmor `unconfined`. */
  unconfined?: boolean;
}

export interface Policy {
  signers: Signer[];
  require_signed_commits?: boolean;
  agents: Record<string, AgentKeys>;
  previews?: { enabled?: boolean; branches?: string[]; pull_requests?: boolean; hosts?: string[]; domain?: string; ttl?: string | number; max?: number };
  defaults?: Record<string, unknown>;
  allow: PolicyAllow;
}

export const EMPTY_POLICY: Policy = Object.freeze({ signers: [], agents: {}, allow: {} }) as Policy;
