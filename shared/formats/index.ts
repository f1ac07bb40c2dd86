/**
 * Payload formats and syslog headers: pure functions from an OutboundEvent to a string.
 *
 *   encodePayload(item, format)     the payload alone (an HTTP body line, a syslog MSG)
 *   createSyslogEncoder(options)    header + payload, WITHOUT framing
 *
 * Every string these return is free of CR, LF and NUL whatever the field contents, so LF framing can
 * never be forged, and no field can inject a header field or a key (see cef.ts, leef.ts, syslog.ts for
 * the escaping rules of each format).
 */
import { hostname as osHostname } from 'node:os';
import { ConfigError, readEnum, readInteger, readString, type SettingsSource } from '../config/env';
import type { OutboundEvent } from '../sinks/types';
import { encodeCef } from './cef';
import { encodeJson } from './json';
import { encodeLeef } from './leef';
import { encodeFortiSiem, encodeRaw } from './raw';
import { headerToken, isHeaderToken } from './sanitize';
import { APP_NAME_MAX, HOSTNAME_MAX, TAG_MAX, createRfc3164Encoder, createRfc5424Encoder, type PayloadEncoder } from './syslog';
import {
  PAYLOAD_FORMATS,
  SYSLOG_HEADER_FORMATS,
  type FormatOptions,
  type PayloadFormat,
  type SyslogHeaderFormat,
  type SyslogHeaderOptions,
} from './types';

export { PAYLOAD_FORMATS, SYSLOG_HEADER_FORMATS };
export type { FormatOptions, PayloadFormat, SyslogHeaderFormat, SyslogHeaderOptions, PayloadEncoder };

export const DEFAULT_APP_NAME = 'defender-forwarder';
export const DEFAULT_FACILITY = 16;

const ENCODERS: Readonly<Record<PayloadFormat, PayloadEncoder>> = {
  json: encodeJson,
  raw: encodeRaw,
  fortisiem: encodeFortiSiem,
  cef: encodeCef,
  leef: encodeLeef,
};

/** The encoder function of one format, for hot loops that encode many events. */
export function payloadEncoder(format: PayloadFormat): PayloadEncoder {
  const encoder = ENCODERS[format];
  if (!encoder) throw new Error(`Unknown payload format "${String(format)}"`);
  return encoder;
}

/** The payload alone: what an HTTP sink or a syslog MSG part carries. */
export function encodePayload(item: OutboundEvent, format: PayloadFormat): string {
  return payloadEncoder(format)(item);
}

/** A whole syslog message (header + payload) per event, without framing. */
export function createSyslogEncoder(options: FormatOptions, now?: () => Date): PayloadEncoder {
  const payload = payloadEncoder(options.format);
  return options.syslog.format === 'rfc3164'
    ? createRfc3164Encoder(options.syslog, payload, now)
    : createRfc5424Encoder(options.syslog, payload);
}

/**
 * Settings: OUTPUT_FORMAT (json), SYSLOG_FORMAT (rfc5424), SYSLOG_APP_NAME (defender-forwarder),
 * SYSLOG_HOSTNAME (os.hostname(), made header-safe), SYSLOG_FACILITY (16 = local0, 0-23).
 * An explicitly set APP-NAME or HOSTNAME that is not printable US-ASCII within its length limit is a
 * ConfigError rather than silently rewritten: the operator should see what the SIEM will see.
 */
export function parseFormatOptions(env: SettingsSource): FormatOptions {
  const format = readEnum(env, 'OUTPUT_FORMAT', PAYLOAD_FORMATS, 'json');
  const header = readEnum(env, 'SYSLOG_FORMAT', SYSLOG_HEADER_FORMATS, 'rfc5424');

  const appName = readString(env, 'SYSLOG_APP_NAME') ?? DEFAULT_APP_NAME;
  const appMax = header === 'rfc3164' ? TAG_MAX : APP_NAME_MAX;
  if (!isHeaderToken(appName, appMax)) {
    throw new ConfigError('SYSLOG_APP_NAME', `must be 1-${appMax} printable US-ASCII characters without spaces for ${header}, got "${appName}"`);
  }
  if (header === 'rfc3164' && /[:[\]]/.test(appName)) {
    throw new ConfigError('SYSLOG_APP_NAME', `must not contain ":", "[" or "]" for rfc3164 (it is the TAG), got "${appName}"`);
  }

  const explicitHost = readString(env, 'SYSLOG_HOSTNAME');
  if (explicitHost !== undefined && !isHeaderToken(explicitHost, HOSTNAME_MAX)) {
    throw new ConfigError('SYSLOG_HOSTNAME', `must be 1-${HOSTNAME_MAX} printable US-ASCII characters without spaces, got "${explicitHost}"`);
  }
  const hostname = explicitHost ?? headerToken(osHostname(), HOSTNAME_MAX);

  const facility = readInteger(env, 'SYSLOG_FACILITY', DEFAULT_FACILITY, 0, 23);
  return { format, syslog: { format: header, appName, hostname, facility } };
}
