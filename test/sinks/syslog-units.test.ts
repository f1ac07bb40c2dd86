/**
 * Pure parts of the syslog sink: framing, UTF-8 safe truncation, settings parsing, sink naming.
 * No receiver needed.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError } from '../../shared/config/env';
import { MemoryLogger, silentLogger } from '../../shared/observability/log';
import {
  escapeForLf, frameMessage, parseSyslogSinkOptions, SyslogSink, syslogEndpoint, TRUNCATION_MARKER, truncateUtf8,
} from '../../shared/sinks/syslog';

const encode = () => '<13>1 - - - - - x';

describe('syslog framing', () => {
  it('octet counting counts UTF-8 bytes, not characters', () => {
    assert.equal(frameMessage('<13>1 - - - - - abc', 'octet-counting'), '19 <13>1 - - - - - abc');
    assert.equal(frameMessage('\u20ac', 'octet-counting'), '3 \u20ac');
    assert.equal(frameMessage('\u{1F600}x', 'octet-counting'), '5 \u{1F600}x');
    assert.equal(frameMessage('\u00e9', 'octet-counting'), '2 \u00e9');
  });

  it('octet counting keeps CR/LF (the count delimits) but escapes NUL', () => {
    assert.equal(frameMessage('a\r\nb', 'octet-counting'), '4 a\r\nb');
    assert.equal(frameMessage('a\0b', 'octet-counting'), '4 a\\0b');
  });

  it('LF framing terminates with LF and escapes CR, LF and NUL inside', () => {
    assert.equal(frameMessage('<13>1 - - - - - ok', 'lf'), '<13>1 - - - - - ok\n');
    assert.equal(frameMessage('a\nb\r\nc\0d', 'lf'), 'a\\nb\\r\\nc\\0d\n');
    assert.equal(escapeForLf('tab\tstays'), 'tab\tstays');
    const framed = frameMessage('x\n<13>1 forged', 'lf');
    assert.equal(framed.split('\n').length, 2, 'exactly one LF: the terminator');
  });
});

describe('truncateUtf8', () => {
  it('leaves a message that fits untouched', () => {
    assert.deepEqual(truncateUtf8('abc', 10), { text: 'abc', truncated: false });
    const exact = 'a'.repeat(10);
    assert.deepEqual(truncateUtf8(exact, 10), { text: exact, truncated: false });
  });

  it('cuts ASCII to exactly maxBytes including the marker', () => {
    const r = truncateUtf8('a'.repeat(100), 50);
    assert.equal(r.truncated, true);
    assert.equal(r.text, 'a'.repeat(50 - TRUNCATION_MARKER.length) + TRUNCATION_MARKER);
    assert.equal(Buffer.byteLength(r.text), 50);
  });

  it('never splits a multi-byte character or a surrogate pair', () => {
    for (const ch of ['\u00e9', '\u20ac', '\u{1F600}']) {
      for (let max = 20; max < 30; max++) {
        const r = truncateUtf8(ch.repeat(50), max);
        assert.ok(Buffer.byteLength(r.text) <= max, `${max}`);
        assert.ok(r.text.endsWith(TRUNCATION_MARKER));
        const body = r.text.slice(0, -TRUNCATION_MARKER.length);
        assert.equal(body, ch.repeat(body.length / ch.length), 'only whole characters');
        assert.ok(!r.text.includes('\ufffd'));
        assert.ok(Buffer.byteLength(r.text) > max - Buffer.byteLength(ch), 'cut as late as possible');
      }
    }
  });
});

describe('parseSyslogSinkOptions', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'syslog-opts-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const caFile = path.join(dir, 'ca.pem');
  writeFileSync(caFile, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');

  it('defaults: lf for tcp, octet-counting for tls, 1472 bytes, 30 s timeout, 120 s budget', () => {
    const tcp = parseSyslogSinkOptions(new URL('syslog+tcp://siem:514'), {}, encode, silentLogger);
    assert.equal(tcp.framing, 'lf');
    assert.equal(tcp.udpMaxBytes, 1472);
    assert.equal(tcp.timeoutMs, 30_000);
    assert.equal(tcp.retryBudgetMs, 120_000);
    assert.equal(tcp.tls, undefined);
    const tls = parseSyslogSinkOptions(new URL('syslog+tls://siem:6514'), {}, encode, silentLogger);
    assert.equal(tls.framing, 'octet-counting');
    assert.deepEqual(tls.tls, { insecure: false });
  });

  it('reads SYSLOG_FRAMING, SYSLOG_UDP_MAX_BYTES, the delivery timeout and budget', () => {
    const o = parseSyslogSinkOptions(new URL('syslog+tls://siem'), {
      SYSLOG_FRAMING: 'lf', SYSLOG_UDP_MAX_BYTES: '9000', DELIVERY_TIMEOUT_SECONDS: '5', DELIVERY_RETRY_BUDGET_SECONDS: '60',
    }, encode, silentLogger);
    assert.equal(o.framing, 'lf');
    assert.equal(o.udpMaxBytes, 9000);
    assert.equal(o.timeoutMs, 5000);
    assert.equal(o.retryBudgetMs, 60_000);
  });

  it('RFC 3164 lowers the UDP default to 1024 bytes; an explicit SYSLOG_UDP_MAX_BYTES wins', () => {
    assert.equal(parseSyslogSinkOptions(new URL('syslog+udp://siem'), { SYSLOG_FORMAT: 'rfc3164' }, encode, silentLogger).udpMaxBytes, 1024);
    assert.equal(parseSyslogSinkOptions(new URL('syslog+udp://siem'), { SYSLOG_FORMAT: 'rfc3164', SYSLOG_UDP_MAX_BYTES: '1400' }, encode, silentLogger).udpMaxBytes, 1400);
  });

  it('reads the CA file for TLS; an unreadable or non-PEM file is a ConfigError naming DESTINATION_CA_FILE', () => {
    const o = parseSyslogSinkOptions(new URL('syslog+tls://siem'), { DESTINATION_CA_FILE: caFile }, encode, silentLogger);
    assert.match(String(o.tls?.ca), /BEGIN CERTIFICATE/);
    assert.throws(() => parseSyslogSinkOptions(new URL('syslog+tls://siem'), { DESTINATION_CA_FILE: path.join(dir, 'missing.pem') }, encode, silentLogger),
      (e: unknown) => e instanceof ConfigError && e.setting === 'DESTINATION_CA_FILE' && /ENOENT/.test(e.message));
    const notPem = path.join(dir, 'x.txt');
    writeFileSync(notPem, 'hello');
    assert.throws(() => parseSyslogSinkOptions(new URL('syslog+tls://siem'), { DESTINATION_CA_FILE: notPem }, encode, silentLogger),
      (e: unknown) => e instanceof ConfigError && e.setting === 'DESTINATION_CA_FILE');
  });

  it('bad values are ConfigErrors naming the setting', () => {
    const bad: Array<[Record<string, string>, string]> = [
      [{ SYSLOG_FRAMING: 'nul' }, 'SYSLOG_FRAMING'],
      [{ SYSLOG_UDP_MAX_BYTES: '100' }, 'SYSLOG_UDP_MAX_BYTES'],
      [{ SYSLOG_UDP_MAX_BYTES: '70000' }, 'SYSLOG_UDP_MAX_BYTES'],
      [{ DELIVERY_TIMEOUT_SECONDS: 'soon' }, 'DELIVERY_TIMEOUT_SECONDS'],
      [{ DELIVERY_RETRY_BUDGET_SECONDS: '-1' }, 'DELIVERY_RETRY_BUDGET_SECONDS'],
      [{ DESTINATION_TLS_INSECURE: 'maybe' }, 'DESTINATION_TLS_INSECURE'],
    ];
    for (const [env, setting] of bad) {
      assert.throws(() => parseSyslogSinkOptions(new URL('syslog+tls://siem'), env, encode, silentLogger),
        (e: unknown) => e instanceof ConfigError && e.setting === setting, setting);
    }
    assert.throws(() => parseSyslogSinkOptions(new URL('https://siem'), {}, encode, silentLogger),
      (e: unknown) => e instanceof ConfigError && e.setting === 'DESTINATION');
  });

  it('DESTINATION_TLS_INSECURE=true: the sink warns at construction, every time', () => {
    const o = parseSyslogSinkOptions(new URL('syslog+tls://siem'), { DESTINATION_TLS_INSECURE: 'true' }, encode, silentLogger);
    assert.equal(o.tls?.insecure, true);
    for (let i = 0; i < 2; i++) {
      const logger = new MemoryLogger();
      new SyslogSink({ ...o, logger });
      assert.equal(logger.entries.filter((e) => e.level === 'warn' && /NOT verified/.test(e.message)).length, 1);
    }
  });

  it('a client certificate PEM enables mutual TLS', () => {
    const pem = '-----BEGIN CERTIFICATE-----\nA\n-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\nB\n-----END PRIVATE KEY-----\n';
    const o = parseSyslogSinkOptions(new URL('syslog+tls://siem'), {}, encode, silentLogger, { clientCertificatePem: pem });
    assert.equal(o.tls?.cert, pem);
    assert.equal(o.tls?.key, pem);
  });
});

describe('syslog endpoints and names', () => {
  it('default ports and IPv6 hosts', () => {
    assert.deepEqual(syslogEndpoint(new URL('syslog+udp://siem')), { transport: 'udp', host: 'siem', port: 514 });
    assert.deepEqual(syslogEndpoint(new URL('syslog+tcp://siem')), { transport: 'tcp', host: 'siem', port: 514 });
    assert.deepEqual(syslogEndpoint(new URL('syslog+tls://siem')), { transport: 'tls', host: 'siem', port: 6514 });
    assert.deepEqual(syslogEndpoint(new URL('syslog+tcp://[::1]:1514')), { transport: 'tcp', host: '::1', port: 1514 });
  });

  it('the sink name carries no credentials', () => {
    const o = parseSyslogSinkOptions(new URL('syslog+tcp://user:secret@siem.contoso.com:1514/x?token=y'), {}, encode, silentLogger);
    const sink = new SyslogSink(o);
    assert.equal(sink.name, 'syslog+tcp://siem.contoso.com:1514');
    assert.equal(new SyslogSink({ ...o, url: new URL('syslog+udp://[::1]:514') }).name, 'syslog+udp://[::1]:514');
  });

  it('an empty batch is a no-op', async () => {
    const sink = new SyslogSink(parseSyslogSinkOptions(new URL('syslog+tcp://127.0.0.1:9'), {}, encode, silentLogger));
    assert.deepEqual(await sink.send([]), { delivered: 0, failed: [] });
    await sink.close();
  });
});
