/**
 * Exact expected output of every format for the fixtures: the CEF and LEEF strings below were checked
 * by hand against the mapping documented in shared/formats/cef.ts and leef.ts, and are parsed back
 * with the test's own parsers so a change in escaping cannot hide behind a golden-file update.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSyslogEncoder, encodePayload, type FormatOptions } from '../../shared/formats';
import { alertEvent, emailEvent, graphAlertEvent, incidentEvent, incidentOriginal, networkEvent, processEvent, processOriginal } from './fixtures';
import { parseCef, parseLeef, parseRfc3164, parseRfc5424 } from './parsers';

const FIXTURES = { processEvent, networkEvent, alertEvent, incidentEvent, graphAlertEvent };

const EXPECTED: Record<keyof typeof FIXTURES, { cef: string; leef: string }> = {
  processEvent: {
    cef: "CEF:0|Microsoft|Defender XDR|1.0|ProcessCreated|ProcessCreated cmd.exe on host7.contoso.com|0|rt=1795446000123 externalId=5f0c6e8a9b1d2e3f4a5b6c7d8e9f0a1b cat=AdvancedHunting-DeviceProcessEvents act=ProcessCreated deviceExternalId=d0a1b2c3 dvc=10.1.2.7 shost=host7.contoso.com suser=user7 suid=S-1-5-21-1-2-3-1007 sntdom=contoso sproc=cmd.exe spid=4242 fname=cmd.exe filePath=C:\\\\Windows\\\\System32\\\\cmd.exe fileHash=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa cs1=cmd.exe /c whoami 7 cs1Label=Command Line cs2=explorer.exe cs2Label=Parent Process Name cs3=explorer.exe cs3Label=Parent Command Line cs5=3adb963c-8e61-48e8-a06d-6dbb0dacea39 cs5Label=Tenant Id",
    leef: "LEEF:2.0|Microsoft|Defender XDR|1.0|ProcessCreated|x09|devTime=Nov 23 2026 15:00:00.123 UTC\tdevTimeFormat=MMM dd yyyy HH:mm:ss.SSS zzz\tcat=AdvancedHunting-DeviceProcessEvents\tsev=1\texternalId=5f0c6e8a9b1d2e3f4a5b6c7d8e9f0a1b\taction=ProcessCreated\tmsg=ProcessCreated cmd.exe on host7.contoso.com\tresource=host7.contoso.com\tdeviceId=d0a1b2c3\tusrName=user7\tdomain=contoso\tuserId=S-1-5-21-1-2-3-1007\tprocessName=cmd.exe\tprocessId=4242\tcommandLine=cmd.exe /c whoami 7\tparentProcessName=explorer.exe\tparentCommandLine=explorer.exe\tfileName=cmd.exe\tfilePath=C:\\Windows\\System32\\cmd.exe\tfileHash=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\ttenantId=3adb963c-8e61-48e8-a06d-6dbb0dacea39",
  },
  networkEvent: {
    cef: "CEF:0|Microsoft|Defender XDR|1.0|ConnectionSuccess|ConnectionSuccess chrome.exe to example.org|0|rt=1795446062500 externalId=b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7 cat=AdvancedHunting-DeviceNetworkEvents act=ConnectionSuccess outcome=success deviceExternalId=d9 shost=host9.contoso.com c6a2=2001:db8::10 c6a2Label=Source IPv6 Address spt=50123 c6a3=2606:4700::1111 c6a3Label=Destination IPv6 Address dpt=443 dhost=example.org proto=tcp request=https://example.org/path?q\\=1&x\\=a|b sproc=chrome.exe spid=900 cs5=3adb963c-8e61-48e8-a06d-6dbb0dacea39 cs5Label=Tenant Id",
    leef: "LEEF:2.0|Microsoft|Defender XDR|1.0|ConnectionSuccess|x09|devTime=Nov 23 2026 15:01:02.500 UTC\tdevTimeFormat=MMM dd yyyy HH:mm:ss.SSS zzz\tcat=AdvancedHunting-DeviceNetworkEvents\tsev=1\texternalId=b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7\taction=ConnectionSuccess\toutcome=success\tmsg=ConnectionSuccess chrome.exe to example.org\tresource=host9.contoso.com\tdeviceId=d9\tsrc=2001:db8::10\tsrcPort=50123\tdst=2606:4700::1111\tdstPort=443\tproto=tcp\turl=https://example.org/path?q=1&x=a|b\tprocessName=chrome.exe\tprocessId=900\ttenantId=3adb963c-8e61-48e8-a06d-6dbb0dacea39",
  },
  alertEvent: {
    cef: "CEF:0|Microsoft|Defender XDR|1.0|Suspicious PowerShell command line|Suspicious PowerShell command line|5|rt=1795446123000 externalId=da637551227677560813_-961444813 cat=AdvancedHunting-AlertInfo cs5=3adb963c-8e61-48e8-a06d-6dbb0dacea39 cs5Label=Tenant Id cs6=T1059.001 cs6Label=MITRE Techniques",
    leef: "LEEF:2.0|Microsoft|Defender XDR|1.0|Suspicious PowerShell command line|x09|devTime=Nov 23 2026 15:02:03.000 UTC\tdevTimeFormat=MMM dd yyyy HH:mm:ss.SSS zzz\tcat=AdvancedHunting-AlertInfo\tsev=5\texternalId=da637551227677560813_-961444813\tmsg=Suspicious PowerShell command line\ttenantId=3adb963c-8e61-48e8-a06d-6dbb0dacea39\tmitreTechniques=T1059.001",
  },
  incidentEvent: {
    cef: "CEF:0|Microsoft|microsoft365Defender|1.0|Multi-stage incident involving Initial access & Command and control on multiple endpoints reported by multiple sources|Multi-stage incident involving Initial access & Command and control on multiple endpoints reported by multiple sources|7|rt=1795446184343 externalId=2972395-2026-11-23T15:03:04.3433333Z cat=m365_defender.incident msg=A \"multi-stage\" incident | with pipes \\= and \\\\ backslashes cs5=3adb963c-8e61-48e8-a06d-6dbb0dacea39 cs5Label=Tenant Id",
    leef: "LEEF:2.0|Microsoft|microsoft365Defender|1.0|Multi-stage incident involving Initial access & Command and control on multiple endpoints reported by multiple sources|x09|devTime=Nov 23 2026 15:03:04.343 UTC\tdevTimeFormat=MMM dd yyyy HH:mm:ss.SSS zzz\tcat=m365_defender.incident\tsev=7\texternalId=2972395-2026-11-23T15:03:04.3433333Z\tmsg=A \"multi-stage\" incident | with pipes = and \\ backslashes\ttenantId=3adb963c-8e61-48e8-a06d-6dbb0dacea39",
  },
  graphAlertEvent: {
    cef: "CEF:0|Microsoft|microsoftDefenderForEndpoint|1.0|Suspicious PowerShell command line|Suspicious PowerShell command line|5|rt=1795446123000 externalId=da637551227677560813_-961444813 cat=m365_defender.alert cs5=3adb963c-8e61-48e8-a06d-6dbb0dacea39 cs5Label=Tenant Id cs6=T1059.001 cs6Label=MITRE Techniques",
    leef: "LEEF:2.0|Microsoft|microsoftDefenderForEndpoint|1.0|Suspicious PowerShell command line|x09|devTime=Nov 23 2026 15:02:03.000 UTC\tdevTimeFormat=MMM dd yyyy HH:mm:ss.SSS zzz\tcat=m365_defender.alert\tsev=5\texternalId=da637551227677560813_-961444813\tmsg=Suspicious PowerShell command line\ttenantId=3adb963c-8e61-48e8-a06d-6dbb0dacea39\tmitreTechniques=T1059.001",
  },
};

for (const [name, make] of Object.entries(FIXTURES) as Array<[keyof typeof FIXTURES, () => ReturnType<typeof processEvent>]>) {
  test(`cef: exact output for ${name}`, () => {
    assert.equal(encodePayload(make(), 'cef'), EXPECTED[name].cef);
  });
  test(`leef: exact output for ${name}`, () => {
    assert.equal(encodePayload(make(), 'leef'), EXPECTED[name].leef);
  });
}

test('cef: process event parses back to the intended keys and values', () => {
  const m = parseCef(encodePayload(processEvent(), 'cef'));
  assert.deepEqual(
    [m.version, m.vendor, m.product, m.deviceVersion, m.signatureId, m.name, m.severity],
    ['0', 'Microsoft', 'Defender XDR', '1.0', 'ProcessCreated', 'ProcessCreated cmd.exe on host7.contoso.com', '0'],
  );
  assert.equal(m.ext.get('rt'), String(Date.UTC(2026, 10, 23, 15, 0, 0, 123)));
  assert.equal(m.ext.get('filePath'), 'C:\\Windows\\System32\\cmd.exe');
  assert.equal(m.ext.get('dvc'), '10.1.2.7', 'the first IPv4 of host.ip, the IPv6 one is skipped');
  assert.equal(m.ext.get('cs1'), 'cmd.exe /c whoami 7');
  assert.equal(m.ext.get('cs1Label'), 'Command Line');
  assert.equal(m.ext.has('src'), false);
});

test('cef: cs4 Process Hash only when it differs from fileHash', () => {
  const item = processEvent();
  assert.equal(parseCef(encodePayload(item, 'cef')).ext.has('cs4'), false);
  item.event.file = { name: 'evil.dll', hash: { sha1: 'b'.repeat(40) } };
  const m = parseCef(encodePayload(item, 'cef'));
  assert.equal(m.ext.get('fileHash'), 'b'.repeat(40));
  assert.equal(m.ext.get('cs4'), 'a'.repeat(64));
  assert.equal(m.ext.get('cs4Label'), 'Process Hash');
  delete item.event.file;
  assert.equal(parseCef(encodePayload(item, 'cef')).ext.get('cs4'), 'a'.repeat(64));
});

test('cef: IPv6 endpoints go to c6a2/c6a3 with labels, never to src/dst', () => {
  const m = parseCef(encodePayload(networkEvent(), 'cef'));
  assert.equal(m.ext.get('c6a2'), '2001:db8::10');
  assert.equal(m.ext.get('c6a2Label'), 'Source IPv6 Address');
  assert.equal(m.ext.get('c6a3'), '2606:4700::1111');
  assert.equal(m.ext.get('c6a3Label'), 'Destination IPv6 Address');
  assert.equal(m.ext.has('src'), false);
  assert.equal(m.ext.has('dst'), false);
  assert.equal(m.ext.get('request'), 'https://example.org/path?q=1&x=a|b');
});

test('cef: IPv4 endpoints go to src/dst', () => {
  const item = networkEvent();
  item.event.source = { ip: '10.0.0.1', port: 1234 };
  item.event.destination = { ip: '192.0.2.44', port: 80 };
  const m = parseCef(encodePayload(item, 'cef'));
  assert.equal(m.ext.get('src'), '10.0.0.1');
  assert.equal(m.ext.get('spt'), '1234');
  assert.equal(m.ext.get('dst'), '192.0.2.44');
  assert.equal(m.ext.get('dpt'), '80');
  assert.equal(m.ext.has('c6a2'), false);
  assert.equal(m.ext.has('c6a3Label'), false);
});

test('cef and leef: alerts and incidents use the title as Signature ID / EventID, streaming records the ActionType', () => {
  assert.equal(parseCef(encodePayload(alertEvent(), 'cef')).signatureId, 'Suspicious PowerShell command line');
  assert.equal(parseCef(encodePayload(incidentEvent(), 'cef')).signatureId, incidentOriginal.displayName);
  assert.equal(parseCef(encodePayload(networkEvent(), 'cef')).signatureId, 'ConnectionSuccess');
  assert.equal(parseLeef(encodePayload(alertEvent(), 'leef')).eventId, 'Suspicious PowerShell command line');
  assert.equal(parseLeef(encodePayload(processEvent(), 'leef')).eventId, 'ProcessCreated');
  // A streaming alert record that carries both keeps the title.
  const a = alertEvent();
  a.event.event.action = 'SomeAction';
  assert.equal(parseCef(encodePayload(a, 'cef')).signatureId, 'Suspicious PowerShell command line');
});

test('cef: the incident description keeps its pipes, quotes, = and backslashes after unescaping', () => {
  const m = parseCef(encodePayload(incidentEvent(), 'cef'));
  assert.equal(m.ext.get('msg'), incidentOriginal.description);
  assert.equal(m.severity, '7');
  assert.equal(m.product, 'microsoft365Defender');
});

test('leef: header, tab delimiter and attributes of the network event', () => {
  const m = parseLeef(encodePayload(networkEvent(), 'leef'));
  assert.deepEqual([m.vendor, m.product, m.version, m.eventId, m.delimiter], ['Microsoft', 'Defender XDR', '1.0', 'ConnectionSuccess', '\t']);
  assert.equal(m.attrs.get('devTime'), 'Nov 23 2026 15:01:02.500 UTC');
  assert.equal(m.attrs.get('devTimeFormat'), 'MMM dd yyyy HH:mm:ss.SSS zzz');
  assert.equal(m.attrs.get('src'), '2001:db8::10', 'LEEF src/dst take IPv6 too');
  assert.equal(m.attrs.get('dstPort'), '443');
  assert.equal(m.attrs.get('sev'), '1');
  assert.equal(m.attrs.get('url'), 'https://example.org/path?q=1&x=a|b');
});

test('json: the normalized event as one line of JSON', () => {
  const item = processEvent();
  const text = encodePayload(item, 'json');
  // Same members as JSON.stringify (serializeEvent writes m365_defender last).
  assert.deepEqual(JSON.parse(text), JSON.parse(JSON.stringify(item.event)));
  assert.ok(!/[\r\n\u0000]/.test(text));
  assert.ok(text.startsWith('{"@timestamp":"2026-11-23T15:00:00.123Z","message":"ProcessCreated cmd.exe on host7.contoso.com","event":{"kind":"event"'));
});

test('raw: the original record unaltered, with its 7-digit timestamps', () => {
  const text = encodePayload(processEvent(), 'raw');
  assert.equal(text, JSON.stringify(processOriginal));
  assert.ok(text.includes('"Timestamp":"2026-11-23T15:00:00.1234567Z"'));
  assert.deepEqual(JSON.parse(text), processOriginal);
});

test('raw: an event without an original falls back to the normalized event instead of "undefined"', () => {
  const item = processEvent();
  item.original = undefined;
  assert.equal(encodePayload(item, 'raw'), JSON.stringify(item.event));
});

test('fortisiem: Graph incidents and alerts carry the log header and one space; streaming records are raw', () => {
  const inc = incidentEvent();
  assert.equal(encodePayload(inc, 'fortisiem'), 'Microsoft 365 Defender Incident ' + JSON.stringify(inc.original));
  const alert = graphAlertEvent();
  assert.equal(
    encodePayload(alert, 'fortisiem'),
    'Microsoft 365 Defender Alert {"id":"da637551227677560813_-961444813","title":"Suspicious PowerShell command line","serviceSource":"microsoftDefenderForEndpoint"}',
  );
  assert.equal(encodePayload(processEvent(), 'fortisiem'), JSON.stringify(processOriginal));
});

const RFC5424_CEF: FormatOptions = { format: 'cef', syslog: { format: 'rfc5424', appName: 'defender-forwarder', hostname: 'fwd01', facility: 16 } };
const RFC3164_LEEF: FormatOptions = { format: 'leef', syslog: { format: 'rfc3164', appName: 'defender-forwarder', hostname: 'fwd01', facility: 16 } };

test('rfc5424: exact header and structured data for a streaming alert', () => {
  const item = alertEvent();
  assert.equal(
    createSyslogEncoder(RFC5424_CEF)(item),
    '<132>1 2026-11-23T15:02:03.000Z fwd01 defender-forwarder - AlertInfo [defender@32473 eventId="da637551227677560813_-961444813" category="AdvancedHunting-AlertInfo" origin="streaming" tenantId="3adb963c-8e61-48e8-a06d-6dbb0dacea39"] '
      + EXPECTED.alertEvent.cef,
  );
});

test('rfc5424: exact header for a Graph incident (MSGID incident, severity high = 3)', () => {
  assert.equal(
    createSyslogEncoder({ ...RFC5424_CEF, format: 'raw' })(incidentEvent()),
    '<131>1 2026-11-23T15:03:04.343Z fwd01 defender-forwarder - incident [defender@32473 eventId="2972395-2026-11-23T15:03:04.3433333Z" category="m365_defender.incident" origin="incident" tenantId="3adb963c-8e61-48e8-a06d-6dbb0dacea39"] '
      + JSON.stringify(incidentOriginal),
  );
});

test('rfc5424: parses back; PRI = facility*8 + severity; timestamps keep at most 6 fraction digits', () => {
  const item = processEvent();
  item.event['@timestamp'] = '2026-11-23T15:00:00.1234567Z';
  const m = parseRfc5424(createSyslogEncoder({ ...RFC5424_CEF, syslog: { ...RFC5424_CEF.syslog, facility: 4 } })(item));
  assert.equal(m.pri, 4 * 8 + 6);
  assert.equal(m.timestamp, '2026-11-23T15:00:00.123456Z');
  assert.equal(m.msgId, 'DeviceProcessEvents');
  assert.equal(m.sdId, 'defender@32473');
  assert.equal(m.sdParams.get('eventId'), '5f0c6e8a9b1d2e3f4a5b6c7d8e9f0a1b');
  assert.equal(m.msg, encodePayload(item, 'cef'));
  item.event['@timestamp'] = '2026-11-23T16:00:00+01:00';
  assert.equal(parseRfc5424(createSyslogEncoder(RFC5424_CEF)(item)).timestamp, '2026-11-23T16:00:00+01:00');
  item.event['@timestamp'] = 'not a time';
  assert.equal(parseRfc5424(createSyslogEncoder(RFC5424_CEF)(item)).timestamp, '-');
  item.event['@timestamp'] = '2026-11-23 15:00:00Z';
  assert.equal(parseRfc5424(createSyslogEncoder(RFC5424_CEF)(item)).timestamp, '2026-11-23T15:00:00.000Z');
});

test('rfc5424: no BOM before MSG', () => {
  const text = createSyslogEncoder(RFC5424_CEF)(processEvent());
  assert.equal(text.includes('\ufeff'), false);
  assert.equal(Buffer.from(text, 'utf8').includes(Buffer.from([0xef, 0xbb, 0xbf])), false);
});

test('rfc3164: exact message, TAG before the LEEF payload', () => {
  assert.equal(createSyslogEncoder(RFC3164_LEEF)(processEvent()), '<134>Nov 23 15:00:00 fwd01 defender-forwarder: ' + EXPECTED.processEvent.leef);
});

test('rfc3164: day is space-padded, time is UTC, TAG precedes CEF so "CEF:" is never read as the tag', () => {
  const item = networkEvent();
  item.event['@timestamp'] = '2026-03-05T23:59:58.999-02:00'; // = Mar 6 01:59:58 UTC
  const text = createSyslogEncoder({ ...RFC3164_LEEF, format: 'cef' })(item);
  assert.ok(text.startsWith('<134>Mar  6 01:59:58 fwd01 defender-forwarder: CEF:0|Microsoft|'), text.slice(0, 80));
  const m = parseRfc3164(text);
  assert.equal(m.tag, 'defender-forwarder');
  assert.equal(m.content, encodePayload(item, 'cef'));
});

test('rfc3164: an unparseable @timestamp uses the clock', () => {
  const item = processEvent();
  item.event['@timestamp'] = 'garbage';
  const text = createSyslogEncoder(RFC3164_LEEF, () => new Date(Date.UTC(2027, 0, 2, 3, 4, 5)))(item);
  assert.ok(text.startsWith('<134>Jan  2 03:04:05 fwd01 defender-forwarder: LEEF:2.0|'), text.slice(0, 80));
});

test('remembered values never leak from one event into the next', () => {
  const enc = createSyslogEncoder(RFC5424_CEF);
  const leef = createSyslogEncoder({ ...RFC5424_CEF, format: 'leef' });
  const a = processEvent, b = incidentEvent, c = networkEvent;
  const first = [a, b, c].map((f) => [enc(f()), leef(f())]);
  const again = [c, a, b, a, c, b].map((f) => [enc(f()), leef(f())]);
  assert.deepEqual(again, [first[2], first[0], first[1], first[0], first[2], first[1]]);
  // Same category, different tenant: only the tenant changes.
  const other = processEvent();
  other.event.cloud = { account: { id: 'other-tenant' }, provider: 'azure' };
  const m = parseRfc5424(enc(other));
  assert.equal(m.sdParams.get('tenantId'), 'other-tenant');
  assert.equal(parseCef(m.msg).ext.get('cs5'), 'other-tenant');
  assert.equal(parseRfc5424(enc(processEvent())).sdParams.get('tenantId'), '3adb963c-8e61-48e8-a06d-6dbb0dacea39');
});

test('e-mail events: sender, recipients and subject in CEF and LEEF', () => {
  const item = emailEvent();
  const cef = parseCef(encodePayload(item, 'cef'));
  assert.equal(cef.signatureId, 'Delivered');
  assert.equal(cef.ext.get('suser'), 'bounce@fabrikam.example');
  assert.equal(cef.ext.get('duser'), 'kai@contoso.example,ana@contoso.example');
  assert.equal(cef.ext.get('msg'), 'Invoice | due=now \\ "urgent"');
  assert.ok(encodePayload(item, 'cef').includes(' msg=Invoice | due\\=now \\\\ "urgent" '));
  const leef = parseLeef(encodePayload(item, 'leef'));
  assert.equal(leef.attrs.get('sender'), 'bounce@fabrikam.example');
  assert.equal(leef.attrs.get('recipients'), 'kai@contoso.example,ana@contoso.example');
  assert.equal(leef.attrs.get('subject'), 'Invoice | due=now \\ "urgent"');
  assert.equal(leef.attrs.get('msg'), 'EmailEvents Delivered from billing@fabrikam.example');
  // No envelope sender: the first From address.
  delete item.event.email?.sender;
  assert.equal(parseCef(encodePayload(item, 'cef')).ext.get('suser'), 'billing@fabrikam.example');
});
