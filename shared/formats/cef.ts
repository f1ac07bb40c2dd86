/**
 * CEF:0 (ArcSight Common Event Format):
 *   CEF:0|Microsoft|<product>|1.0|<Signature ID>|<Name>|<Severity 0-10>|<extension>
 *
 * Header: Device Vendor = observer.vendor (`Microsoft`), Device Product = observer.product (`Defender
 * XDR` for streaming, the Graph serviceSource for Graph objects), Device Version = `1.0`, the version of
 * THIS mapping (SIEM parsers key on vendor|product|version, so a mapping change bumps it), Signature ID =
 * ActionType for streaming records, the title for alerts and incidents (fields.signatureId), Name =
 * `message`, Severity = severity.cefSeverity.
 *
 * Escaping (security boundary):
 * - header fields: `\` -> `\\`, `|` -> `\|`; control characters (TAB, CR, LF, NUL, ...) -> space.
 * - extension values: `\` -> `\\`, `=` -> `\=`, CR -> `\r`, LF -> `\n`; other C0 controls except TAB, and
 *   DEL -> space. TAB stays: with `=` always escaped, no `key=` can be forged after it.
 * Pipes are not escaped in the extension (the standard says not to). Values are cut to the dictionary
 * length (reference/cef-keys.ts) BEFORE escaping, so an escape sequence is never split.
 *
 * Extension keys, in this order, each only when the event has a value:
 *   rt (epoch ms of @timestamp), externalId (event.id), cat (category), act (event.action),
 *   outcome, msg (rule.description, else email.subject; the Name already carries `message`), reason,
 *   deviceExternalId (host.id), dvc (the first IPv4 address in host.ip), shost (host.name),
 *   suser, suid, sntdom (user.*, else process.user.*), duser (user.target.name); for e-mail without
 *   those: suser = email sender (else first From), duser = recipients (comma-separated),
 *   src (IPv4) or c6a2 + c6a2Label=Source IPv6 Address, spt,
 *   dst (IPv4) or c6a3 + c6a3Label=Destination IPv6 Address, dpt, dhost (destination.domain),
 *   proto (network.transport), app (network.protocol), request (url.original),
 *   sproc, spid (process.name, process.pid), fname, filePath, fileHash, fsize (file.*),
 *   cs1 Command Line, cs2 Parent Process Name, cs3 Parent Command Line, cs4 Process Hash (only when it
 *   differs from fileHash),
 *   cs5 Tenant Id (cloud.account.id), cs6 MITRE Techniques (comma-separated), each with its csNLabel.
 * An IP that is neither IPv4 nor IPv6 text is left out rather than put in a typed field.
 */
import type { OutboundEvent } from '../sinks/types';
import { CEF_HEADER_LIMITS, CEF_KEYS, type CefKey } from './reference/cef-keys';
import { bestHash, category, emailRecipients, emailSender, ipVersion, nonEmpty, signatureId, summary, validPort } from './fields';
import { cefSeverity } from './severity';
import { memoLast, truncate } from './sanitize';
import { epochMsText } from './time';

export const CEF_DEVICE_VERSION = '1.0';

const HEADER_NEEDS = /[\\|\x00-\x1f\x7f]/;
const HEADER_G = /[\\|\x00-\x1f\x7f]/g;
const EXT_NEEDS = /[\\=\x00-\x08\x0a-\x1f\x7f]/;
const EXT_G = /[\\=\x00-\x08\x0a-\x1f\x7f]/g;

function headerReplacer(c: string): string {
  return c === '\\' ? '\\\\' : c === '|' ? '\\|' : ' ';
}

function extReplacer(c: string): string {
  switch (c) {
    case '\\': return '\\\\';
    case '=': return '\\=';
    case '\n': return '\\n';
    case '\r': return '\\r';
    default: return ' ';
  }
}

/** Escapes one CEF header field and cuts it to `max` characters first. */
export function escapeCefHeader(value: string, max: number): string {
  const v = truncate(value, max);
  return HEADER_NEEDS.test(v) ? v.replace(HEADER_G, headerReplacer) : v;
}

/** Escapes one CEF extension value (no length limit applied). */
export function escapeCefValue(value: string): string {
  return EXT_NEEDS.test(value) ? value.replace(EXT_G, extReplacer) : value;
}

interface Field { readonly prefix: string; readonly max: number }

/**
 * ` key=` prefixes and limits, built once from the dictionary: the hot path then does one
 * concatenation per field and no keyed lookups.
 */
const F = Object.fromEntries(
  Object.entries(CEF_KEYS).map(([key, spec]) => [key, { prefix: ' ' + key + '=', max: (spec as { maxLength?: number }).maxLength ?? Infinity }]),
) as Record<CefKey, Field>;

/** Appends ` key=value` for a string value, cut to the key's dictionary length. */
function str(out: string, f: Field, value: string | undefined): string {
  // typeof, not just undefined: a null or a number from a sloppy producer must not throw here.
  if (typeof value !== 'string' || value === '') return out;
  return out + f.prefix + escapeCefValue(value.length > f.max ? truncate(value, f.max) : value);
}

function int(out: string, f: Field, value: number | undefined): string {
  return typeof value === 'number' && Number.isInteger(value) ? out + f.prefix + value : out;
}

/** ` csN=value csNLabel=label`: the label only goes out with a value. */
function custom(out: string, f: Field, value: string | undefined, label: string): string {
  return typeof value !== 'string' || value === '' ? out : str(out, f, value) + label;
}

// Values that repeat from one event to the next (see memoLast).
const vendorField = memoLast((v) => escapeCefHeader(v, CEF_HEADER_LIMITS.vendor));
const productField = memoLast((v) => escapeCefHeader(v, CEF_HEADER_LIMITS.product));
const signatureField = memoLast((v) => escapeCefHeader(v, CEF_HEADER_LIMITS.signatureId));
const catValue = memoLast((v) => str('', F.cat, v));
const actValue = memoLast((v) => str('', F.act, v));
const tenantValue = memoLast((v) => custom('', F.cs5, v, LABEL.cs5));

const LABEL = {
  cs1: ' cs1Label=Command Line',
  cs2: ' cs2Label=Parent Process Name',
  cs3: ' cs3Label=Parent Command Line',
  cs4: ' cs4Label=Process Hash',
  cs5: ' cs5Label=Tenant Id',
  cs6: ' cs6Label=MITRE Techniques',
} as const;

export function encodeCef(item: OutboundEvent): string {
  const ev = item.event;
  const e = ev.event;
  const head = 'CEF:0|' + vendorField(nonEmpty(ev.observer?.vendor) ?? 'Microsoft')
    + '|' + productField(nonEmpty(ev.observer?.product) ?? 'Defender XDR')
    + '|' + CEF_DEVICE_VERSION
    + '|' + signatureField(signatureId(item))
    + '|' + escapeCefHeader(summary(item), CEF_HEADER_LIMITS.name)
    + '|' + cefSeverity(e.severity) + '|';

  // Every key is appended with a leading space. rt comes first and nearly always exists, so it is
  // written without one; only without rt is the first space cut off (slicing flattens the string).
  const t = epochMsText(ev['@timestamp']);
  const hasRt = t !== undefined;
  let x = hasRt ? 'rt=' + t : '';
  x = str(x, F.externalId, e.id);
  x += catValue(category(item));
  if (typeof e.action === 'string') x += actValue(e.action);
  x = str(x, F.outcome, e.outcome);
  // The Name already carries `message`; msg holds the alert description, or an e-mail's subject.
  x = str(x, F.msg, nonEmpty(ev.rule?.description) ?? ev.email?.subject);
  x = str(x, F.reason, e.reason);

  const host = ev.host;
  if (host) {
    x = str(x, F.deviceExternalId, host.id);
    const ips = host.ip;
    if (ips) for (const ip of ips) if (ipVersion(ip) === 4) { x = str(x, F.dvc, ip); break; }
    x = str(x, F.shost, host.name);
  }
  const proc = ev.process;
  const user = ev.user ?? proc?.user;
  if (user) {
    x = str(x, F.suser, user.name);
    x = str(x, F.suid, user.id);
    x = str(x, F.sntdom, user.domain);
    x = str(x, F.duser, ev.user?.target?.name);
  }
  if (ev.email) {
    // E-mail tables: sender as the source user, recipients as the destination user.
    if (!user?.name) x = str(x, F.suser, emailSender(item));
    if (!ev.user?.target?.name) x = str(x, F.duser, emailRecipients(item));
  }

  const s = ev.source;
  if (s) {
    const v = ipVersion(s.ip);
    if (v === 4) x = str(x, F.src, s.ip);
    else if (v === 6) x = str(x, F.c6a2, s.ip) + ' c6a2Label=Source IPv6 Address';
    x = int(x, F.spt, validPort(s.port));
  }
  const d = ev.destination;
  if (d) {
    const v = ipVersion(d.ip);
    if (v === 4) x = str(x, F.dst, d.ip);
    else if (v === 6) x = str(x, F.c6a3, d.ip) + ' c6a3Label=Destination IPv6 Address';
    x = int(x, F.dpt, validPort(d.port));
    x = str(x, F.dhost, d.domain);
  }
  const net = ev.network;
  if (net) {
    x = str(x, F.proto, net.transport);
    x = str(x, F.app, net.protocol);
  }
  if (ev.url) x = str(x, F.request, ev.url.original);

  if (proc) {
    x = str(x, F.sproc, proc.name);
    x = int(x, F.spid, proc.pid);
  }
  const f = ev.file;
  if (f) {
    x = str(x, F.fname, f.name);
    x = str(x, F.filePath, f.path);
    x = str(x, F.fileHash, bestHash(f.hash));
    x = int(x, F.fsize, f.size);
  }
  if (proc) {
    x = custom(x, F.cs1, proc.command_line, LABEL.cs1);
    const parent = proc.parent;
    if (parent) {
      x = custom(x, F.cs2, parent.name, LABEL.cs2);
      x = custom(x, F.cs3, parent.command_line, LABEL.cs3);
    }
    // DeviceProcessEvents carry the same image as file.* and process.*: no second copy of the hash.
    const processHash = bestHash(proc.hash);
    if (processHash !== bestHash(f?.hash)) x = custom(x, F.cs4, processHash, LABEL.cs4);
  }
  const tenant = ev.cloud?.account?.id;
  if (typeof tenant === 'string') x += tenantValue(tenant);
  const techniques = ev.threat?.technique?.id;
  if (Array.isArray(techniques) && techniques.length > 0) x = custom(x, F.cs6, techniques.join(','), LABEL.cs6);

  return head + (hasRt || x === '' ? x : x.slice(1));
}
