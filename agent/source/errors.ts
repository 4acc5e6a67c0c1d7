// Errors of the git source. Messages name the repository URL (credentials in it are hidden by
// AutoinfraError itself, and config load rejects a URL with user:password in it) and never the token.
import { AutoinfraError } from '../../shared/errors.js';

/** The server answered 401/403: the token or password is wrong, expired or lacks read access. */
export class SourceAuthError extends AutoinfraError {
  static readonly code = 'E_SOURCE_AUTH';
  constructor(url: string, status: number, credentialFile: string | undefined) {
    super(SourceAuthError.code,
      `git server refused access to ${url} (HTTP ${status}): ${credentialFile ? `check the token in ${credentialFile} (it is re-read on every refusal)` : 'the repository needs credentials; set repo.auth.token_file'}`,
      { url, status, credentialFile });
    this.name = 'SourceAuthError';
  }
}

/** The server could not be reached or answered with something other than git (5xx, timeout, refused). */
export class SourceUnreachableError extends AutoinfraError {
  static readonly code = 'E_SOURCE_UNREACHABLE';
  constructor(url: string, reason: string, options?: { cause?: unknown }) {
    super(SourceUnreachableError.code, `cannot reach git repository ${url}: ${reason}`, { url, reason }, options);
    this.name = 'SourceUnreachableError';
  }
}

/** Listing worked but fetching one branch's commits failed. */
export class SourceFetchError extends AutoinfraError {
  static readonly code = 'E_SOURCE_FETCH';
  constructor(url: string, branch: string, reason: string, options?: { cause?: unknown }) {
    super(SourceFetchError.code, `fetching branch ${branch} from ${url} failed: ${reason}`, { url, branch, reason }, options);
    this.name = 'SourceFetchError';
  }
}

/** A credential file could not be read. */
export class SourceCredentialsError extends AutoinfraError {
  static readonly code = 'E_SOURCE_CREDENTIALS';
  constructor(file: string, reason: string) {
    super(SourceCredentialsError.code, `cannot read git credentials from ${file}: ${reason}`, { file, reason });
    this.name = 'SourceCredentialsError';
  }
}

/** readTree was asked for a commit that is not in the local object store (not fetched yet). */
export class SourceCommitMissingError extends AutoinfraError {
  static readonly code = 'E_SOURCE_COMMIT_MISSING';
  constructor(commit: string, dir: string) {
    super(SourceCommitMissingError.code, `commit ${commit} is not in the object store ${dir} (not fetched yet, or not a commit)`, { commit, dir });
    this.name = 'SourceCommitMissingError';
  }
}

/** The repository URL cannot be used (SSH, credentials in the URL, plain http to a remote host). */
export class SourceUrlError extends AutoinfraError {
  static readonly code = 'E_SOURCE_URL';
  constructor(url: string, reason: string) {
    super(SourceUrlError.code, `repository URL ${url} cannot be used: ${reason}`, { url, reason });
    this.name = 'SourceUrlError';
  }
}

/** The local object store under the state directory cannot be created or read. */
export class SourceStoreError extends AutoinfraError {
  static readonly code = 'E_SOURCE_STORE';
  constructor(dir: string, cause: unknown) {
    const reason = (cause as NodeJS.ErrnoException)?.code ?? (cause instanceof Error ? cause.message : String(cause));
    super(SourceStoreError.code, `cannot use the git object store ${dir}: ${reason}`, { dir, reason }, { cause });
    this.name = 'SourceStoreError';
  }
}
