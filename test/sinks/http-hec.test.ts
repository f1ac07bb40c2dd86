import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ConfigError } from '../../shared/config/env';
import { Counters, MemoryLogger } from '../../shared/observability/log';
import { encodeEventJson } from '../../shared/sinks/http-options';
import { SplunkHecSink, hecTime, parseSplunkHecOptions, type SplunkHecOptions } from '../../shared/sinks/splunk-hec';
import { HttpCollector, splitConcatenatedJson } from '../support/http-collector';
import { FAST_RETRY, loggedText, outbound } from './http-fixtures';

const TOKEN = '11111111-2222-3333-4444-555555555555';

function options(url: URL, logger: MemoryLogger, over: Partial<SplunkHecOptions> = {}): SplunkHecOptions {
  return {
    url, encode: encodeEventJson, compression: 'none', headers: {}, getToken: async () => TOKEN,
    batchMaxEvents: 500, batchMaxBytes: 1_048_576, concurrency: 1, timeoutMs: 2000, retryBudgetMs: 5000,
    logger, retry: FAST_RETRY, tokenSetting: 'DESTINATION_TOKEN_SECRET_NAME', ...over,
  };
}

describe('SplunkHecSink', () => {
  let hec: HttpCollector;
  before(async () => { hec = await HttpCollector.start({ kind: 'hec', hecToken: TOKEN }); });
  after(async () => { await hec.stop(); });
  const reset = () => { hec.requests.length = 0; hec.accepted.length = 0; hec.recover(); };

  it('posts concatenated event objects to /services/collector/event with the Splunk token', async () => {
    reset();
    const sink = new SplunkHecSink(options(hec.url('', 'splunk+'), new MemoryLogger(), { index: 'defender' }));
    const items = [outbound(0, 'streaming'), outbound(1, 'incident'), outbound(2, 'alert')];
    items[1].event.host = undefined;
    const report = await sink.send(items);
    await sink.close();
    assert.deepEqual(report, { delivered: 3, failed: [] });
    const r = hec.requests[0];
    assert.equal(r.path, '/services/collector/event');
    assert.equal(r.headers.authorization, `Splunk ${TOKEN}`);
    assert.equal(r.headers['content-type'], 'application/json');
    assert.match(String(r.headers['x-splunk-request-channel']), /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const e = items.map((i) => JSON.stringify(i.event));
    assert.equal(r.body,
      `{"time":1795446000.000,"host":"host0.contoso.com","source":"AdvancedHunting-DeviceProcessEvents","sourcetype":"ms365:defender:streaming","index":"defender","event":${e[0]}}`
      + `{"time":1795446000.001,"source":"microsoft-graph:security/incidents","sourcetype":"ms365:defender:incident","index":"defender","event":${e[1]}}`
      + `{"time":1795446000.002,"host":"host2.contoso.com","source":"microsoft-graph:security/alerts_v2","sourcetype":"ms365:defender:incident:alerts","index":"defender","event":${e[2]}}`);
    assert.deepEqual(hec.accepted.map((a) => (a as { time: number }).time), [1795446000, 1795446000.001, 1795446000.002]);
  });

  it('embeds text payloads (CEF) as JSON strings, gzip on, no index by default', async () => {
    reset();
    const sink = new SplunkHecSink(options(hec.url('/', 'splunk+'), new MemoryLogger(), {
      compression: 'gzip', encodedIsJson: false, encode: (i) => `CEF:0|Microsoft|Defender XDR|1|x|"quoted"\\|3|externalId=${i.event.event.id}`,
    }));
    await sink.send([outbound(5)]);
    await sink.close();
    assert.equal(hec.requests[0].headers['content-encoding'], 'gzip');
    assert.equal(hec.requests[0].body,
      '{"time":1795446000.005,"host":"host5.contoso.com","source":"AdvancedHunting-DeviceProcessEvents","sourcetype":"ms365:defender:streaming","event":"CEF:0|Microsoft|Defender XDR|1|x|\\"quoted\\"\\\\|3|externalId=id-5"}');
  });

  it('omits time rather than inventing one when @timestamp is unreadable', async () => {
    reset();
    const item = outbound(0);
    item.event['@timestamp'] = 'not a time';
    const sink = new SplunkHecSink(options(hec.url('', 'splunk+'), new MemoryLogger()));
    await sink.send([item]);
    await sink.close();
    assert.ok(hec.requests[0].body.startsWith('{"host":"host0.contoso.com","source":'));
  });

  it('retries HEC busy (503, code 9) and then delivers once', async () => {
    reset();
    hec.fail({ kind: 'hec-busy' }, { kind: 'hec-busy' });
    const logger = new MemoryLogger();
    const sink = new SplunkHecSink(options(hec.url('', 'splunk+'), logger));
    const report = await sink.send([outbound(0), outbound(1)]);
    await sink.close();
    assert.deepEqual(report, { delivered: 2, failed: [], retried: 2 });
    assert.deepEqual(hec.requests.map((r) => r.status), [503, 503, 200]);
    assert.equal(hec.accepted.length, 2);
    assert.equal(logger.entries.filter((e) => e.level === 'warn')[0].properties?.reason, 'HTTP 503 HEC code 9: Server is busy');
  });

  it('invalid token (403, code 4): not retried, fails loudly naming the token setting, never logs the token', async () => {
    reset();
    const logger = new MemoryLogger();
    const sink = new SplunkHecSink(options(hec.url('', 'splunk+'), logger, { getToken: async () => 'wrong-token-value' }));
    const report = await sink.send([outbound(0), outbound(1)]);
    await sink.close();
    assert.equal(hec.requests.length, 1);
    assert.equal(report.delivered, 0);
    assert.deepEqual(report.failed.map((f) => [f.attempts, f.reason]), [
      [1, 'permanent failure: HTTP 403 HEC code 4: Invalid token (check DESTINATION_TOKEN_SECRET_NAME)'],
      [1, 'permanent failure: HTTP 403 HEC code 4: Invalid token (check DESTINATION_TOKEN_SECRET_NAME)'],
    ]);
    const err = logger.entries.find((e) => e.level === 'error' && e.message.startsWith('Splunk HEC refused the token'));
    assert.equal(err?.properties?.setting, 'DESTINATION_TOKEN_SECRET_NAME');
    assert.equal(err?.properties?.hecCode, 4);
    assert.ok(!loggedText(logger).includes('wrong-token-value'));
    assert.ok(!loggedText(logger).includes(TOKEN));
  });

  it('the scripted invalid-token fault behaves the same', async () => {
    reset();
    hec.fail({ kind: 'hec-invalid-token' });
    const sink = new SplunkHecSink(options(hec.url('', 'splunk+'), new MemoryLogger()));
    const report = await sink.send([outbound(0)]);
    await sink.close();
    assert.equal(hec.requests.length, 1);
    assert.match(report.failed[0].reason, /HEC code 4: Invalid token/);
  });

  it('a 400 fails that batch only and is never retried', async () => {
    reset();
    hec.fail({ kind: 'status', status: 400, body: '{"text":"Invalid data format","code":6,"invalid-event-number":1}' });
    const sink = new SplunkHecSink(options(hec.url('', 'splunk+'), new MemoryLogger(), { batchMaxEvents: 2 }));
    const items = [0, 1, 2, 3].map((i) => outbound(i));
    const report = await sink.send(items);
    await sink.close();
    assert.equal(hec.requests.length, 2);
    assert.equal(report.delivered, 2);
    assert.deepEqual(report.failed.map((f) => [f.item.event.event.id, f.attempts, f.reason]), [
      ['id-0', 1, 'permanent failure: HTTP 400 HEC code 6: Invalid data format (event 1 of the batch)'],
      ['id-1', 1, 'permanent failure: HTTP 400 HEC code 6: Invalid data format (event 1 of the batch)'],
    ]);
  });
});

describe('Splunk HEC behind a body limit (max_content_length, or a proxy in front)', () => {
  let hec: HttpCollector;
  /** Each test event is 723 bytes of HEC JSON; gzipped, 16 events are about 990 bytes on the wire, 8 about 690, 4 about 540. */
  const WIRE_LIMIT = 600;
  before(async () => { hec = await HttpCollector.start({ kind: 'hec', hecToken: TOKEN, maxBodyBytes: WIRE_LIMIT }); });
  after(async () => { await hec.stop(); });
  const reset = () => { hec.requests.length = 0; hec.accepted.length = 0; hec.recover(); };
  const ids = (events: unknown[]) => events.map((e) => (e as { event: { event: { id: string } } }).event.event.id);

  it('gzip on: the limit is on the wire, so the split stops once the compressed body fits; each event indexed once', async () => {
    reset();
    const logger = new MemoryLogger();
    const counters = new Counters();
    const sink = new SplunkHecSink(options(hec.url('', 'splunk+'), logger, { compression: 'gzip', counters }));
    const items = Array.from({ length: 16 }, (_, i) => outbound(i));
    const report = await sink.send(items);
    await sink.close();
    assert.deepEqual(report, { delivered: 16, failed: [] });
    assert.deepEqual(ids(hec.accepted), items.map((i) => i.event.event.id));
    assert.deepEqual(hec.requests.map((r) => r.status), [413, 413, 200, 200, 413, 200, 200]);
    for (const r of hec.requests) assert.equal(r.headers['content-encoding'], 'gzip');
    for (const r of hec.requests.filter((q) => q.status === 200)) {
      // Four events are over 2890 bytes before compression: accepted, because only the wire bytes count.
      assert.ok(r.rawBytes <= WIRE_LIMIT, `${r.rawBytes} bytes on the wire`);
      assert.equal(splitConcatenatedJson(r.body).length, 4);
      assert.ok(Buffer.byteLength(r.body) >= 4 * 723);
    }
    assert.equal(counters.get('split413', sink.name), 3);
    const warn = logger.entries.filter((e) => e.level === 'warn' && e.message.includes('HTTP 413'));
    assert.equal(warn.length, 1);
    const smallest = Math.min(...hec.requests.filter((r) => r.status === 413).map((r) => r.rawBytes));
    assert.ok(smallest > WIRE_LIMIT);
    assert.match(warn[0].message, new RegExp(`^The collector refused ${smallest} bytes with HTTP 413 \\(Payload Too Large\\): 3 batch\\(es\\) were split`));
    assert.equal(warn[0].properties?.smallestRefusedUncompressedBytes, 8 * 723);
  });

  it('an event over the limit alone fails with the 413 and its size; its neighbours are indexed once', async () => {
    reset();
    const sink = new SplunkHecSink(options(hec.url('', 'splunk+'), new MemoryLogger(), { compression: 'none' }));
    const items = Array.from({ length: 5 }, (_, i) => outbound(i));
    items[2].event.message = 'y'.repeat(400);
    const framed = 723 + 400 - Buffer.byteLength('event 2');
    const report = await sink.send(items);
    await sink.close();
    assert.equal(report.delivered, 0);
    // Uncompressed, every event is over 600 bytes: each one is refused alone.
    assert.deepEqual(report.failed.map((f) => f.item), items);
    assert.equal(hec.accepted.length, 0);
    assert.equal(report.failed[2].reason, `permanent failure: HTTP 413: Request Entity Too Large: a body of ${framed} bytes is over the limit of ${WIRE_LIMIT} `
      + `(refused even alone: the event is ${framed} bytes encoded; the collector's body limit must be raised to deliver it)`);

    reset();
    const gz = new SplunkHecSink(options(hec.url('', 'splunk+'), new MemoryLogger(), { compression: 'gzip' }));
    const noisy = Array.from({ length: 5 }, (_, i) => outbound(i));
    noisy[2].event.message = pseudoRandomText(2000);
    const noisyBytes = Buffer.byteLength(JSON.stringify(noisy[2].event)) + (723 - Buffer.byteLength(JSON.stringify(outbound(2).event)));
    const r2 = await gz.send(noisy);
    await gz.close();
    assert.equal(r2.delivered, 4);
    assert.deepEqual(r2.failed.map((f) => f.item), [noisy[2]]);
    assert.deepEqual(ids(hec.accepted), ['id-0', 'id-1', 'id-3', 'id-4']);
    const refusedAlone = hec.requests.filter((r) => r.status === 413).at(-1)!;
    assert.match(r2.failed[0].reason, new RegExp(`\\(refused even alone: the event is ${noisyBytes} bytes encoded, ${refusedAlone.rawBytes} bytes as sent; `));
  });
});

/** Text gzip cannot shrink much (a fixed LCG, so the test is repeatable). */
function pseudoRandomText(n: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let x = 12345;
  let out = '';
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    out += alphabet[x % alphabet.length];
  }
  return out;
}

describe('Splunk HEC settings and helpers', () => {
  const url = new URL('splunk+https://splunk.example:8088');
  it('needs a token, names the setting when missing', () => {
    assert.throws(() => parseSplunkHecOptions(url, {}, encodeEventJson, undefined, new MemoryLogger()),
      (e: unknown) => e instanceof ConfigError && e.setting === 'DESTINATION_TOKEN_SECRET_NAME');
  });
  it('refuses credentials in the URL without echoing them', () => {
    assert.throws(() => parseSplunkHecOptions(new URL('splunk+https://x:hunter2@splunk.example:8088'), {}, encodeEventJson, undefined, new MemoryLogger()),
      (e: unknown) => e instanceof ConfigError && e.setting === 'DESTINATION' && !e.message.includes('hunter2'));
  });
  it('reads SPLUNK_INDEX, DESTINATION_TOKEN, HTTP_COMPRESSION, OUTPUT_FORMAT', async () => {
    const o = parseSplunkHecOptions(url, { SPLUNK_INDEX: 'sec', DESTINATION_TOKEN: 't', HTTP_COMPRESSION: 'none', OUTPUT_FORMAT: 'leef' }, encodeEventJson, undefined, new MemoryLogger());
    assert.equal(o.index, 'sec');
    assert.equal(await o.getToken(), 't');
    assert.equal(o.compression, 'none');
    assert.equal(o.encodedIsJson, false);
    assert.equal(o.tokenSetting, 'DESTINATION_TOKEN');
    const d = parseSplunkHecOptions(url, {}, encodeEventJson, async () => 'kv', new MemoryLogger());
    assert.equal(d.compression, 'gzip');
    assert.equal(d.index, undefined);
    assert.equal(new SplunkHecSink(d).name, 'splunk+https://splunk.example:8088');
  });
  it('hecTime: epoch seconds with a millisecond fraction', () => {
    assert.equal(hecTime('2026-11-23T15:00:00.1234567Z'), '1795446000.123');
    assert.equal(hecTime('2026-11-23T15:00:00Z'), '1795446000.000');
    assert.equal(hecTime('2026-11-23T16:00:00.05+01:00'), '1795446000.050');
    assert.equal(hecTime('garbage'), undefined);
  });
  it('the double splits concatenated JSON with braces inside strings', () => {
    assert.deepEqual(splitConcatenatedJson('{"a":"}{"} {"b":{"c":"\\"}"}}'), [{ a: '}{' }, { b: { c: '"}' } }]);
  });
});
