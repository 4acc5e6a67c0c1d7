// Pure parts of registry handling: image references, credentials files, pull error wording.
import t from 'tap';
import { parseImageRef, registryBaseUrl, repoDigestOf } from '../../../../agent/registry/image-ref.js';
import { mergeCredentials, normaliseRegistryKey, parseDockerConfig, RegistryCredentialsError } from '../../../../agent/registry/credentials.js';
import { pullFailure } from '../../../../agent/deploy/docker-errors.js';

t.test('image references', async (t) => {
  t.same(parseImageRef('nginx'), { registry: 'docker.io', repository: 'library/nginx', tag: 'latest', digest: undefined });
  t.same(parseImageRef('team/web:1.2'), { registry: 'docker.io', repository: 'team/web', tag: '1.2', digest: undefined });
  t.same(parseImageRef('git.example.org:5000/team/web:1.2'), { registry: 'git.example.org:5000', repository: 'team/web', tag: '1.2', digest: undefined });
  t.same(parseImageRef('localhost/web@sha256:abc'), { registry: 'localhost', repository: 'web', tag: undefined, digest: 'sha256:abc' });
  t.equal(registryBaseUrl('127.0.0.1:5000'), 'http://127.0.0.1:5000');
  t.equal(registryBaseUrl('ghcr.io'), 'https://ghcr.io');
  t.equal(repoDigestOf('127.0.0.1:5/a/b:v1', ['127.0.0.1:9/a/b@sha256:1', '127.0.0.1:5/a/b@sha256:2']), '127.0.0.1:5/a/b@sha256:2');
});

t.test('docker config.json credentials', async (t) => {
  const c = parseDockerConfig('r.json', JSON.stringify({ auths: { 'https://index.docker.io/v1/': { auth: Buffer.from('u:p:with:colons').toString('base64') }, 'reg.example.org': { username: 'a', password: 'b' } } }));
  t.same(c.get('docker.io'), { username: 'u', password: 'p:with:colons' });
  t.same(c.get('reg.example.org'), { username: 'a', password: 'b' });
  t.throws(() => parseDockerConfig('r.json', '{"auths": {"x": {}}}'), RegistryCredentialsError);
  t.throws(() => parseDockerConfig('r.json', 'nope'), /r\.json: not valid JSON$/);
  t.equal(normaliseRegistryKey('https://reg.example.org:5000/v2/'), 'reg.example.org:5000');
  t.same(mergeCredentials(new Map([['a', { username: '1', password: '1' }]]), new Map([['a', { username: '2', password: '2' }]])).get('a'), { username: '2', password: '2' });
});

t.test('pull errors are said the way an operator acts on them', async (t) => {
  t.match(pullFailure('image x: pull failed: unauthorized: authentication required'), /^credentials missing or refused/);
  t.match(pullFailure('manifest for x:v9 not found: manifest unknown'), /^tag or repository not found/);
  t.match(pullFailure('write /var/lib/docker/tmp/x: no space left on device'), /^disk full on this host/);
  t.match(pullFailure('Get "https://reg/v2/": dial tcp 10.0.0.1:443: connect: connection refused'), /^registry unreachable/);
});
