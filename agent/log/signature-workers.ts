// Checks many Ed25519 signatures on worker threads (verify is ~100 µs each; a 100k-line log is
// CPU-bound). The worker is plain JavaScript evaluated from a string so it runs the same from
// source (tsx) and from dist/. It derives the signed text from the canonical line by removing
// the top-level `"sig"` member — exact for a canonical line (verify.ts checks canonical form),
// and the top-level one is the last occurrence because only `time` and `v` sort after it.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createPublicKey, verify } = require('node:crypto');
const keys = new Map();
const out = new Uint8Array(workerData.lines.length);
workerData.lines.forEach((line, i) => {
  try {
    const e = JSON.parse(line);
    let k = keys.get(e.key);
    if (!k) {
      const raw = Buffer.from(String(e.key).slice(8), 'base64');
      k = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
      keys.set(e.key, k);
    }
    const marker = ',"sig":"' + e.sig + '"';
    const at = line.lastIndexOf(marker);
    if (at < 0) return;
    const signed = line.slice(0, at) + line.slice(at + marker.length);
    out[i] = verify(null, Buffer.from(signed, 'utf8'), k, Buffer.from(e.sig, 'base64')) ? 1 : 2;
  } catch { out[i] = 2; }
});
parentPort.postMessage(out, [out.buffer]);
`;

/** 1 = valid, 2 = invalid or unreadable, per line (all 0 for small inputs: not worth a thread). */
export async function checkSignaturesInParallel(lines: readonly string[], threads = Math.min(availableParallelism(), 8)): Promise<Uint8Array> {
  const result = new Uint8Array(lines.length);
  // 0 = not checked here: the caller checks those inline (a thread costs more than a few lines).
  if (lines.length < 200) return result;
  const n = lines.length < 2000 ? 1 : threads;
  const size = Math.ceil(lines.length / n);
  await Promise.all(Array.from({ length: n }, (_, w) => {
    const slice = lines.slice(w * size, (w + 1) * size);
    return new Promise<void>((resolve, reject) => {
      const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { lines: slice } });
      worker.once('message', (r: Uint8Array) => { result.set(r, w * size); resolve(); });
      worker.once('error', reject);
      worker.once('exit', (code) => { if (code !== 0) reject(new Error(`signature worker exited ${code}`)); });
    });
  }));
  return result;
}
