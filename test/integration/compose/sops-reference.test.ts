// SOPS files written by the real sops tool (age recipients) must decrypt, MAC verified. There is
// no sops package in Debian, so the reference files come from a checkout of the rops project
// (gibbz00/rops, MPL-2.0), whose test suite keeps files encrypted by sops 3.8 together with the
// throwaway age key that decrypts them. The test runs when that checkout is on the machine
// (AUTOINFRA_SOPS_REFERENCES=<git dir>, default /work/.mirror/gibbz00+rops/repo) and is
// skipped, saying so, when it is not.
import { existsSync } from 'node:fs';
import t from 'tap';
import { decryptSops } from '../../../shared/secrets/sops.js';
import { exec } from '../../helpers/exec.js';

const GIT_DIR = process.env.AUTOINFRA_SOPS_REFERENCES ?? '/work/.mirror/gibbz00+rops/repo';
const DIR = 'crates/lib/tests/sops_references';
// The test key of rops' suite (crates/lib/src/integration/age.rs), public by design.
const IDENTITY = 'AGE-SECRET-KEY-1EQUCGFZH8UZKSZ0Z5N5T234YRNDT4U9H7QNYXWRRNJYDDVXE6FWSCPGNJ7';

const have = existsSync(GIT_DIR);

t.test('files encrypted by sops decrypt, with their MAC checked', { skip: have ? false : `no sops reference files at ${GIT_DIR}` }, async (t) => {
  const show = async (f: string): Promise<string> => (await exec('git', ['-C', GIT_DIR, 'show', `HEAD:${DIR}/${f}`])).stdout;
  const list = (await exec('git', ['-C', GIT_DIR, 'ls-tree', '--name-only', `HEAD:${DIR}`])).stdout.split('\n')
    .filter((f) => /^age_.*\.yaml$/.test(f) && !f.endsWith('_plaintext.yaml'));
  t.ok(list.length >= 5, `found ${list.length} sops files`);
  for (const f of list) {
    const text = await show(f);
    const { tree } = await decryptSops(`${f.replace(/\.yaml$/, '')}.sops.yaml`, new TextEncoder().encode(text), [IDENTITY]);
    const plainName = f.replace(/\.yaml$/, '_plaintext.yaml');
    if (list.length && (await exec('git', ['-C', GIT_DIR, 'cat-file', '-e', `HEAD:${DIR}/${plainName}`], { allowFail: true })).code === 0) {
      const { parse } = await import('yaml');
      t.strictSame(tree, parse(await show(plainName)), `${f} matches its plaintext`);
    } else t.pass(`${f} decrypts`);
    // One changed byte in an unencrypted value or in the timestamp must fail the MAC.
    const tampered = text.replace(/lastmodified: (\S+)Z/, (_m, d: string) => `lastmodified: ${d.slice(0, -1)}${d.endsWith('0') ? '1' : '0'}Z`);
    await t.rejects(decryptSops(`${f}.sops.yaml`, new TextEncoder().encode(tampered), [IDENTITY]), { code: 'E_SOPS' }, `${f} tampered is refused`);
  }
});
