// Reads the routes file the agent writes. A missing file is an empty table (the edge then answers
// 404 for every host); a malformed one is a RouteTableError naming the file and each problem.
import { readFile } from 'node:fs/promises';
import type { RouteTable } from '../../shared/routes/route-table.js';
import { EMPTY_TABLE, parseRouteTable, RouteTableError } from './routes.js';

export async function readRouteTable(file: string): Promise<RouteTable> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return EMPTY_TABLE;
    throw new RouteTableError(file, [{ file, reason: `cannot read: ${code ?? String(e)}` }]);
  }
  return parseRouteTable(file, text);
}
