// Push deliveries as GitHub, Gitea/Forgejo and GitLab send them (headers and payload shapes from
// their documentation), signed the way each host signs, for the webhook tests.
import { createHmac, randomUUID } from 'node:crypto';

export interface Delivery { headers: Record<string, string>; body: string }

const repo = { id: 1, name: 'app', full_name: 'acme/app', clone_url: 'https://git.example/acme/app.git' };

export function githubPush(secret: string, branch: string, before: string, after: string, id: string = randomUUID()): Delivery {
  const body = JSON.stringify({
    ref: `refs/heads/${branch}`, before, after, created: false, deleted: false, forced: false,
    repository: repo, pusher: { name: 'dev', email: 'dev@example.org' }, sender: { login: 'dev', id: 7 },
    head_commit: { id: after, message: 'change', timestamp: new Date().toISOString() },
    commits: [{ id: after, message: 'change', added: [], removed: [], modified: ['infra/docker-compose.yml'] }],
  });
  return {
    body,
    headers: {
      'content-type': 'application/json', 'user-agent': 'GitHub-Hookshot/abc1234', 'x-github-event': 'push', 'x-github-delivery': id,
      'x-github-hook-id': '123', 'x-hub-signature': `sha1=${createHmac('sha1', secret).update(body).digest('hex')}`,
      'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`,
    },
  };
}

export function giteaPush(secret: string, branch: string, before: string, after: string, id: string = randomUUID()): Delivery {
  const body = JSON.stringify({
    ref: `refs/heads/${branch}`, before, after, compare_url: '', total_commits: 1,
    commits: [{ id: after, message: 'change\n', url: '' }], head_commit: { id: after, message: 'change\n' },
    repository: repo, pusher: { login: 'dev' }, sender: { login: 'dev' },
  });
  const sig = createHmac('sha256', secret).update(body).digest('hex');
  return {
    body,
    headers: {
      'content-type': 'application/json', 'user-agent': 'Go-http-client/1.1', 'x-gitea-event': 'push', 'x-gitea-event-type': 'push',
      'x-gitea-delivery': id, 'x-gitea-signature': sig, 'x-gogs-event': 'push', 'x-gogs-delivery': id, 'x-gogs-signature': sig,
    },
  };
}

export function gitlabPush(secret: string, branch: string, before: string, after: string, id: string = randomUUID()): Delivery {
  const body = JSON.stringify({
    object_kind: 'push', event_name: 'push', before, after, ref: `refs/heads/${branch}`, ref_protected: true, checkout_sha: after,
    user_username: 'dev', project_id: 15, project: { id: 15, name: 'app', path_with_namespace: 'acme/app', default_branch: 'production' },
    commits: [{ id: after, message: 'change', added: [], modified: ['infra/docker-compose.yml'], removed: [] }], total_commits_count: 1,
    repository: { name: 'app', url: 'https://gitlab.example/acme/app.git' },
  });
  return {
    body,
    headers: {
      'content-type': 'application/json', 'user-agent': 'GitLab/17.5.0', 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': secret,
      'x-gitlab-event-uuid': id, 'x-gitlab-webhook-uuid': randomUUID(), 'x-gitlab-instance': 'https://gitlab.example',
    },
  };
}

export async function deliver(apiPort: number, d: Delivery, pathname = '/webhook'): Promise<{ status: number; body: string; ms: number }> {
  const t0 = Date.now();
  const r = await fetch(`http://127.0.0.1:${apiPort}${pathname}`, { method: 'POST', headers: d.headers, body: d.body, signal: AbortSignal.timeout(10_000) });
  return { status: r.status, body: await r.text(), ms: Date.now() - t0 };
}
