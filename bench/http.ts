/**
 * HTTP delivery on the peer-comparison load (FIELD-GUIDE section 8): 500 Event Hubs messages x 50
 * DeviceProcessEvents-like records = 25,000 records (host<i>, user<i>, "cmd.exe /c whoami <i>",
 * ReportId <i>, current times), delivered as NDJSON + gzip (the defaults: 500 events / 1 MiB per
 * request, 4 in flight) to a loopback collector running in a child process, which gunzips every body
 * and counts its lines. A run ends when the last request has been answered, i.e. when the collector
 * has counted every line.
 *
 *   end-to-end     the product path: runtime.processStreaming per trigger batch of 64 messages with
 *                  DESTINATION=http://collector, HTTP_COMPRESSION=gzip, default settings (worker threads)
 *   one thread     message text -> readBody -> validate -> normalize -> encode json -> HttpSink
 *   delivery only  already-normalized OutboundEvents -> HttpSink
 *   floor          JSON.parse of the messages + JSON.stringify of every record + gzip level 1 of the
 *                  NDJSON in bodies of 500 lines (bench/corpus.ts deliveryFloor), same process and run
 *
 * Also measured, to justify two choices: node:http (what HttpClient uses) against axios posting the
 * same gzip bodies, and gzip level 1 against level 6.
 *
 * Targets: >= 120,000 records/s end-to-end, ratio to floor <= 2.5.
 * Run: node dist/bench/http.js [--runs N]
 */
import { fork, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import os from 'node:os';
import zlib from 'node:zlib';
import axios from 'axios';
import { encodeJson } from '../shared/formats/json';
import { encodeRaw } from '../shared/formats/raw';
import type { Provenance } from '../shared/model/event';
import { normalizeStreamingRecord, validateRecord } from '../shared/normalize/streaming';
import { silentLogger } from '../shared/observability/log';
import { HttpSink, type HttpSinkOptions } from '../shared/sinks/http';
import { HttpClient } from '../shared/sinks/http-client';
import { GZIP_LEVEL } from '../shared/sinks/http-gzip';
import type { OutboundEvent } from '../shared/sinks/types';
import { readBody } from '../shared/sources/body';
import { HttpCollector } from '../test/support/http-collector';
import { createRuntime } from '../shared/app/runtime';
import { deliveryFloor, realisticCorpus, replayThroughRuntime, type Corpus } from './corpus';

const MESSAGES = 500;
const PER_MESSAGE = 50;
const RECORDS = MESSAGES * PER_MESSAGE;
const TARGET_RPS = 120_000;
const TARGET_RATIO = 2.5;
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 5;

// ---- collector child ------------------------------------------------------------------------------
if (process.argv.includes('--collector')) {
  void (async () => {
    const c = await HttpCollector.start({ kind: 'generic', countOnly: true });
    process.on('message', (m: unknown) => {
      if (m === 'stats') process.send?.({ lines: c.lineCount, requests: c.requests.length, rawBytes: c.requests.reduce((n, r) => n + r.rawBytes, 0) });
      if (m === 'reset') { c.lineCount = 0; c.requests.length = 0; process.send?.('reset-done'); }
      if (m === 'stop') void c.stop().then(() => process.exit(0));
    });
    process.send?.({ port: c.boundPort });
  })();
} else {
  void main().catch((err) => { console.error(err); process.exit(1); });
}

interface Stats { lines: number; requests: number; rawBytes: number }

function ask<T>(child: ChildProcess, message: string, match: (m: unknown) => boolean): Promise<T> {
  return new Promise((resolve) => {
    const on = (m: unknown) => { if (match(m)) { child.off('message', on); resolve(m as T); } };
    child.on('message', on);
    child.send(message);
  });
}

function buildMessages(): string[] {
  const now = Date.now();
  const out: string[] = [];
  for (let m = 0; m < MESSAGES; m++) {
    const records = [];
    for (let k = 0; k < PER_MESSAGE; k++) {
      const i = m * PER_MESSAGE + k;
      const ts = new Date(now - (RECORDS - i) * 10).toISOString();
      records.push({
        time: ts, tenantId: 't', operationName: 'Publish', category: 'AdvancedHunting-DeviceProcessEvents', _TimeReceivedBySvc: ts,
        properties: {
          DeviceId: `d${i}`, DeviceName: `host${i}.contoso.com`, ActionType: 'ProcessCreated', FileName: 'cmd.exe',
          FolderPath: 'C:\\Windows\\System32', SHA256: 'a'.repeat(64), ProcessCommandLine: `cmd.exe /c whoami ${i}`,
          InitiatingProcessFileName: 'explorer.exe', AccountName: `user${i}`, ReportId: i, Timestamp: ts,
        },
      });
    }
    out.push(JSON.stringify({ records }));
  }
  return out;
}

/** The streaming pipeline up to the sink: what the Event Hub handler does per batch. */
function normalizeAll(messages: readonly string[]): OutboundEvent[] {
  const out: OutboundEvent[] = [];
  for (let m = 0; m < messages.length; m++) {
    const prov: Provenance = { source: 'eventhub', messageIndex: m, partition: '0' };
    const body = readBody(messages[m], prov);
    for (const r of body.records) {
      const rec = validateRecord(r.value);
      if (typeof rec === 'string') throw new Error(`bench record rejected: ${rec}`);
      out.push({ event: normalizeStreamingRecord(rec, r.provenance, { includeOriginal: false }), original: r.value, origin: 'streaming' });
    }
  }
  return out;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;

async function main(): Promise<void> {
  const loadAtStart = os.loadavg()[0];
  const child = fork(__filename, ['--collector'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const { port } = await new Promise<{ port: number }>((r) => child.once('message', (m) => r(m as { port: number })));
  const url = new URL(`http://127.0.0.1:${port}/ingest`);
  const sinkOptions: HttpSinkOptions = {
    url, encode: encodeJson, bodyFormat: 'ndjson', compression: 'gzip', headers: {},
    batchMaxEvents: 500, batchMaxBytes: 1_048_576, concurrency: 4, timeoutMs: 30_000, retryBudgetMs: 120_000, logger: silentLogger,
  };
  const messages = buildMessages();
  const inputBytes = messages.reduce((n, m) => n + Buffer.byteLength(m), 0);
  const reset = () => ask(child, 'reset', (m) => m === 'reset-done');
  const stats = () => ask<Stats>(child, 'stats', (m) => typeof m === 'object' && m !== null && 'lines' in m);

  const scenarios = {
    e2eRuntime: [] as number[], e2eJson: [] as number[], deliveryJson: [] as number[], e2eRaw: [] as number[], deliveryRaw: [] as number[], floor: [] as number[],
  };
  let last: Stats = { lines: 0, requests: 0, rawBytes: 0 };
  let fl = deliveryFloor(messages);
  const jsonSink = new HttpSink(sinkOptions);
  const rt = await createRuntime({ env: { DESTINATION: url.toString(), HTTP_COMPRESSION: 'gzip', OUTPUT_FORMAT: 'json' }, mode: 'cli', logger: silentLogger });
  const peer: Corpus = { name: 'peer', bodies: messages, records: RECORDS, bytes: inputBytes };
  const rawSink = new HttpSink({ ...sinkOptions, encode: encodeRaw });
  const timed = async (run: number, into: number[], work: () => Promise<{ delivered: number }>) => {
    await reset();
    const t0 = process.hrtime.bigint();
    const report = await work();
    const elapsed = ms(t0);
    last = await stats();
    if (report.delivered !== RECORDS || last.lines !== RECORDS) throw new Error(`delivered ${report.delivered}, collector counted ${last.lines}`);
    if (run >= 0) into.push(elapsed);
    return last;
  };
  let jsonStats = last;
  let items: OutboundEvent[] = [];
  for (let run = -1; run < RUNS; run++) { // run -1 warms up
    fl = deliveryFloor(messages);
    if (run >= 0) scenarios.floor.push(fl.ms);
    items = [];
    await timed(run, scenarios.e2eRuntime, async () => ({ delivered: await replayThroughRuntime(rt, peer) }));
    jsonStats = await timed(run, scenarios.e2eJson, () => { items = normalizeAll(messages); return jsonSink.send(items); });
    await timed(run, scenarios.deliveryJson, () => jsonSink.send(items));
    await timed(run, scenarios.e2eRaw, () => rawSink.send(normalizeAll(messages)));
    await timed(run, scenarios.deliveryRaw, () => rawSink.send(items));
  }
  const rawStats = last;
  // The realistic corpus (every column, ~1.8 KB a record): the ratio target is stated on it.
  const realistic = realisticCorpus(RECORDS).bodies; // the same bodies as realisticCorpusAll below
  const realisticE2e: number[] = [];
  const realisticRuntime: number[] = [];
  const realisticCorpusAll = realisticCorpus(RECORDS);
  const realisticFloor: number[] = [];
  for (let run = -1; run < RUNS; run++) {
    const f = deliveryFloor(realistic);
    if (run >= 0) realisticFloor.push(f.ms);
    await timed(run, realisticE2e, () => jsonSink.send(normalizeAll(realistic)));
    await timed(run, realisticRuntime, async () => ({ delivered: await replayThroughRuntime(rt, realisticCorpusAll) }));
  }
  await jsonSink.close();
  await rt.close();
  await rawSink.close();
  const rssMb = process.resourceUsage().maxRSS / 1024;

  // Transport: the same gzip bodies through node:http (HttpClient) and axios, 4 in flight.
  const bodies: Buffer[] = [];
  for (let i = 0; i < items.length; i += 500) {
    bodies.push(zlib.gzipSync(Buffer.from(items.slice(i, i + 500).map(encodeJson).join('\n') + '\n'), { level: GZIP_LEVEL }));
  }
  const headers = { 'Content-Type': 'application/x-ndjson', 'Content-Encoding': 'gzip' };
  const client = new HttpClient({ protocol: 'http:', hostname: '127.0.0.1', port, maxSockets: 4 });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  const ax = axios.create({ httpAgent: agent, timeout: 30_000, validateStatus: () => true, decompress: false, maxBodyLength: Infinity, maxContentLength: Infinity });
  const pool = async (post: (b: Buffer) => Promise<unknown>) => {
    let next = 0;
    const t = process.hrtime.bigint();
    await Promise.all(Array.from({ length: 4 }, async () => { while (next < bodies.length) await post(bodies[next++]); }));
    return ms(t);
  };
  const nodeTimes: number[] = [];
  const axiosTimes: number[] = [];
  for (let run = -1; run < RUNS; run++) {
    const n = await pool((b) => client.post('/ingest', headers, b, 30_000));
    const a = await pool((b) => ax.post(url.toString(), b, { headers }));
    if (run >= 0) { nodeTimes.push(n); axiosTimes.push(a); }
  }
  client.close();
  agent.destroy();

  // gzip levels on the NDJSON the sink sends.
  const ndjson = Buffer.from(items.map(encodeJson).join('\n') + '\n');
  const level = (l: number) => {
    const t = process.hrtime.bigint();
    const out = zlib.gzipSync(ndjson, { level: l });
    return { ms: ms(t), bytes: out.length };
  };
  const g1 = level(1);
  const g6 = level(6);

  child.send('stop');
  const floorMs = median(scenarios.floor);
  const mb = inputBytes / 1e6;
  const row = (name: string, t: number, extra = '') =>
    `${name.padEnd(30)} ${t.toFixed(1).padStart(8)} ms ${Math.round(RECORDS / (t / 1000)).toLocaleString('en-US').padStart(10)} rec/s ${(mb / (t / 1000)).toFixed(1).padStart(7)} MB/s  ${extra}`;
  const withRatio = (name: string, t: number) => row(name, t, `ratio to floor ${(t / floorMs).toFixed(2)}`);
  const rawBytes = items.reduce((n, i) => n + Buffer.byteLength(encodeRaw(i)) + 1, 0);
  console.log(`machine: ${os.cpus().length} cores, load average at start ${loadAtStart.toFixed(1)} (figures scale with other load on the machine)`);
  console.log(`HTTP delivery bench: ${RECORDS.toLocaleString('en-US')} records in ${MESSAGES} messages, ${mb.toFixed(1)} MB of message JSON; NDJSON + gzip level ${GZIP_LEVEL}, 500 events / 1 MiB per request, 4 in flight; median of ${RUNS} runs`);
  console.log(`NDJSON sent per run: json ${(ndjson.length / 1e6).toFixed(1)} MB (${Math.round(ndjson.length / RECORDS)} B/event), raw ${(rawBytes / 1e6).toFixed(1)} MB (${Math.round(rawBytes / RECORDS)} B/event)`);
  console.log('');
  console.log(withRatio(`end-to-end, default settings (${rt.streamingWorkers} workers)`, median(scenarios.e2eRuntime)));
  console.log(withRatio('end-to-end, one thread, json', median(scenarios.e2eJson)));
  console.log(withRatio('delivery only, json', median(scenarios.deliveryJson)));
  console.log(withRatio('end-to-end, OUTPUT_FORMAT=raw', median(scenarios.e2eRaw)));
  console.log(withRatio('delivery only, raw', median(scenarios.deliveryRaw)));
  console.log(row('floor (parse+stringify+gzip1)', floorMs, `(gzip part ${fl.gzipMs.toFixed(1)} ms)`));
  console.log('');
  console.log(`requests per run: json ${jsonStats.requests} (${(jsonStats.rawBytes / 1e6).toFixed(2)} MB gzip on the wire), raw ${rawStats.requests} (${(rawStats.rawBytes / 1e6).toFixed(2)} MB); peak RSS after the runs ${rssMb.toFixed(0)} MB`);
  console.log(`transport, the same ${bodies.length} gzip bodies, 4 in flight: node:http ${median(nodeTimes).toFixed(1)} ms, axios ${median(axiosTimes).toFixed(1)} ms`);
  console.log(`gzip of the json NDJSON: level 1 ${g1.ms.toFixed(1)} ms -> ${(g1.bytes / 1e6).toFixed(2)} MB, level 6 ${g6.ms.toFixed(1)} ms -> ${(g6.bytes / 1e6).toFixed(2)} MB`);
  console.log('');
  const e2e = median(scenarios.e2eRuntime);
  const rps = RECORDS / (e2e / 1000);
  const ratio = e2e / floorMs;
  console.log(`targets (end-to-end, json): >= ${TARGET_RPS.toLocaleString('en-US')} rec/s ${rps >= TARGET_RPS ? 'MET' : 'NOT MET'} (${Math.round(rps).toLocaleString('en-US')}); ratio to floor <= ${TARGET_RATIO} ${ratio <= TARGET_RATIO ? 'MET' : 'NOT MET'} (${ratio.toFixed(2)})`);
  const realRatio = median(realisticRuntime) / median(realisticFloor);
  console.log(`realistic corpus (${RECORDS} records, ${(realistic.reduce((n, b) => n + b.length, 0) / 1e6).toFixed(1)} MB), floor ${median(realisticFloor).toFixed(1)} ms; end-to-end json, default settings: ${median(realisticRuntime).toFixed(1)} ms, ${Math.round(RECORDS / median(realisticRuntime) * 1000).toLocaleString('en-US')} rec/s, ratio ${realRatio.toFixed(2)} (target <= 2.5 ${realRatio <= 2.5 ? 'MET' : 'NOT MET'}); one thread: ${median(realisticE2e).toFixed(1)} ms, ratio ${(median(realisticE2e) / median(realisticFloor)).toFixed(2)}`);
}
