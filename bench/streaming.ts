/**
 * Streaming pipeline benchmark: parse + normalize + serialize-to-JSON-lines against a floor measured in
 * the same run (JSON.parse of the bodies + JSON.stringify of every record), on two corpora. The
 * pipeline is the product's own path: runtime.processStreaming per trigger batch of 64 messages into
 * DESTINATION=discard (each event encoded as JSON, then dropped), once in-process and once with the
 * default settings (STREAMING_WORKERS=auto). A probe first shows how much two threads can run at once
 * on this machine, which bounds what the worker threads can gain.
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
import { Worker } from 'node:worker_threads';
import { createRuntime, type Runtime } from '../shared/app/runtime';
import { silentLogger } from '../shared/observability/log';
import type { DiscardSink } from '../shared/sinks/discard';
import { peerCorpus, realisticCorpus, replayThroughRuntime, type Corpus } from './corpus';

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

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function time(fn: () => number | Promise<number>): Promise<number> {
  const runs: number[] = [];
  await fn(); // warm-up
  for (let i = 0; i < RUNS; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    runs.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return median(runs);
}

const runtimeFor = (workers: string) => createRuntime({ env: { DESTINATION: 'discard', STREAMING_WORKERS: workers }, mode: 'cli', logger: silentLogger });

async function report(c: Corpus, inProcess: Runtime, pooled: Runtime): Promise<void> {
  const f = await time(() => floor(c));
  const discard = inProcess.sinks[0] as DiscardSink;
  const before = discard.bytesDiscarded;
  const one = await time(() => replayThroughRuntime(inProcess, c));
  const outBytes = (discard.bytesDiscarded - before) / (RUNS + 1);
  const many = await time(() => replayThroughRuntime(pooled, c));
  const mb = c.bytes / 1e6;
  const line = (label: string, ms: number) =>
    `  ${label.padEnd(52)} ${ms.toFixed(1).padStart(7)} ms ${Math.round(c.records / ms * 1000).toString().padStart(7)} records/s ${(mb / ms * 1000).toFixed(1).padStart(6)} MB/s  ratio ${(ms / f).toFixed(2)}`;
  console.log(`\n${c.name}: ${mb.toFixed(1)} MB in ${c.bodies.length} bodies, ${(c.bytes / c.records).toFixed(0)} B/record, JSON lines out ${(outBytes / 1e6).toFixed(1)} MB`);
  console.log(`  ${'floor (JSON.parse + JSON.stringify per record)'.padEnd(52)} ${f.toFixed(1).padStart(7)} ms ${Math.round(c.records / f * 1000).toString().padStart(7)} records/s`);
  console.log(line('pipeline, in-process (STREAMING_WORKERS=0)', one));
  console.log(line(`pipeline, default settings (${pooled.streamingWorkers} worker threads)`, many));
}

/**
 * How much two threads get done at once on this machine: the same CPU-bound loop alone and on two
 * worker threads. On a machine with two free cores the pair takes about as long as one; on a shared
 * VM it can take twice as long, and then no thread pool can beat the single-thread figures.
 */
async function parallelProbe(): Promise<string> {
  const code = 'let s=0;for(let i=0;i<2e8;i++)s+=i%7;require("node:worker_threads").parentPort.postMessage(s)';
  const one = async (n: number) => {
    const t0 = Date.now();
    await Promise.all(Array.from({ length: n }, () => new Promise((r) => new Worker(code, { eval: true }).once('message', r))));
    return Date.now() - t0;
  };
  await one(1);
  const single = median([await one(1), await one(1), await one(1)]);
  const pair = median([await one(2), await one(2), await one(2)]);
  return `parallel capacity: one CPU-bound thread ${single} ms, two at once ${pair} ms (${(pair / single).toFixed(2)}x; 1.0 = two free cores, 2.0 = one core's worth)`;
}

/** Child mode: one large trigger batch (64 bodies of ~1 MB), RSS growth over the input size. */
async function rssBatch(): Promise<void> {
  const c = realisticCorpus(64 * 700);
  const bodies: string[] = [];
  for (let i = 0; i < c.bodies.length; i += 7) bodies.push(JSON.stringify({ records: c.bodies.slice(i, i + 7).flatMap((b) => (JSON.parse(b) as { records: unknown[] }).records) }));
  const input = bodies.reduce((n, b) => n + Buffer.byteLength(b), 0);
  global.gc?.();
  const before = process.memoryUsage().rss;
  let peak = before;
  const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 1);
  const rt = await runtimeFor('auto');
  const r = await rt.processStreaming(bodies.map((body, i) => ({ body, provenance: { source: 'eventhub', partition: '0', sequenceNumber: i, messageIndex: i } })));
  const out = r.delivered;
  peak = Math.max(peak, process.memoryUsage().rss);
  clearInterval(timer);
  await rt.close();
  console.log(JSON.stringify({ bodies: bodies.length, inputBytes: input, rssBefore: before, rssPeak: peak, growth: peak - before, delivered: out, workers: rt.streamingWorkers }));
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
  console.log(await parallelProbe());
  const inProcess = await runtimeFor('0');
  const pooled = await runtimeFor('auto');
  await report(realisticCorpus(25000), inProcess, pooled);
  await report(peerCorpus(), inProcess, pooled);
  await inProcess.close();
  await pooled.close();

  const child = spawnSync(process.execPath, ['--expose-gc', __filename, '--rss-batch'], { encoding: 'utf8' });
  if (child.status === 0) {
    const r = JSON.parse(child.stdout.trim().split('\n').pop() as string) as { bodies: number; inputBytes: number; growth: number; workers: number };
    console.log(`\nlarge batch (default settings, ${r.workers} workers): ${r.bodies} bodies, ${(r.inputBytes / 1e6).toFixed(1)} MB input, peak RSS growth ${(r.growth / 1e6).toFixed(1)} MB = ${(r.growth / r.inputBytes).toFixed(2)}x input`);
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
