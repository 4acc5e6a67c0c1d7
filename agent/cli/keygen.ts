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
import { loadAgentConfig } from '../config/load.js';
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

/** Where the two key files go (and the host named in the snippet). */
export interface KeyPaths { age: string; signing: string; host?: string }

interface KeygenArgs { dir?: string; force?: boolean; host?: string }

/**
 * `--dir` wins; otherwise the agent config's keys.age / keys.signing (an explicitly named config
 * that cannot be read is an error, never silently ignored), else the default directory.
 */
export async function keyPathsFor(args: KeygenArgs, config: { file: string; given: boolean }): Promise<KeyPaths> {
  if (args.dir) return { age: path.join(args.dir, AGE_KEY_FILE), signing: path.join(args.dir, SIGNING_KEY_FILE), host: args.host };
  if (config.given || existsSync(config.file)) {
    const c = await loadAgentConfig(config.file);
    return { age: c.keys.age, signing: c.keys.signing, host: args.host ?? c.host };
  }
  return { age: path.join(DEFAULT_KEY_DIR, AGE_KEY_FILE), signing: path.join(DEFAULT_KEY_DIR, SIGNING_KEY_FILE), host: args.host };
}

export function register(parent: Command, ctx: CliContext): void {
  parent
    .command('keygen')
    .description("create this host's age identity and Ed25519 signing key; print the public keys")
    .option('--dir <dir>', `directory for age.key and signing.key (default: keys.age and keys.signing of the agent config, else ${DEFAULT_KEY_DIR})`)
    .option('--host <name>', 'host name to print in the snippet (default: this machine\'s host name)')
    .option('--force', 'replace existing keys')
    .action(async (args: KeygenArgs) => {
      const g = ctx.globals();
      ctx.out(await keygen(await keyPathsFor(args, { file: g.config, given: g.configGiven }), args.force ?? false, new Date()));
    });
}


export async function keygen(paths: KeyPaths, force: boolean, now: Date): Promise<string> {
  const agePath = paths.age;
  const signPath = paths.signing;
  const existing = [agePath, signPath].filter((p) => existsSync(p));
  if (existing.length && !force) throw new KeysExistError(existing);
  for (const dir of new Set([path.dirname(agePath), path.dirname(signPath)])) mkdirSync(dir, { recursive: true, mode: 0o700 });
  const age = await generateAgeKeyPair();
  // Written with 0600 from the start (mode on create), then chmod in case the file existed.
  writeFileSync(agePath, `# created: ${now.toISOString()}\n# public key: ${age.recipient}\n${age.identity}\n`, { mode: 0o600 });
  chmodSync(agePath, 0o600);
  const { privateKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  writeFileSync(signPath, pem, { mode: 0o600 });
  chmodSync(signPath, 0o600);
  return publicKeysBlock(paths.host ?? hostname(), agePath, signPath);
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
