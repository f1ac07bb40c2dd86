import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { processStreamingMessages } from '../../shared/pipeline/streaming';

/**
 * Conformance against the shared material beside the repo (../shared/samples): real and realistic
 * streaming records, and Elastic's own m365_defender pipeline output for some of them. Skipped, with a
 * message, on a machine that does not have it.
 */
const SHARED = path.join(__dirname, '..', '..', '..', '..', 'shared', 'samples');
const present = existsSync(path.join(SHARED, 'streaming'));
const SKIP = present ? false : `../shared/samples not found at ${SHARED}: conformance against shared samples skipped`;

function get(o: unknown, p: string): unknown {
  return p.split('.').reduce<unknown>((a, k) => (a && typeof a === 'object' ? (a as Record<string, unknown>)[k] : undefined), o);
}

function lines(file: string): string[] {
  return readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '');
}

/** The key fields each table must map when its record has the source column. */
const KEY_FIELDS: Record<string, Array<[string, string]>> = {
  DeviceProcessEvents: [['DeviceName', 'host.name'], ['ProcessCommandLine', 'process.command_line'], ['InitiatingProcessFileName', 'process.parent.name']],
  DeviceNetworkEvents: [['DeviceName', 'host.name'], ['RemoteIP', 'related.ip'], ['LocalIP', 'related.ip']], // source/destination follow the direction
  DeviceFileEvents: [['DeviceName', 'host.name'], ['FileName', 'file.name']],
  DeviceRegistryEvents: [['DeviceName', 'host.name'], ['RegistryKey', 'registry.key']],
  DeviceLogonEvents: [['DeviceName', 'host.name'], ['AccountName', 'user.name']],
  DeviceImageLoadEvents: [['DeviceName', 'host.name'], ['FileName', 'file.name']],
  DeviceEvents: [['DeviceName', 'host.name'], ['InitiatingProcessFileName', 'process.name']],
  DeviceInfo: [['DeviceName', 'host.name']],
  DeviceNetworkInfo: [['DeviceName', 'host.name']],
  DeviceFileCertificateInfo: [['DeviceName', 'host.name']],
  AlertInfo: [['Title', 'rule.name']],
  AlertEvidence: [['Title', 'rule.name'], ['FileName', 'file.name']],
  EmailEvents: [['SenderFromAddress', 'email.from.address'], ['Subject', 'email.subject']],
  EmailUrlInfo: [['Url', 'url.original']],
  UrlClickEvents: [['Url', 'url.original']],
  IdentityLogonEvents: [['AccountName', 'user.name']],
  IdentityQueryEvents: [['DestinationIPAddress', 'destination.ip']],
  CloudAppEvents: [['IPAddress', 'source.ip']],
};

test('every shared streaming sample record produces an event with its table key fields mapped', { skip: SKIP }, () => {
  let records = 0;
  for (const f of readdirSync(path.join(SHARED, 'streaming')).filter((x) => x.endsWith('.log'))) {
    const bodies = lines(path.join(SHARED, 'streaming', f));
    const r = processStreamingMessages(bodies.map((body, i) => ({ body, provenance: { source: 'file', file: f, line: i + 1, messageIndex: i } })), { includeOriginal: false });
    assert.equal(r.failures.length, 0, `${f}: ${JSON.stringify(r.failures.map((x) => x.reason))}`);
    assert.equal(r.events.length, bodies.length, f);
    records += bodies.length;
    r.events.forEach(({ event, original }) => {
      const table = event.m365_defender.table as string;
      const props = (original as { properties: Record<string, unknown> }).properties;
      for (const [column, field] of KEY_FIELDS[table] ?? []) {
        const v = props[column];
        if (typeof v !== 'string' || v === '' || v === '-') continue;
        const got = get(event, field);
        const want = field === 'host.name' ? v.toLowerCase() : v;
        assert.ok(Array.isArray(got) ? got.includes(want) : got === want, `${f} ${table}: ${column} -> ${field}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
      }
    });
  }
  assert.ok(records > 50, `only ${records} records read`);
});

const COMPARED = ['host.name', 'user.name', 'process.command_line', 'process.parent.name', 'file.name', 'source.ip', 'destination.ip', 'destination.port', 'url.original', 'event.category'];

test('events match Elastic\'s m365_defender documents on the compared fields', { skip: SKIP }, () => {
  const dir = path.join(SHARED, 'ecs-expected', 'event');
  let compared = 0;
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.log'))) {
    const expected = (JSON.parse(readFileSync(path.join(dir, `${f}-expected.json`), 'utf8')) as { expected: unknown[] }).expected;
    const bodies = lines(path.join(dir, f));
    const r = processStreamingMessages(bodies.map((body, i) => ({ body, provenance: { source: 'file', file: f, line: i + 1, messageIndex: i } })), { includeOriginal: false });
    assert.equal(r.events.length, expected.length, f);
    r.events.forEach(({ event }, i) => {
      for (const field of COMPARED) {
        const want = get(expected[i], field);
        if (want === undefined) continue;
        const got = get(event, field);
        compared++;
        if (field === 'event.category') {
          for (const c of want as string[]) assert.ok((got as string[] | undefined)?.includes(c), `${f}#${i} ${field}: ${JSON.stringify(got)} lacks ${c}`);
        } else if (Array.isArray(want)) {
          // Elastic keeps every sender IP (IPv4 and IPv6) in source.ip; ours is the first one present.
          assert.ok(want.includes(got), `${f}#${i} ${field}: ${JSON.stringify(got)} not in ${JSON.stringify(want)}`);
        } else {
          assert.deepEqual(got, want, `${f}#${i} ${field}`);
        }
      }
    });
  }
  assert.ok(compared >= 30, `only ${compared} fields compared`);
});
