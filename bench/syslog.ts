/**
 * Syslog TCP delivery bench (issue 3): records/s until the receiver has them all.
 *
 * Corpora: the peer-comparison load (FIELD-GUIDE section 8: 500 Event Hubs messages x 50
 * DeviceProcessEvents-like records = 25,000) and a realistic one (25,000 records from the in-repo
 * samples/streaming shapes, varied).
 * Receivers: a plain loopback TCP server in a child process that counts LF-terminated frames (so the
 * receiver is not the bottleneck), and a real rsyslogd (when installed) writing every message to a
 * file; a run ends when the last message was counted / written.
 *
 *   end-to-end     the product path: runtime.processStreaming per trigger batch of 64 messages with
 *                  DESTINATION=syslog+tcp (LF framing) and the default settings (worker threads)
 *   one thread     message text -> readBody -> validate -> normalize -> RFC 5424 + json -> SyslogSink (TCP, LF)
 *   delivery only  already-normalized OutboundEvents -> SyslogSink
 *   encode only    RFC 5424 + json / cef / leef of the normalized events, no socket
 *   floor          JSON.parse of the messages + JSON.stringify of every record + gzip level 1 of the
 *                  NDJSON in bodies of 500 lines (bench/corpus.ts deliveryFloor), same process and run
 *
 * Targets: >= 150,000 records/s over TCP syslog on the peer load; ratio to floor <= 2.5 on the realistic
 * corpus. Run: node dist/bench/syslog.js [--runs N]
 */
import { fork, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readSync, existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { createSyslogEncoder, type FormatOptions, type PayloadFormat } from '../shared/formats';
import { silentLogger } from '../shared/observability/log';
import { createRuntime } from '../shared/app/runtime';
import { processStreamingMessages } from '../shared/pipeline/streaming';
import { SyslogSink } from '../shared/sinks/syslog';
import type { OutboundEvent } from '../shared/sinks/types';
import { rsyslogSkipReason, startRsyslog, type RsyslogInstance } from '../test/support/rsyslog';
import { asMessages, deliveryFloor, peerCorpus, realisticCorpus, replayThroughRuntime, type Corpus } from './corpus';

const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 5;
const TARGET_RPS = 150_000;
const TARGET_RATIO = 2.5;

// ---- counting receiver (child process, the other core) ---------------------------------------------
if (process.argv.includes('--counter')) {
  let expected = Infinity;
  let frames = 0;
  let bytes = 0;
  const server = net.createServer((s) => {
    s.on('data', (d: Buffer) => {
      bytes += d.length;
      for (let i = d.indexOf(10); i !== -1; i = d.indexOf(10, i + 1)) frames++;
      if (frames >= expected) { expected = Infinity; process.send?.({ done: frames, bytes }); }
    });
    s.on('error', () => {});
  });
  server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as net.AddressInfo).port }));
  process.on('message', (m: unknown) => {
    const msg = m as { expect?: number; stop?: boolean };
    if (msg.expect !== undefined) { frames = 0; bytes = 0; expected = msg.expect; process.send?.({ armed: true }); }
    if (msg.stop) server.close(() => process.exit(0));
  });
} else {
  void main().catch((err) => { console.error(err); process.exit(1); });
}

function normalize(c: Corpus): OutboundEvent[] {
  const batch = processStreamingMessages(asMessages(c), { includeOriginal: false });
  if (batch.failures.length) throw new Error(`bench corpus produced failures: ${batch.failures[0]!.reason}`);
  return batch.events;
}

const floorMs = (c: Corpus): number => deliveryFloor(c.bodies).ms;

const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const formatOptions = (format: PayloadFormat): FormatOptions => ({ format, syslog: { format: 'rfc5424', appName: 'defender-forwarder', hostname: 'fwd01', facility: 16 } });

function waitFor<T>(child: ChildProcess, match: (m: Record<string, unknown>) => boolean): Promise<T> {
  return new Promise((resolve) => {
    const on = (m: unknown) => { if (typeof m === 'object' && m && match(m as Record<string, unknown>)) { child.off('message', on); resolve(m as T); } };
    child.on('message', on);
  });
}

function request<T>(child: ChildProcess, message: object, match: (m: Record<string, unknown>) => boolean): Promise<T> {
  const answer = waitFor<T>(child, match);
  child.send(message);
  return answer;
}

/** Counts complete lines appended to rsyslog's capture file (one JSON line per message). */
class FileLineCounter {
  private offset = 0;
  lines = 0;
  constructor(private readonly file: string) {}
  skipToEnd(): void { this.poll(); this.lines = 0; }
  poll(): number {
    if (!existsSync(this.file)) return this.lines;
    const fd = openSync(this.file, 'r');
    const buf = Buffer.allocUnsafe(1 << 20);
    try {
      for (;;) {
        const n = readSync(fd, buf, 0, buf.length, this.offset);
        if (n <= 0) break;
        this.offset += n;
        for (let i = buf.indexOf(10); i !== -1 && i < n; i = buf.indexOf(10, i + 1)) this.lines++;
      }
    } finally { closeSync(fd); }
    return this.lines;
  }
}

async function main(): Promise<void> {
  const child = fork(__filename, ['--counter'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const { port } = await new Promise<{ port: number }>((r) => child.once('message', (m) => r(m as { port: number })));
  let rs: RsyslogInstance | undefined;
  let rsSkip: string | undefined;
  try { rsSkip = rsyslogSkipReason(); } catch (err) { rsSkip = (err as Error).message; }
  if (!rsSkip) rs = await startRsyslog();

  const rows: string[] = [];
  const results: Record<string, number> = {};
  const row = (name: string, c: Corpus, t: number, extra = '') => {
    const line = `${name.padEnd(44)} ${t.toFixed(1).padStart(8)} ms ${Math.round(c.records / (t / 1000)).toLocaleString('en-US').padStart(10)} rec/s ${(c.bytes / 1e6 / (t / 1000)).toFixed(1).padStart(7)} MB/s  ${extra}`;
    rows.push(line);
  };

  const corpora = [peerCorpus(), realisticCorpus(25_000)];
  for (const c of corpora) {
    const encode = createSyslogEncoder(formatOptions('json'));
    const toCounter = new SyslogSink({ url: new URL(`syslog+tcp://127.0.0.1:${port}`), encode, framing: 'lf', udpMaxBytes: 1472, timeoutMs: 30_000, retryBudgetMs: 120_000, logger: silentLogger });
    const rt = await createRuntime({ env: { DESTINATION: `syslog+tcp://127.0.0.1:${port}`, SYSLOG_FRAMING: 'lf', OUTPUT_FORMAT: 'json' }, mode: 'cli', logger: silentLogger });
    const viaRuntime: number[] = [];
    const e2e: number[] = []; const delivery: number[] = []; const floors: number[] = []; const toRs: number[] = []; const enc: Record<string, number[]> = { json: [], cef: [], leef: [] };
    let sentBytes = 0;
    for (let run = -1; run < RUNS; run++) { // run -1 warms up
      floors.push(floorMs(c));
      await request(child, { expect: c.records }, (m) => m.armed === true);
      const done = waitFor<{ done: number; bytes: number }>(child, (m) => typeof m.done === 'number');
      const t0 = process.hrtime.bigint();
      const items = normalize(c);
      const report = await toCounter.send(items);
      const got = await done;
      const e = ms(t0);
      if (report.delivered !== c.records || got.done !== c.records) throw new Error(`delivered ${report.delivered}, counted ${got.done}`);
      sentBytes = got.bytes;

      await request(child, { expect: c.records }, (m) => m.armed === true);
      const done3 = waitFor<{ done: number }>(child, (m) => typeof m.done === 'number');
      const t4 = process.hrtime.bigint();
      await replayThroughRuntime(rt, c);
      const got3 = await done3;
      if (got3.done !== c.records) throw new Error(`runtime path: counted ${got3.done}`);
      if (run >= 0) viaRuntime.push(ms(t4));

      await request(child, { expect: c.records }, (m) => m.armed === true);
      const done2 = waitFor<{ done: number }>(child, (m) => typeof m.done === 'number');
      const t1 = process.hrtime.bigint();
      await toCounter.send(items);
      await done2;
      const d = ms(t1);

      for (const f of ['json', 'cef', 'leef'] as const) {
        const en = createSyslogEncoder(formatOptions(f));
        const t2 = process.hrtime.bigint();
        let n = 0;
        for (const it of items) n += en(it).length;
        if (n === 0) throw new Error('nothing encoded');
        if (run >= 0) enc[f]!.push(ms(t2));
      }

      if (rs && run < 2) { // rsyslog writing 15+ MB per run to disk: fewer runs
        const counter = new FileLineCounter(path.join(rs.dir, 'out', 'raw.jsonl'));
        counter.skipToEnd();
        const sink = new SyslogSink({ url: new URL(`syslog+tcp://127.0.0.1:${rs.tcpPort}`), encode, framing: 'lf', udpMaxBytes: 1472, timeoutMs: 30_000, retryBudgetMs: 120_000, logger: silentLogger });
        const t3 = process.hrtime.bigint();
        const r = await sink.send(normalize(c));
        const deadline = Date.now() + 60_000;
        while (counter.poll() < c.records && Date.now() < deadline) await new Promise((res) => setTimeout(res, 2));
        const t = ms(t3);
        await sink.close();
        if (r.delivered !== c.records || counter.lines < c.records) throw new Error(`rsyslog got ${counter.lines} of ${c.records}`);
        if (run >= 0) toRs.push(t);
      }
      if (run >= 0) { e2e.push(e); delivery.push(d); }
    }
    await toCounter.close();
    await rt.close();
    const fl = median(floors.slice(1));
    const e = median(viaRuntime);
    results[`${c.name} e2e`] = e;
    rows.push(`${c.name}: ${c.records.toLocaleString('en-US')} records, ${(c.bytes / 1e6).toFixed(1)} MB of message JSON, ${(sentBytes / 1e6).toFixed(1)} MB of syslog on the wire (RFC 5424 + json, LF)`);
    row(`  end-to-end, default settings (${rt.streamingWorkers} workers)`, c, e, `ratio to floor ${(e / fl).toFixed(2)}`);
    row('  end-to-end, one thread, sink called directly', c, median(e2e), `ratio to floor ${(median(e2e) / fl).toFixed(2)}`);
    row('  delivery only -> counting TCP server', c, median(delivery));
    if (toRs.length) row('  end-to-end -> rsyslog (until all written)', c, median(toRs), `ratio to floor ${(median(toRs) / fl).toFixed(2)}`);
    for (const f of ['json', 'cef', 'leef'] as const) row(`  encode only, RFC 5424 + ${f}`, c, median(enc[f]!));
    row('  floor (parse + stringify + gzip 1)', c, fl);
    rows.push('');
    results[`${c.name} floor`] = fl;
    if (toRs.length) results[`${c.name} rsyslog`] = median(toRs);
  }

  child.send({ stop: true });
  await rs?.stop();
  console.log(`Syslog TCP bench, median of ${RUNS} runs (rsyslog: ${rs ? 'median of 2 runs' : `not run: ${rsSkip}`})`);
  console.log('');
  for (const r of rows) console.log(r);
  console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
  const peer = corpora[0]!;
  const peerRps = peer.records / (results[`${peer.name} e2e`]! / 1000);
  console.log(`target >= ${TARGET_RPS.toLocaleString('en-US')} rec/s end-to-end over TCP (peer load, counting server): ${peerRps >= TARGET_RPS ? 'MET' : 'NOT MET'} (${Math.round(peerRps).toLocaleString('en-US')})`);
  const rsMs = results[`${peer.name} rsyslog`];
  if (rsMs) console.log(`  same to rsyslog: ${Math.round(peer.records / (rsMs / 1000)).toLocaleString('en-US')} rec/s`);
  const real = corpora[1];
  if (real) {
    const ratio = results[`${real.name} e2e`]! / results[`${real.name} floor`]!;
    console.log(`target ratio to floor <= ${TARGET_RATIO} (realistic corpus): ${ratio <= TARGET_RATIO ? 'MET' : 'NOT MET'} (${ratio.toFixed(2)})`);
  }
}
