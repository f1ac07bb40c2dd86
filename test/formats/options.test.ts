import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { ConfigError } from '../../shared/config/env';
import { parseFormatOptions } from '../../shared/formats';
import { cefSeverity, leefSeverity, syslogSeverity } from '../../shared/formats/severity';

test('parseFormatOptions: defaults', () => {
  const o = parseFormatOptions({});
  assert.equal(o.format, 'json');
  assert.equal(o.syslog.format, 'rfc5424');
  assert.equal(o.syslog.appName, 'defender-forwarder');
  assert.equal(o.syslog.facility, 16);
  assert.equal(o.syslog.hostname, hostname().replace(/[^\x21-\x7e]/g, '_').slice(0, 255));
});

test('parseFormatOptions: explicit values, case-insensitive enums', () => {
  const o = parseFormatOptions({ OUTPUT_FORMAT: 'CEF', SYSLOG_FORMAT: 'RFC3164', SYSLOG_APP_NAME: 'mde', SYSLOG_HOSTNAME: 'fwd.contoso.com', SYSLOG_FACILITY: '4' });
  assert.deepEqual(o, { format: 'cef', syslog: { format: 'rfc3164', appName: 'mde', hostname: 'fwd.contoso.com', facility: 4 } });
  for (const f of ['json', 'raw', 'fortisiem', 'cef', 'leef']) assert.equal(parseFormatOptions({ OUTPUT_FORMAT: f }).format, f);
});

function assertConfigError(fn: () => unknown, setting: string): void {
  assert.throws(fn, (e: unknown) => e instanceof ConfigError && e.setting === setting && e.message.includes(setting));
}

test('parseFormatOptions: bad values name the setting', () => {
  assertConfigError(() => parseFormatOptions({ OUTPUT_FORMAT: 'xml' }), 'OUTPUT_FORMAT');
  assertConfigError(() => parseFormatOptions({ SYSLOG_FORMAT: 'rfc5425' }), 'SYSLOG_FORMAT');
  assertConfigError(() => parseFormatOptions({ SYSLOG_FACILITY: '24' }), 'SYSLOG_FACILITY');
  assertConfigError(() => parseFormatOptions({ SYSLOG_FACILITY: '-1' }), 'SYSLOG_FACILITY');
  assertConfigError(() => parseFormatOptions({ SYSLOG_FACILITY: 'local0' }), 'SYSLOG_FACILITY');
  assertConfigError(() => parseFormatOptions({ SYSLOG_APP_NAME: 'has space' }), 'SYSLOG_APP_NAME');
  assertConfigError(() => parseFormatOptions({ SYSLOG_APP_NAME: 'a'.repeat(49) }), 'SYSLOG_APP_NAME');
  assertConfigError(() => parseFormatOptions({ SYSLOG_APP_NAME: 'a'.repeat(33), SYSLOG_FORMAT: 'rfc3164' }), 'SYSLOG_APP_NAME');
  assertConfigError(() => parseFormatOptions({ SYSLOG_APP_NAME: 'app:x', SYSLOG_FORMAT: 'rfc3164' }), 'SYSLOG_APP_NAME');
  assertConfigError(() => parseFormatOptions({ SYSLOG_APP_NAME: 'défender' }), 'SYSLOG_APP_NAME');
  assertConfigError(() => parseFormatOptions({ SYSLOG_HOSTNAME: 'my host' }), 'SYSLOG_HOSTNAME');
  assertConfigError(() => parseFormatOptions({ SYSLOG_HOSTNAME: 'h'.repeat(256) }), 'SYSLOG_HOSTNAME');
  // 48 characters is fine for RFC 5424.
  assert.equal(parseFormatOptions({ SYSLOG_APP_NAME: 'a'.repeat(48) }).syslog.appName.length, 48);
  // Blank means unset.
  assert.equal(parseFormatOptions({ OUTPUT_FORMAT: '  ' }).format, 'json');
});

test('severity: Elastic scale to CEF 0-10, LEEF 1-10 and syslog severities', () => {
  const rows: Array<[number | undefined, number, number, number]> = [
    [undefined, 0, 1, 6],
    [Number.NaN, 0, 1, 6],
    [0, 0, 1, 6],
    [4, 0, 1, 6],
    [15, 2, 2, 6],
    [21, 2, 2, 5],
    [47, 5, 5, 4],
    [73, 7, 7, 3],
    [99, 10, 10, 2],
    [100, 10, 10, 2],
    [250, 10, 10, 2],
    [-5, 0, 1, 6],
  ];
  for (const [s, cef, leef, sys] of rows) {
    assert.equal(cefSeverity(s), cef, `cef ${s}`);
    assert.equal(leefSeverity(s), leef, `leef ${s}`);
    assert.equal(syslogSeverity(s), sys, `syslog ${s}`);
  }
});
