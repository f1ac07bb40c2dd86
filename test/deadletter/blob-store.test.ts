import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { BlobDeadLetterStore } from '../../shared/deadletter/blob-store';
import { createDeadLetterStore, readDeadLetterSettings } from '../../shared/deadletter/create';
import { LocalDirDeadLetterStore } from '../../shared/deadletter/local-store';
import { deliveryFailureEntry, parseFailureEntry } from '../../shared/deadletter/entries';
import { DeadLetterWriteError } from '../../shared/deadletter/unit';
import { ConfigError } from '../../shared/config/env';
import { MemoryLogger } from '../../shared/observability/log';
import { startAzurite, type AzuriteInstance } from '../support/azurite';
import { outbound } from '../delivery/support';

let azurite: AzuriteInstance;
let service: BlobServiceClient;
let containerSeq = 0;
before(async () => {
  azurite = await startAzurite();
  service = BlobServiceClient.fromConnectionString(azurite.connectionString);
});
after(async () => { await azurite.stop(); });

const nextContainer = () => `dl-test-${++containerSeq}`;
const failedAt = '2025-02-07T19:05:00.000Z';

test('put/list/read/delete against Azurite: names sort by time, metadata describes the unit, container created', async () => {
  const containerName = nextContainer();
  let clock = Date.parse('2025-02-07T19:05:00.000Z');
  const store = new BlobDeadLetterStore({ service, containerName, now: () => new Date(clock += 1000) });
  assert.deepEqual(await store.list(), [], 'missing container lists as empty');
  const hostileReason = 'HTTP 400: bad field "x"\r\nInjected: header \u00e9\u2028';
  const first = [
    deliveryFailureEntry({ item: outbound(1), reason: hostileReason, attempts: 1, destination: 'https://collector/ingest' }, failedAt),
    deliveryFailureEntry({ item: outbound(2), reason: 'HTTP 503', attempts: 5, destination: 'syslog+tls://siem:6514' }, failedAt),
  ];
  const second = [parseFailureEntry({ reason: 'not JSON', provenance: { source: 'eventhub', messageIndex: 7, partition: '3' }, body: Buffer.from([0xc3, 0x28]), failedAt })];
  await store.put(first);
  await store.put(second);

  const units = await store.list();
  assert.equal(units.length, 2);
  assert.match(units[0].id, /^delivery-failed\/2025\/02\/07\/2025-02-07T19:05:01\.000Z-[0-9a-f]{12}\.ndjson$/);
  assert.match(units[1].id, /^parse-error\/2025\/02\/07\/2025-02-07T19:05:02\.000Z-[0-9a-f]{12}\.ndjson$/);
  const { id: _id, bytes, ...rest } = units[0];
  assert.deepEqual(rest, {
    createdAt: '2025-02-07T19:05:01.000Z', kind: 'delivery-failed', count: 2,
    kinds: { 'delivery-failed': 2, 'parse-error': 0 },
    destinations: ['https://collector/ingest', 'syslog+tls://siem:6514'],
    reasons: [hostileReason, 'HTTP 503'],
  });
  assert.ok(bytes > 0);
  assert.deepEqual(await store.read(units[0].id), JSON.parse(JSON.stringify(first)));
  assert.deepEqual(await store.read(units[1].id), [{ kind: 'parse-error', reason: 'not JSON', provenance: { source: 'eventhub', messageIndex: 7, partition: '3' }, failedAt, payload: 'wyg=', payloadEncoding: 'base64' }]);

  const props = await service.getContainerClient(containerName).getBlobClient(units[0].id).getProperties();
  assert.equal(props.contentType, 'application/x-ndjson; charset=utf-8');
  assert.equal(props.metadata?.entries, '2');
  assert.equal(props.metadata?.kind, 'delivery-failed');

  await store.delete(units[0].id);
  await store.delete(units[0].id);
  assert.deepEqual((await store.list()).map((u) => u.id), [units[1].id]);
});

test('units are listed oldest first across kinds', async () => {
  const store = new BlobDeadLetterStore({ service, containerName: nextContainer(), now: (() => { let c = Date.parse('2025-03-01T00:00:00Z'); return () => new Date(c += 60_000); })() });
  const pe = parseFailureEntry({ reason: 'p', provenance: { source: 'file', messageIndex: 0 }, body: 'x', failedAt });
  const df = deliveryFailureEntry({ item: outbound(1), reason: 'd', attempts: 1, destination: 'a' }, failedAt);
  await store.put([pe]);
  await store.put([df]);
  await store.put([pe, df]);
  assert.deepEqual((await store.list()).map((u) => u.kind), ['parse-error', 'delivery-failed', 'mixed']);
});

test('a blob without our metadata is described by reading it; a damaged one is reported, not fatal', async () => {
  const containerName = nextContainer();
  const store = new BlobDeadLetterStore({ service, containerName });
  const container = service.getContainerClient(containerName);
  await container.create();
  const entry = deliveryFailureEntry({ item: outbound(5), reason: 'HTTP 500', attempts: 2, destination: 'x' }, failedAt);
  await container.getBlockBlobClient('delivery-failed/2025/01/01/2025-01-01T00:00:00.000Z-aaaaaaaaaaaa.ndjson').uploadData(Buffer.from(JSON.stringify(entry) + '\n'));
  await container.getBlockBlobClient('delivery-failed/2025/01/02/2025-01-02T00:00:00.000Z-bbbbbbbbbbbb.ndjson').uploadData(Buffer.from('{"kind":"deliv'));
  await container.getBlockBlobClient('README.txt').uploadData(Buffer.from('not a unit'));
  const units = await store.list();
  assert.equal(units.length, 2);
  assert.equal(units[0].count, 1);
  assert.deepEqual(units[0].destinations, ['x']);
  assert.equal(units[0].problem, undefined);
  assert.equal(units[1].kind, 'delivery-failed');
  assert.match(units[1].problem ?? '', /line 1: last line is not terminated/);
});

test('put() against a stopped Azurite throws DeadLetterWriteError (not durable -> not acknowledged)', async () => {
  const own = await startAzurite();
  try {
    const svc = BlobServiceClient.fromConnectionString(own.connectionString, { retryOptions: { maxTries: 1, tryTimeoutInMs: 5000 } });
    const store = new BlobDeadLetterStore({ service: svc, containerName: 'deadletter' });
    const entry = deliveryFailureEntry({ item: outbound(1), reason: 'r', attempts: 1, destination: 'a' }, failedAt);
    await store.put([entry]);
    await own.stop();
    await assert.rejects(store.put([entry]), (err: unknown) => err instanceof DeadLetterWriteError && /could not store 1 entry/.test(err.message));
  } finally {
    await own.stop();
  }
});

test('createDeadLetterStore: blob when storage is configured (DEADLETTER_CONTAINER), local dir otherwise (DEADLETTER_DIR)', async (t) => {
  const cwd = mkdtempSync(path.join(os.tmpdir(), 'dl-create-'));
  t.after(() => rmSync(cwd, { recursive: true, force: true }));
  const logger = new MemoryLogger();

  const blob = createDeadLetterStore({ AzureWebJobsStorage: azurite.connectionString, DEADLETTER_CONTAINER: 'dl-configured' }, logger);
  assert.ok(blob instanceof BlobDeadLetterStore);
  assert.equal(blob.name, `blob:http://127.0.0.1:${azurite.blobPort}/devstoreaccount1/dl-configured`);
  await blob.put([deliveryFailureEntry({ item: outbound(1), reason: 'r', attempts: 1, destination: 'a' }, failedAt)]);
  assert.equal((await blob.list()).length, 1);
  assert.ok(await service.getContainerClient('dl-configured').exists());
  assert.equal(createDeadLetterStore({ AzureWebJobsStorage: azurite.connectionString }, logger).name, `blob:http://127.0.0.1:${azurite.blobPort}/devstoreaccount1/deadletter`);

  const local = createDeadLetterStore({}, logger, { cwd });
  assert.ok(local instanceof LocalDirDeadLetterStore);
  assert.equal(local.name, `dir:${path.join(cwd, 'deadletter')}`);
  assert.equal(createDeadLetterStore({ DEADLETTER_DIR: 'elsewhere/dl' }, logger, { cwd }).name, `dir:${path.join(cwd, 'elsewhere/dl')}`);
  assert.deepEqual(logger.entries.map((e) => e.properties?.store), [
    `blob:http://127.0.0.1:${azurite.blobPort}/devstoreaccount1/dl-configured`,
    `blob:http://127.0.0.1:${azurite.blobPort}/devstoreaccount1/deadletter`,
    `dir:${path.join(cwd, 'deadletter')}`,
    `dir:${path.join(cwd, 'elsewhere/dl')}`,
  ]);
  for (const e of logger.entries) assert.doesNotMatch(JSON.stringify(e), /AccountKey|Eby8/);
});

test('settings: defaults and an invalid container name', () => {
  assert.deepEqual(readDeadLetterSettings({}), { container: 'deadletter', dir: './deadletter' });
  assert.throws(() => readDeadLetterSettings({ DEADLETTER_CONTAINER: 'Dead_Letter' }), (err: unknown) => err instanceof ConfigError && err.setting === 'DEADLETTER_CONTAINER');
  assert.throws(() => readDeadLetterSettings({ DEADLETTER_CONTAINER: 'a--b' }), ConfigError);
});
