import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DeliveryEngine, DeadLetterWriteError } from '../../shared/delivery/engine';
import { LocalDirDeadLetterStore } from '../../shared/deadletter/local-store';
import { BlobDeadLetterStore } from '../../shared/deadletter/blob-store';
import { parseFailureEntry } from '../../shared/deadletter/entries';
import { blobServiceClient } from '../../shared/storage/account';
import { Counters, MemoryLogger } from '../../shared/observability/log';
import { freePort, DEV_ACCOUNT, DEV_KEY } from '../support/azurite';
import { FakeSink, MemoryDeadLetterStore, events, ids } from './support';

const FIXED = new Date('2025-02-07T19:05:00.000Z');

test('fan-out to two sinks where one fails: only that destination\'s items are dead-lettered', async () => {
  const good = new FakeSink('syslog+tcp://siem-a:514');
  const bad = new FakeSink('https://collector-b/ingest');
  bad.failWhen = (item) => item.event.event.id === 'evt-1' || item.event.event.id === 'evt-3';
  const store = new MemoryDeadLetterStore();
  const counters = new Counters();
  const logger = new MemoryLogger();
  const engine = new DeliveryEngine({ sinks: [good, bad], deadLetters: store, logger, counters, now: () => FIXED });
  const items = events(5);

  const outcome = await engine.deliver(items);

  assert.deepEqual(ids(good.received), ['evt-0', 'evt-1', 'evt-2', 'evt-3', 'evt-4']);
  assert.deepEqual(ids(bad.received), ['evt-0', 'evt-2', 'evt-4']);
  assert.deepEqual(outcome, {
    received: 5,
    delivered: { 'syslog+tcp://siem-a:514': 5, 'https://collector-b/ingest': 3 },
    deadLettered: 2,
    failures: [{ destination: 'https://collector-b/ingest', count: 2, reasons: ['HTTP 400 mapping error'] }],
  });
  assert.equal(store.puts.length, 1, 'one dead-letter unit per deliver() call');
  const [e1, e3] = store.puts[0];
  assert.deepEqual(e1, {
    kind: 'delivery-failed',
    reason: 'HTTP 400 mapping error',
    provenance: { source: 'eventhub', partition: '0', sequenceNumber: 1001, offset: '4096', messageIndex: 0, recordIndex: 1 },
    failedAt: '2025-02-07T19:05:00.000Z',
    destination: 'https://collector-b/ingest',
    attempts: 1,
    origin: 'streaming',
    payload: JSON.parse(JSON.stringify(items[1])),
  });
  assert.equal(e3.destination, 'https://collector-b/ingest');
  assert.deepEqual(e3.payload, JSON.parse(JSON.stringify(items[3])));

  assert.equal(counters.get('in', 'syslog+tcp://siem-a:514'), 5);
  assert.equal(counters.get('delivered', 'syslog+tcp://siem-a:514'), 5);
  assert.equal(counters.get('failed', 'syslog+tcp://siem-a:514'), 0);
  assert.equal(counters.get('delivered', 'https://collector-b/ingest'), 3);
  assert.equal(counters.get('failed', 'https://collector-b/ingest'), 2);
  assert.equal(counters.get('deadLettered', 'https://collector-b/ingest'), 2);
  assert.equal(logger.entries.length, 1, 'one structured log line per call');
  assert.equal(logger.entries[0].level, 'warn');
  assert.deepEqual(logger.entries[0].properties, {
    in: 5, 'delivered|syslog+tcp://siem-a:514': 5, 'delivered|https://collector-b/ingest': 3, 'failed|https://collector-b/ingest': 2,
    deadLettered: 2, durationMs: logger.entries[0].properties?.durationMs, deadLetterStore: 'memory', firstReason: 'HTTP 400 mapping error',
  });
});

test('both sinks are sent to concurrently, not one after the other', async () => {
  const order: string[] = [];
  const mk = (name: string) => ({
    name,
    async send(batch: readonly unknown[]) {
      order.push(`start ${name}`);
      await new Promise((r) => setImmediate(r));
      order.push(`end ${name}`);
      return { delivered: batch.length, failed: [] };
    },
    async close() {},
  });
  const engine = new DeliveryEngine({ sinks: [mk('a'), mk('b')], deadLetters: new MemoryDeadLetterStore(), logger: new MemoryLogger() });
  await engine.deliver(events(1));
  assert.deepEqual(order, ['start a', 'start b', 'end a', 'end b']);
});

test('everything delivered: no dead-letter write, info log line', async () => {
  const store = new MemoryDeadLetterStore();
  const logger = new MemoryLogger();
  const engine = new DeliveryEngine({ sinks: [new FakeSink('a')], deadLetters: store, logger });
  const outcome = await engine.deliver(events(3));
  assert.deepEqual(outcome, { received: 3, delivered: { a: 3 }, deadLettered: 0, failures: [] });
  assert.equal(store.puts.length, 0);
  assert.equal(logger.entries[0].level, 'info');
  assert.equal(logger.entries[0].message, 'delivery finished');
});

test('an empty batch sends nothing and stores nothing', async () => {
  const sink = new FakeSink('a');
  const store = new MemoryDeadLetterStore();
  const engine = new DeliveryEngine({ sinks: [sink], deadLetters: store, logger: new MemoryLogger() });
  assert.deepEqual(await engine.deliver([]), { received: 0, delivered: {}, deadLettered: 0, failures: [] });
  assert.equal(sink.sends, 0);
  assert.equal(store.puts.length, 0);
});

test('a dead-letter write failure makes deliver() throw (the batch must not be acknowledged)', async () => {
  const sink = new FakeSink('a');
  sink.state = 'down';
  const store = new MemoryDeadLetterStore();
  store.failWith = new Error('disk full');
  const counters = new Counters();
  const logger = new MemoryLogger();
  const engine = new DeliveryEngine({ sinks: [sink], deadLetters: store, logger, counters });
  await assert.rejects(engine.deliver(events(2)), (err: unknown) => {
    assert.ok(err instanceof DeadLetterWriteError);
    assert.equal(err.message, 'dead-letter store memory could not store 2 entries: disk full');
    return true;
  });
  assert.equal(counters.get('deadLetterWriteFailed'), 2);
  assert.equal(counters.get('deadLettered', 'a'), 0);
  assert.equal(logger.entries.at(-1)?.level, 'error');
});

test('a dead-letter write to an unreachable Blob endpoint (closed port) makes deliver() throw', async () => {
  const port = await freePort();
  const cs = `DefaultEndpointsProtocol=http;AccountName=${DEV_ACCOUNT};AccountKey=${DEV_KEY};BlobEndpoint=http://127.0.0.1:${port}/${DEV_ACCOUNT};`;
  const store = new BlobDeadLetterStore({ service: blobServiceClient({ kind: 'connection-string', connectionString: cs }, { retryOptions: { maxTries: 1, tryTimeoutInMs: 5000 } }) });
  const sink = new FakeSink('a');
  sink.state = 'down';
  const engine = new DeliveryEngine({ sinks: [sink], deadLetters: store, logger: new MemoryLogger() });
  await assert.rejects(engine.deliver(events(1)), (err: unknown) => {
    assert.ok(err instanceof DeadLetterWriteError);
    assert.match(err.message, new RegExp(`^dead-letter store blob:http://127\\.0\\.0\\.1:${port}/devstoreaccount1/deadletter could not store 1 entry: `));
    assert.doesNotMatch(err.message, /AccountKey|Eby8/);
    return true;
  });
});

test('a sink that rejects has all its items dead-lettered, the other sink is unaffected', async () => {
  const ok = new FakeSink('ok');
  const broken = new FakeSink('broken');
  broken.throwOnSend = new Error('socket hang up');
  const store = new MemoryDeadLetterStore();
  const engine = new DeliveryEngine({ sinks: [ok, broken], deadLetters: store, logger: new MemoryLogger() });
  const outcome = await engine.deliver(events(2));
  assert.deepEqual(outcome.delivered, { ok: 2, broken: 0 });
  assert.equal(outcome.deadLettered, 2);
  assert.deepEqual(store.puts[0].map((e) => [e.destination, e.reason, (e.payload as { event: { event: { id: string } } }).event.event.id]), [
    ['broken', 'sink error: socket hang up', 'evt-0'],
    ['broken', 'sink error: socket hang up', 'evt-1'],
  ]);
});

test('a sink whose report does not account for every item: the unaccounted items are dead-lettered', async () => {
  const sink = new FakeSink('buggy');
  sink.underReport = 1;
  const store = new MemoryDeadLetterStore();
  const engine = new DeliveryEngine({ sinks: [sink], deadLetters: store, logger: new MemoryLogger() });
  const outcome = await engine.deliver(events(3));
  // Which one went through is unknown: all three are stored (a duplicate beats a loss).
  assert.equal(outcome.deadLettered, 3);
  assert.deepEqual(store.puts[0].map((e) => e.reason), Array(3).fill('sink reported 1 delivered and 0 failed of 3 items'));
});

test('the failing sink\'s own name is the destination, whatever its report says', async () => {
  const sink = {
    name: 'elastic+https://es:9200/logs',
    async send(batch: readonly import('../../shared/sinks/types').OutboundEvent[]) {
      return { delivered: 0, failed: batch.map((item) => ({ item, reason: 'x', attempts: 2, destination: 'https://es:9200/_bulk' })) };
    },
    async close() {},
  };
  const store = new MemoryDeadLetterStore();
  await new DeliveryEngine({ sinks: [sink], deadLetters: store, logger: new MemoryLogger() }).deliver(events(1));
  assert.equal(store.puts[0][0].destination, 'elastic+https://es:9200/logs');
  assert.equal(store.puts[0][0].attempts, 2);
});

test('deadLetter() stores parse failures, counts them and throws when the store fails', async () => {
  const store = new MemoryDeadLetterStore();
  const counters = new Counters();
  const engine = new DeliveryEngine({ sinks: [new FakeSink('a')], deadLetters: store, logger: new MemoryLogger(), counters });
  const entry = parseFailureEntry({ reason: 'body is not JSON', provenance: { source: 'eventhub', messageIndex: 4 }, body: Buffer.from([0x7b, 0xff, 0x00]), failedAt: FIXED.toISOString() });
  await engine.deadLetter([entry]);
  assert.deepEqual(store.puts[0], [{ kind: 'parse-error', reason: 'body is not JSON', provenance: { source: 'eventhub', messageIndex: 4 }, failedAt: '2025-02-07T19:05:00.000Z', payload: 'e/8A', payloadEncoding: 'base64' }]);
  assert.equal(counters.get('deadLettered', 'parse-error'), 1);
  store.failWith = new Error('nope');
  await assert.rejects(engine.deadLetter([entry]), DeadLetterWriteError);
});

test('duplicate sink names and no sinks are refused', () => {
  assert.throws(() => new DeliveryEngine({ sinks: [], deadLetters: new MemoryDeadLetterStore(), logger: new MemoryLogger() }), /at least one sink/);
  assert.throws(() => new DeliveryEngine({ sinks: [new FakeSink('x'), new FakeSink('x')], deadLetters: new MemoryDeadLetterStore(), logger: new MemoryLogger() }), /same name "x"/);
});

test('close() closes every sink and does not throw for a failing one', async () => {
  const a = new FakeSink('a');
  const b = new FakeSink('b');
  b.close = async () => { throw new Error('EPIPE'); };
  const logger = new MemoryLogger();
  await new DeliveryEngine({ sinks: [a, b], deadLetters: new MemoryDeadLetterStore(), logger }).close();
  assert.equal(a.closed, true);
  assert.deepEqual(logger.entries, [{ level: 'warn', message: 'closing a destination failed', properties: { destination: 'b', error: 'EPIPE' } }]);
});

test('engine with the local dir store: the unit on disk holds exactly the failed items', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-dl-'));
  try {
    const store = new LocalDirDeadLetterStore({ dir, now: () => FIXED });
    const down = new FakeSink('syslog+udp://siem:514');
    down.state = 'down';
    const engine = new DeliveryEngine({ sinks: [new FakeSink('stdout'), down], deadLetters: store, logger: new MemoryLogger(), now: () => FIXED });
    await engine.deliver(events(3));
    const files = readdirSync(dir);
    assert.equal(files.length, 1);
    assert.match(files[0], /^2025-02-07T19-05-00\.000Z-delivery-failed-[0-9a-f]{12}\.ndjson$/);
    const entries = await store.read(files[0]);
    assert.deepEqual(entries.map((e) => [e.destination, e.attempts, e.reason]), Array(3).fill(['syslog+udp://siem:514', 3, 'connect ECONNREFUSED 127.0.0.1:9']));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
