// Errors of the edge and its client (codes listed in docs/errors.md).
import { AutoinfraError } from '../../shared/errors.js';

/** The edge process does not answer on its control socket (not running, or the socket is stale). */
export class EdgeUnavailableError extends AutoinfraError {
  static readonly code = 'E_EDGE_UNAVAILABLE';
  constructor(controlSocket: string, reason: string, cause?: unknown) {
    super(EdgeUnavailableError.code, `edge does not answer on control socket ${controlSocket}: ${reason}`, { controlSocket, reason }, { cause });
    this.name = 'EdgeUnavailableError';
  }
}

/** The edge answered, but refused or failed the request (e.g. it could not load the routes file). */
export class EdgeControlError extends AutoinfraError {
  static readonly code = 'E_EDGE_CONTROL';
  constructor(what: string, status: number, body: string) {
    super(EdgeControlError.code, `edge refused ${what} (HTTP ${status}): ${body.trim()}`, { what, status, body });
    this.name = 'EdgeControlError';
  }
}

/** An edge listener could not be opened (bad address, port in use, unreadable certificate). */
export class EdgeListenError extends AutoinfraError {
  static readonly code = 'E_EDGE_LISTEN';
  constructor(address: string, reason: string, cause?: unknown) {
    super(EdgeListenError.code, `edge cannot listen on ${address}: ${reason}`, { address, reason }, { cause });
    this.name = 'EdgeListenError';
  }
}
