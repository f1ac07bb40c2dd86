import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { BlobDeadLetterStore } from '../../shared/deadletter/blob-store';
import { LocalDirDeadLetterStore } from '../../shared/deadletter/local-store';
import { parseFailureBody, parseFailureEntry } from '../../shared/deadletter/entries';
import { redriveDeadLetters } from '../../shared/deadletter/redrive';
import type { DeadLetterEntry } from '../../shared/deadletter/types';
import type { DeadLetterUnitStore } from '../../shared/deadletter/unit';
import { DeliveryEngine } from '../../shared/delivery/engine';
import { Counters, MemoryLogger } from '../../shared/observability/log';
import type { OutboundEvent } from '../../shared/sinks/types';
import { startAzurite, type AzuriteInstance } from '../support/azurite';
import { FakeSink, events, ids, outbound } from '../delivery/support';

let azurite: AzuriteInstance;
let service: BlobServiceClient;
let seq = 0;
before(async () => {
  azurite = await startAzurite();
  service = BlobServiceClient.fromConnectionString(azurite.connectionString);
});
after(async () => { await azurite.stop(); });

const blobStore = () => new BlobDeadLetterStore({ service, containerName: `redrive-${++seq}` });
function localStore(t: { after(fn: () => void): void }): LocalDirDeadLetterStore {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dl-redrive-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return new LocalDirDeadLetterStore({ dir });
}

test('collector down for a whole invocation: everything dead-lettered, kept while down, redriven when back, nothing lost', async () => {
  const store = blobStore();
  const siem = new FakeSink('syslog+tcp://siem:514');
  const engine = new DeliveryEngine({ sinks: [siem], deadLetters: store, logger: new MemoryLogger() });
  siem.state = 'down';
  await engine.deliver(events(4, 0));
  await engine.deliver(events(3, 4));
  const before = await store.list();
  assert.deepEqual(before.map((u) => u.count), [4, 3]);

  // Still down: nothing delivered, nothing deleted or rewritten; the second unit is not even tried.
  const counters = new Counters();
  const sendsBefore = siem.sends;
  const stillDown = await redriveDeadLetters({ store, sinks: [siem], logger: new MemoryLogger(), counters });
  assert.deepEqual(stillDown, { unitsSeen: 2, unitsDeleted: 0, unitsRewritten: 0, unitsKept: 2, unitsNotReached: 0, entriesRedriven: 0, entriesRemaining: 7, complete: false });
  assert.equal(siem.sends - sendsBefore, 1, 'a destination that took nothing is not retried for later units in the same run');
  assert.deepEqual((await store.list()).map((u) => u.id), before.map((u) => u.id));

  siem.state = 'up';
  const back = await redriveDeadLetters({ store, sinks: [siem], logger: new MemoryLogger(), counters });
  assert.deepEqual(back, { unitsSeen: 2, unitsDeleted: 2, unitsRewritten: 0, unitsKept: 0, unitsNotReached: 0, entriesRedriven: 7, entriesRemaining: 0, complete: true });
  assert.deepEqual(ids(siem.received), ['evt-0', 'evt-1', 'evt-2', 'evt-3', 'evt-4', 'evt-5', 'evt-6']);
  // Exactly what failed is sent again: the full OutboundEvent, original included.
  assert.deepEqual(siem.received[2], JSON.parse(JSON.stringify(outbound(2))));
  assert.deepEqual(await store.list(), []);
  assert.equal(counters.get('redriven', 'syslog+tcp://siem:514'), 7);
});

test('partial redrive: the rest is written as a new unit before the old one is deleted', async () => {
  const store = blobStore();
  const a = new FakeSink('https://a/ingest');
  const b = new FakeSink('https://b/ingest');
  a.state = 'down';
  b.state = 'down';
  await new DeliveryEngine({ sinks: [a, b], deadLetters: store, logger: new MemoryLogger() }).deliver(events(3));
  const [original] = await store.list();
  assert.equal(original.count, 6);
  const originalFailedAt = (await store.read(original.id))[0].failedAt;

  // a is back but refuses evt-1; b is still down.
  a.state = 'up';
  a.failWhen = (item) => item.event.event.id === 'evt-1';
  const r1 = await redriveDeadLetters({ store, sinks: [a, b], logger: new MemoryLogger() });
  assert.deepEqual(r1, { unitsSeen: 1, unitsDeleted: 0, unitsRewritten: 1, unitsKept: 0, unitsNotReached: 0, entriesRedriven: 2, entriesRemaining: 4, complete: false });
  assert.deepEqual(ids(a.received), ['evt-0', 'evt-2']);
  const units = await store.list();
  assert.equal(units.length, 1);
  assert.notEqual(units[0].id, original.id, 'the old unit is gone, a new one holds the rest');
  const rest = await store.read(units[0].id);
  const key = (x: unknown[]) => `${String(x[0])} ${String(x[1])}`;
  assert.deepEqual(rest.map((e) => [e.destination, (e.payload as OutboundEvent).event.event.id, e.reason, e.attempts]).sort((x, y) => key(x).localeCompare(key(y))), [
    ['https://a/ingest', 'evt-1', 'HTTP 400 mapping error', 4],
    ['https://b/ingest', 'evt-0', 'connect ECONNREFUSED 127.0.0.1:9', 6],
    ['https://b/ingest', 'evt-1', 'connect ECONNREFUSED 127.0.0.1:9', 6],
    ['https://b/ingest', 'evt-2', 'connect ECONNREFUSED 127.0.0.1:9', 6],
  ]);
  // The first failure time is kept: it tells how old the dead letter is.
  assert.deepEqual(rest.map((e) => e.failedAt), Array(4).fill(originalFailedAt));

  a.failWhen = undefined;
  b.state = 'up';
  const r2 = await redriveDeadLetters({ store, sinks: [a, b], logger: new MemoryLogger() });
  assert.equal(r2.complete, true);
  assert.deepEqual(ids(a.received), ['evt-0', 'evt-2', 'evt-1']);
  assert.deepEqual(ids(b.received), ['evt-0', 'evt-1', 'evt-2']);
  assert.deepEqual(await store.list(), []);
});

test('a destination that is no longer configured: its entries are kept and the log says why', async () => {
  const store = blobStore();
  const old = new FakeSink('syslog+udp://retired:514');
  old.state = 'down';
  const current = new FakeSink('https://current/ingest');
  current.state = 'down';
  await new DeliveryEngine({ sinks: [old, current], deadLetters: store, logger: new MemoryLogger() }).deliver(events(2));
  current.state = 'up';
  const logger = new MemoryLogger();
  const r = await redriveDeadLetters({ store, sinks: [current], logger });
  assert.equal(r.unitsRewritten, 1);
  assert.equal(r.entriesRemaining, 2);
  assert.deepEqual(ids(current.received), ['evt-0', 'evt-1']);
  const [unit] = await store.list();
  assert.deepEqual(unit.destinations, ['syslog+udp://retired:514']);
  assert.ok(logger.entries.some((e) => e.level === 'warn' && e.message === 'dead letters for a destination that is no longer configured are kept' && e.properties?.destination === 'syslog+udp://retired:514'));
});

test('parse-error entries: kept without reprocess; with it, delivered to every sink; undefined keeps them', async (t) => {
  const store = localStore(t);
  const good = parseFailureEntry({ reason: 'truncated JSON', provenance: { source: 'eventhub', messageIndex: 0 }, body: Buffer.from('{"records":[1]}'), failedAt: '2025-02-07T19:00:00.000Z' });
  const hopeless = parseFailureEntry({ reason: 'binary', provenance: { source: 'eventhub', messageIndex: 1 }, body: Buffer.from([0xff, 0xfe]), failedAt: '2025-02-07T19:00:00.000Z' });
  await store.put([good, hopeless]);
  const a = new FakeSink('a');
  const b = new FakeSink('b');

  const none = await redriveDeadLetters({ store, sinks: [a, b], logger: new MemoryLogger() });
  assert.equal(none.unitsKept, 1);
  assert.equal(a.sends + b.sends, 0);

  const seen: unknown[] = [];
  const reprocess = (entry: DeadLetterEntry): OutboundEvent[] | undefined => {
    const body = parseFailureBody(entry);
    seen.push(body);
    return typeof body === 'string' ? [outbound(42), outbound(43)] : undefined;
  };
  const r = await redriveDeadLetters({ store, sinks: [a, b], logger: new MemoryLogger(), reprocess });
  assert.deepEqual(seen, ['{"records":[1]}', Buffer.from([0xff, 0xfe])]);
  assert.equal(r.entriesRedriven, 1);
  assert.equal(r.unitsRewritten, 1);
  assert.deepEqual(ids(a.received), ['evt-42', 'evt-43']);
  assert.deepEqual(ids(b.received), ['evt-42', 'evt-43']);
  const [unit] = await store.list();
  assert.deepEqual((await store.read(unit.id)).map((e) => e.reason), ['binary']);
});

test('a reprocessed parse error that one sink cannot take becomes a delivery-failed entry for that sink only', async (t) => {
  const store = localStore(t);
  await store.put([parseFailureEntry({ reason: 'bad', provenance: { source: 'eventhub', messageIndex: 0 }, body: 'x', failedAt: '2025-02-07T19:00:00.000Z' })]);
  const a = new FakeSink('a');
  const b = new FakeSink('b');
  b.state = 'down';
  const r = await redriveDeadLetters({ store, sinks: [a, b], logger: new MemoryLogger(), reprocess: () => [outbound(7)] });
  assert.equal(r.unitsRewritten, 1);
  const [unit] = await store.list();
  const rest = await store.read(unit.id);
  assert.deepEqual(rest.map((e) => [e.kind, e.destination, (e.payload as OutboundEvent).event.event.id]), [['delivery-failed', 'b', 'evt-7']]);
  assert.deepEqual(ids(a.received), ['evt-7']);
});

test('maxUnits and the time budget leave later units for the next run', async (t) => {
  const store = localStore(t);
  const sink = new FakeSink('a');
  sink.state = 'down';
  const engine = new DeliveryEngine({ sinks: [sink], deadLetters: store, logger: new MemoryLogger() });
  for (let i = 0; i < 3; i++) await engine.deliver(events(1, i));
  sink.state = 'up';
  const r = await redriveDeadLetters({ store, sinks: [sink], logger: new MemoryLogger(), maxUnits: 2 });
  assert.equal(r.unitsDeleted, 2);
  assert.equal(r.unitsNotReached, 1);
  assert.equal(r.complete, false);
  assert.deepEqual(ids(sink.received), ['evt-0', 'evt-1'], 'oldest first');
  let clock = 0;
  const r2 = await redriveDeadLetters({ store, sinks: [sink], logger: new MemoryLogger(), budgetMs: 10, now: () => (clock += 100) });
  assert.equal(r2.unitsNotReached, 1);
  assert.equal(r2.unitsDeleted, 0);
  assert.equal((await store.list()).length, 1);
});

test('a damaged unit is kept and never redriven', async (t) => {
  const store = localStore(t);
  const dir = store.name.slice('dir:'.length);
  writeFileSync(path.join(dir, '2025-01-01T00-00-00.000Z-delivery-failed-0123456789ab.ndjson'), 'garbage\n');
  const sink = new FakeSink('a');
  const logger = new MemoryLogger();
  const r = await redriveDeadLetters({ store, sinks: [sink], logger });
  assert.equal(r.unitsKept, 1);
  assert.equal(sink.sends, 0);
  assert.ok(logger.entries.some((e) => e.level === 'error' && e.message === 'dead-letter unit is unreadable; kept for inspection'));
});

test('if the rest of a partly redriven unit cannot be stored, the old unit stays whole', async (t) => {
  const inner = localStore(t);
  const a = new FakeSink('a');
  const b = new FakeSink('b');
  a.state = 'down';
  b.state = 'down';
  await new DeliveryEngine({ sinks: [a, b], deadLetters: inner, logger: new MemoryLogger() }).deliver(events(1));
  const [before] = await inner.list();
  const failingPut: DeadLetterUnitStore = {
    name: inner.name,
    put: async () => { throw new Error('storage unavailable'); },
    list: () => inner.list(),
    read: (id) => inner.read(id),
    delete: (id) => inner.delete(id),
  };
  a.state = 'up';
  const r = await redriveDeadLetters({ store: failingPut, sinks: [a, b], logger: new MemoryLogger() });
  assert.equal(r.unitsKept, 1);
  assert.equal(r.unitsRewritten, 0);
  const after = await inner.list();
  assert.deepEqual(after.map((u) => [u.id, u.count]), [[before.id, 2]]);
});

test('a sink whose report cannot be matched to the items keeps them all', async (t) => {
  const store = localStore(t);
  const sink = new FakeSink('a');
  sink.state = 'down';
  await new DeliveryEngine({ sinks: [sink], deadLetters: store, logger: new MemoryLogger() }).deliver(events(2));
  const cloning = {
    name: 'a',
    async send(batch: readonly OutboundEvent[]) {
      // Reports a failure for a copy, not for the item it was given.
      return { delivered: 1, failed: [{ item: { ...batch[1] }, reason: 'x', attempts: 1, destination: 'a' }] };
    },
    async close() {},
  };
  const r = await redriveDeadLetters({ store, sinks: [cloning], logger: new MemoryLogger() });
  assert.equal(r.unitsKept, 1);
  assert.equal((await store.list())[0].count, 2);
});
