/**
 * The benchmark corpora of the streaming and delivery issues, shared by every bench:
 *  - realistic: the bundled samples (samples/streaming) multiplied with varied values, Device* tables
 *    weighted as real exports are (they carry every column, ~2.4 KB each);
 *  - peer: the field guide's peer-comparison load, 500 bodies x 50 short DeviceProcessEvents records
 *    with the index substituted into DeviceId, DeviceName, ProcessCommandLine, AccountName, ReportId.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import type { StreamingMessage } from '../shared/pipeline/streaming';

const ROOT = path.join(__dirname, '..', '..');

export interface Corpus { name: string; bodies: string[]; records: number; bytes: number }

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

export function realisticCorpus(count: number): Corpus {
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
export function peerCorpus(): Corpus {
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

/** Bodies as the trigger would hand them over, with provenance. */
export function asMessages(c: Corpus): StreamingMessage[] {
  return c.bodies.map((body, i) => ({ body, provenance: { source: 'eventhub', partition: '0', sequenceNumber: i, messageIndex: i } }));
}

/** The trigger's batch size (host.json extensions.eventHubs.maxEventBatchSize). */
export const TRIGGER_BATCH = 64;

/**
 * The product path on a corpus: runtime.processStreaming per trigger batch of TRIGGER_BATCH messages,
 * as the Event Hub function would get them. Throws unless every record was delivered.
 */
export async function replayThroughRuntime(rt: { processStreaming(m: readonly StreamingMessage[]): Promise<{ delivered: number; parseErrors: number; badRecords: Array<{ reason: string }> }> }, c: Corpus): Promise<number> {
  const messages = asMessages(c);
  let delivered = 0;
  for (let i = 0; i < messages.length; i += TRIGGER_BATCH) {
    const r = await rt.processStreaming(messages.slice(i, i + TRIGGER_BATCH));
    if (r.parseErrors) throw new Error(`bench corpus produced failures: ${r.badRecords[0]?.reason}`);
    delivered += r.delivered;
  }
  if (delivered !== c.records) throw new Error(`delivered ${delivered} of ${c.records}`);
  return delivered;
}

/** What deliveryFloor measured: the whole floor, and the gzip part of it. */
export interface DeliveryFloor { ms: number; gzipMs: number }

/**
 * The delivery issue's floor: JSON.parse of the bodies + JSON.stringify of every record + gzip level 1
 * of the NDJSON, done the way a sink works (one gzip body per 500 lines), so nothing of the corpus is
 * kept: building one NDJSON of the whole corpus first would make the floor slower through GC alone
 * (about 2x on the realistic corpus) and every ratio to it look better than it is.
 */
export function deliveryFloor(bodies: readonly string[], linesPerBody = 500): DeliveryFloor {
  const t0 = process.hrtime.bigint();
  let gzipNs = 0n;
  let lines: string[] = [];
  const flush = () => {
    const ndjson = Buffer.from(lines.join('\n') + '\n');
    const g = process.hrtime.bigint();
    zlib.gzipSync(ndjson, { level: 1 });
    gzipNs += process.hrtime.bigint() - g;
    lines = [];
  };
  for (const b of bodies) {
    for (const r of (JSON.parse(b) as { records: unknown[] }).records) {
      lines.push(JSON.stringify(r));
      if (lines.length === linesPerBody) flush();
    }
  }
  if (lines.length) flush();
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, gzipMs: Number(gzipNs) / 1e6 };
}
