import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { EventHubProducerClient, type EventDataBatch } from '@azure/event-hubs';
import { ConfigError } from '../../shared/config/env';
import {
  SampleFileError,
  SendSamplesError,
  createEventHubProducer,
  describeTarget,
  normalizeNamespace,
  readSampleBodies,
  resolveSendTarget,
  sendSampleBodies,
  toEventData,
  type EventProducer,
  type SampleBody,
  type SendTarget,
} from '../../shared/eventhub/send-samples';
import { createSendSamplesCommand } from '../../cli/commands/send-samples';
import type { CliIo } from '../../cli/command';
import { BATCH_OVERHEAD, FakeProducer, MESSAGE_OVERHEAD } from './fake-producer';

const repoRoot = path.resolve(__dirname, '..', '..', '..');
const fixtures = path.join(repoRoot, 'test', 'eventhub', 'fixtures');
const sharedStreaming = path.resolve(repoRoot, '..', 'shared', 'samples', 'streaming');

const bodyOf = (n: number, records = 1, pad = 0): SampleBody => {
  const text = `{"records":[${Array.from({ length: records }, (_, i) => `{"category":"AdvancedHunting-DeviceEvents","properties":{"n":${n},"i":${i},"pad":"${'x'.repeat(pad)}"}}`).join(',')}]}`;
  return { source: 'mem', line: n, records, body: Buffer.from(text) };
};

// --- reading ---------------------------------------------------------------------------------

test('body lines are kept byte for byte; blank lines are skipped', () => {
  const text = readFileSync(path.join(fixtures, 'bodies.ndjson'), 'utf8');
  const bodies = readSampleBodies(text, 'bodies.ndjson');
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  assert.equal(bodies.length, 2);
  assert.deepEqual(bodies.map((b) => b.body.toString('utf8')), lines);
  assert.deepEqual(bodies.map((b) => [b.line, b.records]), [[1, 2], [3, 1]]);
  // 4294967301 > 2^31 stays exactly as written (no JSON round trip).
  assert.match(bodies[0].body.toString('utf8'), /"ReportId":4294967301/);
});

test('bare records are wrapped into {"records":[...]} bodies, keeping each record\'s text', () => {
  const text = readFileSync(path.join(fixtures, 'records.log'), 'utf8');
  const lines = text.split('\n').filter((l) => l !== '');
  const [one] = readSampleBodies(text, 'records.log');
  assert.equal(one.records, 3);
  assert.equal(one.body.toString('utf8'), `{"records":[${lines.join(',')}]}`);
  // Escapes such as \\u003c and the literal ® survive unchanged.
  assert.ok(one.body.toString('utf8').includes('Azure\\u00ae invoice \\\\u003c1\\\\u003e'));
  const parsed = JSON.parse(one.body.toString('utf8')) as { records: Array<{ category: string }> };
  assert.deepEqual(parsed.records.map((r) => r.category), [
    'AdvancedHunting-IdentityLogonEvents',
    'AdvancedHunting-EmailEvents',
    'AdvancedHunting-BehaviorInfo',
  ]);
});

test('grouping bare records respects the record and byte limits', () => {
  const records = Array.from({ length: 7 }, (_, i) => `{"category":"AdvancedHunting-DeviceEvents","properties":{"i":${i}}}`);
  const byCount = readSampleBodies(records.join('\n'), 'x', { maxRecordsPerBody: 3 });
  assert.deepEqual(byCount.map((b) => b.records), [3, 3, 1]);
  assert.deepEqual(byCount.map((b) => b.line), [1, 4, 7]);
  const recordBytes = Buffer.byteLength(records[0]);
  const limit = 14 + recordBytes * 2 + 1; // exactly two records
  const byBytes = readSampleBodies(records.join('\n'), 'x', { maxBodyBytes: limit });
  assert.deepEqual(byBytes.map((b) => b.records), [2, 2, 2, 1]);
  for (const b of byBytes) assert.ok(b.body.length <= limit, `${b.body.length} <= ${limit}`);
  assert.equal(byBytes[0].body.length, limit);
});

test('a body line between bare records ends the group; CRLF and a BOM are accepted', () => {
  const rec = '{"category":"AdvancedHunting-DeviceInfo","properties":{}}';
  const body = `{"records":[${rec}]}`;
  const bodies = readSampleBodies(`\uFEFF${rec}\r\n${rec}\r\n${body}\r\n${rec}\r\n`, 'x');
  assert.deepEqual(bodies.map((b) => [b.line, b.records, b.body.toString()]), [
    [1, 2, `{"records":[${rec},${rec}]}`],
    [3, 1, body],
    [4, 1, `{"records":[${rec}]}`],
  ]);
});

test('invalid lines are errors naming file and line, never guessed at', () => {
  const cases: Array<[string, RegExp]> = [
    ['{"records":[{"a":1}]}\n{not json', /^f\.ndjson:2: not JSON/],
    ['[1,2]', /^f\.ndjson:1: expected a JSON object/],
    ['{"records":{}}', /"records" is not an array/],
    ['{"records":[]}', /"records" is empty/],
    ['{"records":[1]}', /every record must be a JSON object/],
    ['{"hello":"world"}', /neither a \{"records":\[\.\.\.\]\} body nor a streaming record/],
  ];
  for (const [text, message] of cases) {
    assert.throws(() => readSampleBodies(text, 'f.ndjson'), (e: unknown) => e instanceof SampleFileError && message.test(e.message));
  }
});

test('toEventData: the body bytes as they are, content type application/json', () => {
  const b = bodyOf(1);
  const e = toEventData(b);
  assert.equal(e.body, b.body);
  assert.equal(e.contentType, 'application/json');
});

// --- batching --------------------------------------------------------------------------------

test('all bodies fit: one batch, order kept, counts exact', async () => {
  const producer = new FakeProducer();
  const samples = [bodyOf(1, 2), bodyOf(2, 1), bodyOf(3, 5)];
  const report = await sendSampleBodies(producer, samples);
  assert.deepEqual(report, { bodies: 3, records: 8, bytes: samples.reduce((n, s) => n + s.body.length, 0), batches: 1, oversize: [] });
  assert.deepEqual(producer.bodies(), samples.map((s) => s.body.toString()));
  assert.equal(producer.closed, false, 'the caller owns the producer');
});

test('a full batch is sent and a new one started; no batch exceeds maxSizeInBytes', async () => {
  const one = bodyOf(0, 1, 900);
  const perEvent = one.body.length + MESSAGE_OVERHEAD + 'application/json'.length;
  const max = BATCH_OVERHEAD + perEvent * 3; // exactly three per batch
  const producer = new FakeProducer(max);
  const samples = Array.from({ length: 8 }, (_, i) => bodyOf(i, 1, 900 - String(i).length + 1));
  const report = await sendSampleBodies(producer, samples);
  assert.deepEqual(producer.sent.map((b) => b.count), [3, 3, 2]);
  for (const b of producer.sent) assert.ok(b.sizeInBytes <= max);
  assert.equal(report.batches, 3);
  assert.equal(report.bodies, 8);
  assert.deepEqual(producer.bodies(), samples.map((s) => s.body.toString()));
});

test('a body too large even for an empty batch is reported, the others still go', async () => {
  const producer = new FakeProducer(4096);
  const samples = [bodyOf(1), bodyOf(2, 1, 5000), bodyOf(3)];
  const report = await sendSampleBodies(producer, samples);
  assert.deepEqual(report.oversize, [{ source: 'mem', line: 2, bytes: samples[1].body.length, maxSizeInBytes: 4096 }]);
  assert.equal(report.bodies, 2);
  assert.deepEqual(producer.bodies(), [samples[0].body.toString(), samples[2].body.toString()]);
  assert.deepEqual(producer.sent.map((b) => b.count), [1, 1], 'the full batch was flushed before the oversize check');
});

test('a failed send reports what the hub had already accepted', async () => {
  const one = bodyOf(0);
  const producer = new FakeProducer(BATCH_OVERHEAD + (one.body.length + MESSAGE_OVERHEAD + 16) * 2);
  producer.failOnSend = 2;
  const samples = [bodyOf(1), bodyOf(2), bodyOf(3), bodyOf(4), bodyOf(5)];
  await assert.rejects(sendSampleBodies(producer, samples), (e: unknown) => {
    assert.ok(e instanceof SendSamplesError);
    assert.deepEqual(e.report, { bodies: 2, records: 2, bytes: samples[0].body.length + samples[1].body.length, batches: 1, oversize: [] });
    assert.match(e.message, /after 1 batch\(es\): connection lost/);
    return true;
  });
});

test('no bodies: nothing is sent', async () => {
  const producer = new FakeProducer();
  const report = await sendSampleBodies(producer, []);
  assert.deepEqual(report, { bodies: 0, records: 0, bytes: 0, batches: 0, oversize: [] });
  assert.equal(producer.sent.length, 0);
});

// --- target ----------------------------------------------------------------------------------

test('target: namespace and hub from the settings the template outputs, overridable by flags', () => {
  const env = { EventHubConnection__fullyQualifiedNamespace: 'evhns-abc.servicebus.windows.net', EVENTHUB_NAME: 'xdr' };
  assert.deepEqual(resolveSendTarget(env), { kind: 'identity', fullyQualifiedNamespace: 'evhns-abc.servicebus.windows.net', eventHubName: 'xdr' });
  assert.deepEqual(resolveSendTarget(env, { namespace: 'sb://Other.servicebus.usgovcloudapi.net/', hub: 'h2' }), {
    kind: 'identity',
    fullyQualifiedNamespace: 'other.servicebus.usgovcloudapi.net',
    eventHubName: 'h2',
  });
  assert.equal(resolveSendTarget({ EventHubConnection__fullyQualifiedNamespace: 'ns.servicebus.windows.net' }).eventHubName, 'defender-export');
  assert.equal(
    (resolveSendTarget({ ...env, AZURE_CLIENT_ID: 'cid' }) as Extract<SendTarget, { kind: 'identity' }>).managedIdentityClientId,
    'cid',
  );
  assert.throws(() => resolveSendTarget({}), (e: unknown) => e instanceof ConfigError && e.setting === 'EventHubConnection__fullyQualifiedNamespace');
  assert.throws(() => normalizeNamespace('justaname', '--namespace'), (e: unknown) => e instanceof ConfigError && e.setting === '--namespace');
  assert.equal(normalizeNamespace('https://ns.servicebus.windows.net:443/', 'x'), 'ns.servicebus.windows.net');
});

test('target: a send connection string is used for local runs, never shown', () => {
  const cs = 'Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=c2VjcmV0;EntityPath=xdr';
  const t = resolveSendTarget({ EVENTHUB_SEND_CONNECTION_STRING: cs });
  assert.deepEqual(t, { kind: 'connectionString', connectionString: cs, eventHubName: 'xdr' });
  assert.equal(describeTarget(t), 'ns.servicebus.windows.net/xdr');
  assert.throws(
    () => resolveSendTarget({ EVENTHUB_SEND_CONNECTION_STRING: cs }, { hub: 'other' }),
    (e: unknown) => e instanceof ConfigError && e.setting === 'EVENTHUB_SEND_CONNECTION_STRING' && !e.message.includes('c2VjcmV0'),
  );
  assert.throws(() => resolveSendTarget({ EVENTHUB_SEND_CONNECTION_STRING: 'nonsense' }), ConfigError);
  // --namespace means "use my identity" even when a connection string is set.
  assert.equal(resolveSendTarget({ EVENTHUB_SEND_CONNECTION_STRING: cs }, { namespace: 'ns2.servicebus.windows.net' }).kind, 'identity');
});

test('the real EventHubProducerClient is built for both kinds without connecting, and closes', async () => {
  const targets: SendTarget[] = [
    { kind: 'identity', fullyQualifiedNamespace: 'ns.servicebus.windows.net', eventHubName: 'xdr' },
    { kind: 'connectionString', connectionString: 'Endpoint=sb://127.0.0.1/;SharedAccessKeyName=k;SharedAccessKey=dGVzdA==', eventHubName: 'xdr' },
    { kind: 'connectionString', connectionString: 'Endpoint=sb://127.0.0.1/;SharedAccessKeyName=k;SharedAccessKey=dGVzdA==;EntityPath=xdr', eventHubName: 'xdr' },
  ];
  for (const t of targets) {
    const p = createEventHubProducer(t);
    await p.close();
  }
  // Compile-time: the SDK client itself satisfies the interface the batching uses (tsc fails otherwise).
  const asProducer: (c: EventHubProducerClient) => EventProducer<EventDataBatch> = (c) => c;
  assert.equal(typeof asProducer, 'function');
});

// --- the CLI verb ----------------------------------------------------------------------------

function io(env: Record<string, string> = {}): CliIo & { out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let o = '';
  let e = '';
  stdout.on('data', (d: Buffer) => (o += d.toString()));
  stderr.on('data', (d: Buffer) => (e += d.toString()));
  return { stdin: new PassThrough(), stdout, stderr, env, isTTY: false, out: () => o, err: () => e };
}

const ENV = { EventHubConnection__fullyQualifiedNamespace: 'evhns-abc.servicebus.windows.net', EVENTHUB_NAME: 'defender-export' };

test('send-samples sends the given files to the configured hub and closes the producer', async () => {
  const producers: Array<{ target: SendTarget; producer: FakeProducer }> = [];
  const cmd = createSendSamplesCommand({
    createProducer: (target) => {
      const producer = new FakeProducer();
      producers.push({ target, producer });
      return producer;
    },
  });
  const c = io(ENV);
  const code = await cmd.run([path.join(fixtures, 'bodies.ndjson'), path.join(fixtures, 'records.log')], c);
  assert.equal(code, 0, c.err());
  assert.equal(producers.length, 1);
  assert.deepEqual(producers[0].target, { kind: 'identity', fullyQualifiedNamespace: 'evhns-abc.servicebus.windows.net', eventHubName: 'defender-export' });
  assert.equal(producers[0].producer.closed, true);
  assert.equal(producers[0].producer.bodies().length, 3);
  const bytes = producers[0].producer.bodies().reduce((n, b) => n + Buffer.byteLength(b), 0);
  assert.equal(c.out(), `sent 3 bodies (6 records, ${bytes} bytes) in 1 batch(es) to evhns-abc.servicebus.windows.net/defender-export\n`);
});

test('send-samples without files sends the bundled samples (fixtures when samples/ is absent)', async () => {
  const bundled = path.join(repoRoot, 'samples', 'streaming');
  const dir = existsSync(bundled) && readdirSync(bundled).some((n) => n.endsWith('.ndjson')) ? bundled : fixtures;
  const producer = new FakeProducer();
  const cmd = createSendSamplesCommand({ createProducer: () => producer, samplesDir: dir });
  const c = io(ENV);
  assert.equal(await cmd.run([], c), 0, c.err());
  const expected = readdirSync(dir)
    .filter((n) => n.endsWith('.ndjson'))
    .sort()
    .flatMap((n) => readSampleBodies(readFileSync(path.join(dir, n), 'utf8'), n).map((b) => b.body.toString()));
  assert.ok(expected.length > 0);
  assert.deepEqual(producer.bodies(), expected);
});

test('send-samples: oversize bodies make exit status 1 and are named', async () => {
  const producer = new FakeProducer(600);
  const cmd = createSendSamplesCommand({ createProducer: () => producer });
  const c = io(ENV);
  assert.equal(await cmd.run([path.join(fixtures, 'bodies.ndjson')], c), 1);
  assert.match(c.err(), /bodies\.ndjson:1: body of \d+ bytes does not fit into a batch of at most 600 bytes: not sent/);
  assert.equal(producer.bodies().length, 1, 'the small body was still sent');
  assert.match(c.out(), /1 bodies too large for the hub were not sent/);
});

test('send-samples: a send failure exits 1 and says what was sent', async () => {
  const producer = new FakeProducer();
  producer.failOnSend = 1;
  const cmd = createSendSamplesCommand({ createProducer: () => producer });
  const c = io(ENV);
  assert.equal(await cmd.run([path.join(fixtures, 'bodies.ndjson')], c), 1);
  assert.match(c.err(), /connection lost/);
  assert.match(c.out(), /^sent 0 bodies .* before the failure; 2 bodies not sent\n$/);
  assert.equal(producer.closed, true);
});

test('send-samples: usage, file and configuration errors exit 2 before anything connects', async () => {
  let created = 0;
  const cmd = createSendSamplesCommand({ createProducer: () => (created++, new FakeProducer()) });
  const cases: Array<[string[], Record<string, string>, RegExp]> = [
    [['--bogus'], ENV, /unknown option --bogus/],
    [['--hub'], ENV, /--hub needs a value/],
    [[path.join(fixtures, 'missing.ndjson')], ENV, /cannot read .*missing\.ndjson/],
    [[path.join(fixtures, 'bodies.ndjson')], {}, /EventHubConnection__fullyQualifiedNamespace: not set/],
  ];
  for (const [args, env, message] of cases) {
    const c = io(env);
    assert.equal(await cmd.run(args, c), 2, args.join(' '));
    assert.match(c.err(), message);
  }
  assert.equal(created, 0);
});

test('send-samples --dry-run checks the files and sends nothing; --help prints usage', async () => {
  let created = 0;
  const cmd = createSendSamplesCommand({ createProducer: () => (created++, new FakeProducer()) });
  const c = io({});
  assert.equal(await cmd.run(['--dry-run', '--hub=xdr', path.join(fixtures, 'records.log')], c), 0, c.err());
  assert.match(c.out(), /^dry run: would send 1 bodies \(3 records, \d+ bytes\) from 1 file\(s\) to \(not configured\)\/xdr\n$/);
  assert.equal(created, 0);
  const h = io();
  assert.equal(await cmd.run(['--help'], h), 0);
  assert.match(h.out(), /^Usage: defender-forwarder send-samples \[--namespace <fqdn>\] \[--hub <name>\]/);
  assert.equal(cmd.name, 'send-samples');
});

test('the reference streaming samples (when ../shared/samples is present) all read as bare records', (t) => {
  if (!existsSync(sharedStreaming)) {
    t.skip(`${sharedStreaming} not present (it is not in CI)`);
    return;
  }
  for (const name of readdirSync(sharedStreaming).filter((n) => n.endsWith('.log'))) {
    const text = readFileSync(path.join(sharedStreaming, name), 'utf8');
    const lines = text.split('\n').filter((l) => l.trim() !== '').length;
    const bodies = readSampleBodies(text, name);
    assert.equal(bodies.reduce((n, b) => n + b.records, 0), lines, name);
    for (const b of bodies) assert.ok(b.body.length <= 240 * 1024, `${name}:${b.line}`);
  }
});
