// A GitServer with the large repository, in its own process, driven over stdin/stdout (JSON
// lines). bench/source.ts uses it so the client's CPU time is measured without the server's.
//   → {"cmd":"commit"}    ← {"commit":"<sha>"}          (a new commit on master)
//   → {"cmd":"requests"}  ← {"requests":[…]}             (and resets the log)
//   → {"cmd":"exit"}
import readline from 'node:readline';
import { startGitServer } from '../../helpers/git-server.js';
import { createLargeRepo } from './large-repo.js';

const server = await startGitServer();
await createLargeRepo(server, 'big');
let n = 0;
process.stdout.write(`${JSON.stringify({ url: server.url('big') })}\n`);
for await (const line of readline.createInterface({ input: process.stdin })) {
  const msg = JSON.parse(line) as { cmd: string };
  if (msg.cmd === 'commit') {
    n++;
    const commit = await server.commit('big', 'master', { [`src/dir-${n % 50}/file-${n % 50 + 50}.txt`]: `bench change ${n}\n` });
    process.stdout.write(`${JSON.stringify({ commit })}\n`);
  } else if (msg.cmd === 'requests') {
    process.stdout.write(`${JSON.stringify({ requests: server.requests })}\n`);
    server.resetCounts();
  } else if (msg.cmd === 'exit') {
    break;
  }
}
await server.dispose();
process.exit(0);
