import { AutoinfraError } from '../../shared/errors.js';

/** Something a commit needs is not there (image, build, secret): nothing live was touched. */
export class PreflightError extends AutoinfraError {
  static readonly code = 'E_PREFLIGHT';
  constructor(service: string, reason: string, data: Record<string, unknown> = {}) {
    super(PreflightError.code, `pre-flight failed for service ${service}: ${reason}`, { service, reason, ...data });
    this.name = 'PreflightError';
  }
}

/** A new container did not become healthy; the environment stays on its last live commit. */
export class HealthGateError extends AutoinfraError {
  static readonly code = 'E_HEALTH_GATE';
  constructor(service: string, colour: string, attempts: number, reason: string, exitCode?: number) {
    super(HealthGateError.code, `service ${service} (${colour}) failed its health gate after ${attempts} checks: ${reason}`, { service, colour, attempts, reason, ...(exitCode !== undefined ? { exitCode } : {}) });
    this.name = 'HealthGateError';
  }
}

/** The new version showed errors after the switch; traffic went back to the previous colour. */
export class WatchRevertError extends AutoinfraError {
  static readonly code = 'E_WATCH_REVERT';
  constructor(service: string, reason: string) {
    super(WatchRevertError.code, `service ${service} reverted during the post-switch watch: ${reason}`, { service, reason });
    this.name = 'WatchRevertError';
  }
}

/** A container name this agent wants is held by another agent on the same engine: never removed. */
export class NameConflictError extends AutoinfraError {
  static readonly code = 'E_NAME_CONFLICT';
  constructor(container: string, owner: string) {
    super(NameConflictError.code, `container ${container} belongs to ${owner ? `agent ${owner}` : 'something that is not this agent'} on this Docker engine; it is left alone (names are per environment, not per agent: run one agent per engine)`, { container, owner });
    this.name = 'NameConflictError';
  }
}
