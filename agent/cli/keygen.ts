// `autoinfra keygen`: creates this host's age identity (decrypts the repo's secrets) and Ed25519
// signing key (signs the deploy log), both 0600, and prints the public halves ready to paste into
// infra/autoinfra.yml.
import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { AutoinfraError } from '../../shared/errors.js';
import { keyId, loadSigningKey } from '../../shared/log/keys.js';
import { generateAgeKeyPair, parseIdentityFile, recipientOf } from '../../shared/secrets/age.js';
import type { CliContext } from './program.js';

export const DEFAULT_KEY_DIR = '/etc/autoinfra/keys';
export const AGE_KEY_FILE = 'age.key';
export const SIGNING_KEY_FILE = 'signing.key';

export class KeysExistError extends AutoinfraError {
  static readonly code = 'E_KEYS_EXIST';
  constructor(files: string[]) {
    super(KeysExistError.code, `keys already exist (${files.join(', ')}); pass --force to replace them (the old public keys then stop working)`, { files });
    this.name = 'KeysExistError';
  }
}

interface KeygenArgs { dir: string; force?: boolean; host?: string }

export function register(parent: Command, ctx: CliContext): void {
  parent
    .command('keygen')
    .description("create this host's age identity and Ed25519 signing key; print the public keys")
    .option('--dir <dir>', 'directory for age.key and signing.key', DEFAULT_KEY_DIR)
    .option('--host <name>', 'host name to print in the snippet (default: this machine\'s host name)')
    .option('--force', 'replace existing keys')
    .action(async (args: KeygenArgs) => {
      ctx.out(await keygen(args, new Date()));
    });
}


export async function keygen(args: KeygenArgs, now: Date): Promise<string> {
  const agePath = path.join(args.dir, AGE_KEY_FILE);
  const signPath = path.join(args.dir, SIGNING_KEY_FILE);
  const existing = [agePath, signPath].filter((p) => existsSync(p));
  if (existing.length && !args.force) throw new KeysExistError(existing);
  mkdirSync(args.dir, { recursive: true, mode: 0o700 });
  const age = await generateAgeKeyPair();
  // Written with 0600 from the start (mode on create), then chmod in case the file existed.
  writeFileSync(agePath, `# created: ${now.toISOString()}\n# public key: ${age.recipient}\n${age.identity}\n`, { mode: 0o600 });
  chmodSync(agePath, 0o600);
  const { privateKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  writeFileSync(signPath, pem, { mode: 0o600 });
  chmodSync(signPath, 0o600);
  return publicKeysBlock(args.host ?? hostname(), agePath, signPath);
}

/** The snippet for infra/autoinfra.yml, from the key files (also used to show existing keys). */
export async function publicKeysBlock(host: string, agePath: string, signPath: string): Promise<string> {
  const [identity] = parseIdentityFile(agePath, readFileSync(agePath, 'utf8'));
  const recipient = await recipientOf(identity);
  const id = keyId(loadSigningKey(readFileSync(signPath, 'utf8')));
  return [
    `# Wrote ${agePath} and ${signPath} (mode 0600). Public keys of this host,`,
    '# to paste into infra/autoinfra.yml of the deployment repo:',
    'agents:',
    `  ${host}:`,
    `    signing_key: ${id}`,
    `    age: ${recipient}`,
  ].join('\n');
}
