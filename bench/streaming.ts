/**
 * Streaming pipeline benchmark: parse + normalize + serialize-to-JSON-lines against a floor measured in
 * the same run (JSON.parse of the bodies + JSON.stringify of every record), on two corpora:
 *  - realistic: >= 25,000 records across all tables, the bundled samples multiplied with varied values;
 *  - peer: the field guide's peer-comparison load, 500 bodies x 50 short DeviceProcessEvents records.
 * Also: RSS growth for one large trigger batch, and a 1 GB replay's peak RSS (BENCH_SKIP_1GB=1 skips it).
 *
 * Run: node dist/bench/streaming.js   (npm run bench runs it with the others)
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { serializeEvent } from '../shared/model/serialize';
import { processStreamingMessages } from '../shared/pipeline/streaming';
import { asMessages, peerCorpus, realisticCorpus, type Corpus } from './corpus';

const ROOT = path.join(__dirname, '..', '..');
const RUNS = 7;

function floor(c: Corpus): number {
  let out = 0;
  for (const b of c.bodies) {
    const parsed = JSON.parse(b) as { records: unknown[] };
    for (const r of parsed.records) out += JSON.stringify(r).length;
  }
  return out;
}

function pipeline(c: Corpus): number {
  const batch = processStreamingMessages(asMessages(c), { includeOriginal: false });
  if (batch.failures.length) throw new Error(`bench corpus produced failures: ${batch.failures[0].reason}`);
  let out = '';
  let bytes = 0;
  for (const e of batch.events) {
    out += serializeEvent(e.event) + '\n';
    if (out.length > 1 << 20) { bytes += out.length; out = ''; }
  }
  return bytes + out.length;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function time(fn: () => number): { ms: number; out: number } {
  const runs: number[] = [];
  let out = 0;
  fn(); // warm-up
  for (let i = 0; i < RUNS; i++) {
    const t0 = process.hrtime.bigint();
    out = fn();
    runs.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return { ms: median(runs), out };
}

function report(c: Corpus): void {
  const f = time(() => floor(c));
  const p = time(() => pipeline(c));
  const mb = c.bytes / 1e6;
  console.log(`\n${c.name}: ${mb.toFixed(1)} MB in ${c.bodies.length} bodies, ${(c.bytes / c.records).toFixed(0)} B/record`);
  console.log(`  floor (JSON.parse + JSON.stringify per record): ${f.ms.toFixed(1)} ms  ${(c.records / f.ms * 1000).toFixed(0)} records/s`);
  console.log(`  pipeline (parse + normalize + JSON lines):       ${p.ms.toFixed(1)} ms  ${(c.records / p.ms * 1000).toFixed(0)} records/s  ${(mb / p.ms * 1000).toFixed(1)} MB/s  output ${(p.out / 1e6).toFixed(1)} MB`);
  console.log(`  ratio to floor: ${(p.ms / f.ms).toFixed(2)}`);
}

/** Child mode: one large trigger batch (64 bodies of ~1 MB), RSS growth over the input size. */
function rssBatch(): void {
  const c = realisticCorpus(64 * 700);
  const bodies: string[] = [];
  for (let i = 0; i < c.bodies.length; i += 7) bodies.push(JSON.stringify({ records: c.bodies.slice(i, i + 7).flatMap((b) => (JSON.parse(b) as { records: unknown[] }).records) }));
  const input = bodies.reduce((n, b) => n + Buffer.byteLength(b), 0);
  global.gc?.();
  const before = process.memoryUsage().rss;
  let peak = before;
  const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 1);
  const out = pipeline({ name: 'batch', bodies, records: 0, bytes: input });
  peak = Math.max(peak, process.memoryUsage().rss);
  clearInterval(timer);
  console.log(JSON.stringify({ bodies: bodies.length, inputBytes: input, rssBefore: before, rssPeak: peak, growth: peak - before, outBytes: out }));
}

async function writeBigFile(file: string, targetBytes: number): Promise<number> {
  const c = realisticCorpus(20000);
  const ws = createWriteStream(file);
  let written = 0;
  let records = 0;
  while (written < targetBytes) {
    for (const b of c.bodies) {
      const line = b + '\n';
      written += Buffer.byteLength(line);
      records += 100;
      if (!ws.write(line)) await new Promise<void>((r) => ws.once('drain', () => r()));
      if (written >= targetBytes) break;
    }
  }
  await new Promise<void>((r) => ws.end(() => r()));
  return records;
}

async function main(): Promise<void> {
  if (process.argv.includes('--rss-batch')) return rssBatch();
  console.log(`streaming bench on ${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, node ${process.version}, median of ${RUNS} runs`);
  report(realisticCorpus(25000));
  report(peerCorpus());

  const child = spawnSync(process.execPath, ['--expose-gc', __filename, '--rss-batch'], { encoding: 'utf8' });
  if (child.status === 0) {
    const r = JSON.parse(child.stdout.trim().split('\n').pop() as string) as { bodies: number; inputBytes: number; growth: number };
    console.log(`\nlarge batch: ${r.bodies} bodies, ${(r.inputBytes / 1e6).toFixed(1)} MB input, peak RSS growth ${(r.growth / 1e6).toFixed(1)} MB = ${(r.growth / r.inputBytes).toFixed(2)}x input`);
  } else {
    console.log(`\nlarge batch: child failed: ${child.stderr}`);
  }

  if (process.env.BENCH_SKIP_1GB === '1') {
    console.log('1 GB replay: skipped (BENCH_SKIP_1GB=1)');
    return;
  }
  const file = path.join(os.tmpdir(), `df-bench-1g-${process.pid}.ndjson`);
  try {
    const records = await writeBigFile(file, 1024 * 1024 * 1024);
    const size = statSync(file).size;
    const cli = path.join(ROOT, 'dist', 'cli', 'main.js');
    const wrapper = `const {main}=require(${JSON.stringify(cli)});main(['replay',${JSON.stringify(file)}],{stdin:process.stdin,stdout:require('fs').createWriteStream('/dev/null'),stderr:process.stderr,env:{},isTTY:false}).then(c=>{process.stderr.write('MAXRSS '+process.resourceUsage().maxRSS+'\\n');process.exitCode=c;});`;
    const t0 = Date.now();
    const r = spawnSync(process.execPath, ['-e', wrapper], { encoding: 'utf8', maxBuffer: 16 << 20 });
    const ms = Date.now() - t0;
    const maxRss = Number(/MAXRSS (\d+)/.exec(r.stderr)?.[1] ?? NaN) * 1024;
    console.log(`1 GB replay: ${(size / 1e9).toFixed(2)} GB, ${records} records in ${(ms / 1000).toFixed(1)} s (${(records / ms * 1000).toFixed(0)} records/s, ${(size / 1e6 / (ms / 1000)).toFixed(0)} MB/s), exit ${r.status}, peak RSS ${(maxRss / 1e6).toFixed(0)} MB`);
  } finally {
    rmSync(file, { force: true });
  }
}

main().catch((err) => { console.error(err); process.exitCode = 1; });
