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
import { createSyslogEncoder, encodePayload, type FormatOptions, type PayloadFormat } from '../shared/formats';
import { loadavg } from 'node:os';
import type { NormalizedEvent } from '../shared/model/event';
import type { OutboundEvent } from '../shared/sinks/types';

const COUNT = 25_000;
const TARGET = 300_000;
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

/**
 * Encodes every event and takes its UTF-8 byte length, as a sink does for octet counting (this also
 * flattens the concatenated string, so that cost is not deferred out of the measurement).
 */
function once(events: readonly OutboundEvent[], encode: Encoder): { ms: number; cpuMs: number; bytes: number } {
  let bytes = 0;
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < events.length; i++) bytes += Buffer.byteLength(encode(events[i]), 'utf8');
  const t1 = process.hrtime.bigint();
  const c1 = process.cpuUsage(c0);
  return { ms: Number(t1 - t0) / 1e6, cpuMs: (c1.user + c1.system) / 1000, bytes };
}

const median = (a: number[]): number => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

/**
 * Rounds interleave the encoders (floor first in each round), so a burst of other work on the shared
 * cores hits all of them alike; the ratio to the floor is the median of per-round ratios.
 */
function measureAll(events: readonly OutboundEvent[], encoders: Array<[string, Encoder]>): Row[] {
  const samples = encoders.map(() => ({ ms: [] as number[], cpu: [] as number[], ratio: [] as number[], bytes: 0 }));
  for (let r = 0; r < RUNS + 1; r++) {
    let floorMs = 0;
    encoders.forEach(([, encode], k) => {
      const m = once(events, encode);
      if (k === 0) floorMs = m.ms;
      if (r === 0) return; // round 0 warms the JIT up
      samples[k].ms.push(m.ms);
      samples[k].cpu.push(m.cpuMs);
      samples[k].ratio.push(m.ms / floorMs);
      samples[k].bytes = m.bytes;
    });
  }
  return encoders.map(([name], k) => ({
    name, ms: median(samples[k].ms), cpuMs: median(samples[k].cpu), bytes: samples[k].bytes, ratio: median(samples[k].ratio),
  }));
}

/**
 * FIELD-GUIDE section 8's floor on the same load: JSON.parse of the 500 Event Hubs bodies (50 records
 * each) + JSON.stringify of every record; 75 ms there on an idle machine of this kind. Its time here
 * shows how loaded the machine is, and scales the figures above to an idle machine (an estimate).
 */
function guideFloorMs(events: readonly OutboundEvent[]): number {
  const bodies: string[] = [];
  for (let i = 0; i < events.length; i += 50) bodies.push(JSON.stringify({ records: events.slice(i, i + 50).map((e) => e.original) }));
  const times: number[] = [];
  for (let r = 0; r < RUNS + 1; r++) {
    let n = 0;
    const t0 = process.hrtime.bigint();
    for (const b of bodies) for (const rec of (JSON.parse(b) as { records: unknown[] }).records) n += JSON.stringify(rec).length;
    const t1 = process.hrtime.bigint();
    if (n === 0) throw new Error('nothing parsed');
    if (r > 0) times.push(Number(t1 - t0) / 1e6);
  }
  return median(times);
}

const GUIDE_FLOOR_IDLE_MS = 75;

function main(): void {
  const events = buildEvents();
  const syslog = { format: 'rfc5424' as const, appName: 'defender-forwarder', hostname: 'bench-host', facility: 16 };
  const enc = (format: PayloadFormat) => createSyslogEncoder({ format, syslog } satisfies FormatOptions);

  const rows = measureAll(events, [
    ['floor: JSON.stringify(event)', (e) => JSON.stringify(e.event)],
    ['rfc5424 + cef', enc('cef')],
    ['rfc5424 + leef', enc('leef')],
    ['rfc5424 + json', enc('json')],
    ['rfc5424 + raw', enc('raw')],
    ['cef payload only', (e) => encodePayload(e, 'cef')],
    ['leef payload only', (e) => encodePayload(e, 'leef')],
  ]);
  const guide = guideFloorMs(events);
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
        + pad(num(r.bytes / COUNT), 11) + pad(num(r.ratio, 2) + 'x', 10) + target,
    );
  }
  console.log(`peak RSS: ${num(rss, 0)} MB`);
  const slow = guide / GUIDE_FLOOR_IDLE_MS;
  console.log(`field-guide floor (JSON.parse of 500 bodies + JSON.stringify of 25,000 records): ${num(guide, 1)} ms here, ${GUIDE_FLOOR_IDLE_MS} ms idle per FIELD-GUIDE section 8 => this run is ${num(slow, 2)}x slower than idle`);
  for (const r of rows.filter((x) => x.name.startsWith('rfc5424 + cef') || x.name.startsWith('rfc5424 + leef'))) {
    console.log(`  ${r.name}: ${num(r.ms / guide, 2)}x the field-guide floor => about ${num(COUNT / ((r.ms / slow) / 1000))} records/s on an idle machine (estimate)`);
  }
}

if (require.main === module) main();
