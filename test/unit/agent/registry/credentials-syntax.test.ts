// Issue 13 (leaks): a broken secret file's error names file and reason class, never its content
// (Node's JSON.parse message quotes the text around the error).
import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadDockerConfigFile, parseDockerConfig, RegistryCredentialsError } from '../../../../agent/registry/credentials.js';

const PASSWORD = 'Hunt3r2-registry-pw';

const broken: Record<string, string> = {
  'unquoted value': `{"auths": {"reg.example": {"username": "ci", "password": ${PASSWORD}}}}`,
  'missing brace, multi-line': `{\n  "auths": {\n    "reg.example": {"username": "ci", "password": "${PASSWORD}"\n}`,
  'trailing comma': `{"auths": {"reg.example": {"username": "ci", "password": "${PASSWORD}",}}}`,
  'truncated': `{"auths": {"reg.example": {"username": "ci", "password": "${PASSWORD}`,
};

for (const [name, text] of Object.entries(broken)) {
  t.test(`${name}: the error names the file and "not valid JSON", and holds no part of the content`, async (t) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ai-creds-'));
    const file = path.join(dir, 'auth.json');
    writeFileSync(file, text);
    const err = await loadDockerConfigFile(file).then(() => undefined, (e: unknown) => e);
    t.type(err, RegistryCredentialsError);
    const e = err as RegistryCredentialsError;
    t.match(e.message, `registry credentials ${file}: not valid JSON`);
    const shown = `${e.message} ${JSON.stringify(e.data)} ${JSON.stringify(e)}`;
    for (const part of [PASSWORD, PASSWORD.slice(0, 6), 'Hunt', 'username']) t.notMatch(shown, part, `no "${part}"`);
  });
}

t.test('the line is named when the parser knows the position', async (t) => {
  t.throws(() => parseDockerConfig('infra/secrets/registries.age', broken['missing brace, multi-line']), { message: /not valid JSON at line 4, column \d+/ });
});
