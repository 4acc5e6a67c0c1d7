// The Authorization header for git over HTTPS, read from files so a token can rotate without a
// restart: read at start and again whenever the server answers 401/403.
//
// A token is sent as HTTP Basic with username `oauth2` and the token as password. GitHub ignores
// the username for tokens, Gitea/Forgejo take the password as the token whatever the username,
// and GitLab accepts any username for personal/project/group tokens and needs `oauth2` for OAuth
// tokens — so `oauth2` works everywhere. With username + password_file the pair is sent as is.
import { readFile } from 'node:fs/promises';
import { SourceCredentialsError } from './errors.js';

export interface AuthFiles { tokenFile?: string; username?: string; passwordFile?: string }

export const TOKEN_USERNAME = 'oauth2';

export class Credentials {
  private header?: string;

  constructor(private readonly auth: AuthFiles | undefined) {}

  /** The file an operator should look at when access is refused. */
  get file(): string | undefined {
    return this.auth?.tokenFile ?? this.auth?.passwordFile;
  }

  /** Headers to send (empty without auth). Reads the file on first use. */
  async headers(): Promise<Record<string, string>> {
    if (!this.file) return {};
    if (this.header === undefined) await this.reload();
    return { Authorization: this.header! };
  }

  /** Re-reads the file; true when the credentials changed (worth one immediate retry). */
  async reload(): Promise<boolean> {
    const file = this.file;
    if (!file) return false;
    let secret: string;
    try {
      secret = (await readFile(file, 'utf8')).trim();
    } catch (e) {
      throw new SourceCredentialsError(file, (e as NodeJS.ErrnoException).code ?? String(e));
    }
    if (!secret) throw new SourceCredentialsError(file, 'file is empty');
    const user = this.auth?.tokenFile ? TOKEN_USERNAME : this.auth!.username!;
    const header = `Basic ${Buffer.from(`${user}:${secret}`, 'utf8').toString('base64')}`;
    const changed = this.header !== undefined && header !== this.header;
    this.header = header;
    return changed;
  }
}
