// A whole autoinfra host in one directory, for the demo and the end-to-end tests: fresh host keys,
// the `agents:` policy block that pins them, and an agent.yml with every path inside the directory
// and every listener on 127.0.0.1.
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { keyId } from '../../shared/log/keys.js';
import { generateAgeKeyPair } from '../../shared/secrets/age.js';

export interface LocalHostOptions {
  dir: string;
  host: string;
  repoUrl: string;
  edgePort: number;
  apiPort: number;
  auth?: { username: string; passwordFile: string };
  pollInterval?: string;
  watch?: string;
  driftInterval?: string;
  dockerSocket?: string;
  logLevel?: 'info' | 'debug';
  /** api.webhook_secret_file (signed webhooks on). */
  webhookSecretFile?: string;
}

export interface LocalHost {
  configFile: string;
  stateDir: string;
  keyId: string;
  ageRecipient: string;
  /** `agents:` block for infra/autoinfra.yml (and `log verify --keys`). */
  policyYaml: string;
}

export async function writeLocalHost(o: LocalHostOptions): Promise<LocalHost> {
  const { privateKey } = generateKeyPairSync('ed25519');
  writeFileSync(path.join(o.dir, 'signing.key'), privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
  const age = await generateAgeKeyPair();
  writeFileSync(path.join(o.dir, 'age.key'), `# ${o.host} identity\n${age.identity}\n`, { mode: 0o600 });
  const id = keyId(privateKey);
  const stateDir = path.join(o.dir, 'state');
  const configFile = path.join(o.dir, 'agent.yml');
  writeFileSync(configFile, [
    `host: ${o.host}`,
    'repo:',
    `  url: ${o.repoUrl}`,
    ...(o.auth ? ['  auth:', `    username: ${o.auth.username}`, `    password_file: ${o.auth.passwordFile}`] : []),
    'poll:',
    `  interval: ${o.pollInterval ?? '1s'}`,
    `state_dir: ${stateDir}`,
    `runtime_dir: ${path.join(o.dir, 'run')}`,
    'keys:',
    `  signing: ${path.join(o.dir, 'signing.key')}`,
    `  age: ${path.join(o.dir, 'age.key')}`,
    ...(o.dockerSocket ? ['docker:', `  socket: ${o.dockerSocket}`] : []),
    'edge:',
    `  listen: ["127.0.0.1:${o.edgePort}"]`,
    `  control_socket: ${path.join(o.dir, 'edge.sock')}`,
    `  routes_file: ${path.join(o.dir, 'routes.json')}`,
    'api:',
    `  listen: 127.0.0.1:${o.apiPort}`,
    ...(o.webhookSecretFile ? [`  webhook_secret_file: ${o.webhookSecretFile}`] : []),
    ...(o.watch || o.driftInterval ? ['deploy:'] : []),
    ...(o.watch ? [`  watch: ${o.watch}`] : []),
    ...(o.driftInterval ? [`  drift_interval: ${o.driftInterval}`] : []),
    'log:',
    `  level: ${o.logLevel ?? 'info'}`,
    '',
  ].join('\n'));
  return {
    configFile, stateDir, keyId: id, ageRecipient: age.recipient,
    policyYaml: `agents:\n  ${o.host}:\n    signing_key: "${id}"\n    age: ${age.recipient}\n`,
  };
}
