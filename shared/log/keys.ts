// Ed25519 key ids and key loading. node:crypto is computation, not I/O, so this stays in shared/.
// Key id = `ed25519:` + standard base64 of the raw 32-byte public key (what `autoinfra keygen`
// prints and what infra/autoinfra.yml pins as `agents.<host>.signing_key`).
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { AutoinfraError } from '../errors.js';

export class LogKeyError extends AutoinfraError {
  static readonly code = 'E_LOG_KEY';
  constructor(reason: string, data: Record<string, unknown> = {}) {
    super(LogKeyError.code, `deploy-log key: ${reason}`, data);
    this.name = 'LogKeyError';
  }
}

const PREFIX = 'ed25519:';

/** The key id of an Ed25519 public key (or of the public half of a private key). */
export function keyId(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  if (pub.asymmetricKeyType !== 'ed25519') throw new LogKeyError(`expected an Ed25519 key, got ${pub.asymmetricKeyType ?? key.type}`);
  const jwk = pub.export({ format: 'jwk' });
  return PREFIX + Buffer.from(jwk.x as string, 'base64url').toString('base64');
}

/** Parses a PKCS8 PEM Ed25519 private key (a KeyObject passes through after the type check). */
export function loadSigningKey(pem: string | KeyObject): KeyObject {
  let key: KeyObject;
  if (typeof pem === 'string') {
    try {
      key = createPrivateKey({ key: pem, format: 'pem' });
    } catch (e) {
      throw new LogKeyError(`signing key is not a PEM private key (${(e as Error).message})`);
    }
  } else key = pem;
  if (key.type !== 'private' || key.asymmetricKeyType !== 'ed25519') throw new LogKeyError('signing key must be an Ed25519 private key');
  return key;
}

/** The public key a key id names. Throws LogKeyError when the id is malformed. */
export function publicKeyFromId(id: string): KeyObject {
  const raw = id.startsWith(PREFIX) ? Buffer.from(id.slice(PREFIX.length), 'base64') : undefined;
  if (!raw || raw.length !== 32 || raw.toString('base64') !== id.slice(PREFIX.length)) {
    throw new LogKeyError(`"${id}" is not a key id (expected ed25519:<base64 of 32 bytes>)`, { id });
  }
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
}

export function isKeyId(id: string): boolean {
  try { publicKeyFromId(id); return true; } catch { return false; }
}
