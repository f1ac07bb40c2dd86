import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { InvocationContext } from '@azure/functions';
import { makeStreamingHandler } from '../../functions/streaming';
import { createRuntime } from '../../shared/app/runtime';
import { redriveDeadLetters } from '../../shared/deadletter/redrive';
import { silentLogger } from '../../shared/observability/log';
import { startAzurite, type AzuriteInstance } from '../support/azurite';
import { HttpCollector } from '../support/http-collector';

/**
 * The whole no-loss path with real parts: the exported Event Hub handler on the bundled samples, the
 * real runtime built from settings, an HTTP collector that is down for the whole invocation, the dead
 * letters in a real Azurite Blob store, and the redrive once the collector is back. Every record must
 * arrive exactly once per successful delivery, none may be lost.
 */
const SAMPLES = path.join(__dirname, '..', '..', '..', 'samples', 'streaming');
let azurite: AzuriteInstance;
let collector: HttpCollector;

before(async () => {
  azurite = await startAzurite();
  collector = await HttpCollector.start({ kind: 'generic' });
});
after(async () => {
  await collector.down().catch(() => undefined);
  await azurite.stop();
});

function bodies(): string[] {
  return readdirSync(SAMPLES).filter((f) => f.endsWith('.ndjson')).sort()
    .flatMap((f) => readFileSync(path.join(SAMPLES, f), 'utf8').split('\n').filter(Boolean));
}

function context(n: number): InvocationContext {
  return new InvocationContext({
    invocationId: 'e2e', functionName: 'defenderStreaming', logHandler: () => undefined,
    triggerMetadata: { partitionContext: { PartitionId: '0' }, sequenceNumberArray: Array.from({ length: n }, (_, i) => 1000 + i) },
  });
}

test('collector down for the whole invocation: everything is dead-lettered, then redriven exactly once when it is back', async () => {
  const env = {
    DESTINATION: collector.url('/ingest').toString(),
    AzureWebJobsStorage: azurite.connectionString,
    DELIVERY_RETRY_BUDGET_SECONDS: '1',
    DELIVERY_TIMEOUT_SECONDS: '2',
    HTTP_COMPRESSION: 'gzip',
  };
  const runtime = await createRuntime({ env, mode: 'function', logger: silentLogger });
  const input = bodies();
  const records = input.reduce((n, b) => n + (JSON.parse(b) as { records: unknown[] }).records.length, 0);

  collector.failAlways({ kind: 'status', status: 503 });
  await makeStreamingHandler(async () => runtime)(input, context(input.length));
  assert.equal(collector.acceptedCount(), 0);
  const units = await runtime.deadLetters.list();
  assert.equal(units.reduce((n, u) => n + u.count, 0), records, 'every record is in the dead-letter store');
  assert.ok(units.every((u) => u.kind === 'delivery-failed'));

  // Still down: a redrive keeps everything.
  const kept = await redriveDeadLetters({ store: runtime.deadLetters, sinks: runtime.sinks, logger: silentLogger });
  assert.equal(kept.entriesRedriven, 0);
  assert.equal((await runtime.deadLetters.list()).reduce((n, u) => n + u.count, 0), records);

  collector.recover();
  const done = await redriveDeadLetters({ store: runtime.deadLetters, sinks: runtime.sinks, logger: silentLogger });
  assert.equal(done.entriesRedriven, records);
  assert.equal(done.complete, true);
  assert.deepEqual(await runtime.deadLetters.list(), []);
  const delivered = collector.accepted as Array<{ event: { id: string }; m365_defender: { table: string } }>;
  assert.equal(delivered.length, records);
  assert.equal(new Set(delivered.map((e) => e.event.id)).size, records, 'each event exactly once');
  const tables = new Set(delivered.map((e) => e.m365_defender.table));
  assert.ok(tables.has('DeviceProcessEvents') && tables.has('EmailEvents') && tables.has('AlertInfo'));
  await runtime.close();
});

test('a bad record is dead-lettered with its provenance while the rest of the batch is delivered', async () => {
  const env = { DESTINATION: collector.url('/ingest').toString(), AzureWebJobsStorage: azurite.connectionString, DEADLETTER_CONTAINER: 'deadletter2' };
  const runtime = await createRuntime({ env, mode: 'function', logger: silentLogger });
  const before = collector.acceptedCount();
  const good = bodies()[0];
  await makeStreamingHandler(async () => runtime)([good, '{"records":[{"category":"AdvancedHunting-DeviceEvents"}]}'], context(2));
  assert.equal(collector.acceptedCount() - before, (JSON.parse(good) as { records: unknown[] }).records.length);
  const units = await runtime.deadLetters.list();
  assert.equal(units.length, 1);
  const [entry] = await runtime.deadLetters.read(units[0].id);
  assert.equal(entry.kind, 'parse-error');
  assert.deepEqual([entry.provenance.partition, entry.provenance.sequenceNumber, entry.provenance.recordIndex], ['0', 1001, 0]);
  await runtime.close();
});
