// How a secret value is identified wherever it is shown or hashed (render output, secret file
// names, the service hash the deploy log publishes): HMAC-SHA256 under a per-host random key. A
// plain sha256 of a weak secret pasted in a bug report, or folded into a published service hash
// whose other inputs the repo shows, can be guessed offline; without the host's key it cannot.
import { createHmac, randomBytes } from 'node:crypto';

/** Hex HMAC-SHA256 of `value` under `key`. */
export function secretFingerprint(key: Uint8Array, value: Uint8Array | string): string {
  return createHmac('sha256', key).update(value).digest('hex');
}

// For a render with no host key (tools, tests): fingerprints are stable within this process only.
const processKey = randomBytes(32);

export function fingerprintKeyOrProcess(key: Uint8Array | undefined): Uint8Array {
  return key ?? processKey;
}
