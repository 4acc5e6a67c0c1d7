// A large repository built with `git fast-import` (fast, no work tree): 1,000 commits, 2,000 files.
// Shared by the large-repo test and bench/source.ts.
import type { GitServer } from '../../helpers/git-server.js';

export async function createLargeRepo(server: GitServer, repo: string, opts: { commits?: number; files?: number } = {}): Promise<void> {
  const commits = opts.commits ?? 1000;
  const files = opts.files ?? 2000;
  await server.createRepo(repo);
  const out: string[] = [];
  const blob = (data: string): string => `data ${Buffer.byteLength(data)}\n${data}\n`;
  const fileName = (i: number): string => (i < 20 ? `infra/conf-${i}.yml` : `src/dir-${i % 50}/file-${i}.txt`);
  const content = (i: number, rev: number): string => `file ${i} revision ${rev}\n${'x'.repeat(200 + (i % 300))}\n`;
  for (let c = 1; c <= commits; c++) {
    out.push('commit refs/heads/master', `committer Test <test@example.invalid> ${1767225600 + c} +0000`);
    out.push(blob(`commit ${c}`).trimEnd());
    if (c === 1) {
      for (let i = 0; i < files; i++) out.push(`M 100644 inline ${fileName(i)}`, blob(content(i, 0)).trimEnd());
    } else {
      const i = (c * 37) % files;
      out.push(`M 100644 inline ${fileName(i)}`, blob(content(i, c)).trimEnd());
    }
    out.push('');
  }
  await server.git(repo, ['fast-import', '--quiet'], `${out.join('\n')}\n`);
}
