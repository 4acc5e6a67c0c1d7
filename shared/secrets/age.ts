// age encryption of the deployment repo's secrets (infra/secrets/*.age), via the age-encryption
// library. Decrypted bytes stay in memory; no error message ever contains plaintext.
import { Decrypter, Encrypter, armor, generateX25519Identity, identityToRecipient } from 'age-encryption';
import { AutoinfraError, InvalidInputError, type Problem } from '../errors.js';

export class SecretDecryptError extends AutoinfraError {
  static readonly code = 'E_SECRET_DECRYPT';
  constructor(file: string, reason: string) {
    super(SecretDecryptError.code, `cannot decrypt ${file}: ${reason}`, { file, reason });
    this.name = 'SecretDecryptError';
  }
}

export class IdentityFileError extends InvalidInputError {
  static readonly code = 'E_AGE_IDENTITY';
  constructor(file: string, problems: Problem[]) {
    super(IdentityFileError.code, `invalid age identity file ${file}`, problems);
    this.name = 'IdentityFileError';
  }
}

export class RecipientError extends InvalidInputError {
  static readonly code = 'E_AGE_RECIPIENT';
  constructor(problems: Problem[]) {
    super(RecipientError.code, 'invalid age recipients', problems);
    this.name = 'RecipientError';
  }
}

const IDENTITY = /^AGE-SECRET-KEY-1[0-9A-Z]{58}$/;
export const RECIPIENT = /^age1[02-9ac-hj-np-z]{58}$/;
const ARMOR_BEGIN = '-----BEGIN AGE ENCRYPTED FILE-----';

/**
 * Identities from an identity file as `age-keygen` writes it: `# comments`, blank lines, one
 * AGE-SECRET-KEY-1… per line. Bad lines are reported by number only (they may hold key material).
 */
export function parseIdentityFile(file: string, text: string): string[] {
  const out: string[] = [];
  const problems: Problem[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    if (IDENTITY.test(line)) out.push(line);
    else problems.push({ file, line: i + 1, reason: 'expected an AGE-SECRET-KEY-1… identity, a # comment or a blank line' });
  });
  if (!problems.length && !out.length) problems.push({ file, reason: 'no identity in file' });
  if (problems.length) throw new IdentityFileError(file, problems);
  return out;
}

/** Decrypts a binary or ASCII-armored age file with any of the identities. */
export async function decryptAge(file: string, data: Uint8Array, identities: string[]): Promise<Uint8Array> {
  if (!identities.length) throw new SecretDecryptError(file, 'no age identity is configured on this host (run autoinfra keygen and encrypt to its recipient)');
  let bytes = data;
  const head = new TextDecoder().decode(data.subarray(0, ARMOR_BEGIN.length));
  if (head === ARMOR_BEGIN) {
    try { bytes = armor.decode(new TextDecoder().decode(data)); } catch { throw new SecretDecryptError(file, 'malformed ASCII armor'); }
  }
  const d = new Decrypter();
  for (const id of identities) d.addIdentity(id);
  try {
    return await d.decrypt(bytes);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    // The library's messages name the failure, not the content; keep the first line only.
    const reason = /no identity matched/i.test(msg) ? "not encrypted to this host's age recipient" : /header|intro|stanza|version/i.test(msg) ? 'not an age file or corrupted header' : `decryption failed (${msg.split('\n')[0].slice(0, 120)})`;
    throw new SecretDecryptError(file, reason);
  }
}

/** Encrypts to every recipient (age1…). `armored` gives PEM-like text instead of binary. */
export async function encryptAge(data: Uint8Array, recipients: string[], opts: { armored?: boolean } = {}): Promise<Uint8Array> {
  const bad = recipients.filter((r) => !RECIPIENT.test(r));
  if (bad.length || !recipients.length) throw new RecipientError((bad.length ? bad : ['(none)']).map((r) => ({ reason: `not an age1… X25519 recipient: ${r.slice(0, 80)}` })));
  const e = new Encrypter();
  for (const r of recipients) e.addRecipient(r);
  const out = await e.encrypt(data);
  return opts.armored ? new TextEncoder().encode(armor.encode(out)) : out;
}

export interface AgeKeyPair { identity: string; recipient: string }

export async function generateAgeKeyPair(): Promise<AgeKeyPair> {
  const identity = await generateX25519Identity();
  return { identity, recipient: await identityToRecipient(identity) };
}

export async function recipientOf(identity: string): Promise<string> {
  return identityToRecipient(identity);
}
