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
 *   process.user.*), src, srcPort, dst, dstPort (IPv4 or IPv6), proto (network.transport, else
 *   network.protocol), url, processName, processId, commandLine, parentProcessName, parentCommandLine,
 *   fileName, filePath, fileHash, tenantId (cloud.account.id), mitreTechniques (comma-separated).
 * Keys other than the predefined ones (reference/leef-keys.ts) are custom keys.
 */
import type { OutboundEvent } from '../sinks/types';
import type { LeefKey } from './reference/leef-keys';
import { bestHash, category, ipVersion, nonEmpty, signatureId, validPort } from './fields';
import { leefSeverity } from './severity';
import { truncate } from './sanitize';

export const LEEF_DEVICE_VERSION = '1.0';
export const LEEF_DEV_TIME_FORMAT = 'MMM dd yyyy HH:mm:ss.SSS zzz';
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

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function pad2(n: number): string {
  return n < 10 ? '0' + n : '' + n;
}

/** `Nov 23 2026 15:00:00.000 UTC` for devTimeFormat `MMM dd yyyy HH:mm:ss.SSS zzz`. */
export function leefDevTime(ms: number): string {
  const d = new Date(ms);
  const milli = d.getUTCMilliseconds();
  return MONTHS[d.getUTCMonth()] + ' ' + pad2(d.getUTCDate()) + ' ' + d.getUTCFullYear() + ' '
    + pad2(d.getUTCHours()) + ':' + pad2(d.getUTCMinutes()) + ':' + pad2(d.getUTCSeconds()) + '.'
    + (milli < 10 ? '00' : milli < 100 ? '0' : '') + milli + ' UTC';
}

function str(out: string, key: LeefKey, value: string | undefined): string {
  return value === undefined || value === '' ? out : out + '\t' + key + '=' + leefValue(value);
}

function int(out: string, key: LeefKey, value: number | undefined): string {
  return typeof value === 'number' && Number.isInteger(value) ? out + '\t' + key + '=' + value : out;
}

export function encodeLeef(item: OutboundEvent): string {
  const ev = item.event;
  const e = ev.event;
  const head = 'LEEF:2.0|' + leefHeaderField(ev.observer?.vendor ?? 'Microsoft', HEADER_MAX)
    + '|' + leefHeaderField(ev.observer?.product ?? 'Defender XDR', HEADER_MAX)
    + '|' + LEEF_DEVICE_VERSION
    + '|' + leefHeaderField(signatureId(item), EVENT_ID_MAX)
    + '|x09|';

  // Every attribute is appended with a leading TAB; the first one is dropped at the end.
  let x = '';
  const t = Date.parse(ev['@timestamp']);
  if (!Number.isNaN(t)) x += '\tdevTime=' + leefDevTime(t) + '\tdevTimeFormat=' + LEEF_DEV_TIME_FORMAT;
  x = str(x, 'cat', category(item));
  x += '\tsev=' + leefSeverity(e.severity);
  x = str(x, 'externalId', e.id);
  x = str(x, 'action', e.action);
  x = str(x, 'outcome', e.outcome);
  x = str(x, 'msg', nonEmpty(ev.rule?.description) ?? ev.message);

  const host = ev.host;
  if (host) {
    x = str(x, 'resource', host.name);
    x = str(x, 'deviceId', host.id);
  }
  const proc = ev.process;
  const user = ev.user ?? proc?.user;
  if (user) {
    x = str(x, 'usrName', user.name === undefined ? undefined : truncate(user.name, USRNAME_MAX));
    x = str(x, 'domain', user.domain);
    x = str(x, 'userId', user.id);
  }
  const s = ev.source;
  if (s) {
    if (ipVersion(s.ip) !== undefined) x = str(x, 'src', s.ip);
    x = int(x, 'srcPort', validPort(s.port));
  }
  const d = ev.destination;
  if (d) {
    if (ipVersion(d.ip) !== undefined) x = str(x, 'dst', d.ip);
    x = int(x, 'dstPort', validPort(d.port));
  }
  if (ev.network) x = str(x, 'proto', nonEmpty(ev.network.transport) ?? ev.network.protocol);
  x = str(x, 'url', ev.url?.original);

  if (proc) {
    x = str(x, 'processName', proc.name);
    x = int(x, 'processId', proc.pid);
    x = str(x, 'commandLine', proc.command_line);
    x = str(x, 'parentProcessName', proc.parent?.name);
    x = str(x, 'parentCommandLine', proc.parent?.command_line);
  }
  const f = ev.file;
  if (f) {
    x = str(x, 'fileName', f.name);
    x = str(x, 'filePath', f.path);
    x = str(x, 'fileHash', bestHash(f.hash));
  }
  x = str(x, 'tenantId', ev.cloud?.account?.id);
  const techniques = ev.threat?.technique?.id;
  if (techniques && techniques.length > 0) x = str(x, 'mitreTechniques', techniques.join(','));

  return head + x.slice(1);
}
