/**
 * Escaping is a security boundary: attacker-controlled values (command lines, URLs, file names,
 * titles) are planted in every string field an encoder reads, for every format under both syslog
 * headers. Each output must
 *   - contain no CR, LF or NUL (so LF framing yields exactly one message per event),
 *   - parse back (strict parsers in ./parsers.ts) with exactly the expected keys, no extra one, and
 *     each value equal to the planted value or its documented safe replacement,
 *   - respect the CEF dictionary length limits.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSyslogEncoder, encodePayload, PAYLOAD_FORMATS, type FormatOptions, type PayloadFormat } from '../../shared/formats';
import { CEF_KEYS } from '../../shared/formats/reference/cef-keys';
import type { NormalizedEvent } from '../../shared/model/event';
import type { OutboundEvent } from '../../shared/sinks/types';
import { parseCef, parseLeef, parseRfc3164, parseRfc5424 } from './parsers';

const HUNDRED_KB = 100 * 1024;

const HOSTILE: Record<string, string> = {
  'LF + fake RFC 5424 header': '\n<13>1 2024-01-01T00:00:00Z evil app - - - forged',
  'CRLF + fake RFC 3164 header': '\r\n<13>Jan  1 00:00:00 evil app: forged\r',
  'pipes': 'a|b|c\\|d',
  'trailing backslash': 'C:\\evil\\',
  'equals and fake keys': 'k=v act=forged cs1=x sev=10',
  'SD closers': '] "quoted" \\"] [defender@32473 eventId="x"]',
  'NUL': 'nul\0byte\0',
  'tabs and fake LEEF keys': 'tab\there\tsev=10\tsrc=1.2.3.4',
  '100 KB with a trailing forged message': 'A'.repeat(HUNDRED_KB) + '\n<13>1 - evil app - - - forged',
  'non-BMP': '😀 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 \u{10FFFF}',
  'mojibake and escaped sequences': 'AzureÂ® \\u003c script Ã© \\n',
  'lone surrogates': 'x\ud800y\udc00',
  'surrogate pair on a length limit': 'x'.repeat(39) + '😀' + '='.repeat(5000),
  'other controls': '\x0b\x0c\x1b[31m\x7f\x85\u2028 end',
};
HOSTILE['everything at once'] = Object.values(HOSTILE).map((v) => v.slice(0, 200)).join('|');

// ---- the test's own idea of the safe forms (independent of shared/formats) ----

/** Cut to `max` UTF-16 units, backing off one unit rather than splitting a surrogate pair. */
function cut(v: string, max: number): string {
  if (v.length <= max) return v;
  const c = v.charCodeAt(max - 1);
  return v.slice(0, c >= 0xd800 && c <= 0xdbff ? max - 1 : max);
}
const controls = (v: string): string => v.replace(/[\x00-\x1f\x7f]/g, ' ');
const cefHeaderSafe = (v: string, max: number): string => controls(cut(v, max));
/** CEF extension: CR/LF survive (escaped as \r \n) and TAB stays; other controls become spaces. */
const cefValueSafe = (v: string, max: number): string => cut(v, max).replace(/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g, ' ');
const leefHeaderSafe = (v: string, max: number): string => controls(cut(v, max)).replace(/\|/g, '_');
const headerTokenSafe = (v: string, max: number): string => cut(v.replace(/[^\x21-\x7e]/g, '_'), max);

function hostileItem(v: string, origin: OutboundEvent['origin'] = 'streaming'): OutboundEvent {
  const event: NormalizedEvent = {
    '@timestamp': '2026-11-23T15:00:00.123Z',
    message: v,
    event: { kind: 'event', action: v, dataset: 'm365_defender.deviceprocessevents', id: v, reason: v, provider: 'x', module: 'm365_defender' },
    observer: { vendor: 'Microsoft', product: v },
    cloud: { account: { id: v }, provider: 'azure' },
    host: { name: v, id: v, ip: [v] },
    user: { name: v, domain: v, id: v, target: { name: v } },
    process: { name: v, pid: 1, command_line: v, hash: { sha256: v }, parent: { name: v, command_line: v } },
    file: { name: v, path: v, hash: { sha256: v } },
    source: { ip: v, port: 1 },
    destination: { ip: '10.0.0.1', port: 2, domain: v },
    network: { transport: v, protocol: v },
    url: { original: v },
    rule: { name: v, description: v },
    threat: { technique: { id: [v, 'T1059'] } },
    m365_defender: { category: 'AdvancedHunting-' + v },
    forwarder: { provenance: { source: 'eventhub', messageIndex: 0 } },
  };
  const original = { category: 'AdvancedHunting-DeviceProcessEvents', properties: { ProcessCommandLine: v, FileName: v, nested: { list: [v, 1, null] } } };
  return { event, original, origin };
}

function assertNoFrameBreak(text: string, what: string): void {
  assert.equal(/[\r\n\0]/.test(text), false, `${what}: contains CR, LF or NUL`);
  assert.equal(text.split('\n').length, 1, `${what}: LF framing would see more than one message`);
}

function checkCef(text: string, v: string): void {
  const m = parseCef(text);
  assert.equal(m.version, '0');
  assert.equal(m.vendor, 'Microsoft');
  assert.equal(m.product, cefHeaderSafe(v, 63));
  assert.equal(m.deviceVersion, '1.0');
  assert.equal(m.signatureId, cefHeaderSafe(v, 1023));
  assert.equal(m.name, cefHeaderSafe(v, 512));
  assert.equal(m.severity, '0');
  const expected: Array<[string, string]> = [
    ['rt', String(Date.UTC(2026, 10, 23, 15, 0, 0, 123))],
    ['externalId', cefValueSafe(v, 40)],
    ['cat', cefValueSafe('AdvancedHunting-' + v, 1023)],
    ['act', cefValueSafe(v, 63)],
    ['msg', cefValueSafe(v, 1023)],
    ['reason', cefValueSafe(v, 1023)],
    ['deviceExternalId', cefValueSafe(v, 255)],
    ['shost', cefValueSafe(v, 1023)],
    ['suser', cefValueSafe(v, 1023)],
    ['suid', cefValueSafe(v, 1023)],
    ['sntdom', cefValueSafe(v, 255)],
    ['duser', cefValueSafe(v, 1023)],
    ['spt', '1'],
    ['dst', '10.0.0.1'],
    ['dpt', '2'],
    ['dhost', cefValueSafe(v, 1023)],
    ['proto', cefValueSafe(v, 31)],
    ['app', cefValueSafe(v, 31)],
    ['request', cefValueSafe(v, 1023)],
    ['sproc', cefValueSafe(v, 1023)],
    ['spid', '1'],
    ['fname', cefValueSafe(v, 1023)],
    ['filePath', cefValueSafe(v, 1023)],
    ['fileHash', cefValueSafe(v, 255)],
    ['cs1', cefValueSafe(v, 4000)], ['cs1Label', 'Command Line'],
    ['cs2', cefValueSafe(v, 4000)], ['cs2Label', 'Parent Process Name'],
    ['cs3', cefValueSafe(v, 4000)], ['cs3Label', 'Parent Command Line'],
    // cs4 (process hash) is left out: it equals fileHash here.
    ['cs5', cefValueSafe(v, 4000)], ['cs5Label', 'Tenant Id'],
    ['cs6', cefValueSafe(v + ',T1059', 4000)], ['cs6Label', 'MITRE Techniques'],
  ];
  assert.deepEqual(m.keys, expected.map(([k]) => k), 'exactly the intended keys, in order, none forged');
  for (const [k, want] of expected) {
    assert.equal(m.ext.get(k), want, `CEF ${k}`);
    const spec = (CEF_KEYS as Record<string, { maxLength?: number }>)[k];
    assert.ok(spec, `${k} is a dictionary key`);
    if (spec.maxLength !== undefined) assert.ok((m.ext.get(k) as string).length <= spec.maxLength, `${k} within ${spec.maxLength}`);
  }
}

function checkLeef(text: string, v: string): void {
  const m = parseLeef(text);
  assert.deepEqual([m.vendor, m.product, m.version, m.eventId, m.delimiter], ['Microsoft', leefHeaderSafe(v, 63), '1.0', leefHeaderSafe(v, 255), '\t']);
  const expected: Array<[string, string]> = [
    ['devTime', 'Nov 23 2026 15:00:00.123 UTC'],
    ['devTimeFormat', 'MMM dd yyyy HH:mm:ss.SSS zzz'],
    ['cat', controls('AdvancedHunting-' + v)],
    ['sev', '1'],
    ['externalId', controls(v)],
    ['action', controls(v)],
    ['msg', controls(v)],
    ['resource', controls(v)],
    ['deviceId', controls(v)],
    ['usrName', controls(cut(v, 255))],
    ['domain', controls(v)],
    ['userId', controls(v)],
    ['srcPort', '1'],
    ['dst', '10.0.0.1'],
    ['dstPort', '2'],
    ['proto', controls(v)],
    ['url', controls(v)],
    ['processName', controls(v)],
    ['processId', '1'],
    ['commandLine', controls(v)],
    ['parentProcessName', controls(v)],
    ['parentCommandLine', controls(v)],
    ['fileName', controls(v)],
    ['filePath', controls(v)],
    ['fileHash', controls(v)],
    ['tenantId', controls(v)],
    ['mitreTechniques', controls(v + ',T1059')],
  ];
  assert.deepEqual(m.keys, expected.map(([k]) => k), 'exactly the intended keys, in order, none forged');
  for (const [k, want] of expected) assert.equal(m.attrs.get(k), want, `LEEF ${k}`);
}

function checkPayload(format: PayloadFormat, payload: string, item: OutboundEvent, v: string): void {
  switch (format) {
    case 'json': assert.deepEqual(JSON.parse(payload), JSON.parse(JSON.stringify(item.event))); break;
    case 'raw': assert.deepEqual(JSON.parse(payload), item.original); break;
    case 'fortisiem': {
      const prefix = item.origin === 'incident' ? 'Microsoft 365 Defender Incident ' : '';
      assert.ok(payload.startsWith(prefix + '{'));
      assert.deepEqual(JSON.parse(payload.slice(prefix.length)), item.original);
      break;
    }
    case 'cef': checkCef(payload, v); break;
    case 'leef': checkLeef(payload, v); break;
  }
}

for (const [label, v] of Object.entries(HOSTILE)) {
  for (const format of PAYLOAD_FORMATS) {
    test(`${format} payload keeps "${label}" inside its field`, () => {
      const item = hostileItem(v, format === 'fortisiem' ? 'incident' : 'streaming');
      const payload = encodePayload(item, format);
      assertNoFrameBreak(payload, format);
      checkPayload(format, payload, item, v);
    });

    test(`rfc5424 + ${format} keeps "${label}" out of the header`, () => {
      const item = hostileItem(v, format === 'fortisiem' ? 'incident' : 'streaming');
      const options: FormatOptions = { format, syslog: { format: 'rfc5424', appName: 'defender-forwarder', hostname: 'fwd01', facility: 16 } };
      const text = createSyslogEncoder(options)(item);
      assertNoFrameBreak(text, 'rfc5424 ' + format);
      const m = parseRfc5424(text);
      assert.equal(m.pri, 134);
      assert.equal(m.timestamp, '2026-11-23T15:00:00.123Z');
      assert.equal(m.hostname, 'fwd01');
      assert.equal(m.appName, 'defender-forwarder');
      assert.equal(m.procId, '-');
      assert.equal(m.msgId, item.origin === 'incident' ? 'incident' : headerTokenSafe(v, 32));
      assert.equal(m.sdId, 'defender@32473');
      assert.deepEqual([...m.sdParams.keys()], ['eventId', 'category', 'origin', 'tenantId']);
      assert.equal(m.sdParams.get('eventId'), controls(v));
      assert.equal(m.sdParams.get('category'), controls('AdvancedHunting-' + v));
      assert.equal(m.sdParams.get('origin'), item.origin);
      assert.equal(m.sdParams.get('tenantId'), controls(v));
      assert.equal(m.msg, encodePayload(item, format), 'MSG is exactly the payload');
      checkPayload(format, m.msg, item, v);
    });

    test(`rfc3164 + ${format} keeps "${label}" out of the header`, () => {
      const item = hostileItem(v, format === 'fortisiem' ? 'incident' : 'streaming');
      const options: FormatOptions = { format, syslog: { format: 'rfc3164', appName: 'defender-forwarder', hostname: 'fwd01', facility: 16 } };
      const text = createSyslogEncoder(options)(item);
      assertNoFrameBreak(text, 'rfc3164 ' + format);
      const m = parseRfc3164(text);
      assert.equal(m.pri, 134);
      assert.equal(m.timestamp, 'Nov 23 15:00:00');
      assert.equal(m.hostname, 'fwd01');
      assert.equal(m.tag, 'defender-forwarder');
      assert.equal(m.content, encodePayload(item, format));
      checkPayload(format, m.content, item, v);
    });
  }
}

test('hostile header settings given in code are made safe; the SD and MSG stay intact', () => {
  const item = hostileItem('x');
  const evil = '\n<13>1 evil host]"';
  const text5424 = createSyslogEncoder({ format: 'cef', syslog: { format: 'rfc5424', appName: evil + 'a'.repeat(60), hostname: evil, facility: 99 } })(item);
  assertNoFrameBreak(text5424, 'rfc5424');
  const m = parseRfc5424(text5424);
  assert.equal(m.hostname, '_<13>1_evil_host]"');
  assert.equal(m.appName, headerTokenSafe(evil + 'a'.repeat(60), 48));
  assert.equal(m.pri, 16 * 8 + 6, 'an out-of-range facility falls back to 16');
  assert.equal(m.msg, encodePayload(item, 'cef'));
  const text3164 = createSyslogEncoder({ format: 'leef', syslog: { format: 'rfc3164', appName: 'app:[x]', hostname: 'h o', facility: 1 } })(item);
  const n = parseRfc3164(text3164);
  assert.equal(n.hostname, 'h_o');
  assert.equal(n.tag, 'app__x_');
  assert.equal(n.content, encodePayload(item, 'leef'));
});

test('json under rfc5424: a critical event gets PRI local0.crit and stays one line', () => {
  const item = hostileItem('x\r\n');
  item.event.event.severity = 99;
  const options: FormatOptions = { format: 'json', syslog: { format: 'rfc5424', appName: 'a', hostname: 'h', facility: 16 } };
  const text = createSyslogEncoder(options)(item);
  assertNoFrameBreak(text, 'json');
  assert.equal(parseRfc5424(text).pri, 16 * 8 + 2);
});

test('sloppy producer values (null, numbers, non-arrays) neither throw nor break the framing', () => {
  const item = hostileItem('x');
  const loose = item.event as unknown as Record<string, any>;
  loose.host.name = null;
  loose.user.name = 42;
  loose.process.command_line = null;
  loose.threat.technique.id = 'T1059';
  loose.observer.product = null;
  loose.cloud.account.id = null;
  for (const format of PAYLOAD_FORMATS) {
    for (const header of ['rfc5424', 'rfc3164'] as const) {
      const text = createSyslogEncoder({ format, syslog: { format: header, appName: 'a', hostname: 'h', facility: 16 } })(item);
      assertNoFrameBreak(text, `${header} ${format}`);
    }
  }
  const cef = parseCef(encodePayload(item, 'cef'));
  assert.equal(cef.product, 'Defender XDR');
  assert.equal(cef.ext.has('shost'), false);
  assert.equal(cef.ext.has('cs1'), false);
  assert.equal(cef.ext.has('cs6'), false);
  assert.equal(parseLeef(encodePayload(item, 'leef')).attrs.has('resource'), false);
});

test('hostile e-mail subject, sender and recipients stay inside their fields', () => {
  for (const v of Object.values(HOSTILE)) {
    const item = hostileItem(v);
    delete item.event.user;
    delete item.event.process;
    delete item.event.rule;
    item.event.email = { subject: v, sender: { address: v }, to: { address: [v, v] } };
    const cef = parseCef(encodePayload(item, 'cef'));
    assert.equal(cef.ext.get('msg'), cefValueSafe(v, 1023));
    assert.equal(cef.ext.get('suser'), cefValueSafe(v, 1023));
    assert.equal(cef.ext.get('duser'), cefValueSafe(v + ',' + v, 1023));
    const leef = parseLeef(encodePayload(item, 'leef'));
    assert.equal(leef.attrs.get('subject'), controls(v));
    assert.equal(leef.attrs.get('sender'), controls(v));
    assert.equal(leef.attrs.get('recipients'), controls(v + ',' + v));
    for (const format of PAYLOAD_FORMATS) assertNoFrameBreak(createSyslogEncoder({ format, syslog: { format: 'rfc5424', appName: 'a', hostname: 'h', facility: 16 } })(item), format);
  }
});
