/**
 * The raw and fortisiem formats over the real-looking records in /work/shared/samples (streaming
 * records and Graph objects), when that folder exists: every record must come out as one line that
 * parses back to the same object, under both syslog headers. Skips with a message in CI, where the
 * folder is absent; the fixtures in ./fixtures.ts cover the same ground there.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSyslogEncoder, encodePayload } from '../../shared/formats';
import type { NormalizedEvent } from '../../shared/model/event';
import type { OutboundEvent } from '../../shared/sinks/types';
import { parseRfc3164, parseRfc5424 } from './parsers';

const SAMPLES = '/work/shared/samples';

function minimalEvent(record: Record<string, unknown>): NormalizedEvent {
  return {
    '@timestamp': typeof record.time === 'string' ? record.time : '2026-01-01T00:00:00.000Z',
    event: { kind: 'event', dataset: 'm365_defender.sample', id: 'sample', provider: 'sample', module: 'm365_defender' },
    observer: { vendor: 'Microsoft', product: 'Defender XDR' },
    m365_defender: { category: record.category },
    forwarder: { provenance: { source: 'file', messageIndex: 0 } },
  };
}

function records(): Array<{ file: string; line: number; item: OutboundEvent }> {
  const out: Array<{ file: string; line: number; item: OutboundEvent }> = [];
  const add = (dir: string, origin: (file: string) => OutboundEvent['origin']) => {
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.log') || f.endsWith('.ndjson'))) {
      readFileSync(join(dir, file), 'utf8').split('\n').forEach((text, i) => {
        if (text.trim() === '') return;
        const record = JSON.parse(text) as Record<string, unknown>;
        out.push({ file, line: i + 1, item: { event: minimalEvent(record), original: record, origin: origin(file) } });
      });
    }
  };
  add(join(SAMPLES, 'streaming'), () => 'streaming');
  add(join(SAMPLES, 'graph'), (f) => (f.startsWith('incidents') ? 'incident' : 'alert'));
  return out;
}

test('raw and fortisiem over /work/shared/samples: one line each, lossless', { skip: existsSync(SAMPLES) ? false : `${SAMPLES} not present (not shipped to CI); fixtures cover the formats` }, () => {
  const all = records();
  assert.ok(all.length > 10, `found ${all.length} sample records`);
  const e5424 = createSyslogEncoder({ format: 'raw', syslog: { format: 'rfc5424', appName: 'defender-forwarder', hostname: 'h', facility: 16 } });
  const e3164 = createSyslogEncoder({ format: 'fortisiem', syslog: { format: 'rfc3164', appName: 'defender-forwarder', hostname: 'h', facility: 16 } });
  for (const { file, line, item } of all) {
    const where = `${file}:${line}`;
    const raw = encodePayload(item, 'raw');
    assert.deepEqual(JSON.parse(raw), item.original, where);
    const a = e5424(item);
    assert.equal(/[\r\n\0]/.test(a), false, where);
    assert.equal(parseRfc5424(a).msg, raw, where);
    const b = e3164(item);
    assert.equal(/[\r\n\0]/.test(b), false, where);
    const content = parseRfc3164(b).content;
    const prefix = item.origin === 'incident' ? 'Microsoft 365 Defender Incident ' : item.origin === 'alert' ? 'Microsoft 365 Defender Alert ' : '';
    assert.equal(content, prefix + raw, where);
    for (const fmt of ['cef', 'leef', 'json'] as const) assert.equal(/[\r\n\0]/.test(encodePayload(item, fmt)), false, `${where} ${fmt}`);
  }
});
