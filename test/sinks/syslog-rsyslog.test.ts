/**
 * The syslog sink against a REAL rsyslogd (started by the suite): every framing and transport, both
 * headers, every payload format, and hostile values. Received bytes are compared exactly (%rawmsg%).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createSyslogEncoder, type PayloadFormat, type SyslogHeaderFormat } from '../../shared/formats';
import { MemoryLogger } from '../../shared/observability/log';
import { SyslogSink, TRUNCATION_MARKER, truncateUtf8, type SyslogSinkOptions } from '../../shared/sinks/syslog';
import type { OutboundEvent } from '../../shared/sinks/types';
import { rsyslogSkipReason, startRsyslog, type ReceivedMessage, type RsyslogInstance } from '../support/rsyslog';
import { HOSTILE, hostileEvents, processEvent } from './syslog-fixtures';

const skip = rsyslogSkipReason({ tls: true });
if (skip) console.log(`# SKIP syslog rsyslog tests: ${skip}`);

type Mode = 'tcp-octet' | 'tcp-lf' | 'tls-octet' | 'tls-lf' | 'udp';
const MODES: Mode[] = ['tcp-octet', 'tcp-lf', 'tls-octet', 'tls-lf', 'udp'];

/** A simple, known encoder: lets the tests state the exact expected bytes independently of formats/. */
const simpleEncoder = (item: OutboundEvent): string =>
  `<134>1 2026-11-23T15:00:00.123Z fwd01 defender-forwarder - DeviceProcessEvents - ${JSON.stringify(item.original)}`;

describe('syslog sink against rsyslog', { skip }, () => {
  let rs: RsyslogInstance;
  const sinks: SyslogSink[] = [];

  before(async () => { rs = await startRsyslog(); });
  after(async () => {
    for (const s of sinks) await s.close();
    await rs?.stop();
  });

  function makeSink(mode: Mode, encode: (item: OutboundEvent) => string, extra: Partial<SyslogSinkOptions> = {}): SyslogSink {
    const [transport, framing] = mode.split('-') as ['tcp' | 'tls' | 'udp', 'octet' | 'lf' | undefined];
    const port = transport === 'tls' ? rs.tlsPort : transport === 'udp' ? rs.udpPort : rs.tcpPort;
    const s = new SyslogSink({
      url: new URL(`syslog+${transport}://127.0.0.1:${port}`),
      encode,
      framing: framing === 'lf' ? 'lf' : 'octet-counting',
      udpMaxBytes: 1472,
      tls: { ca: rs.tls.caPem },
      timeoutMs: 2000,
      retryBudgetMs: 2000,
      retryBaseDelayMs: 50,
      logger: new MemoryLogger(),
      ...extra,
    });
    sinks.push(s);
    return s;
  }

  /** Sends, then returns exactly the messages that arrived for this send (waits a little for extras). */
  async function roundTrip(sink: SyslogSink, batch: OutboundEvent[]): Promise<ReceivedMessage[]> {
    const base = rs.messages().length;
    const report = await sink.send(batch);
    assert.deepEqual(report.failed.map((f) => f.reason), []);
    assert.equal(report.delivered, batch.length);
    const got = await rs.waitForMessages(base + batch.length, { settleMs: 150 });
    return got.slice(base);
  }

  const inputOf = (mode: Mode) => mode.split('-')[0];

  for (const mode of MODES) {
    it(`${mode}: delivers the exact bytes, one message per event`, async () => {
      const batch = [0, 1, 2, 3, 4].map((i) => processEvent(i));
      const got = await roundTrip(makeSink(mode, simpleEncoder), batch);
      assert.equal(got.length, batch.length);
      const expected = batch.map(simpleEncoder);
      assert.deepEqual(got.map((m) => m.raw).sort(), [...expected].sort());
      if (mode !== 'udp') assert.deepEqual(got.map((m) => m.raw), expected, 'TCP keeps the order');
      assert.ok(got.every((m) => m.input === inputOf(mode)));
      // One independent literal check of the whole message.
      assert.equal(expected[0], '<134>1 2026-11-23T15:00:00.123Z fwd01 defender-forwarder - DeviceProcessEvents - '
        + '{"time":"2026-11-23T15:00:01.0000000Z","tenantId":"11111111-2222-3333-4444-555555555555","operationName":"Publish",'
        + '"category":"AdvancedHunting-DeviceProcessEvents","_TimeReceivedBySvc":"2026-11-23T15:00:00.9000000Z","properties":'
        + '{"DeviceId":"d0","DeviceName":"host0.contoso.com","ActionType":"ProcessCreated","FileName":"cmd.exe",'
        + '"FolderPath":"C:\\\\Windows\\\\System32","SHA256":"' + 'a'.repeat(64) + '","ProcessCommandLine":"cmd.exe /c whoami 0",'
        + '"InitiatingProcessFileName":"explorer.exe","AccountName":"user0","ReportId":0,"Timestamp":"2026-11-23T15:00:00.1234567Z"}}');
    });
  }

  it('tls: verifies the server by its DNS name when servername is given (localhost)', async () => {
    const sink = makeSink('tls-octet', simpleEncoder, { tls: { ca: rs.tls.caPem, servername: 'localhost' } });
    const got = await roundTrip(sink, [processEvent(7)]);
    assert.deepEqual(got, [{ input: 'tls', raw: simpleEncoder(processEvent(7)) }]);
  });

  it('octet counts are UTF-8 bytes (multi-byte characters arrive intact)', async () => {
    const item = processEvent(8, { commandLine: HOSTILE.unicode! });
    const got = await roundTrip(makeSink('tcp-octet', simpleEncoder), [item]);
    assert.deepEqual(got, [{ input: 'tcp', raw: simpleEncoder(item) }]);
    assert.ok(got[0]!.raw.includes('\u20ac \u{1F600}'));
  });

  it('a large batch is written in chunks and arrives complete and in order', async () => {
    const batch = Array.from({ length: 3000 }, (_, i) => processEvent(i));
    const sink = makeSink('tcp-octet', simpleEncoder, { chunkBytes: 64 * 1024 });
    const got = await roundTrip(sink, batch);
    assert.deepEqual(got.map((m) => m.raw), batch.map(simpleEncoder));
  });

  // ---- headers and payload formats through the real encoder (shared/formats) ----

  const HEADER_SHAPE: Record<SyslogHeaderFormat, RegExp> = {
    rfc5424: /^<(\d{1,3})>1 2026-11-23T15:00:00\.123Z fwd01 defender-forwarder - [\x21-\x7e]{1,32} \[defender@32473 eventId="evt-\d+-0123456789abcdef" [^\]]*\] /,
    rfc3164: /^<(\d{1,3})>Nov 23 15:00:00 fwd01 defender-forwarder: /,
  };
  const PAYLOAD_SHAPE: Record<Exclude<PayloadFormat, 'fortisiem'>, RegExp> = {
    json: /\{"@timestamp":"2026-11-23T15:00:00\.123Z".*\}$/,
    raw: /\{"time":"2026-11-23T15:00:01\.0000000Z".*"category":"AdvancedHunting-DeviceProcessEvents".*\}$/,
    cef: /CEF:0\|Microsoft\|Defender XDR\|[^|]*\|ProcessCreated\|/,
    leef: /LEEF:2\.0\|Microsoft\|Defender XDR\|[^|]*\|ProcessCreated\|/,
  };

  for (const header of ['rfc5424', 'rfc3164'] as const) {
    for (const format of ['json', 'raw', 'cef', 'leef'] as const) {
      for (const mode of ['tcp-octet', 'tcp-lf', 'tls-octet', 'udp'] as Mode[]) {
        it(`${header} + ${format} over ${mode}: exact bytes`, async () => {
          const encode = createSyslogEncoder({ format, syslog: { format: header, appName: 'defender-forwarder', hostname: 'fwd01', facility: 16 } });
          const batch = [0, 1, 2].map((i) => processEvent(i));
          const got = await roundTrip(makeSink(mode, encode), batch);
          const expected = batch.map(encode);
          assert.deepEqual(got.map((m) => m.raw).sort(), [...expected].sort());
          for (const m of got) {
            const h = HEADER_SHAPE[header].exec(m.raw);
            assert.ok(h, `header shape: ${m.raw.slice(0, 160)}`);
            assert.equal(Number(h[1]) >> 3, 16, 'facility local0');
            assert.match(m.raw, PAYLOAD_SHAPE[format]);
          }
        });
      }
    }
  }

  // ---- injection ----

  for (const format of ['json', 'raw', 'cef', 'leef', 'fortisiem'] as const) {
    for (const mode of MODES) {
      it(`injection: ${format} over ${mode} gives exactly one message per hostile event`, async () => {
        const encode = createSyslogEncoder({ format, syslog: { format: 'rfc5424', appName: 'defender-forwarder', hostname: 'fwd01', facility: 16 } });
        const batch = hostileEvents();
        const sink = makeSink(mode, encode);
        const got = await roundTrip(sink, batch);
        assert.equal(got.length, batch.length, 'no forged or lost message');
        const expected = batch.map((item) => {
          const m = encode(item);
          return mode === 'udp' ? truncateUtf8(m, 1472).text : m;
        });
        assert.deepEqual(got.map((m) => m.raw).sort(), [...expected].sort());
        for (const m of got) {
          assert.match(m.raw, /^<\d{1,3}>1 /, 'every message starts with our own header');
          assert.ok(!/[\r\n\0]/.test(m.raw), 'no frame-breaking character reached the receiver');
        }
        // CEF and LEEF respect their per-key length limits; json/raw/fortisiem carry the value whole.
        if (mode !== 'udp' && (format === 'json' || format === 'raw' || format === 'fortisiem')) {
          const big = got.find((m) => m.raw.includes('A'.repeat(1000)));
          assert.ok(big && big.raw.includes('\u20ac'.repeat(16_000)), 'TCP/TLS never truncate: the 100 KB value arrives whole');
        }
      });
    }
  }

  it('defence in depth: an encoder that lets CR/LF/NUL through still cannot forge messages', async () => {
    const liar = (item: OutboundEvent) => `<13>1 - fwd01 app - - - ${item.event.process?.command_line ?? ''}`;
    const batch = [HOSTILE.fakeHeaderLf!, HOSTILE.fakeHeaderCrLf!, HOSTILE.octetForge!, HOSTILE.nul!].map((v, i) => processEvent(i, { commandLine: v }));
    for (const mode of ['tcp-lf', 'tls-lf'] as Mode[]) {
      const got = await roundTrip(makeSink(mode, liar), batch);
      // Under LF framing CR, LF and NUL travel as the two-character escapes \r, \n, \0.
      const esc = (s: string) => s.replace(/\r/g, '\\r').replace(/\n/g, '\\n').replace(/\0/g, '\\0');
      assert.deepEqual(got.map((m) => m.raw), batch.map((b) => esc(liar(b))));
    }
    for (const mode of ['tcp-octet', 'tls-octet'] as Mode[]) {
      const got = await roundTrip(makeSink(mode, liar), batch);
      // Octet counting delimits by length: CR/LF arrive as they are, only NUL is escaped. (rsyslog
      // itself drops one trailing LF of a message, which is not the sink's doing.)
      assert.deepEqual(got.map((m) => m.raw), batch.map((b) => liar(b).replace(/\0/g, '\\0').replace(/\n$/, '')));
    }
  });

  it('udp: a message over udpMaxBytes is cut on a UTF-8 boundary with a marker, and counted', async () => {
    const logger = new MemoryLogger();
    const euro = processEvent(9, { commandLine: '\u20ac'.repeat(2000) });
    const sink = makeSink('udp', simpleEncoder, { udpMaxBytes: 1000, logger });
    const got = await roundTrip(sink, [euro, processEvent(10)]);
    const cut = got.find((m) => m.raw.endsWith(TRUNCATION_MARKER));
    assert.ok(cut, 'the long message arrives truncated with the marker');
    const bytes = Buffer.byteLength(cut.raw, 'utf8');
    assert.ok(bytes <= 1000 && bytes > 990, `cut close to the limit, got ${bytes}`);
    assert.ok(!cut.raw.includes('\ufffd'), 'no broken character');
    assert.equal(cut.raw, truncateUtf8(simpleEncoder(euro), 1000).text);
    assert.ok(got.some((m) => m.raw === simpleEncoder(processEvent(10))), 'the short one is untouched');
    const warn = logger.entries.find((e) => e.level === 'warn' && e.properties?.truncated !== undefined);
    assert.equal(warn?.properties?.truncated, 1);
  });
});
