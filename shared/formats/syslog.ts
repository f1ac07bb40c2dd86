/**
 * Syslog headers (no framing: octet counting or LF termination is the sink's job).
 *
 * RFC 5424:  <PRI>1 TIMESTAMP HOSTNAME APP-NAME - MSGID [defender@32473 eventId=".." category=".." origin=".." tenantId=".."] MSG
 * RFC 3164:  <PRI>Mmm dd hh:mm:ss HOSTNAME TAG: MSG
 *
 * - PRI = facility * 8 + severity.syslogSeverity(event.severity).
 * - RFC 5424 TIMESTAMP: @timestamp as RFC 3339 with at most 6 fraction digits (extra digits are cut,
 *   not rounded); an unparseable @timestamp gives NILVALUE `-`.
 * - HOSTNAME (<= 255), APP-NAME (<= 48) and MSGID (<= 32): printable US-ASCII only; any other
 *   character (space, control, non-ASCII) becomes `_`, so no header field can be injected. PROCID is `-`.
 * - MSGID: the Advanced Hunting table (`DeviceProcessEvents`) for streaming records, `incident` or
 *   `alert` for Graph objects.
 * - Structured data: SD-ID `defender@32473`. 32473 is the IANA-reserved example Private Enterprise
 *   Number (RFC 5612), used because this project has no PEN of its own; a deployment that has one can
 *   change SD_ID. In PARAM-VALUEs `"`, `\` and `]` are escaped with `\` (RFC 5424 6.3.3) and control
 *   characters are replaced by spaces. Params without a value are left out.
 * - MSG is NOT preceded by a UTF-8 BOM: RFC 5424 allows one, but many collectors (QRadar, FortiSIEM,
 *   Splunk TCP inputs) then show or mis-parse it; MSG is UTF-8 regardless.
 * - RFC 3164 TIMESTAMP: `Mmm dd hh:mm:ss` in UTC, day space-padded, from @timestamp (the current time
 *   when @timestamp does not parse). TAG = APP-NAME (<= 32 chars; `:`, `[`, `]` and non-printables
 *   become `_`), followed by `: `. The TAG is always present: without it a 3164 parser would read a CEF
 *   payload's `CEF:` as the tag. The 1,024-byte limit of RFC 3164 is the UDP sink's business; over
 *   TCP/TLS nothing is truncated.
 *
 * Invariant: the returned message never contains CR, LF or NUL. The header parts are sanitized here;
 * every payload encoder guarantees it for its own output (JSON.stringify escapes all C0 controls, CEF
 * and LEEF escape or replace them per value), so the whole message is NOT scanned again: that second
 * pass cost a fifth of the CEF time. test/formats/injection.test.ts holds every format to it.
 */
import type { OutboundEvent } from '../sinks/types';
import type { SyslogHeaderOptions } from './types';
import { category, messageId } from './fields';
import { headerToken, memoLast } from './sanitize';
import { syslogSeverity } from './severity';
import { isCanonicalIso, rfc3164Stamp, rfc3164StampOf } from './time';

export const SD_ID = 'defender@32473';
export const APP_NAME_MAX = 48;
export const HOSTNAME_MAX = 255;
export const MSGID_MAX = 32;
export const TAG_MAX = 32;

export type PayloadEncoder = (item: OutboundEvent) => string;

/** `<PRI>` strings for the 8 severities of one facility. */
function priTable(facility: number): string[] {
  const f = Number.isInteger(facility) && facility >= 0 && facility <= 23 ? facility : 16;
  const t: string[] = [];
  for (let s = 0; s < 8; s++) t.push('<' + (f * 8 + s) + '>');
  return t;
}

const RFC3339 = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** RFC 5424 TIMESTAMP from an ISO 8601 string: at most 6 fraction digits, `-` when unusable. */
export function rfc5424Timestamp(iso: string | undefined): string {
  if (typeof iso !== 'string') return '-';
  if (isCanonicalIso(iso)) return iso; // the normalizer's form: 3 fraction digits, nothing to do
  const m = RFC3339.exec(iso);
  if (m && !Number.isNaN(Date.parse(iso))) {
    const frac = m[2];
    return frac === undefined || frac.length <= 7 ? iso : m[1] + frac.slice(0, 7) + m[3];
  }
  const t = Date.parse(iso);
  return Number.isNaN(t) ? '-' : new Date(t).toISOString();
}

/** RFC 3164 TIMESTAMP `Mmm dd hh:mm:ss` (UTC, day padded with a space). */
export const rfc3164Timestamp = rfc3164Stamp;

const SD_NEEDS = /["\\\]\x00-\x1f\x7f]/;
const SD_G = /["\\\]\x00-\x1f\x7f]/g;

function sdReplacer(c: string): string {
  return c === '"' || c === '\\' || c === ']' ? '\\' + c : ' ';
}

/** An RFC 5424 PARAM-VALUE: `"`, `\`, `]` escaped, control characters replaced by spaces. */
export function escapeSdValue(value: string): string {
  return SD_NEEDS.test(value) ? value.replace(SD_G, sdReplacer) : value;
}

/** ` name="value"`, or nothing without a value. `prefix` is ` name="`. */
function sdParam(prefix: string, value: string | undefined): string {
  return typeof value !== 'string' || value === '' ? '' : prefix + escapeSdValue(value) + '"';
}

const SD_OPEN = '[' + SD_ID;

function originParam(origin: string): string {
  switch (origin) {
    case 'streaming': return ' origin="streaming"';
    case 'incident': return ' origin="incident"';
    case 'alert': return ' origin="alert"';
    default: return sdParam(' origin="', origin);
  }
}

// Values that repeat from one event to the next (see memoLast).
const categoryParam = memoLast((v) => sdParam(' category="', v));
const tenantParam = memoLast((v) => sdParam(' tenantId="', v));
const msgIdToken = memoLast((v) => headerToken(v, MSGID_MAX));

export function structuredData(item: OutboundEvent): string {
  const ev = item.event;
  const tenant = ev.cloud?.account?.id;
  return SD_OPEN
    + sdParam(' eventId="', ev.event?.id)
    + categoryParam(category(item))
    + originParam(item.origin)
    + (typeof tenant === 'string' ? tenantParam(tenant) : '')
    + ']';
}

export function createRfc5424Encoder(options: SyslogHeaderOptions, payload: PayloadEncoder): PayloadEncoder {
  const pri = priTable(options.facility);
  // ` HOSTNAME APP-NAME PROCID ` never changes: build it once.
  const middle = ' ' + headerToken(options.hostname, HOSTNAME_MAX) + ' ' + headerToken(options.appName, APP_NAME_MAX) + ' - ';
  return (item) => {
    const ev = item.event;
    return pri[syslogSeverity(ev.event?.severity)] + '1 ' + rfc5424Timestamp(ev['@timestamp']) + middle
      + msgIdToken(messageId(item)) + ' ' + structuredData(item) + ' '
      + payload(item);
  };
}

const TAG_UNSAFE = /[^\x21-\x39\x3b-\x5a\x5c\x5e-\x7e]/g;

/** RFC 3164 TAG: printable ASCII without `:`, `[`, `]`; at most 32 characters. */
export function rfc3164Tag(appName: string): string {
  const t = headerToken(appName, TAG_MAX);
  return t.replace(TAG_UNSAFE, '_');
}

export function createRfc3164Encoder(
  options: SyslogHeaderOptions,
  payload: PayloadEncoder,
  now: () => Date = () => new Date(),
): PayloadEncoder {
  const pri = priTable(options.facility);
  const middle = ' ' + headerToken(options.hostname, HOSTNAME_MAX) + ' ' + rfc3164Tag(options.appName) + ': ';
  return (item) => {
    const ev = item.event;
    const stamp = rfc3164StampOf(ev['@timestamp']) ?? rfc3164Stamp(now());
    return pri[syslogSeverity(ev.event?.severity)] + stamp + middle + payload(item);
  };
}
