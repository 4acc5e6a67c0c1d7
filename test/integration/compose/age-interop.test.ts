// age interop with Debian's `age` CLI, both ways, through our CLI verbs (keygen, secrets encrypt)
// and the render path's decryptAge.
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { decryptAge, parseIdentityFile } from '../../../shared/secrets/age.js';
import { runAutoinfra } from '../../helpers/cli.js';
import { exec } from '../../helpers/exec.js';

const have = await exec('age', ['--version'], { allowFail: true }).then((r) => r.code === 0, () => false);
const dir = mkdtempSync(path.join(tmpdir(), 'ai-age-'));

t.test('age CLI interop', { skip: have ? false : 'age is not installed (apt-get install age)' }, async (t) => {
  t.test('autoinfra keygen writes 0600 keys that age reads; secrets encrypt output decrypts with age -d', async (t) => {
    const keys = path.join(dir, 'keys');
    const r = await runAutoinfra(['keygen', '--dir', keys, '--host', 'web-1']);
    t.equal(r.code, 0, r.stderr);
    t.match(r.stdout, /^agents:\n {2}web-1:\n {4}signing_key: ed25519:[A-Za-z0-9+/]{43}=\n {4}age: age1[02-9ac-hj-np-z]{58}$/m);
    for (const f of ['age.key', 'signing.key']) t.equal(statSync(path.join(keys, f)).mode & 0o777, 0o600, `${f} is 0600`);
    t.match(readFileSync(path.join(keys, 'signing.key'), 'utf8'), /^-----BEGIN PRIVATE KEY-----/);
    const again = await runAutoinfra(['keygen', '--dir', keys]);
    t.equal(again.code, 1, 'refuses to overwrite');
    t.match(again.stderr, /E_KEYS_EXIST/);

    const recipient = /age: (age1\S+)/.exec(r.stdout)?.[1] as string;
    const plain = path.join(dir, 'app.env');
    writeFileSync(plain, 'TOKEN=from-autoinfra\n');
    const enc = await runAutoinfra(['secrets', 'encrypt', '--to', recipient, plain]);
    t.equal(enc.code, 0, enc.stderr);
    const out = await exec('age', ['-d', '-i', path.join(keys, 'age.key'), `${plain}.age`]);
    t.equal(out.stdout, 'TOKEN=from-autoinfra\n');

    // --to a policy file: every agent's recipient
    const policy = path.join(dir, 'autoinfra.yml');
    writeFileSync(policy, r.stdout.split('\n').filter((l) => !l.startsWith('#')).join('\n') + '\n');
    const viaPolicy = await runAutoinfra(['secrets', 'encrypt', '--to', policy, plain, '-o', path.join(dir, 'p.age'), '--armor']);
    t.equal(viaPolicy.code, 0, viaPolicy.stderr);
    t.match(readFileSync(path.join(dir, 'p.age'), 'utf8'), /^-----BEGIN AGE ENCRYPTED FILE-----/);
    t.equal((await exec('age', ['-d', '-i', path.join(keys, 'age.key'), path.join(dir, 'p.age')])).stdout, 'TOKEN=from-autoinfra\n');
  });

  t.test('files encrypted by age (binary and armored) decrypt with an age-keygen identity file', async (t) => {
    const idFile = path.join(dir, 'host.key');
    await exec('age-keygen', ['-o', idFile]);
    const ids = parseIdentityFile(idFile, readFileSync(idFile, 'utf8'));
    const pub = (await exec('age-keygen', ['-y', idFile])).stdout.trim();
    writeFileSync(path.join(dir, 'plain.txt'), 'secret-from-age-cli');
    await exec('age', ['-r', pub, '-o', path.join(dir, 'bin.age'), path.join(dir, 'plain.txt')]);
    await exec('age', ['-a', '-r', pub, '-o', path.join(dir, 'arm.age'), path.join(dir, 'plain.txt')]);
    for (const f of ['bin.age', 'arm.age']) {
      const out = await decryptAge(f, readFileSync(path.join(dir, f)), ids);
      t.equal(new TextDecoder().decode(out), 'secret-from-age-cli', f);
    }
  });

  t.test('bad recipients and bad identity files are refused', async (t) => {
    const r = await runAutoinfra(['secrets', 'encrypt', '--to', 'age1nope', path.join(dir, 'plain.txt')]);
    t.equal(r.code, 2);
    t.match(r.stderr, /E_AGE_RECIPIENT/);
  });
});
