// Bad inputs, one file each under test/fixtures/compose/bad/, named by what is wrong. Each must be
// refused with a message naming the file, the line and (where there is one) the key path.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { ComposeError } from '../../../../shared/compose/compose-error.js';
import { loadCompose } from '../../../../shared/compose/load.js';
import { FIXTURES } from './fixture.js';

const BAD = path.join(FIXTURES, 'bad');

// [fixture, line, key path (undefined for YAML syntax errors), part of the reason]
const table: [string, number, string | undefined, string][] = [
  // DoS by YAML (issue 13): refused before anything expands them, still naming file, line, key.
  ['alias-bomb', 15, 'services.web.labels.laughs', 'aliases expand this document from 110 to 9.26e+8 nodes, more than allowed'],
  ['alias-cycle', 3, 'x-env.nested[0]', 'alias *env is inside the node its anchor &env marks (a cycle)'],
  ['alias-unresolved', 4, 'services.web.environment', 'alias *common-env names no anchor &common-env before it'],
  ['interpolation-too-deep', 6, 'services.web.environment.A', 'variable templates are nested more than 32 deep'],
  ['nesting-too-deep', 6, undefined, 'nested more than 100 levels deep'],
  ['nesting-too-deep-block', 102, undefined, 'nested more than 100 levels deep'],
  ['depends-on-bad-condition', 6, 'services.web.depends_on.db.condition', 'expected one of "service_started", "service_healthy", "servi'],
  ['depends-on-undefined', 4, 'services.web.depends_on[0]', 'depends on undefined service "dbb" (did you mean "db"?)'],
  ['duplicate-service-key', 4, 'services.web.image', 'duplicate key (each key may appear once)'],
  ['duplicate-service', 4, 'services.web', 'duplicate key (each key may appear once)'],
  ['environment-bad-type', 4, 'services.web.environment', 'expected object or array, got "A=1"'],
  ['environment-nested-value', 6, 'services.web.environment.A', 'expected string or number or boolean or null, got a mapping'],
  ['extends-cycle', 4, 'services.a.extends', 'extends cycle: a → b → a'],
  ['extends-missing-service', 3, 'services.web.extends', 'extends names service "base", which is not defined in this f'],
  ['healthcheck-bad-duration', 6, 'services.web.healthcheck.interval', '"5 seconds" does not match the expected form a duration such'],
  ['hostile-bind-etc', 6, 'services.web.volumes[1]', 'bind mount of /etc/ssl exposes the host (/etc)'],
  ['hostile-bind-escapes-repo', 5, 'services.web.volumes[0]', 'bind mount source ../../../etc leaves the project directory infra/'],
  ['hostile-bind-home', 5, 'services.web.volumes[0]', 'bind mount of ~/.ssh exposes the agent user\'s home directory'],
  ['hostile-bind-root', 5, 'services.web.volumes[0]', 'bind mount of / exposes the host (the root file system)'],
  ['hostile-cap-all', 4, 'services.web.cap_add[0]', 'capability ALL breaks container isolation'],
  ['hostile-cap-sys-admin', 6, 'services.web.cap_add[1]', 'capability SYS_ADMIN breaks container isolation'],
  ['hostile-devices', 5, 'services.web.devices[0]', 'device /dev/sda gives direct access to host hardware'],
  ['hostile-docker-sock', 5, 'services.web.volumes[0]', 'bind mount of /var/run/docker.sock exposes the host (/var/ru'],
  ['hostile-network-host', 4, 'services.web.network_mode', 'network_mode: host shares the host\'s network namespace'],
  ['hostile-pid-host', 4, 'services.web.pid', 'pid: host shares the host\'s pid namespace'],
  ['hostile-privileged', 4, 'services.web.privileged', 'privileged mode gives the container the whole host'],
  ['hostile-seccomp-unconfined', 4, 'services.web.security_opt[0]', 'seccomp:unconfined turns off a kernel sandbox'],
  ['image-not-string', 3, 'services.web.image', 'expected string, got a list'],
  ['interpolation-bad-name', 5, 'services.web.labels.price', 'invalid template "${1ABC}": "${1ABC}" does not start with a '],
  ['interpolation-bad-operator', 4, 'services.web.user', 'invalid template "${USER_ID:=1000}": unexpected ":=1000" aft'],
  ['interpolation-lone-dollar', 4, 'services.web.command[1]', 'invalid template "costs 5$": "$" must be followed by a varia'],
  ['interpolation-required-empty', 5, 'services.web.environment.EMPTY_ONE', 'required variable EMPTY_VAR is missing a value'],
  ['interpolation-required-missing', 5, 'services.web.environment.DB_URL', 'required variable DB_URL is missing a value: set DB_URL in i'],
  ['interpolation-unclosed', 3, 'services.web.image', 'invalid template "example.invalid/web:${TAG": unclosed "${"'],
  ['missing-image-and-build', 3, 'services.web', 'service "web" has neither image nor build: give one of them'],
  ['network-mode-and-networks', 4, 'services.web.network_mode', 'network_mode and networks cannot be used together'],
  ['network-undefined', 4, 'services.web.networks[0]', 'network "front" is not defined under top-level networks:'],
  ['port-bad-string', 6, 'services.web.ports[1]', '"eighty:80" does not match the expected form "[[host_ip:]pub'],
  ['port-long-missing-target', 5, 'services.web.ports[0].target', 'missing required key "target"'],
  ['ports-not-list', 4, 'services.web.ports', 'expected array, got "80:80"'],
  ['restart-bad-value', 4, 'services.web.restart', '"sometimes" does not match the expected form no, always, on-'],
  ['secret-name-escapes', 6, 'secrets.../../../../etc/cron.d/x', 'invalid secret name (letters, digits, ".", "_" and "-" only)'],
  ['secret-two-sources', 7, 'secrets.token', 'a secret needs exactly one of file, environment, content or '],
  ['secret-undefined', 4, 'services.web.secrets[0]', 'secret "api_key" is not defined under top-level secrets:'],
  ['service-name-invalid', 2, 'services.web app', 'invalid service name (letters, digits, ".", "_" and "-" only'],
  ['syntax-bad-indent', 4, undefined, 'All mapping items must start at the same column'],
  ['syntax-tab-indent', 3, undefined, 'Tabs are not allowed as indentation'],
  ['syntax-unclosed-flow', 5, undefined, 'Flow sequence in block collection must be sufficiently inden'],
  ['top-level-not-mapping', 1, undefined, 'expected a mapping at the top level (services:, volumes:, ..'],
  ['unknown-healthcheck-key', 6, 'services.web.healthcheck.intervall', 'unknown key "intervall" (did you mean "interval"?)'],
  ['unknown-service-key', 4, 'services.web.enviroment', 'unknown key "enviroment" (did you mean "environment"?)'],
  ['unknown-top-level-key', 1, 'servics', 'unknown key "servics" (did you mean "services"?)'],
  ['volume-long-bad-type', 5, 'services.db.volumes[0].type', 'expected one of "bind", "volume", "tmpfs", "cluster", "npipe'],
  ['volume-name-invalid', 5, 'volumes.data/../x', 'invalid volume name (letters, digits, ".", "_" and "-" only)'],
  ['volume-undefined', 5, 'services.db.volumes[0]', 'volume "dbdata" is not defined under top-level volumes: (did'],
  ['x-autoinfra-path-prefix-not-normal', 8, 'services.web.x-autoinfra.route.path_prefix', '"/api/../admin" does not match the expected form a path in no'],
  ['x-autoinfra-bad-host', 6, 'services.web.x-autoinfra.route.hosts[0]', '"app example.com" does not match the expected form a host na'],
  ['x-autoinfra-bad-strategy', 5, 'services.web.x-autoinfra.strategy', 'expected one of "bluegreen", "recreate", "start-first", got '],
  ['x-autoinfra-bluegreen-unrouted', 5, 'services.worker.x-autoinfra.strategy', 'strategy bluegreen needs a route (there is no traffic to swi'],
  ['x-autoinfra-health-bad-interval', 7, 'services.web.x-autoinfra.health.interval', '"often" does not match the expected form a duration such as '],
  ['x-autoinfra-health-bad-path', 7, 'services.web.x-autoinfra.health.http', '"health" does not match the expected form a path starting wi'],
  ['x-autoinfra-health-two-probes', 7, 'services.web.x-autoinfra.health', 'health takes one probe, got http and command'],
  ['x-autoinfra-mirror-rate', 7, 'services.web.x-autoinfra.mirror.sample_rate', 'must be <= 1'],
  ['x-autoinfra-route-missing-port', 6, 'services.web.x-autoinfra.route', 'route needs port: the container port the edge sends traffic '],
  ['x-autoinfra-route-port-range', 7, 'services.web.x-autoinfra.route.port', 'must be <= 65535'],
  ['x-autoinfra-top-level-unknown', 3, 'x-autoinfra.helth', 'unknown key "helth" (did you mean "health"?)'],
  ['x-autoinfra-unknown-key', 5, 'services.web.x-autoinfra.rout', 'unknown key "rout" (did you mean "route"?)'],
  ['x-autoinfra-volume-seed', 8, 'volumes.data.x-autoinfra.seed', 'expected one of "production", got "staging"'],
];

function load(name: string): ComposeError {
  const file = `bad/${name}.yml`;
  try {
    loadCompose({ files: [{ file, text: readFileSync(path.join(BAD, `${name}.yml`), 'utf8') }], projectDir: 'infra', processEnv: { EMPTY_VAR: '' } });
  } catch (e) {
    if (e instanceof ComposeError) return e;
    throw e;
  }
  throw new Error(`${file} was accepted`);
}

t.test('every bad fixture has a row, and there are at least 40', async (t) => {
  const files = readdirSync(BAD).filter((f) => f.endsWith('.yml')).map((f) => f.slice(0, -4)).sort();
  t.strictSame(table.map((r) => r[0]).sort(), files);
  t.ok(files.length >= 40);
});

for (const [name, line, keyPath, reason] of table) {
  t.test(name, async (t) => {
    const err = load(name);
    t.equal(err.code, 'E_COMPOSE');
    const file = `bad/${name}.yml`;
    const first = err.problems[0];
    t.equal(first.file, file, 'names the file');
    t.equal(first.line, line, 'names the line');
    t.equal(first.path, keyPath, 'names the key path');
    t.match(first.reason, reason);
    // The operator sees all of it in one line of the message.
    t.ok(err.message.includes(`${file}:${line}:`), 'message has file:line:col');
    if (keyPath) t.ok(err.message.includes(`: ${keyPath}: `), 'message has the key path');
  });
}
