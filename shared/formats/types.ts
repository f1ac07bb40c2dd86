/**
 * The public option types of the formats, in their own module so that syslog.ts, cef.ts and index.ts
 * can share them without an import cycle. index.ts re-exports them.
 */
export type PayloadFormat = 'json' | 'raw' | 'fortisiem' | 'cef' | 'leef';

export const PAYLOAD_FORMATS: readonly PayloadFormat[] = ['json', 'raw', 'fortisiem', 'cef', 'leef'];

export type SyslogHeaderFormat = 'rfc5424' | 'rfc3164';

export const SYSLOG_HEADER_FORMATS: readonly SyslogHeaderFormat[] = ['rfc5424', 'rfc3164'];

export interface SyslogHeaderOptions {
  format: SyslogHeaderFormat;
  /** RFC 5424 APP-NAME (<= 48 printable US-ASCII) or RFC 3164 TAG (<= 32). */
  appName: string;
  /** HOSTNAME field (<= 255 printable US-ASCII). */
  hostname: string;
  /** Syslog facility 0-23 (16 = local0). */
  facility: number;
}

export interface FormatOptions {
  format: PayloadFormat;
  syslog: SyslogHeaderOptions;
}
