import t from 'tap';
import { loadPolicy } from '../../../../shared/policy/load.js';

const FULL = `
signers:
  - name: Alice
    email: alice@example.com
    key: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl alice
require_signed_commits: true
agents:
  web-1:
    signing_key: ed25519:${'A'.repeat(43)}=
    age: age1${'q'.repeat(58)}
previews:
  enabled: true
  branches: [preview/*]
  pull_requests: true
  hosts: [web-1]
  ttl: 72h
  max: 5
defaults:
  drain: 15s
  health: {interval: 2s, successes: 3}
allow:
  privileged: false
  bind_mounts: [/srv/data]
  capabilities: [NET_ADMIN]
  host_namespaces: [network]
  devices: [/dev/fuse]
`;

t.test('a full policy loads', async (t) => {
  const p = loadPolicy('infra/autoinfra.yml', FULL);
  t.equal(p.signers[0].name, 'Alice');
  t.equal(p.agents['web-1'].age, `age1${'q'.repeat(58)}`);
  t.strictSame(p.allow.bind_mounts, ['/srv/data']);
});

t.test('an empty policy is the empty policy', async (t) => {
  t.strictSame(loadPolicy('infra/autoinfra.yml', ''), { signers: [], agents: {}, allow: {} });
});

t.test('every problem, located', async (t) => {
  const bad = `agents:\n  web-1:\n    signing_key: ed25519:short\n    age: age2xyz\nallow:\n  bind_mounts: [relative/path]\nsigners: [{name: x}]\n`;
  let m = '';
  let code = '';
  try { loadPolicy('infra/autoinfra.yml', bad); } catch (e) { m = String((e as Error).message); code = (e as { code: string }).code; }
  t.equal(code, 'E_POLICY');
  for (const part of ['infra/autoinfra.yml:3:18: agents.web-1.signing_key', 'infra/autoinfra.yml:4:10: agents.web-1.age', 'allow.bind_mounts[0]', 'signers[0].key: missing required key "key"']) t.ok(m.includes(part), part);
});

t.test('agent keys may carry a validity window (key rotation)', async (t) => {
  const k = `ed25519:${'A'.repeat(43)}=`;
  const k2 = `ed25519:${'B'.repeat(43)}=`;
  const p = loadPolicy('infra/autoinfra.yml', `agents:\n  web-1:\n    signing_keys:\n      - {key: '${k}', until: 120}\n      - {key: '${k2}', since: 121}\n      - {key: '${k2}', since: '2026-12-01T00:00:00Z'}\n`);
  t.strictSame(p.agents['web-1'].signing_keys?.[0], { key: k, until: 120 });
  t.throws(() => loadPolicy('infra/autoinfra.yml', `agents:\n  web-1:\n    signing_keys:\n      - {key: '${k}', until: 0}\n`), { code: 'E_POLICY' });
});
