/**
 * Formatting alone, on the peer-comparison load (FIELD-GUIDE section 8): 25,000 DeviceProcessEvents-like
 * normalized events (host<i>, user<i>, "cmd.exe /c whoami <i>"), each encoded as a whole RFC 5424
 * syslog message (header + payload, no framing) in CEF and LEEF, plus JSON and RAW for comparison.
 * Floor measured in the same run: JSON.stringify of every normalized event. Each encoder's time includes
 * Buffer.byteLength of its output (what a sink computes for octet counting).
 *
 * Target: >= 300,000 records/s for CEF and LEEF with the RFC 5424 header.
 * Run: node dist/bench/formats.js [--runs N]
 */
import { createSyslogEncoder, payloadEncoder, type FormatOptions, type PayloadFormat } from '../shared/formats';
import { loadavg } from 'node:os';
import type { NormalizedEvent } from '../shared/model/event';
import type { OutboundEvent } from '../shared/sinks/types';

const COUNT = 25_000;
const TARGET = 300_000;
const GUIDE_FLOOR_IDLE_MS = 75;
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 7;

export function buildEvents(): OutboundEvent[] {
  const now = Date.now();
  const out: OutboundEvent[] = [];
  for (let i = 0; i < COUNT; i++) {
    const ts = new Date(now - (COUNT - i) * 10).toISOString();
    const original = {
      time: ts, tenantId: 't', operationName: 'Publish', category: 'AdvancedHunting-DeviceProcessEvents', _TimeReceivedBySvc: ts,
      properties: {
        DeviceId: `d${i}`, DeviceName: `host${i}.contoso.com`, ActionType: 'ProcessCreated', FileName: 'cmd.exe',
        FolderPath: 'C:\\Windows\\System32', SHA256: 'a'.repeat(64), ProcessCommandLine: `cmd.exe /c whoami ${i}`,
        InitiatingProcessFileName: 'explorer.exe', AccountName: `user${i}`, ReportId: i, Timestamp: ts,
      },
    };
    const event: NormalizedEvent = {
      '@timestamp': ts,
      message: `ProcessCreated cmd.exe on host${i}.contoso.com`,
      event: {
        kind: 'event', category: ['process'], type: ['start'], action: 'ProcessCreated',
        dataset: 'm365_defender.deviceprocessevents', id: `d${i}-${i}-${ts}`.slice(0, 40), provider: 'DeviceProcessEvents', module: 'm365_defender',
      },
      observer: { vendor: 'Microsoft', product: 'Defender XDR' },
      cloud: { account: { id: 't' }, provider: 'azure' },
      host: { name: `host${i}.contoso.com`, id: `d${i}` },
      user: { name: `user${i}` },
      process: {
        name: 'cmd.exe', executable: 'C:\\Windows\\System32\\cmd.exe', command_line: `cmd.exe /c whoami ${i}`,
        hash: { sha256: 'a'.repeat(64) }, parent: { name: 'explorer.exe' },
      },
      file: { name: 'cmd.exe', path: 'C:\\Windows\\System32', hash: { sha256: 'a'.repeat(64) } },
      m365_defender: { category: 'AdvancedHunting-DeviceProcessEvents', ActionType: 'ProcessCreated', ReportId: i },
      forwarder: { provenance: { source: 'eventhub', messageIndex: Math.floor(i / 50), recordIndex: i % 50 } },
    };
    out.push({ event, original, origin: 'streaming' });
  }
  return out;
}

interface Row { name: string; ms: number; cpuMs: number; bytes: number; ratio: number }

type Encoder = (e: OutboundEvent) => string;

/** One pass over the load; returns the bytes produced. */
type Pass = () => number;

/**
 * Encodes every event and takes its UTF-8 byte length, as a sink does for octet counting (this also
 * flattens the concatenated string, so that cost is not deferred out of the measurement).
 */
function encodePass(events: readonly OutboundEvent[], encode: Encoder): Pass {
  return () => {
    let bytes = 0;
    for (let i = 0; i < events.length; i++) bytes += Buffer.byteLength(encode(events[i]), 'utf8');
    return bytes;
  };
}

/**
 * FIELD-GUIDE section 8's floor on the same load: JSON.parse of the 500 Event Hubs bodies (50 records
 * each) + JSON.stringify of every record; 75 ms there on an idle machine of this kind. Its time here
 * shows how loaded the machine is, and scales the figures to an idle machine (an estimate).
 */
function guideFloorPass(events: readonly OutboundEvent[]): Pass {
  const bodies: string[] = [];
  for (let i = 0; i < events.length; i += 50) bodies.push(JSON.stringify({ records: events.slice(i, i + 50).map((e) => e.original) }));
  return () => {
    let bytes = 0;
    for (const b of bodies) for (const rec of (JSON.parse(b) as { records: unknown[] }).records) bytes += JSON.stringify(rec).length;
    return bytes;
  };
}

const median = (a: number[]): number => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

interface Row { name: string; ms: number; cpuMs: number; bytes: number; ratio: number; guideRatio: number }

/**
 * Rounds interleave the passes (the two floors first in each round), so a burst of other work on the
 * shared cores hits all of them alike; ratios are medians of per-round ratios.
 */
function measureAll(passes: Array<[string, Pass]>): Row[] {
  const samples = passes.map(() => ({ ms: [] as number[], cpu: [] as number[], ratio: [] as number[], guide: [] as number[], bytes: 0 }));
  for (let r = 0; r < RUNS + 1; r++) {
    let floorMs = 0;
    let guideMs = 0;
    passes.forEach(([, pass], k) => {
      const c0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      const bytes = pass();
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      const c1 = process.cpuUsage(c0);
      if (k === 0) guideMs = ms;
      if (k === 1) floorMs = ms;
      if (r === 0) return; // round 0 warms the JIT up
      samples[k].ms.push(ms);
      samples[k].cpu.push((c1.user + c1.system) / 1000);
      samples[k].ratio.push(k === 0 ? NaN : ms / floorMs);
      samples[k].guide.push(ms / guideMs);
      samples[k].bytes = bytes;
    });
  }
  return passes.map(([name], k) => ({
    name, ms: median(samples[k].ms), cpuMs: median(samples[k].cpu), bytes: samples[k].bytes,
    ratio: median(samples[k].ratio), guideRatio: median(samples[k].guide),
  }));
}

function main(): void {
  const events = buildEvents();
  const syslog = { format: 'rfc5424' as const, appName: 'defender-forwarder', hostname: 'bench-host', facility: 16 };
  const enc = (format: PayloadFormat) => createSyslogEncoder({ format, syslog } satisfies FormatOptions);

  const rows = measureAll([
    ['field-guide floor', guideFloorPass(events)],
    ['floor: JSON.stringify(event)', encodePass(events, (e) => JSON.stringify(e.event))],
    ['rfc5424 + cef', encodePass(events, enc('cef'))],
    ['rfc5424 + leef', encodePass(events, enc('leef'))],
    ['rfc5424 + json', encodePass(events, enc('json'))],
    ['rfc5424 + raw', encodePass(events, enc('raw'))],
    ['cef payload only', encodePass(events, payloadEncoder('cef'))],
    ['leef payload only', encodePass(events, payloadEncoder('leef'))],
  ]);
  const rss = process.resourceUsage().maxRSS / 1024;

  const pad = (s: string, n: number) => s.padEnd(n);
  const num = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
  console.log(`formats bench: ${num(COUNT)} DeviceProcessEvents-like events, median of ${RUNS} runs (after 1 warm-up), Node ${process.version}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log('(wall clock; "cpu ms" is this process\'s CPU time, the better figure when other work shares the cores)');
  console.log(pad('encoder', 30) + pad('ms', 9) + pad('cpu ms', 9) + pad('records/s', 12) + pad('MB/s', 9) + pad('avg bytes', 11) + pad('vs floor', 10) + 'target');
  for (const r of rows) {
    const rps = COUNT / (r.ms / 1000);
    const target = r.name.startsWith('rfc5424 + cef') || r.name.startsWith('rfc5424 + leef') ? (rps >= TARGET ? `>= ${num(TARGET)} ok` : `< ${num(TARGET)} MISSED`) : '';
    console.log(
      pad(r.name, 30) + pad(num(r.ms, 1), 9) + pad(num(r.cpuMs, 1), 9) + pad(num(rps), 12) + pad(num(r.bytes / 1e6 / (r.ms / 1000), 1), 9)
        + pad(num(r.bytes / COUNT), 11) + pad(Number.isNaN(r.ratio) ? '-' : num(r.ratio, 2) + 'x', 10) + target,
    );
  }
  console.log(`peak RSS: ${num(rss, 0)} MB`);
  const guide = rows[0];
  console.log(`field-guide floor = JSON.parse of the 500 bodies + JSON.stringify of the 25,000 records: ${num(guide.ms, 1)} ms here, ${GUIDE_FLOOR_IDLE_MS} ms on an idle machine of this kind (FIELD-GUIDE section 8) => this run is ${num(guide.ms / GUIDE_FLOOR_IDLE_MS, 2)}x slower than idle`);
  for (const r of rows.filter((x) => x.name.startsWith('rfc5424 + cef') || x.name.startsWith('rfc5424 + leef'))) {
    const idle = COUNT / ((r.guideRatio * GUIDE_FLOOR_IDLE_MS) / 1000);
    console.log(`  ${r.name}: ${num(r.guideRatio, 2)}x the field-guide floor => about ${num(idle)} records/s on an idle machine (estimate; target ${num(TARGET)})`);
  }
}

if (require.main === module) main();
