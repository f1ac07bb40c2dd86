import assert from 'node:assert/strict';
import { test } from 'node:test';
import { processStreamingMessages } from '../../shared/pipeline/streaming';

const good = { category: 'AdvancedHunting-DeviceNetworkEvents', tenantId: 't', properties: { Timestamp: '2026-11-23T10:00:00Z', DeviceName: 'Good', RemoteIP: '203.0.113.1', RemotePort: 443 } };
const run = (records: unknown[]) => processStreamingMessages([{ body: JSON.stringify({ records }), provenance: { source: 'eventhub', partition: '0', messageIndex: 0 } }], { includeOriginal: false });

test('records without category or properties are dead-lettered in full with their index; good ones pass', () => {
  const bad = [{ properties: {} }, { category: '', properties: {} }, { category: 'AdvancedHunting-DeviceEvents' }, { category: 'X', properties: [] }, 'text', null, 7];
  const r = run([good, ...bad, good]);
  assert.equal(r.events.length, 2);
  assert.equal(r.failures.length, bad.length);
  assert.deepEqual(r.failures.map((f) => f.provenance.recordIndex), [1, 2, 3, 4, 5, 6, 7]);
  assert.deepEqual(r.failures.map((f) => f.payload), bad);
  assert.match(r.failures[0].reason, /no "category"/);
  assert.match(r.failures[2].reason, /no "properties" object/);
  assert.match(r.failures[4].reason, /string, not an object/);
});

test('wrong types anywhere never crash and never produce misleading values', () => {
  const weird = {
    category: 'AdvancedHunting-DeviceNetworkEvents', tenantId: 42,
    properties: {
      Timestamp: 12345, DeviceName: { nested: true }, DeviceId: ['a'], ActionType: 7, RemoteIP: 'not-an-ip', RemotePort: 'https',
      LocalIP: '-', LocalPort: '', InitiatingProcessId: 'abc', InitiatingProcessFileName: null, AdditionalFields: '{broken json', Protocol: false,
    },
  };
  const r = run([weird, good]);
  assert.equal(r.failures.length, 0);
  const e = r.events[0].event;
  assert.equal(e.host, undefined);
  assert.equal(e.source, undefined);
  assert.equal(e.destination, undefined);
  assert.equal(e.event.action, '7');
  assert.equal((e.m365_defender.properties as Record<string, unknown>).AdditionalFields, '{broken json');
  assert.equal(r.events[1].event.destination?.ip, '203.0.113.1');
});

test('a 1 MB string passes through intact', () => {
  const big = 'A'.repeat(1024 * 1024);
  const r = run([{ ...good, properties: { ...good.properties, InitiatingProcessCommandLine: big } }]);
  assert.equal(r.failures.length, 0);
  assert.equal(r.events[0].event.process?.command_line?.length, big.length);
});

test('__proto__ and constructor keys cannot pollute prototypes', () => {
  const hostile = '{"records":[{"category":"AdvancedHunting-NewTable","__proto__":{"polluted":"yes"},"properties":{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},"AdditionalFields":"{\\"__proto__\\":{\\"polluted\\":\\"yes\\"}}","Nested":"{\\"__proto__\\":{\\"polluted\\":\\"yes\\"}}","DeviceName":"h"}},' +
    '{"category":"AdvancedHunting-DeviceEvents","properties":{"__proto__":{"isAdmin":true},"AdditionalFields":"{\\"__proto__\\":{\\"isAdmin\\":true}}","DeviceName":"x"}}]}';
  const r = processStreamingMessages([{ body: hostile, provenance: { source: 'eventhub', messageIndex: 0 } }], { includeOriginal: true });
  assert.equal(r.events.length, 2);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.equal(({} as Record<string, unknown>).isAdmin, undefined);
  for (const { event } of r.events) {
    assert.equal(Object.getPrototypeOf(event.m365_defender.properties), Object.prototype);
    assert.equal((event as unknown as Record<string, unknown>).polluted, undefined);
    const out = JSON.parse(JSON.stringify(event));
    assert.ok(Object.prototype.hasOwnProperty.call(out.m365_defender.properties, '__proto__'), 'the hostile key is kept as data');
  }
  const decoded = r.events[0].event.m365_defender.decoded as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(decoded.Nested), Object.prototype);
  assert.ok(Object.prototype.hasOwnProperty.call(decoded.Nested, '__proto__'));
});

test('deep nesting is reported for that record, kept with its message body, and does not stop the batch', () => {
  const depth = 20000;
  const deep = '['.repeat(depth) + ']'.repeat(depth);
  const body = `{"records":[{"category":"AdvancedHunting-DeviceEvents","properties":{"DeviceName":"deep","AdditionalFields":${deep}}},${JSON.stringify(good)}]}`;
  const r = processStreamingMessages([{ body, provenance: { source: 'eventhub', messageIndex: 0 } }], { includeOriginal: false });
  assert.equal(r.events.length, 1);
  assert.equal(r.events[0].event.host?.name, 'good');
  assert.equal(r.failures.length, 1);
  assert.equal(r.failures[0].provenance.recordIndex, 0);
  assert.match(r.failures[0].reason, /nesting too deep/);
  assert.equal((r.failures[0].payload as { messageBody: string }).messageBody, body);
});
