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
import { createWriteStream, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { serializeEvent } from '../shared/model/serialize';
import { processStreamingMessages, type StreamingMessage } from '../shared/pipeline/streaming';

const ROOT = path.join(__dirname, '..', '..');
const RUNS = 7;

interface Corpus { name: string; bodies: string[]; records: number; bytes: number }

function sampleRecords(): Array<Record<string, unknown>> {
  const dir = path.join(ROOT, 'samples', 'streaming');
  const out: Array<Record<string, unknown>> = [];
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.ndjson'))) {
    for (const line of readFileSync(path.join(dir, f), 'utf8').split('\n').filter(Boolean)) {
      for (const r of (JSON.parse(line) as { records: Array<Record<string, unknown>> }).records) {
        // Device tables carry every column (~2.4 KB); weight them as real exports do.
        const weight = String(r.category).startsWith('AdvancedHunting-Device') ? 4 : 1;
        for (let w = 0; w < weight; w++) out.push(r);
      }
    }
  }
  return out;
}

function vary(r: Record<string, unknown>, i: number): Record<string, unknown> {
  const p = { ...(r.properties as Record<string, unknown>) };
  if (typeof p.DeviceName === 'string') p.DeviceName = `ws-${i}.contoso.com`;
  if (typeof p.DeviceId === 'string') p.DeviceId = `${i.toString(16).padStart(8, '0')}${String(p.DeviceId).slice(8)}`;
  if (p.ReportId !== undefined) p.ReportId = typeof p.ReportId === 'number' ? 4294967296 + i : `r-${i}`;
  if (typeof p.ProcessCommandLine === 'string') p.ProcessCommandLine = `${p.ProcessCommandLine} --n ${i}`;
  if (typeof p.InitiatingProcessCommandLine === 'string') p.InitiatingProcessCommandLine = `${p.InitiatingProcessCommandLine} -Id ${i}`;
  if (typeof p.AccountName === 'string') p.AccountName = `user${i % 5000}`;
  const sec = String(i % 60).padStart(2, '0');
  p.Timestamp = `2026-11-23T10:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${sec}.${String(i % 10000000).padStart(7, '0')}Z`;
  return { ...r, properties: p };
}

function realisticCorpus(count: number): Corpus {
  const base = sampleRecords();
  const bodies: string[] = [];
  let batch: unknown[] = [];
  let records = 0;
  for (let i = 0; i < count; i++) {
    batch.push(vary(base[i % base.length], i));
    records++;
    if (batch.length === 100) { bodies.push(JSON.stringify({ records: batch })); batch = []; }
  }
  if (batch.length) bodies.push(JSON.stringify({ records: batch }));
  return { name: `realistic (${records} records, ${base.length} sample shapes)`, bodies, records, bytes: bodies.reduce((n, b) => n + Buffer.byteLength(b), 0) };
}

/** The field guide's peer-comparison record, with the index substituted as its section 8 describes. */
function peerCorpus(): Corpus {
  const now = new Date().toISOString();
  const bodies: string[] = [];
  let i = 0;
  for (let m = 0; m < 500; m++) {
    const records = [];
    for (let k = 0; k < 50; k++, i++) {
      records.push({
        time: now, tenantId: 't', operationName: 'Publish', category: 'AdvancedHunting-DeviceProcessEvents', _TimeReceivedBySvc: now,
        properties: {
          DeviceId: `d${i}`, DeviceName: `host${i}.contoso.com`, ActionType: 'ProcessCreated', FileName: 'cmd.exe', FolderPath: 'C:\\Windows\\System32',
          SHA256: 'a'.repeat(64), ProcessCommandLine: `cmd.exe /c whoami ${i}`, InitiatingProcessFileName: 'explorer.exe', AccountName: `user${i}`,
          ReportId: i, Timestamp: now,
        },
      });
    }
    bodies.push(JSON.stringify({ records }));
  }
  return { name: 'peer-comparison (500 bodies x 50 records)', bodies, records: 25000, bytes: bodies.reduce((n, b) => n + Buffer.byteLength(b), 0) };
}

function floor(c: Corpus): number {
  let out = 0;
  for (const b of c.bodies) {
    const parsed = JSON.parse(b) as { records: unknown[] };
    for (const r of parsed.records) out += JSON.stringify(r).length;
  }
  return out;
}

function pipeline(c: Corpus): number {
  const messages: StreamingMessage[] = c.bodies.map((body, i) => ({ body, provenance: { source: 'eventhub', partition: '0', sequenceNumber: i, messageIndex: i } }));
  const batch = processStreamingMessages(messages, { includeOriginal: false });
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
