// The Docker Engine adapter: the only module that imports dockerode. Everything it returns is
// our own type (agent/runtime/types.ts).
import Docker from 'dockerode';
import tar from 'tar-stream';
import { AutoinfraError } from '../../shared/errors.js';
import { LABEL, type BuildRequest, type ContainerEvent, type ContainerSpec, type LiveContainer, type PullProgress, type RegistryAuth, type Runtime } from './types.js';

export class RuntimeError extends AutoinfraError {
  static readonly code = 'E_RUNTIME';
  constructor(message: string, data: Record<string, unknown>, cause?: unknown) {
    super(RuntimeError.code, message, data, { cause });
    this.name = 'RuntimeError';
  }
}

export class ImageError extends AutoinfraError {
  static readonly code = 'E_IMAGE';
  constructor(image: string, reason: string, data: Record<string, unknown> = {}) {
    super(ImageError.code, `image ${image}: ${reason}`, { image, reason, ...data });
    this.name = 'ImageError';
  }
}

export interface DockerRuntimeOptions {
  socketPath?: string;
  /** Added to every container, network and volume created (tests use it to clean up). */
  extraLabels?: Record<string, string>;
}

interface StreamEvent { status?: string; id?: string; error?: string; errorDetail?: { message?: string }; stream?: string; progressDetail?: { current?: number; total?: number } }

export class DockerRuntime implements Runtime {
  private readonly docker: Docker;
  readonly calls = { reads: 0, writes: 0 };
  private readonly extraLabels: Record<string, string>;

  constructor(opts: DockerRuntimeOptions = {}) {
    this.docker = new Docker({ socketPath: opts.socketPath ?? '/var/run/docker.sock' });
    this.extraLabels = opts.extraLabels ?? {};
  }

  async ping(): Promise<void> {
    this.calls.reads++;
    await this.docker.ping();
  }

  async list(env?: string): Promise<LiveContainer[]> {
    this.calls.reads++;
    const label = env ? [`${LABEL.env}=${env}`] : [LABEL.env];
    const items = await this.docker.listContainers({ all: true, filters: JSON.stringify({ label }) });
    return items.map((c) => {
      const labels = c.Labels ?? {};
      const ports: Record<number, number> = {};
      for (const p of c.Ports ?? []) if (p.PublicPort && (p.IP === '127.0.0.1' || p.IP === '0.0.0.0')) ports[p.PrivatePort] ??= p.PublicPort;
      return {
        id: c.Id,
        name: (c.Names?.[0] ?? '').replace(/^\//, ''),
        labels,
        ...fromLabels(labels),
        state: c.State as LiveContainer['state'],
        health: /\(healthy\)/.test(c.Status) ? 'healthy' : /\(unhealthy\)/.test(c.Status) ? 'unhealthy' : /health: starting/.test(c.Status) ? 'starting' : 'none',
        image: c.Image,
        ports,
      };
    });
  }

  async inspect(idOrName: string): Promise<LiveContainer | undefined> {
    this.calls.reads++;
    try {
      const i = await this.docker.getContainer(idOrName).inspect();
      const labels = i.Config.Labels ?? {};
      const ports: Record<number, number> = {};
      for (const [key, bindings] of Object.entries(i.NetworkSettings.Ports ?? {})) {
        const hostPort = bindings?.find((b) => b.HostIp === '127.0.0.1' || b.HostIp === '0.0.0.0')?.HostPort;
        if (hostPort) ports[parseInt(key, 10)] = parseInt(hostPort, 10);
      }
      return {
        id: i.Id,
        name: i.Name.replace(/^\//, ''),
        labels,
        ...fromLabels(labels),
        state: i.State.Status as LiveContainer['state'],
        health: (i.State.Health?.Status as LiveContainer['health'] | undefined) ?? 'none',
        image: i.Config.Image,
        ports,
        // Docker reports a restarting container as Running; its ExitCode is the crash's.
        exitCode: i.State.Running && !i.State.Restarting ? undefined : i.State.ExitCode,
        restartCount: i.RestartCount ?? 0,
      };
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode === 404) return undefined;
      throw new RuntimeError(`inspect ${idOrName}: ${(e as Error).message}`, { container: idOrName }, e);
    }
  }

  async imageInfo(ref: string): Promise<{ id: string; digests: string[] } | undefined> {
    this.calls.reads++;
    try {
      const i = await this.docker.getImage(ref).inspect();
      return { id: i.Id, digests: i.RepoDigests ?? [] };
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode === 404) return undefined;
      throw new RuntimeError(`inspect image ${ref}: ${(e as Error).message}`, { image: ref }, e);
    }
  }

  async imageExists(ref: string): Promise<boolean> {
    return (await this.imageInfo(ref)) !== undefined;
  }

  async pull(ref: string, opts: { auth?: RegistryAuth; onProgress?: (p: PullProgress) => void } = {}): Promise<void> {
    this.calls.writes++;
    let stream: NodeJS.ReadableStream;
    try {
      stream = await this.docker.pull(ref, opts.auth ? { authconfig: opts.auth } : {});
    } catch (e) {
      throw new ImageError(ref, `pull failed: ${cleanDockerMessage(e)}`);
    }
    const layers = new Map<string, { current: number; total: number; done: boolean }>();
    await this.follow(stream, (ev) => {
      if (!ev.id || !opts.onProgress) return;
      const l = layers.get(ev.id) ?? { current: 0, total: 0, done: false };
      if (ev.progressDetail?.total) { l.total = ev.progressDetail.total; l.current = ev.progressDetail.current ?? l.current; }
      if (ev.status === 'Pull complete' || ev.status === 'Already exists') l.done = true;
      layers.set(ev.id, l);
      const all = [...layers.values()];
      opts.onProgress({ image: ref, layersDone: all.filter((x) => x.done).length, layersTotal: all.length, bytesDone: all.reduce((a, x) => a + x.current, 0), bytesTotal: all.reduce((a, x) => a + x.total, 0) });
    }).catch((e: Error) => { throw new ImageError(ref, `pull failed: ${e.message}`); });
  }

  async build(req: BuildRequest, onLine?: (line: string) => void): Promise<void> {
    this.calls.writes++;
    const pack = tar.pack();
    for (const [name, data] of req.context) pack.entry({ name, size: data.length, mode: req.executable?.has(name) ? 0o755 : 0o644 }, Buffer.from(data));
    pack.finalize();
    let stream: NodeJS.ReadableStream;
    try {
      stream = await this.docker.buildImage(pack as unknown as NodeJS.ReadableStream, {
        t: req.tag, dockerfile: req.dockerfile, buildargs: req.args, target: req.target, labels: { ...req.labels, ...this.extraLabels }, forcerm: true, rm: true,
      });
    } catch (e) {
      throw new ImageError(req.tag, `build failed: ${cleanDockerMessage(e)}`);
    }
    await this.follow(stream, (ev) => {
      if (ev.stream && onLine) for (const line of ev.stream.split('\n')) if (line.trim()) onLine(line);
    }).catch((e: Error) => { throw new ImageError(req.tag, `build failed: ${e.message}`); });
  }

  /** dockerode's followProgress does not fail on error events: check each one. */
  private follow(stream: NodeJS.ReadableStream, onEvent: (ev: StreamEvent) => void): Promise<void> {
    return new Promise((resolve, reject) => {
      let failed: string | undefined;
      this.docker.modem.followProgress(stream, (err: Error | null) => {
        if (err) reject(err);
        else if (failed) reject(new Error(failed));
        else resolve();
      }, (ev: StreamEvent) => {
        if (ev.error || ev.errorDetail) failed ??= ev.errorDetail?.message ?? ev.error;
        else onEvent(ev);
      });
    });
  }

  async ensureNetwork(name: string, labels: Record<string, string>, opts: { internal?: boolean } = {}): Promise<void> {
    this.calls.reads++;
    const existing = await this.docker.listNetworks({ filters: JSON.stringify({ name: [name] }) });
    if (existing.some((n) => n.Name === name)) return;
    this.calls.writes++;
    await this.docker.createNetwork({ Name: name, Labels: { ...labels, ...this.extraLabels }, Internal: opts.internal ?? false, CheckDuplicate: true });
  }

  async ensureVolume(name: string, labels: Record<string, string>): Promise<void> {
    this.calls.reads++;
    try {
      await this.docker.getVolume(name).inspect();
      return;
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode !== 404) throw new RuntimeError(`inspect volume ${name}: ${(e as Error).message}`, { volume: name }, e);
    }
    this.calls.writes++;
    await this.docker.createVolume({ Name: name, Labels: { ...labels, ...this.extraLabels } });
  }

  async labelledObjects(labels: Record<string, string>): Promise<{ networks: string[]; volumes: string[] }> {
    this.calls.reads += 2;
    const filters = JSON.stringify({ label: Object.entries(labels).map(([k, v]) => `${k}=${v}`) });
    const nets = await this.docker.listNetworks({ filters });
    const vols = await this.docker.listVolumes({ filters });
    return { networks: nets.map((n) => n.Name).sort(), volumes: (vols.Volumes ?? []).map((v) => v.Name).sort() };
  }

  async removeNetwork(name: string): Promise<void> {
    this.calls.writes++;
    try {
      await this.docker.getNetwork(name).remove();
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode === 404) return;
      throw new RuntimeError(`remove network ${name}: ${cleanDockerMessage(e)}`, { network: name }, e);
    }
  }

  async removeVolume(name: string): Promise<void> {
    this.calls.writes++;
    try {
      await this.docker.getVolume(name).remove();
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode === 404) return;
      throw new RuntimeError(`remove volume ${name}: ${cleanDockerMessage(e)}`, { volume: name }, e);
    }
  }

  async create(spec: ContainerSpec): Promise<LiveContainer> {
    this.calls.writes++;
    const exposed: Record<string, object> = {};
    const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
    for (const port of spec.loopbackPorts) {
      exposed[`${port}/tcp`] = {};
      bindings[`${port}/tcp`] = [{ HostIp: '127.0.0.1', HostPort: '' }];
    }
    for (const p of spec.publish) {
      const key = `${p.target}/${p.protocol}`;
      exposed[key] = {};
      (bindings[key] ??= []).push({ HostIp: p.hostIp ?? '', HostPort: p.published ?? '' });
    }
    const networkNames = Object.keys(spec.networks);
    const first = networkNames[0];
    const hc = spec.healthcheck;
    try {
      const c = await this.docker.createContainer({
        name: spec.name,
        Image: spec.image,
        Labels: { ...spec.labels, ...this.extraLabels },
        Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
        Cmd: spec.cmd,
        Entrypoint: spec.entrypoint,
        User: spec.user,
        WorkingDir: spec.workingDir,
        Hostname: spec.hostname,
        StopSignal: spec.stopSignal,
        StopTimeout: spec.stopTimeoutS,
        ExposedPorts: exposed,
        Healthcheck: hc ? { Test: hc.test, Interval: msToNs(hc.intervalMs), Timeout: msToNs(hc.timeoutMs), Retries: hc.retries, StartPeriod: msToNs(hc.startPeriodMs) } : undefined,
        HostConfig: {
          PortBindings: bindings,
          Mounts: spec.mounts.map((m) => ({ Type: m.type, Source: m.source ?? '', Target: m.target, ReadOnly: m.readOnly ?? false })),
          RestartPolicy: spec.restart ? { Name: spec.restart === 'no' ? '' : spec.restart } : { Name: 'unless-stopped' },
          ...spec.hostConfig,
        },
        NetworkingConfig: first ? { EndpointsConfig: { [first]: { Aliases: spec.networks[first] } } } : undefined,
      });
      for (const net of networkNames.slice(1)) {
        this.calls.writes++;
        await this.docker.getNetwork(net).connect({ Container: c.id, EndpointConfig: { Aliases: spec.networks[net] } });
      }
      const live = await this.inspect(c.id);
      if (!live) throw new Error('container vanished right after create');
      return live;
    } catch (e) {
      if (e instanceof AutoinfraError) throw e;
      throw new RuntimeError(`create ${spec.name}: ${cleanDockerMessage(e)}`, { container: spec.name, image: spec.image }, e);
    }
  }

  async start(id: string): Promise<void> {
    this.calls.writes++;
    try {
      await this.docker.getContainer(id).start();
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode === 304) return; // already running
      throw new RuntimeError(`start ${id.slice(0, 12)}: ${cleanDockerMessage(e)}`, { container: id }, e);
    }
  }

  async stop(id: string, timeoutS = 10): Promise<void> {
    this.calls.writes++;
    try {
      await this.docker.getContainer(id).stop({ t: timeoutS });
    } catch (e) {
      const code = (e as { statusCode?: number }).statusCode;
      if (code === 304 || code === 404) return; // already stopped / gone
      throw new RuntimeError(`stop ${id.slice(0, 12)}: ${cleanDockerMessage(e)}`, { container: id }, e);
    }
  }

  async remove(id: string): Promise<void> {
    this.calls.writes++;
    try {
      await this.docker.getContainer(id).remove({ force: true, v: false });
    } catch (e) {
      const code = (e as { statusCode?: number }).statusCode;
      if (code === 404) return;
      if (code === 409 && /already in progress/.test(String((e as Error).message))) return;
      throw new RuntimeError(`remove ${id.slice(0, 12)}: ${cleanDockerMessage(e)}`, { container: id }, e);
    }
  }

  async exec(id: string, cmd: string[], timeoutMs: number): Promise<{ exitCode: number; output: string }> {
    this.calls.writes++;
    const ex = await this.docker.getContainer(id).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
    const stream = await ex.start({ hijack: true, stdin: false });
    const chunks: Buffer[] = [];
    const done = new Promise<void>((resolve) => {
      stream.on('data', (c: Buffer) => { if (chunks.length < 64) chunks.push(c); });
      stream.on('end', () => resolve());
      stream.on('close', () => resolve());
    });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([done.then(() => false), new Promise<boolean>((r) => { timer = setTimeout(() => r(true), timeoutMs); })]);
    clearTimeout(timer);
    if (timedOut) { stream.destroy(); return { exitCode: -1, output: `timed out after ${timeoutMs} ms` }; }
    const info = await ex.inspect();
    return { exitCode: info.ExitCode ?? -1, output: demux(Buffer.concat(chunks)).slice(0, 2000) };
  }

  /** Removes networks and volumes carrying label=value (the demo's own, at its end). */
  async removeByLabel(label: string, value: string): Promise<void> {
    const filters = JSON.stringify({ label: [`${label}=${value}`] });
    this.calls.reads += 2;
    for (const n of await this.docker.listNetworks({ filters })) { this.calls.writes++; await this.docker.getNetwork(n.Id).remove().catch(() => undefined); }
    for (const v of (await this.docker.listVolumes({ filters })).Volumes ?? []) { this.calls.writes++; await this.docker.getVolume(v.Name).remove().catch(() => undefined); }
  }

  async removeImage(ref: string): Promise<void> {
    this.calls.writes++;
    await this.docker.getImage(ref).remove({ force: true });
  }

  watchEvents(onEvent: (e: ContainerEvent) => void): () => void {
    let stopped = false;
    let current: NodeJS.ReadableStream | undefined;
    const connect = async (): Promise<void> => {
      while (!stopped) {
        try {
          const stream = await this.docker.getEvents({ filters: JSON.stringify({ type: ['container'], label: [LABEL.env], event: ['die', 'stop', 'kill', 'destroy', 'oom', 'health_status'] }) });
          current = stream;
          let buffer = '';
          await new Promise<void>((resolve) => {
            stream.on('data', (chunk: Buffer) => {
              buffer += chunk.toString('utf8');
              let i: number;
              while ((i = buffer.indexOf('\n')) >= 0) {
                const line = buffer.slice(0, i).trim();
                buffer = buffer.slice(i + 1);
                if (!line) continue;
                try {
                  const ev = JSON.parse(line) as { Action: string; Actor: { ID: string; Attributes: Record<string, string> } };
                  const a = ev.Actor.Attributes;
                  onEvent({ action: ev.Action, id: ev.Actor.ID, name: a.name ?? '', env: a[LABEL.env] ?? '', service: a[LABEL.service] ?? '' });
                } catch { /* a partial or foreign line: skip */ }
              }
            });
            stream.on('end', () => resolve());
            stream.on('error', () => resolve());
            stream.on('close', () => resolve());
          });
        } catch { /* engine down: retry below */ }
        if (!stopped) await new Promise((r) => setTimeout(r, 1000));
      }
    };
    void connect();
    return () => {
      stopped = true;
      (current as unknown as { destroy?: () => void } | undefined)?.destroy?.();
    };
  }

  async logsTail(id: string, lines: number): Promise<string> {
    this.calls.reads++;
    try {
      const buf = (await this.docker.getContainer(id).logs({ stdout: true, stderr: true, tail: lines, follow: false })) as unknown as Buffer;
      return demux(buf).trim();
    } catch {
      return '';
    }
  }
}

function fromLabels(labels: Record<string, string>): Pick<LiveContainer, 'env' | 'service' | 'colour' | 'commit' | 'hash'> {
  const colour = labels[LABEL.colour];
  return {
    env: labels[LABEL.env] ?? '',
    service: labels[LABEL.service] ?? '',
    colour: colour === 'blue' || colour === 'green' ? colour : undefined,
    commit: labels[LABEL.commit],
    hash: labels[LABEL.hash],
  };
}

function msToNs(ms: number | undefined): number | undefined {
  return ms === undefined ? undefined : Math.round(ms * 1e6);
}

/** Docker multiplexes stdout/stderr with 8-byte frame headers when there is no TTY. */
function demux(buf: Buffer): string {
  const out: Buffer[] = [];
  let i = 0;
  while (i + 8 <= buf.length && (buf[i] === 1 || buf[i] === 2) && buf[i + 1] === 0) {
    const size = buf.readUInt32BE(i + 4);
    out.push(buf.subarray(i + 8, i + 8 + size));
    i += 8 + size;
  }
  if (i === 0) return buf.toString('utf8');
  return Buffer.concat(out).toString('utf8');
}

function cleanDockerMessage(e: unknown): string {
  const msg = (e as { json?: { message?: string } }).json?.message ?? (e as Error).message ?? String(e);
  return msg.replace(/^\(HTTP code \d+\) [a-z ]+ - /, '').trim();
}
