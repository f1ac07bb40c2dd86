import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { InvocationContext } from '@azure/functions';
import { makeStreamingHandler } from '../../functions/streaming';
import { createRuntime } from '../../shared/app/runtime';
import { ConfigError } from '../../shared/config/env';
import type { DeadLetterEntry } from '../../shared/deadletter/types';
import { MemoryLogger, silentLogger } from '../../shared/observability/log';
import { messagesInChunks, type StreamingMessage } from '../../shared/pipeline/streaming';
import { runStreamingBatch } from '../../shared/pipeline/streaming-run';
import { PIECE_BYTES, StreamingWorkerError, StreamingWorkerPool } from '../../shared/pipeline/worker-pool';
import type { OutboundEvent } from '../../shared/sinks/types';
import { HttpCollector } from '../support/http-collector';

/**
 * The streaming path across worker threads (STREAMING_WORKERS): each worker runs the whole pipeline
 * with its own sinks and dead-letter store; the batch result must be the same as in-process, every
 * event delivered exactly once, every bad record dead-lettered with its provenance, and any failure
 * of a piece must fail the whole batch (so the trigger retries it) rather than lose it.
 */

const record = (m: number, i: number) => ({
  time: '2026-11-23T10:00:00.1234567Z', tenantId: 'tenant-1', operationName: 'Publish', category: 'AdvancedHunting-DeviceProcessEvents',
  properties: { Timestamp: '2026-11-23T09:59:59.7654321Z', DeviceName: `ws${m}.contoso.com`, ActionType: 'ProcessCreated', FileName: 'cmd.exe', ProcessCommandLine: `cmd.exe /c echo ${m}-${i}`, AccountName: `user${m}`, ReportId: m * 1000 + i },
});

/** `count` message bodies of `per` records; message 3 also carries one record without properties. */
function messages(count: number, per: number): StreamingMessage[] {
  return Array.from({ length: count }, (_, m) => {
    const records: unknown[] = Array.from({ length: per }, (_, i) => record(m, i));
    if (m === 3) records.push({ category: 'AdvancedHunting-DeviceEvents' });
    return { body: JSON.stringify({ records }), provenance: { source: 'eventhub', partition: '1', sequenceNumber: 500 + m, messageIndex: m } };
  });
}

/**
 * A stand-in worker script for the pool's own behaviour: it logs which thread got which messages,
 * answers after `delayMs(threadId)` ms, and fails any piece holding message `failAt`.
 */
function pieceScript(dir: string, delay: string, failAt = -1): string {
  const script = path.join(dir, `pieces-${failAt}.js`);
  writeFileSync(script, `
    const { parentPort, threadId } = require('node:worker_threads');
    const delayMs = ${delay};
    parentPort.on('message', (m) => {
      if (m.type === 'close') return process.exit(0);
      const idx = m.messages.map((x) => x.provenance.messageIndex);
      const bytes = m.messages.reduce((n, x) => n + x.body.length, 0);
      parentPort.postMessage({ type: 'log', level: 'info', message: 'piece', properties: { threadId, idx, bytes } });
      setTimeout(() => {
        if (idx.includes(${failAt})) return parentPort.postMessage({ type: 'error', id: m.id, name: 'Error', message: 'piece failed on purpose' });
        parentPort.postMessage({ type: 'result', id: m.id, counters: {}, result: { messages: idx.length, records: 0, events: 0, bytes, parseErrors: 0, delivered: idx.length, deadLettered: 0, badRecords: [], counts: {} } });
      }, delayMs(threadId));
    });`);
  return script;
}

describe('StreamingWorkerPool pieces', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'df-worker-pieces-'));
  const pieces = (log: MemoryLogger) => log.entries.filter((e) => e.message === 'piece').map((e) => e.properties as unknown as { threadId: number; idx: number[]; bytes: number });

  test('a batch goes out in pieces of at most PIECE_BYTES, each message once, in order; a free worker takes more', async () => {
    const log = new MemoryLogger();
    // One worker answers at once, the other after 40 ms: the fast one must not wait for the slow one.
    const pool = new StreamingWorkerPool({ size: 2, runtime: { env: {}, mode: 'cli' }, logger: log, script: pieceScript(dir, '(t) => (t % 2 ? 40 : 0)') });
    const msgs = messages(80, 100);
    const r = await pool.run(msgs);
    await pool.close();
    assert.equal(r.delivered, 80);
    const seen = pieces(log);
    assert.ok(seen.length >= 8, `${seen.length} pieces`);
    // Logs of two threads may arrive interleaved: sort the pieces by their first message.
    seen.sort((x, y) => x.idx[0] - y.idx[0]);
    assert.deepEqual(seen.flatMap((p) => p.idx), msgs.map((_, i) => i), 'consecutive runs of messages, each message once');
    for (const p of seen) assert.ok(p.bytes <= PIECE_BYTES || p.idx.length === 1, `piece of ${p.bytes} bytes`);
    const perThread = new Map<number, number>();
    for (const p of seen) perThread.set(p.threadId, (perThread.get(p.threadId) ?? 0) + 1);
    assert.equal(perThread.size, 2, 'both workers took part');
    const [a, b] = [...perThread.values()];
    assert.ok(Math.max(a, b) >= 2 * Math.min(a, b), `the fast worker took more pieces: ${a} and ${b}`);
  });

  test('after a failed piece no further piece is handed out, and the batch rejects with its error', async () => {
    const log = new MemoryLogger();
    const pool = new StreamingWorkerPool({ size: 2, runtime: { env: {}, mode: 'cli' }, logger: log, script: pieceScript(dir, '() => 20', 0) });
    const msgs = messages(80, 100);
    await assert.rejects(pool.run(msgs), (err: unknown) => err instanceof StreamingWorkerError && /failed on purpose/.test(err.message));
    const total = [...messagesInChunks(msgs, PIECE_BYTES)].length;
    assert.ok(pieces(log).length < total, `${pieces(log).length} of ${total} pieces handed out`);
    await pool.close();
  });
});

describe('runStreamingBatch', () => {
  test('delivers in groups, counts every record once, reports bad records with provenance', async () => {
    const delivered: OutboundEvent[][] = [];
    const stored: DeadLetterEntry[] = [];
    const deps = {
      streaming: { includeOriginal: false },
      deliver: async (items: readonly OutboundEvent[]) => { delivered.push([...items]); return { delivered: items.length, deadLettered: 0 }; },
      deadLetter: async (e: readonly DeadLetterEntry[]) => { stored.push(...e); },
    };
    const msgs = messages(20, 10);
    const r = await runStreamingBatch(deps, msgs, 2000); // ~2 messages per group
    assert.ok(delivered.length >= 8, `expected many groups, got ${delivered.length}`);
    const ids = delivered.flat().map((o) => o.event.event.id);
    assert.equal(ids.length, 200);
    assert.equal(new Set(ids).size, 200);
    assert.deepEqual(
      { messages: r.messages, records: r.records, events: r.events, parseErrors: r.parseErrors, delivered: r.delivered, deadLettered: r.deadLettered },
      { messages: 20, records: 201, events: 200, parseErrors: 1, delivered: 200, deadLettered: 0 },
    );
    assert.equal(stored.length, 1);
    assert.equal(r.badRecords[0].provenance.sequenceNumber, 503);
    assert.equal(r.badRecords[0].provenance.recordIndex, 10);
    assert.match(r.badRecords[0].reason, /properties/);
  });

  test('a dead-letter write that fails rejects the batch and stops delivering the rest', async () => {
    let deliveries = 0;
    const deps = {
      streaming: { includeOriginal: false },
      deliver: async (items: readonly OutboundEvent[]) => { deliveries++; return { delivered: items.length, deadLettered: 0 }; },
      deadLetter: async (e: readonly DeadLetterEntry[]) => { if (e.length) throw new Error('storage down'); },
    };
    await assert.rejects(runStreamingBatch(deps, messages(40, 10), 2000), /storage down/);
    assert.ok(deliveries < 19, `kept delivering after the failure: ${deliveries} groups`);
  });
});

describe('STREAMING_WORKERS', () => {
  test('a value that is not auto or 0-64 is a configuration error naming the setting', async () => {
    for (const bad of ['two', '-1', '65', '1.5']) {
      await assert.rejects(createRuntime({ env: { DESTINATION: 'discard', STREAMING_WORKERS: bad }, mode: 'cli', logger: silentLogger }),
        (err: unknown) => err instanceof ConfigError && err.setting === 'STREAMING_WORKERS' && err.message.includes(bad));
    }
  });
  test('the stdout destination keeps streaming in-process, with a warning when workers were asked for', async () => {
    const logger = new MemoryLogger();
    const rt = await createRuntime({ env: { STREAMING_WORKERS: '2' }, mode: 'cli', logger });
    assert.equal(rt.streamingWorkers, 0);
    assert.ok(logger.entries.some((e) => e.level === 'warn' && e.message.includes('STREAMING_WORKERS=2 ignored')));
    await rt.close();
  });
  test('explicit counts are used; 0 means in-process', async () => {
    const three = await createRuntime({ env: { DESTINATION: 'discard', STREAMING_WORKERS: '3' }, mode: 'cli', logger: silentLogger });
    const none = await createRuntime({ env: { DESTINATION: 'discard', STREAMING_WORKERS: '0' }, mode: 'cli', logger: silentLogger });
    assert.equal(three.streamingWorkers, 3);
    assert.equal(none.streamingWorkers, 0);
    await three.close();
    await none.close();
  });
  test('discard is refused in the Function App', async () => {
    await assert.rejects(createRuntime({ env: { DESTINATION: 'discard' }, mode: 'function', logger: silentLogger }),
      (err: unknown) => err instanceof ConfigError && err.setting === 'DESTINATION' && /discard/.test(err.message));
  });
});

describe('worker threads against a real HTTP collector', () => {
  let collector: HttpCollector;
  let dir: string;
  before(async () => {
    collector = await HttpCollector.start({ kind: 'generic' });
    dir = mkdtempSync(path.join(tmpdir(), 'df-workers-'));
  });
  after(async () => { await collector.down(); });

  test('the Event Hub handler with 2 workers: every event once, bad records dead-lettered by the workers, counters merged', async () => {
    const dest = collector.url('/ingest').toString();
    const logger = new MemoryLogger();
    const rt = await createRuntime({ env: { DESTINATION: dest, STREAMING_WORKERS: '2', DEADLETTER_DIR: dir, HTTP_COMPRESSION: 'gzip' }, mode: 'cli', logger });
    assert.equal(rt.streamingWorkers, 2);
    const msgs = messages(30, 20);
    const logs: string[] = [];
    const ctx = new InvocationContext({
      invocationId: 'w-1', functionName: 'defenderStreaming', logHandler: (level, ...args) => logs.push(`${level}: ${args.join(' ')}`),
      triggerMetadata: { partitionContext: { PartitionId: '1' }, sequenceNumberArray: msgs.map((m) => m.provenance.sequenceNumber) },
    });
    collector.accepted.length = 0;
    await makeStreamingHandler(async () => rt)(msgs.map((m) => m.body), ctx);

    const got = collector.accepted as Array<{ process: { command_line: string } }>;
    assert.equal(got.length, 600);
    const lines = new Set(got.map((e) => e.process.command_line));
    assert.equal(lines.size, 600, 'each event exactly once');
    assert.ok(lines.has('cmd.exe /c echo 29-19') && lines.has('cmd.exe /c echo 0-0'));
    assert.equal(rt.counters.get('delivered', rt.sinks[0].name), 600, 'the workers\' counters reach the runtime');
    assert.ok(logs.some((l) => l.includes('bad record dead-lettered') && /sequenceNumber[^0-9]*503/.test(l) && /recordIndex[^0-9]*20/.test(l)), logs.join('\n'));
    const summary = logs.find((l) => l.includes('streaming batch done'));
    assert.ok(summary?.includes('"workers":2'), summary);
    assert.ok(summary?.includes(`"delivered|${rt.sinks[0].name}":600`), `per-destination count summed over both workers: ${summary}`);
    await rt.close();

    const files = readdirSync(dir).filter((f) => f.endsWith('.ndjson'));
    const entries = files.flatMap((f) => readFileSync(path.join(dir, f), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as DeadLetterEntry));
    assert.equal(entries.length, 1);
    assert.equal(entries[0].kind, 'parse-error');
    assert.deepEqual(entries[0].payload, { category: 'AdvancedHunting-DeviceEvents' });
  });

  test('concurrent batches (several partitions on one instance) share the workers: each event once, each result its own', async () => {
    const dest = collector.url('/ingest').toString();
    const rt = await createRuntime({ env: { DESTINATION: dest, STREAMING_WORKERS: '2', DEADLETTER_DIR: dir }, mode: 'cli', logger: silentLogger });
    collector.accepted.length = 0;
    const batches = [0, 1, 2].map((p) => messages(12, 10).map((m) => ({ ...m, body: (m.body as string).replace(/echo /g, `echo p${p}-`) })));
    const results = await Promise.all(batches.map((b) => rt.processStreaming(b)));
    assert.deepEqual(results.map((r) => [r.records, r.delivered, r.parseErrors]), [[121, 120, 1], [121, 120, 1], [121, 120, 1]]);
    const lines = (collector.accepted as Array<{ process: { command_line: string } }>).map((e) => e.process.command_line);
    assert.equal(lines.length, 360);
    assert.equal(new Set(lines).size, 360);
    await rt.close();
  });

  test('retries of this batch are counted per destination in its result (503, then accepted)', async () => {
    const dest = collector.url('/ingest').toString();
    const rt = await createRuntime({ env: { DESTINATION: dest, STREAMING_WORKERS: '0', DEADLETTER_DIR: dir }, mode: 'cli', logger: silentLogger });
    collector.fail({ kind: 'status', status: 503 });
    const r = await rt.processStreaming([messages(1, 4)[0]]);
    assert.equal(r.delivered, 4);
    assert.equal(r.counts[`delivered|${rt.sinks[0].name}`], 4);
    assert.equal(r.counts[`retried|${rt.sinks[0].name}`], 1);
    const again = await rt.processStreaming([messages(1, 4)[0]]);
    assert.equal(again.counts[`retried|${rt.sinks[0].name}`], undefined, 'a clean batch reports no retries');
    await rt.close();
  });

  test('a dead-letter store that fails in a worker fails the batch (the trigger keeps it)', async () => {
    const notADir = path.join(dir, 'file');
    writeFileSync(notADir, 'x');
    const rt = await createRuntime({ env: { DESTINATION: collector.url('/ingest').toString(), STREAMING_WORKERS: '2', DEADLETTER_DIR: path.join(notADir, 'sub') }, mode: 'cli', logger: silentLogger });
    await assert.rejects(rt.processStreaming(messages(8, 2)), (err: unknown) => err instanceof StreamingWorkerError && /dead-letter|ENOTDIR/i.test(err.message));
    // The pool is still usable after a failed piece.
    const ok = await rt.processStreaming([messages(1, 3)[0]]);
    assert.equal(ok.delivered, 3);
    await rt.close();
  });
});

test('a worker that dies fails the batch with a clear error, and the next batch gets a new worker', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'df-worker-script-'));
  const script = path.join(dir, 'dying.js');
  // Dies on its first piece; its replacement (a new thread, so a new flag) answers.
  writeFileSync(script, `
    const { parentPort, workerData } = require('node:worker_threads');
    const fs = require('node:fs');
    const flag = ${JSON.stringify(path.join(dir, 'died'))};
    parentPort.on('message', (m) => {
      if (m.type === 'close') return process.exit(0);
      if (!fs.existsSync(flag)) { fs.writeFileSync(flag, '1'); process.exit(3); }
      parentPort.postMessage({ type: 'result', id: m.id, counters: {}, result: { messages: m.messages.length, records: 0, events: 0, bytes: 0, parseErrors: 0, delivered: 7, deadLettered: 0, badRecords: [] } });
    });`);
  const pool = new StreamingWorkerPool({ size: 1, runtime: { env: {}, mode: 'cli' }, logger: silentLogger, script });
  await assert.rejects(pool.run(messages(2, 1)), (err: unknown) => err instanceof StreamingWorkerError && /exited \(code 3\)/.test(err.message));
  const r = await pool.run(messages(2, 1));
  assert.equal(r.delivered, 7);
  await pool.close();
});
