import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { InvocationContext } from '@azure/functions';
import { makeStreamingHandler, messagesFromTrigger } from '../../functions/streaming';
import { createRuntime } from '../../shared/app/runtime';
import { ConfigError } from '../../shared/config/env';
import type { DeadLetterEntry } from '../../shared/deadletter/types';

function realisticBatch(): unknown[] {
  const rec = (i: number) => ({
    time: '2026-11-23T10:00:00.1234567Z', tenantId: '3f2b9c1e-7a4d-4e21-9b0a-5c6d7e8f9a01', operationName: 'Publish', category: 'AdvancedHunting-DeviceProcessEvents',
    properties: {
      Timestamp: '2026-11-23T09:59:59.7654321Z', DeviceId: `dev${i}`, DeviceName: `WS${i}.contoso.com`, ActionType: 'ProcessCreated', FileName: 'cmd.exe',
      ProcessCommandLine: `cmd.exe /c whoami ${i}`, AccountName: `user${i}`, InitiatingProcessFileName: 'explorer.exe', ReportId: 4294967296 + i,
    },
  });
  return [
    JSON.stringify({ records: [rec(0), rec(1)] }), // string body
    Buffer.from(JSON.stringify({ records: [rec(2)] })), // bytes
    { records: [rec(3), { category: 'AdvancedHunting-DeviceEvents' }] }, // parsed, with one bad record
    'not json at all',
  ];
}

function context(): { ctx: InvocationContext; logs: string[] } {
  const logs: string[] = [];
  const ctx = new InvocationContext({
    invocationId: 'inv-1', functionName: 'defenderStreaming',
    logHandler: (level, ...args) => logs.push(`${level}: ${args.join(' ')}`),
    triggerMetadata: {
      partitionContext: { PartitionId: '7', EventHubName: 'defender-export', ConsumerGroup: 'defender-forwarder' },
      sequenceNumberArray: [10, 11, 12, 13], offsetArray: ['100', '200', '300', '400'],
      enqueuedTimeUtcArray: ['2026-11-23T10:00:01Z', '2026-11-23T10:00:02Z', '2026-11-23T10:00:03Z', '2026-11-23T10:00:04Z'],
    },
    retryContext: { retryCount: 0, maxRetryCount: -1 },
  });
  return { ctx, logs };
}

test('the exported Event Hub handler normalizes a realistic batch, keeps provenance and dead-letters the bad parts', async () => {
  const out = new PassThrough();
  let written = '';
  out.on('data', (d: Buffer) => { written += d.toString(); });
  const runtime = await createRuntime({ env: { DESTINATION: 'stdout' }, mode: 'function', logger: { info() {}, warn() {}, error() {} }, stdout: out });
  const stored: DeadLetterEntry[] = [];
  const withStore = { ...runtime, deadLetter: async (e: readonly DeadLetterEntry[]) => { stored.push(...e); } };
  const { ctx, logs } = context();
  await makeStreamingHandler(async () => withStore)(realisticBatch(), ctx);

  const events = written.trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(events.map((e) => e.host.name), ['ws0.contoso.com', 'ws1.contoso.com', 'ws2.contoso.com', 'ws3.contoso.com']);
  assert.deepEqual(events.map((e) => e.process.command_line), [0, 1, 2, 3].map((i) => `cmd.exe /c whoami ${i}`));
  assert.deepEqual(events[2].forwarder.provenance, { source: 'eventhub', partition: '7', sequenceNumber: 11, offset: '200', enqueuedTime: '2026-11-23T10:00:02Z', messageIndex: 1, recordIndex: 0 });
  assert.equal(events[0]['@timestamp'], '2026-11-23T09:59:59.765Z');
  assert.equal(events[0].m365_defender.report_id, '4294967296');
  assert.equal(stored.length, 2);
  assert.deepEqual(stored.map((s) => [s.provenance.sequenceNumber, s.provenance.recordIndex, s.kind]), [[12, 1, 'parse-error'], [13, undefined, 'parse-error']]);
  assert.deepEqual(stored[0].payload, { category: 'AdvancedHunting-DeviceEvents' });
  assert.equal(stored[1].payload, 'not json at all');
  assert.ok(logs.some((l) => l.includes('streaming batch done') && l.includes('"records":5') && l.includes('"delivered":4') && l.includes('"parseErrors":2')), logs.join('\n'));
});

test('a failing dead-letter store makes the handler throw, so the retry policy keeps the batch', async () => {
  const runtime = await createRuntime({ env: { DESTINATION: 'stdout' }, mode: 'function', logger: { info() {}, warn() {}, error() {} }, stdout: new PassThrough() });
  const broken = { ...runtime, deadLetter: async () => { throw new Error('storage down'); } };
  await assert.rejects(makeStreamingHandler(async () => broken)(['not json'], context().ctx), /storage down/);
});

test('in the Function App a missing DESTINATION is a configuration error naming the setting', async () => {
  await assert.rejects(createRuntime({ env: {}, mode: 'function', logger: { info() {}, warn() {}, error() {} } }), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    assert.equal(err.setting, 'DESTINATION');
    return true;
  });
  await assert.rejects(createRuntime({ env: { DESTINATION: 'stdout', INCLUDE_ORIGINAL: 'maybe' }, mode: 'function', logger: { info() {}, warn() {}, error() {} } }), /INCLUDE_ORIGINAL/);
});

test('a single (non-array) message is accepted too', () => {
  const { ctx } = context();
  const m = messagesFromTrigger({ records: [] }, ctx);
  assert.equal(m.length, 1);
  assert.equal(m[0].provenance.partition, '7');
});
