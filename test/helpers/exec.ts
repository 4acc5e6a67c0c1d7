// The harness uses the project's own helpers for host commands and bounded waits.
export { exec, freePort, type ExecResult } from '../../agent/host-command.js';
export { waitFor } from '../../agent/wait-for.js';
