/**
 * LEEF 2.0 (IBM QRadar / JSA):
 *   LEEF:2.0|Microsoft|<product>|1.0|<EventID>|x09|key=value<TAB>key=value...
 *
 * Header: Vendor = observer.vendor, Product = observer.product, Version = `1.0` (the version of this
 * mapping), EventID = ActionType for streaming records, the title for alerts and incidents (the same
 * as CEF's Signature ID), delimiter = `x09` (TAB, written as hex as LEEF 2.0 allows).
 *
 * LEEF defines no escaping, so unsafe characters are replaced, never escaped:
 * - attribute values: every C0 control character (TAB = the delimiter, CR, LF, NUL, ...) and DEL ->
 *   one space. `=` and `|` may stay: QRadar splits attributes on the delimiter and each at its first `=`.
 * - header fields: `|` -> `_` and control characters -> space; EventID is cut to 255 characters.
 *
 * Attributes, in this order, each only when the event has a value:
 *   devTime + devTimeFormat (`MMM dd yyyy HH:mm:ss.SSS zzz`, UTC), cat (category), sev (1-10,
 *   severity.leefSeverity), externalId (event.id), action (event.action), outcome,
 *   msg (rule.description, else message),
 *   resource (host.name), deviceId (host.id), usrName (<= 255), domain, userId (user.*, else
 *   process.user.*), sender, recipients, subject (e-mail), src, srcPort, dst, dstPort (IPv4 or
 *   IPv6), proto (network.transport, else
 *   network.protocol), url, processName, processId, commandLine, parentProcessName, parentCommandLine,
 *   fileName, filePath, fileHash, tenantId (cloud.account.id), mitreTechniques (comma-separated).
 * Keys other than the predefined ones (reference/leef-keys.ts) are custom keys.
 */
import type { OutboundEvent } from '../sinks/types';
import { LEEF_KEYS, type LeefKey } from './reference/leef-keys';
import { bestHash, category, emailRecipients, emailSender, ipVersion, nonEmpty, signatureId, validPort } from './fields';
import { leefSeverity } from './severity';
import { memoLast, truncate } from './sanitize';
import { leefDevTime } from './time';

export const LEEF_DEVICE_VERSION = '1.0';
export const LEEF_DEV_TIME_FORMAT = 'MMM dd yyyy HH:mm:ss.SSS zzz';
const DEV_TIME_FORMAT_ATTR = '\tdevTimeFormat=' + LEEF_DEV_TIME_FORMAT;
const EVENT_ID_MAX = 255;
const HEADER_MAX = 63;
const USRNAME_MAX = 255;

const VALUE_NEEDS = /[\x00-\x1f\x7f]/;
const VALUE_G = /[\x00-\x1f\x7f]/g;
const HEADER_NEEDS = /[|\x00-\x1f\x7f]/;
const HEADER_G = /[|\x00-\x1f\x7f]/g;

function headerReplacer(c: string): string {
  return c === '|' ? '_' : ' ';
}

/** A LEEF attribute value with the delimiter and control characters replaced by spaces. */
export function leefValue(value: string): string {
  return VALUE_NEEDS.test(value) ? value.replace(VALUE_G, ' ') : value;
}

export function leefHeaderField(value: string, max: number): string {
  const v = truncate(value, max);
  return HEADER_NEEDS.test(v) ? v.replace(HEADER_G, headerReplacer) : v;
}

/** `<TAB>key=` prefixes, built once so the hot path does one concatenation per attribute. */
const P = Object.fromEntries(Object.keys(LEEF_KEYS).map((k) => [k, '\t' + k + '='])) as Record<LeefKey, string>;

function str(out: string, prefix: string, value: string | undefined): string {
  return typeof value !== 'string' || value === '' ? out : out + prefix + leefValue(value);
}

function int(out: string, prefix: string, value: number | undefined): string {
  return typeof value === 'number' && Number.isInteger(value) ? out + prefix + value : out;
}

// Values that repeat from one event to the next (see memoLast).
const vendorField = memoLast((v) => leefHeaderField(v, HEADER_MAX));
const productField = memoLast((v) => leefHeaderField(v, HEADER_MAX));
const eventIdField = memoLast((v) => leefHeaderField(v, EVENT_ID_MAX));
const catValue = memoLast((v) => str('', P.cat, v));
const actionValue = memoLast((v) => str('', P.action, v));
const tenantValue = memoLast((v) => str('', P.tenantId, v));

export function encodeLeef(item: OutboundEvent): string {
  const ev = item.event;
  const e = ev.event;
  const head = 'LEEF:2.0|' + vendorField(nonEmpty(ev.observer?.vendor) ?? 'Microsoft')
    + '|' + productField(nonEmpty(ev.observer?.product) ?? 'Defender XDR')
    + '|' + LEEF_DEVICE_VERSION
    + '|' + eventIdField(signatureId(item))
    + '|x09|';

  // Every attribute is appended with a leading TAB, except devTime, which is first and nearly always
  // there; only without it is the first TAB cut off (slicing flattens the string).
  const devTime = leefDevTime(ev['@timestamp']);
  let x = devTime === undefined ? '' : 'devTime=' + devTime + DEV_TIME_FORMAT_ATTR;
  x += catValue(category(item));
  x += '\tsev=' + leefSeverity(e.severity);
  x = str(x, P.externalId, e.id);
  if (typeof e.action === 'string') x += actionValue(e.action);
  x = str(x, P.outcome, e.outcome);
  x = str(x, P.msg, nonEmpty(ev.rule?.description) ?? ev.message);

  const host = ev.host;
  if (host) {
    x = str(x, P.resource, host.name);
    x = str(x, P.deviceId, host.id);
  }
  const proc = ev.process;
  const user = ev.user ?? proc?.user;
  if (user) {
    x = str(x, P.usrName, typeof user.name === 'string' ? truncate(user.name, USRNAME_MAX) : undefined);
    x = str(x, P.domain, user.domain);
    x = str(x, P.userId, user.id);
  }
  if (ev.email) {
    x = str(x, P.sender, emailSender(item));
    x = str(x, P.recipients, emailRecipients(item));
    x = str(x, P.subject, ev.email.subject);
  }
  const s = ev.source;
  if (s) {
    if (ipVersion(s.ip) !== undefined) x = str(x, P.src, s.ip);
    x = int(x, P.srcPort, validPort(s.port));
  }
  const d = ev.destination;
  if (d) {
    if (ipVersion(d.ip) !== undefined) x = str(x, P.dst, d.ip);
    x = int(x, P.dstPort, validPort(d.port));
  }
  if (ev.network) x = str(x, P.proto, nonEmpty(ev.network.transport) ?? ev.network.protocol);
  x = str(x, P.url, ev.url?.original);

  if (proc) {
    x = str(x, P.processName, proc.name);
    x = int(x, P.processId, proc.pid);
    x = str(x, P.commandLine, proc.command_line);
    x = str(x, P.parentProcessName, proc.parent?.name);
    x = str(x, P.parentCommandLine, proc.parent?.command_line);
  }
  const f = ev.file;
  if (f) {
    x = str(x, P.fileName, f.name);
    x = str(x, P.filePath, f.path);
    x = str(x, P.fileHash, bestHash(f.hash));
  }
  const tenant = ev.cloud?.account?.id;
  if (typeof tenant === 'string') x += tenantValue(tenant);
  const techniques = ev.threat?.technique?.id;
  if (Array.isArray(techniques) && techniques.length > 0) x = str(x, P.mitreTechniques, techniques.join(','));

  return head + (devTime === undefined ? x.slice(1) : x);
}
