// The demo app image, built locally with no internet: Debian's static busybox on `scratch`,
// serving its version with busybox httpd. A "broken" version has no /health, so it fails its gate.
import { existsSync, readFileSync } from 'node:fs';
import { AutoinfraError } from '../../shared/errors.js';
import type { Runtime } from '../runtime/types.js';

export const DEMO_IMAGE = 'autoinfra-demo/app:latest';

const DOCKERFILE = `FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
COPY start.sh /start.sh
ENV PATH=/bin
EXPOSE 8080
CMD ["/bin/sh", "/start.sh"]
`;

const START = `mkdir -p /www
echo "autoinfra demo app, version $VERSION" > /www/index.html
[ "\${BROKEN:-no}" = yes ] || echo ok > /www/health
exec httpd -f -p 8080 -h /www
`;

export class DemoSetupError extends AutoinfraError {
  static readonly code = 'E_DEMO_SETUP';
  constructor(reason: string) {
    super(DemoSetupError.code, `demo cannot start: ${reason}`, { reason });
    this.name = 'DemoSetupError';
  }
}

function staticBusybox(): string {
  for (const p of ['/bin/busybox', '/usr/bin/busybox']) {
    // The static build is the one without an ELF interpreter (it runs on `scratch`).
    if (existsSync(p) && !readFileSync(p).subarray(0, 4096).includes(Buffer.from('/lib64/ld-linux'))) return p;
  }
  throw new DemoSetupError('a static busybox is needed to build the demo image: apt-get install busybox-static');
}

export async function buildDemoImage(runtime: Runtime): Promise<void> {
  const busybox = readFileSync(staticBusybox());
  const context = new Map<string, Uint8Array>([
    ['Dockerfile', Buffer.from(DOCKERFILE)],
    ['busybox', busybox],
    ['start.sh', Buffer.from(START)],
  ]);
  await runtime.build({ tag: DEMO_IMAGE, context, executable: new Set(['busybox']), dockerfile: 'Dockerfile', args: {}, labels: { 'autoinfra.demo': '1' } });
}

/** infra/docker-compose.yml of the demo repository at one version. */
export function demoCompose(version: string, opts: { broken?: boolean } = {}): string {
  return `# The demo's deployment repo: one routed web service, blue-green, gated on /health.
services:
  web:
    image: ${DEMO_IMAGE}
    pull_policy: never
    environment:
      VERSION: "${version}"
      BROKEN: "${opts.broken ? 'yes' : 'no'}"
    x-autoinfra:
      route:
        hosts: [web.demo.localhost]
        port: 8080
      health:
        http: /health
        interval: 200ms
        successes: 2
        deadline: 5s
      drain: 1s
`;
}
