import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { NormalizedEvent } from '../../shared/model/event';
import { serializeEvent } from '../../shared/model/serialize';
import { normalizeAlert } from '../../shared/normalize/graph/alert';
import { normalizeIncident } from '../../shared/normalize/graph/incident';

const same = (e: unknown) => assert.deepEqual(JSON.parse(serializeEvent(e as NormalizedEvent)), JSON.parse(JSON.stringify(e)));

test('members the schema does not know are never dropped', () => {
  const base = { '@timestamp': 't', event: { kind: 'event', dataset: 'd', id: 'i', provider: 'p', module: 'm365_defender', futureField: 1 }, observer: { vendor: 'Microsoft', product: 'x' }, m365_defender: { a: 1 }, forwarder: { provenance: { source: 'file', messageIndex: 0 } } };
  same(base);
  same({ ...base, brandNewGroup: { deep: { x: [1, 'two', null] } } });
  same({ ...base, host: { name: 'h', os: { name: 'n', kernel: '6.1' } } });
  same({ ...base, host: 'not an object', user: ['odd'] });
});

test('hostile and unusual values serialize exactly as JSON.stringify would', () => {
  const hostile = ['quote " backslash \\ ', 'nl\n cr\r nul\u0000 tab\t', '\u2028\u2029', 'emoji \u{1F600}', 'lone \ud800 surrogate', '</script>', ''];
  for (const h of hostile) {
    same({ '@timestamp': h, message: h, event: { kind: h, category: [h, h], dataset: h, id: h, provider: h, module: h, severity: Number.NaN }, observer: { vendor: h, product: h }, m365_defender: { [h]: h, properties: { [h]: h } }, forwarder: { provenance: { source: h, messageIndex: -0 } } });
  }
  same({ '@timestamp': 't', event: { kind: 'e', severity: Infinity, id: 'x', dataset: 'd', provider: 'p', module: 'm' }, observer: { vendor: 'v', product: 'p' }, m365_defender: { n: 1e21, d: new Date(0) }, forwarder: { provenance: { source: 's', messageIndex: 1.5 } } });
});

test('Graph incidents and alerts from the shipped fixtures serialize exactly', () => {
  const dir = path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'graph');
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.json'))) {
    const obj = JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as Record<string, unknown>;
    const ev = f.startsWith('incident') ? normalizeIncident(obj, { tenantId: 't', messageIndex: 0 }) : normalizeAlert(obj, { tenantId: 't', messageIndex: 0 });
    same(ev);
  }
});
