import type { EcsEndpoint, EcsHash, EcsProcess, EcsProcessBase, NormalizedEvent } from '../model/event';
import { decodeJson, ip, lower, num, port, str } from './coerce';

/**
 * Builders for the ECS groups that many Defender tables share (device, account, initiating process,
 * file, endpoints, MITRE techniques). Each returns undefined when the record has nothing for the group,
 * so empty objects never reach the output.
 */

export type Props = Record<string, unknown>;

/**
 * Returns undefined for an object whose members are all undefined, else the object itself. Undefined
 * members are left in place: JSON serialization omits them, and deleting keys would push V8 objects
 * into slow dictionary mode on the hot path.
 */
export function compact<T extends object>(o: T): T | undefined {
  for (const k in o) if (o[k] !== undefined) return o;
  return undefined;
}

export function hashes(md5: unknown, sha1: unknown, sha256: unknown): EcsHash | undefined {
  const h: EcsHash = {};
  const a = lower(md5), b = lower(sha1), c = lower(sha256);
  if (a) h.md5 = a;
  if (b) h.sha1 = b;
  if (c) h.sha256 = c;
  return a || b || c ? h : undefined;
}

/** host.* from DeviceName (lowercased, as Elastic does) and DeviceId. */
export function device(p: Props, ev: NormalizedEvent): void {
  const name = lower(p.DeviceName);
  const id = str(p.DeviceId);
  if (name || id) ev.host = compact({ name, id });
}

/** user.* from Account* columns; falls back to the display name when no account name is given. */
export function account(p: Props, ev: NormalizedEvent): void {
  const name = str(p.AccountName) ?? str(p.AccountDisplayName);
  const user = compact({
    name,
    domain: str(p.AccountDomain),
    id: str(p.AccountSid) ?? str(p.AccountObjectId),
    email: str(p.AccountUpn),
    full_name: str(p.AccountDisplayName),
  });
  if (user) ev.user = user;
}

/** user.* from InitiatingProcessAccount* (tables without an Account* group of their own). */
export function initiatingAccount(p: Props, ev: NormalizedEvent): void {
  const user = compact({
    name: str(p.InitiatingProcessAccountName),
    domain: str(p.InitiatingProcessAccountDomain),
    id: str(p.InitiatingProcessAccountSid) ?? str(p.InitiatingProcessAccountObjectId),
    email: str(p.InitiatingProcessAccountUpn),
  });
  if (user) ev.user = user;
}

function initiatingProcessBase(p: Props): EcsProcessBase | undefined {
  return compact<EcsProcessBase>({
    name: str(p.InitiatingProcessFileName),
    executable: str(p.InitiatingProcessFolderPath),
    command_line: str(p.InitiatingProcessCommandLine),
    pid: num(p.InitiatingProcessId),
    start: str(p.InitiatingProcessCreationTime),
    hash: hashes(p.InitiatingProcessMD5, p.InitiatingProcessSHA1, p.InitiatingProcessSHA256),
    integrity_level: str(p.InitiatingProcessIntegrityLevel),
  });
}

function initiatingParent(p: Props): EcsProcessBase | undefined {
  return compact<EcsProcessBase>({
    name: str(p.InitiatingProcessParentFileName),
    pid: num(p.InitiatingProcessParentId),
    start: str(p.InitiatingProcessParentCreationTime),
  });
}

/** process.* = the initiating (actor) process, process.parent.* = its parent. */
export function actorProcess(p: Props, ev: NormalizedEvent): void {
  const proc: EcsProcess | undefined = initiatingProcessBase(p);
  const parent = initiatingParent(p);
  if (proc) {
    if (parent) proc.parent = parent;
    ev.process = proc;
  } else if (parent) {
    ev.process = { parent };
  }
}

/** DeviceProcessEvents: process.* = the created process, parent = initiating, grandparent = its parent. */
export function createdProcess(p: Props, ev: NormalizedEvent): void {
  const proc: EcsProcess = compact<EcsProcess>({
    name: str(p.FileName),
    executable: str(p.FolderPath),
    command_line: str(p.ProcessCommandLine),
    pid: num(p.ProcessId),
    start: str(p.ProcessCreationTime),
    hash: hashes(p.MD5, p.SHA1, p.SHA256),
    integrity_level: str(p.ProcessIntegrityLevel),
  }) ?? {};
  const parent = initiatingProcessBase(p);
  const grandparent = initiatingParent(p);
  if (parent) {
    if (grandparent) (parent as EcsProcess['parent'] & object).parent = grandparent;
    proc.parent = parent;
  }
  const user = compact({ name: str(p.AccountName), domain: str(p.AccountDomain), id: str(p.AccountSid) });
  if (user) proc.user = user;
  if (compact(proc)) ev.process = proc;
}

/** file.* from FileName/FolderPath/FileSize and hashes. */
export function file(p: Props, ev: NormalizedEvent): void {
  const name = str(p.FileName);
  const path = str(p.FolderPath);
  const f = compact({
    name,
    path,
    size: num(p.FileSize),
    hash: hashes(p.MD5, p.SHA1, p.SHA256),
    extension: name && name.lastIndexOf('.') > 0 ? name.slice(name.lastIndexOf('.') + 1).toLowerCase() : undefined,
  });
  if (f) ev.file = f;
}

export function endpoint(ipValue: unknown, portValue: unknown, domain?: unknown): EcsEndpoint | undefined {
  return compact<EcsEndpoint>({ ip: ip(ipValue), port: port(portValue), domain: lower(domain) });
}

/** Lower-cased network protocol/transport from a Protocol column (Tcp, Udp, Ntlm, Kerberos, Dns...). */
export function protocol(p: Props, ev: NormalizedEvent): void {
  const proto = lower(p.Protocol);
  if (!proto) return;
  const transport = proto === 'tcp' || proto === 'udp' || proto === 'icmp' || proto === 'tcpv4' || proto === 'tcpv6' || proto === 'udpv4' || proto === 'udpv6'
    ? proto.slice(0, proto.startsWith('icmp') ? 4 : 3) : undefined;
  ev.network = transport ? { transport } : { protocol: proto };
}

const TECHNIQUE = /^(.*?)\s*\((T\d{4}(?:\.\d{3})?)\)\s*$/;

/**
 * threat.technique.* from AttackTechniques: a JSON array of "Name (T1234.001)" strings, or the same as a
 * comma-separated string in Identity AdditionalFields, or empty.
 */
export function techniques(value: unknown, ev: NormalizedEvent): void {
  const decoded = decodeJson(value);
  let items: unknown[];
  if (Array.isArray(decoded)) items = decoded;
  else if (typeof decoded === 'string') items = decoded.split(/,(?![^(]*\))/);
  else return;
  const ids: string[] = [];
  const names: string[] = [];
  for (const item of items) {
    if (typeof item !== 'string') continue;
    const m = TECHNIQUE.exec(item.trim());
    if (m) {
      ids.push(m[2]);
      names.push(m[1]);
    } else if (item.trim() !== '') {
      names.push(item.trim());
    }
  }
  if (ids.length === 0 && names.length === 0) return;
  ev.threat = { framework: 'MITRE ATT&CK', technique: compact({ id: ids.length ? ids : undefined, name: names.length ? names : undefined }) };
}

/** Elastic's severity scale for Defender severities. */
export function severityScore(v: unknown): number | undefined {
  switch (lower(v)) {
    case 'informational': return 1;
    case 'low': return 21;
    case 'medium': return 47;
    case 'high': return 73;
    case 'critical': return 99;
    default: return undefined;
  }
}

/** Adds a value to related.<kind> once. */
export function relate(ev: NormalizedEvent, kind: 'ip' | 'user' | 'hosts' | 'hash', value: string | undefined): void {
  if (!value) return;
  const related = (ev.related ??= {});
  const list = (related[kind] ??= []);
  if (!list.includes(value)) list.push(value);
}
