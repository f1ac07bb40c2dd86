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
 *   outcome, msg (rule.description, else message), reason, deviceExternalId (host.id), dvc (the first
 *   IPv4 address in host.ip), shost (host.name),
 *   suser, suid, sntdom (user.*, else process.user.*), duser (user.target.name),
 *   src (IPv4) or c6a2 + c6a2Label=Source IPv6 Address, spt,
 *   dst (IPv4) or c6a3 + c6a3Label=Destination IPv6 Address, dpt, dhost (destination.domain),
 *   proto (network.transport), app (network.protocol), request (url.original),
 *   sproc, spid (process.name, process.pid), fname, filePath, fileHash, fsize (file.*),
 *   cs1 Command Line, cs2 Parent Process Name, cs3 Parent Command Line, cs4 Process Hash,
 *   cs5 Tenant Id (cloud.account.id), cs6 MITRE Techniques (comma-separated), each with its csNLabel.
 * An IP that is neither IPv4 nor IPv6 text is left out rather than put in a typed field.
 */
import type { OutboundEvent } from '../sinks/types';
import { CEF_HEADER_LIMITS, CEF_KEYS, type CefKey } from './reference/cef-keys';
import { bestHash, category, ipVersion, nonEmpty, signatureId, summary, validPort } from './fields';
import { cefSeverity } from './severity';
import { truncate } from './sanitize';

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

/** Appends ` key=value` for a string value, cut to the key's dictionary length. */
function str(out: string, key: CefKey, value: string | undefined): string {
  if (value === undefined || value === '') return out;
  const spec = CEF_KEYS[key] as { maxLength?: number };
  const v = spec.maxLength !== undefined ? truncate(value, spec.maxLength) : value;
  return out + ' ' + key + '=' + escapeCefValue(v);
}

function int(out: string, key: CefKey, value: number | undefined): string {
  return typeof value === 'number' && Number.isInteger(value) ? out + ' ' + key + '=' + value : out;
}

/** ` csN=value csNLabel=label`: the label only goes out with a value. */
function custom(out: string, n: 1 | 2 | 3 | 4 | 5 | 6, value: string | undefined, label: string): string {
  if (value === undefined || value === '') return out;
  return out + ' cs' + n + '=' + escapeCefValue(truncate(value, 4000)) + ' cs' + n + 'Label=' + label;
}

export function encodeCef(item: OutboundEvent): string {
  const ev = item.event;
  const e = ev.event;
  let out = 'CEF:0|' + escapeCefHeader(ev.observer?.vendor ?? 'Microsoft', CEF_HEADER_LIMITS.vendor)
    + '|' + escapeCefHeader(ev.observer?.product ?? 'Defender XDR', CEF_HEADER_LIMITS.product)
    + '|' + CEF_DEVICE_VERSION
    + '|' + escapeCefHeader(signatureId(item), CEF_HEADER_LIMITS.signatureId)
    + '|' + escapeCefHeader(summary(item), CEF_HEADER_LIMITS.name)
    + '|' + cefSeverity(e.severity) + '|';

  // The first key has no leading space: build the extension, then drop its first character.
  let x = '';
  const t = Date.parse(ev['@timestamp']);
  if (!Number.isNaN(t)) x += ' rt=' + t;
  x = str(x, 'externalId', e.id);
  x = str(x, 'cat', category(item));
  x = str(x, 'act', e.action);
  x = str(x, 'outcome', e.outcome);
  x = str(x, 'msg', nonEmpty(ev.rule?.description) ?? ev.message);
  x = str(x, 'reason', e.reason);

  const host = ev.host;
  if (host) {
    x = str(x, 'deviceExternalId', host.id);
    const dvc = host.ip?.find((ip) => ipVersion(ip) === 4);
    if (dvc !== undefined) x += ' dvc=' + escapeCefValue(dvc);
    x = str(x, 'shost', host.name);
  }
  const proc = ev.process;
  const user = ev.user ?? proc?.user;
  if (user) {
    x = str(x, 'suser', user.name);
    x = str(x, 'suid', user.id);
    x = str(x, 'sntdom', user.domain);
  }
  x = str(x, 'duser', ev.user?.target?.name);

  const s = ev.source;
  if (s) {
    const v = ipVersion(s.ip);
    if (v === 4) x += ' src=' + escapeCefValue(s.ip as string);
    else if (v === 6) x += ' c6a2=' + escapeCefValue(s.ip as string) + ' c6a2Label=Source IPv6 Address';
    x = int(x, 'spt', validPort(s.port));
  }
  const d = ev.destination;
  if (d) {
    const v = ipVersion(d.ip);
    if (v === 4) x += ' dst=' + escapeCefValue(d.ip as string);
    else if (v === 6) x += ' c6a3=' + escapeCefValue(d.ip as string) + ' c6a3Label=Destination IPv6 Address';
    x = int(x, 'dpt', validPort(d.port));
    x = str(x, 'dhost', d.domain);
  }
  if (ev.network) {
    x = str(x, 'proto', ev.network.transport);
    x = str(x, 'app', ev.network.protocol);
  }
  x = str(x, 'request', ev.url?.original);

  if (proc) {
    x = str(x, 'sproc', proc.name);
    x = int(x, 'spid', proc.pid);
  }
  const f = ev.file;
  if (f) {
    x = str(x, 'fname', f.name);
    x = str(x, 'filePath', f.path);
    x = str(x, 'fileHash', bestHash(f.hash));
    x = int(x, 'fsize', f.size);
  }
  if (proc) {
    x = custom(x, 1, proc.command_line, 'Command Line');
    x = custom(x, 2, proc.parent?.name, 'Parent Process Name');
    x = custom(x, 3, proc.parent?.command_line, 'Parent Command Line');
    x = custom(x, 4, bestHash(proc.hash), 'Process Hash');
  }
  x = custom(x, 5, ev.cloud?.account?.id, 'Tenant Id');
  const techniques = ev.threat?.technique?.id;
  if (techniques && techniques.length > 0) x = custom(x, 6, techniques.join(','), 'MITRE Techniques');

  return x === '' ? out : out + x.slice(1);
}
