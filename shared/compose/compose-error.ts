import { InvalidInputError, type Problem } from '../errors.js';

/** Compose files that cannot be loaded: every problem at once, each with file:line:col and key path. */
export class ComposeError extends InvalidInputError {
  static readonly code = 'E_COMPOSE';
  constructor(what: string, problems: Problem[]) {
    super(ComposeError.code, what, problems);
    this.name = 'ComposeError';
  }
}
