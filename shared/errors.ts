// Typed errors with a stable code and structured data (see docs/errors.md).
// Every error the agent can show an operator is an AutoinfraError: callers branch on `code`,
// render `message`, and log `data` (which never holds a secret value).
import { redactUrlCredentials } from './url-credentials.js';

export interface Problem {
  /** File the problem is in (as the operator knows it, e.g. `infra/docker-compose.yml`). */
  file?: string;
  line?: number;
  column?: number;
  /** Key path in the document, e.g. `services.web.ports[1]`. */
  path?: string;
  /** What is wrong / what was expected. */
  reason: string;
}

export class AutoinfraError extends Error {
  readonly code: string;
  readonly data: Record<string, unknown>;
  /** Where the error crossed a module boundary, e.g. `source.poll`. Set once, at the boundary. */
  caller?: string;

  constructor(code: string, message: string, data: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    // Messages and data quote URLs (repo, registry) that may carry `user:token@`: hidden here once,
    // so no error of the product can print them whoever builds it.
    super(redactUrlCredentials(message), options);
    this.name = 'AutoinfraError';
    this.code = code;
    this.data = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, typeof v === 'string' ? redactUrlCredentials(v) : v]));
  }

  toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.message, data: this.data, caller: this.caller };
  }
}

/** Formats a problem as `file:line:col: path: reason`, leaving out the parts that are unknown. */
export function formatProblem(p: Problem): string {
  let where = p.file ?? '';
  if (p.line !== undefined) where += `${where ? ':' : 'line '}${p.line}${p.column !== undefined ? `:${p.column}` : ''}`;
  const parts = [where, p.path, p.reason].filter((s) => s !== undefined && s !== '');
  return parts.join(': ');
}

/** One or more problems with an input file (config, compose, policy). All are reported at once. */
export class InvalidInputError extends AutoinfraError {
  readonly problems: Problem[];
  constructor(code: string, what: string, problems: Problem[]) {
    const lines = problems.map((p) => `  ${formatProblem(p)}`).join('\n');
    super(code, `${what}: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n${lines}`, { problems });
    this.name = 'InvalidInputError';
    this.problems = problems;
  }
}

/** A command asked for something that cannot be (an untracked branch, a missing argument): exit 2, like bad input. */
export class UsageError extends AutoinfraError {
  constructor(code: string, message: string, data: Record<string, unknown> = {}) {
    super(code, message, data);
    this.name = 'UsageError';
  }
}

export class ConfigError extends InvalidInputError {
  static readonly code = 'E_CONFIG';
  constructor(file: string, problems: Problem[]) {
    super(ConfigError.code, `invalid agent config ${file}`, problems);
    this.name = 'ConfigError';
  }
}

export class NotImplementedError extends AutoinfraError {
  static readonly code = 'E_NOT_IMPLEMENTED';
  constructor(what: string, issue: string) {
    super(NotImplementedError.code, `${what} is not implemented yet (tracked in ${issue})`, { what, issue });
    this.name = 'NotImplementedError';
  }
}

export function isAutoinfraError(e: unknown): e is AutoinfraError {
  return e instanceof AutoinfraError;
}

/** A one-line description of any thrown value, for logs and CLI output. */
export function describeError(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
