import assert from 'node:assert/strict';
import { test } from 'node:test';
import { processStreamingMessages, type StreamingMessage } from '../../shared/pipeline/streaming';
import { readBody } from '../../shared/sources/body';

const record = (n: number) => ({
  time: '2026-11-23T10:00:00.1234567Z', tenantId: 't1', operationName: 'Publish', category: 'AdvancedHunting-DeviceProcessEvents',
  properties: { Timestamp: '2026-11-23T10:00:00.1234567Z', DeviceName: `HOST${n}`, DeviceId: `d${n}`, ActionType: 'ProcessCreated', ProcessCommandLine: `cmd /c echo ${n}`, ReportId: n },
});
const prov = (i = 0) => ({ source: 'eventhub' as const, partition: '3', sequenceNumber: 100 + i, messageIndex: i });
const run = (bodies: unknown[]) => processStreamingMessages(bodies.map((body, i): StreamingMessage => ({ body, provenance: prov(i) })), { includeOriginal: false });

test('every body shape the trigger can hand over yields the same events', () => {
  const wrapped = { records: [record(1), record(2)] };
  const text = JSON.stringify(wrapped);
  const shapes: Array<[string, unknown]> = [
    ['string', text],
    ['Buffer', Buffer.from(text)],
    ['Uint8Array', new Uint8Array(Buffer.from(text))],
    ['parsed object', wrapped],
    ['array of records', [record(1), record(2)]],
    ['JSON array text', JSON.stringify([record(1), record(2)])],
  ];
  for (const [name, body] of shapes) {
    const r = run([body]);
    assert.equal(r.failures.length, 0, name);
    assert.deepEqual(r.events.map((e) => e.event.host?.name), ['host1', 'host2'], name);
    assert.deepEqual(r.events.map((e) => e.event.forwarder.provenance.recordIndex), [0, 1], name);
  }
  const bare = run([record(7)]);
  assert.deepEqual(bare.events.map((e) => e.event.host?.name), ['host7']);
  const bareText = run([JSON.stringify(record(8))]);
  assert.deepEqual(bareText.events.map((e) => e.event.process?.command_line), ['cmd /c echo 8']);
});

test('provenance carries partition, sequence number and indexes', () => {
  const r = run([{ records: [record(1)] }, { records: [record(2), record(3)] }]);
  assert.deepEqual(r.events.map((e) => e.event.forwarder.provenance), [
    { source: 'eventhub', partition: '3', sequenceNumber: 100, messageIndex: 0, recordIndex: 0 },
    { source: 'eventhub', partition: '3', sequenceNumber: 101, messageIndex: 1, recordIndex: 0 },
    { source: 'eventhub', partition: '3', sequenceNumber: 101, messageIndex: 1, recordIndex: 1 },
  ]);
});

test('unreadable bodies are reported with provenance and kept in full; the rest of the batch goes through', () => {
  const invalidUtf8 = Buffer.concat([Buffer.from('{"records":[{"category":"AdvancedHunting-DeviceEvents","properties":{"X":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}}]}')]);
  const r = run(['{"records":[', invalidUtf8, 42, null, { records: 'nope' }, undefined, { records: [record(5)] }]);
  assert.deepEqual(r.events.map((e) => e.event.host?.name), ['host5']);
  assert.equal(r.failures.length, 6);
  const byIndex = new Map(r.failures.map((f) => [f.provenance.messageIndex, f]));
  assert.match(byIndex.get(0)!.reason, /not JSON/);
  assert.equal(byIndex.get(0)!.payload, '{"records":[');
  assert.match(byIndex.get(1)!.reason, /not valid UTF-8/);
  assert.equal(byIndex.get(1)!.payloadEncoding, 'base64');
  assert.deepEqual(Buffer.from(byIndex.get(1)!.payload as string, 'base64'), invalidUtf8);
  assert.match(byIndex.get(2)!.reason, /JSON number/);
  assert.match(byIndex.get(3)!.reason, /null/);
  assert.match(byIndex.get(4)!.reason, /"records" that is not an array/);
  assert.match(byIndex.get(5)!.reason, /no body/);
  for (const f of r.failures) {
    assert.equal(f.kind, 'parse-error');
    assert.equal(f.provenance.partition, '3');
  }
});

test('readBody counts UTF-8 bytes of text bodies', () => {
  const body = JSON.stringify({ records: [{ category: 'X', properties: { s: 'é' } }] });
  assert.equal(readBody(body, prov()).bytes, Buffer.byteLength(body));
});
