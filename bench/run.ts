/**
 * `npm run bench`: runs every benchmark in its own process, one after the other (they measure wall
 * time; running them side by side would measure each other). Each prints its own table, with the floor
 * measured in the same run. BENCH_ONLY=streaming,http runs a subset.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

const BENCHES = ['streaming', 'formats', 'http', 'syslog', 'graph'];
const only = process.env.BENCH_ONLY?.split(',').map((s) => s.trim()).filter(Boolean);
let failed = 0;
for (const name of BENCHES) {
  if (only && !only.includes(name)) continue;
  const file = path.join(__dirname, `${name}.js`);
  if (!existsSync(file)) continue;
  console.log(`\n===== bench/${name} =====`);
  const r = spawnSync(process.execPath, ['--expose-gc', file], { stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    console.log(`bench/${name} exited with ${r.status ?? r.signal}`);
  }
}
process.exitCode = failed ? 1 : 0;
