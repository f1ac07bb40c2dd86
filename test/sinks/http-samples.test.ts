/**
 * The sample streaming records in /work/shared/samples (when present; it is not in CI) through the
 * Elastic raw mode and Splunk HEC: every record arrives once, and what the collector stored parses back
 * to the original record (mojibake, escaped sequences and 64-bit ReportIds included).
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MemoryLogger } from '../../shared/observability/log';
import { ElasticBulkSink } from '../../shared/sinks/elastic-bulk';
import { SplunkHecSink } from '../../shared/sinks/splunk-hec';
import type { OutboundEvent } from '../../shared/sinks/types';
import { HttpCollector } from '../support/http-collector';
import { FAST_RETRY, outbound } from './http-fixtures';

const DIR = '/work/shared/samples/streaming';
const skip = existsSync(DIR) ? false : `${DIR} is not available (it is not shipped with the repo): sample-corpus test skipped`;

function samples(): Array<{ line: string; item: OutboundEvent }> {
  const out: Array<{ line: string; item: OutboundEvent }> = [];
  for (const file of readdirSync(DIR).filter((f) => f.endsWith('.log')).sort()) {
    readFileSync(path.join(DIR, file), 'utf8').split('\n').filter((l) => l.trim()).forEach((line, n) => {
      const item = outbound(out.length);
      item.original = JSON.parse(line);
      item.event.event.id = `${file}-${n + 1}`;
      out.push({ line, item });
    });
  }
  return out;
}

const common = {
  compression: 'gzip' as const, headers: {}, batchMaxEvents: 7, batchMaxBytes: 16_384, concurrency: 2, timeoutMs: 5000, retryBudgetMs: 5000,
  retry: FAST_RETRY, encode: (i: OutboundEvent) => JSON.stringify(i.original),
};

describe('sample corpus over HTTP', { skip }, () => {
  let es: HttpCollector;
  let hec: HttpCollector;
  before(async () => {
    es = await HttpCollector.start({ kind: 'bulk' });
    hec = await HttpCollector.start({ kind: 'hec', hecToken: 't' });
  });
  after(async () => { await es?.stop(); await hec?.stop(); });

  it('Elastic raw: each record stored once as {"message": <record JSON>}', async () => {
    const all = samples();
    const sink = new ElasticBulkSink({ ...common, url: es.url('/logs-m365_defender.event-default', 'elastic+'), document: 'message', logger: new MemoryLogger() });
    assert.deepEqual(await sink.send(all.map((s) => s.item)), { delivered: all.length, failed: [] });
    await sink.close();
    assert.equal(es.docs.size, all.length);
    for (const s of all) {
      const doc = es.docs.get(`logs-m365_defender.event-default/${s.item.event.event.id}`) as { message: string };
      assert.deepEqual(Object.keys(doc), ['message']);
      assert.deepEqual(JSON.parse(doc.message), JSON.parse(s.line));
    }
  });

  it('Splunk HEC raw: each record is one HEC event whose event is the record', async () => {
    const all = samples();
    const sink = new SplunkHecSink({ ...common, concurrency: 1, url: hec.url('', 'splunk+'), getToken: async () => 't', encodedIsJson: true, logger: new MemoryLogger() });
    assert.deepEqual(await sink.send(all.map((s) => s.item)), { delivered: all.length, failed: [] });
    await sink.close();
    assert.deepEqual(hec.accepted.map((a) => (a as { event: unknown }).event), all.map((s) => JSON.parse(s.line)));
    assert.deepEqual(hec.accepted.map((a) => (a as { source: string }).source), all.map((s) => (JSON.parse(s.line) as { category: string }).category));
  });
});
