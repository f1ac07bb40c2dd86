import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ConfigError } from '../../shared/config/env';
import { Counters, MemoryLogger } from '../../shared/observability/log';
import { ElasticBulkSink, elasticTarget, parseElasticBulkOptions, type ElasticBulkOptions } from '../../shared/sinks/elastic-bulk';
import { encodeEventJson } from '../../shared/sinks/http-options';
import { HttpCollector } from '../support/http-collector';
import type { OutboundEvent } from '../../shared/sinks/types';
import { FAST_RETRY, outbounds } from './http-fixtures';

const INDEX = 'logs-m365_defender.event-default';

function options(url: URL, logger: MemoryLogger, over: Partial<ElasticBulkOptions> = {}): ElasticBulkOptions {
  return {
    url, encode: encodeEventJson, document: 'event', compression: 'none', headers: {},
    batchMaxEvents: 500, batchMaxBytes: 1_048_576, concurrency: 1, timeoutMs: 2000, retryBudgetMs: 3000,
    logger, retry: FAST_RETRY, ...over,
  };
}

describe('ElasticBulkSink', () => {
  let es: HttpCollector;
  before(async () => { es = await HttpCollector.start({ kind: 'bulk' }); });
  after(async () => { await es.stop(); });
  const reset = () => { es.requests.length = 0; es.docs.clear(); es.recover(); };
  const url = () => es.url(`/${INDEX}`, 'elastic+');

  it('posts create actions with _index and _id = event.id, then the document, with a final newline', async () => {
    reset();
    const sink = new ElasticBulkSink(options(url(), new MemoryLogger()));
    const items = outbounds(2);
    assert.deepEqual(await sink.send(items), { delivered: 2, failed: [] });
    await sink.close();
    const r = es.requests[0];
    assert.equal(r.path, '/_bulk');
    assert.equal(r.headers['content-type'], 'application/x-ndjson');
    assert.equal(r.body,
      `{"create":{"_index":"${INDEX}","_id":"id-0"}}\n${JSON.stringify(items[0].event)}\n`
      + `{"create":{"_index":"${INDEX}","_id":"id-1"}}\n${JSON.stringify(items[1].event)}\n`);
    assert.deepEqual(es.docs.get(`${INDEX}/id-1`), JSON.parse(JSON.stringify(items[1].event)));
  });

  it('OUTPUT_FORMAT=raw: each document is {"message": <original record JSON>}', async () => {
    reset();
    const o = parseElasticBulkOptions(url(), { OUTPUT_FORMAT: 'raw', HTTP_COMPRESSION: 'gzip' }, (i) => JSON.stringify(i.original), undefined, new MemoryLogger());
    const sink = new ElasticBulkSink({ ...o, retry: FAST_RETRY });
    const items = outbounds(1);
    await sink.send(items);
    await sink.close();
    assert.equal(es.requests[0].headers['content-encoding'], 'gzip');
    assert.equal(es.requests[0].body, `{"create":{"_index":"${INDEX}","_id":"id-0"}}\n${JSON.stringify({ message: JSON.stringify(items[0].original) })}\n`);
    const doc = es.docs.get(`${INDEX}/id-0`) as { message: string };
    assert.deepEqual(JSON.parse(doc.message), items[0].original);
  });

  it('a redelivery is recognised (409 on create) and counted as delivered, not duplicated', async () => {
    reset();
    const logger = new MemoryLogger();
    const sink = new ElasticBulkSink(options(url(), logger));
    const items = outbounds(4);
    await sink.send(items.slice(0, 2));
    const again = await sink.send(items);
    await sink.close();
    assert.deepEqual(again, { delivered: 4, failed: [] });
    assert.equal(es.docs.size, 4);
    assert.equal(es.requests.length, 2);
    assert.equal(logger.entries.find((e) => e.message.startsWith('Elastic already had'))?.properties?.documents, 2);
  });

  it('partial errors: 429/5xx items retried alone, other item errors failed with the reason', async () => {
    reset();
    es.fail({
      kind: 'bulk-items',
      status: (a) => (a.id === 'id-1' ? 429 : a.id === 'id-3' ? 503 : a.id === 'id-4' ? 400 : undefined),
    });
    const sink = new ElasticBulkSink(options(url(), new MemoryLogger()));
    const items = outbounds(6);
    const report = await sink.send(items);
    await sink.close();
    assert.equal(report.delivered, 5);
    assert.deepEqual(report.failed.map((f) => [f.item.event.event.id, f.attempts, f.reason]), [
      ['id-4', 1, 'Elastic rejected the document: 400 mapper_parsing_exception: failed to parse field [source.port] of type [long]'],
    ]);
    assert.equal(es.requests.length, 2);
    assert.deepEqual(es.requests[1].body.split('\n').filter((l) => l.startsWith('{"create"')), [
      `{"create":{"_index":"${INDEX}","_id":"id-1"}}`, `{"create":{"_index":"${INDEX}","_id":"id-3"}}`,
    ]);
    assert.deepEqual([...es.docs.keys()].sort(), ['id-0', 'id-1', 'id-2', 'id-3', 'id-5'].map((id) => `${INDEX}/${id}`));
  });

  it('items that stay rejected with 429 until the budget is spent are failed with attempts', async () => {
    reset();
    es.failAlways({ kind: 'bulk-items', status: (a) => (a.id === 'id-0' ? 429 : undefined) });
    const sink = new ElasticBulkSink(options(url(), new MemoryLogger(), { retryBudgetMs: 300 }));
    const report = await sink.send(outbounds(2));
    await sink.close();
    assert.equal(report.delivered, 1);
    assert.equal(report.failed.length, 1);
    const f = report.failed[0];
    assert.equal(f.item.event.event.id, 'id-0');
    assert.equal(f.attempts, es.requests.length);
    assert.ok(f.attempts >= 2);
    assert.match(f.reason, /^gave up after \d+ attempt\(s\): 1 of 1 documents: Elastic rejected the document: 429 es_rejected_execution_exception/);
  });

  it('a whole-request 500 is retried; a 413 on a single document is not', async () => {
    reset();
    es.fail({ kind: 'status', status: 500 });
    const sink = new ElasticBulkSink(options(url(), new MemoryLogger()));
    assert.deepEqual(await sink.send(outbounds(2)), { delivered: 2, failed: [], retried: 1 });
    es.fail({ kind: 'status', status: 413, body: '{"error":"too large"}' });
    const [item] = outbounds(1, 10);
    const big = await sink.send([item]);
    await sink.close();
    assert.equal(es.requests.length, 3);
    const framed = Buffer.byteLength(`{"create":{"_index":"${INDEX}","_id":"id-10"}}\n${JSON.stringify(item.event)}\n`);
    assert.equal(big.failed[0].reason, `permanent failure: HTTP 413: {"error":"too large"} (refused even alone: the event is ${framed} bytes encoded; the collector's body limit must be raised to deliver it)`);
  });

  it('an unreadable 200 answer is retried (create + _id makes resending safe)', async () => {
    reset();
    es.fail({ kind: 'status', status: 200, body: 'not json' });
    const sink = new ElasticBulkSink(options(url(), new MemoryLogger()));
    assert.deepEqual(await sink.send(outbounds(2)), { delivered: 2, failed: [], retried: 1 });
    await sink.close();
    assert.equal(es.requests.length, 2);
  });
});

describe('Elasticsearch behind a body limit (http.max_content_length, or a proxy in front)', () => {
  let es: HttpCollector;
  /** Each test action + document pair is 648 bytes: two fit in 1400 bytes, four do not. */
  const LIMIT = 1400;
  const framedBytes = (i: OutboundEvent) => Buffer.byteLength(`{"create":{"_index":"${INDEX}","_id":"${i.event.event.id}"}}\n${JSON.stringify(i.event)}\n`);
  before(async () => { es = await HttpCollector.start({ kind: 'bulk', maxBodyBytes: LIMIT }); });
  after(async () => { await es.stop(); });
  const reset = () => { es.requests.length = 0; es.docs.clear(); es.recover(); };
  const url = () => es.url(`/${INDEX}`, 'elastic+');

  it('splits a refused bulk in halves until it fits: every document created once, none twice (no 409)', async () => {
    reset();
    const logger = new MemoryLogger();
    const counters = new Counters();
    const sink = new ElasticBulkSink(options(url(), logger, { counters }));
    const items = outbounds(8);
    const report = await sink.send(items);
    await sink.close();
    assert.deepEqual(report, { delivered: 8, failed: [] });
    // 8 -> 4+4 refused (3 requests), then four pairs.
    assert.deepEqual(es.requests.map((r) => r.status), [413, 413, 200, 200, 413, 200, 200]);
    assert.deepEqual([...es.docs.keys()], items.map((i) => `${INDEX}/${i.event.event.id}`));
    for (const i of items) assert.deepEqual(es.docs.get(`${INDEX}/${i.event.event.id}`), JSON.parse(JSON.stringify(i.event)));
    assert.equal(counters.get('redelivered', sink.name), 0, 'no document was sent twice');
    assert.equal(counters.get('split413', sink.name), 3);
    const warn = logger.entries.filter((e) => e.level === 'warn' && e.message.includes('HTTP 413'));
    assert.equal(warn.length, 1);
    assert.equal(framedBytes(items[0]), 648);
    assert.equal(warn[0].properties?.smallestRefusedBytes, items.slice(0, 4).reduce((n, i) => n + framedBytes(i), 0));
  });

  it('one document over the limit alone fails (413 and its size), the others are created once', async () => {
    reset();
    const sink = new ElasticBulkSink(options(url(), new MemoryLogger()));
    const items = outbounds(6);
    items[5].event.message = 'z'.repeat(2000);
    const framed = framedBytes(items[5]);
    const report = await sink.send(items);
    await sink.close();
    assert.equal(report.delivered, 5);
    assert.deepEqual(report.failed.map((f) => f.item), [items[5]]);
    assert.equal(report.failed[0].reason, `permanent failure: HTTP 413: Request Entity Too Large: a body of ${framed} bytes is over the limit of ${LIMIT} `
      + `(refused even alone: the event is ${framed} bytes encoded; the collector's body limit must be raised to deliver it)`);
    assert.deepEqual([...es.docs.keys()], items.slice(0, 5).map((i) => `${INDEX}/${i.event.event.id}`));
  });
});

describe('Elastic settings', () => {
  it('takes the index from the last path segment, keeping a proxy prefix', () => {
    assert.deepEqual(elasticTarget(new URL('elastic+https://es:9200/logs-x')), { index: 'logs-x', path: '/_bulk' });
    assert.deepEqual(elasticTarget(new URL('elastic+https://proxy/es/logs-x')), { index: 'logs-x', path: '/es/_bulk' });
  });
  for (const bad of ['elastic+https://es:9200', 'elastic+https://es:9200/', 'elastic+https://es/Upper', 'elastic+https://es/a*b', 'elastic+https://es/_x']) {
    it(`rejects ${bad}`, () => {
      assert.throws(() => parseElasticBulkOptions(new URL(bad), {}, encodeEventJson, undefined, new MemoryLogger()),
        (e: unknown) => e instanceof ConfigError && e.setting === 'DESTINATION');
    });
  }
  it('json keeps the event as the document; other formats wrap it in message', () => {
    const u = new URL('elastic+https://es/logs-x');
    assert.equal(parseElasticBulkOptions(u, {}, encodeEventJson, undefined, new MemoryLogger()).document, 'event');
    for (const f of ['raw', 'cef', 'leef', 'fortisiem']) {
      assert.equal(parseElasticBulkOptions(u, { OUTPUT_FORMAT: f }, encodeEventJson, undefined, new MemoryLogger()).document, 'message');
    }
  });
  it('API key auth via header:Authorization', async () => {
    const o = parseElasticBulkOptions(new URL('elastic+https://es/logs-x'), { DESTINATION_AUTH: 'header:Authorization' }, encodeEventJson, async () => 'ApiKey abc', new MemoryLogger());
    assert.deepEqual({ kind: o.auth?.kind, headerName: o.auth?.headerName, token: await o.auth?.getToken() }, { kind: 'header', headerName: 'Authorization', token: 'ApiKey abc' });
  });
});
