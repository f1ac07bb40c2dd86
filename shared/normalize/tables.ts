import type { EventKind, NormalizedEvent } from '../model/event';
import { decodeJson, ip, lower, num, port, str } from './coerce';
import {
  account, actorProcess, compact, createdProcess, device, endpoint, file, hashes, initiatingAccount, protocol,
  relate, severityScore, techniques, type Props,
} from './ecs';

/**
 * One mapping per Advanced Hunting table: which ECS categories it belongs to and which columns feed
 * which ECS fields. The table-by-table reference is docs/event-model.md; keep the two in step.
 */
export interface TableMapping {
  kind: EventKind;
  category?: string[];
  /** event.type from the ActionType (default ['info']). */
  type?: (action: string | undefined) => string[];
  map: (p: Props, ev: NormalizedEvent) => void;
}

const INFO = Object.freeze(['info']) as string[];

function typeByAction(rules: Array<[RegExp, string[]]>): (a: string | undefined) => string[] {
  for (const [, t] of rules) Object.freeze(t);
  return (a) => {
    if (a) for (const [re, t] of rules) if (re.test(a)) return t;
    return INFO;
  };
}

function outcomeFromAction(ev: NormalizedEvent, action: string | undefined): void {
  if (!action) return;
  if (/fail|denied|blocked/i.test(action)) ev.event.outcome = 'failure';
  else if (/success|accepted/i.test(action)) ev.event.outcome = 'success';
}

/** LocalIP/RemoteIP (and ports) columns, oriented by the direction of the connection. */
function localRemote(p: Props, ev: NormalizedEvent, inbound: boolean): void {
  const local = endpoint(p.LocalIP, p.LocalPort);
  const remote = endpoint(p.RemoteIP, p.RemotePort, p.RemoteDeviceName);
  const [src, dst] = inbound ? [remote, local] : [local, remote];
  if (src) ev.source = src;
  if (dst) ev.destination = dst;
  relate(ev, 'ip', local?.ip);
  relate(ev, 'ip', remote?.ip);
}

function remoteUrl(p: Props, ev: NormalizedEvent): void {
  const url = str(p.RemoteUrl);
  if (url) ev.url = { original: url };
}

function registry(p: Props, ev: NormalizedEvent): void {
  const key = str(p.RegistryKey);
  const value = str(p.RegistryValueName);
  const data = str(p.RegistryValueData);
  if (!key && !value && !data) return;
  const hiveMatch = key ? /^(HKEY_[A-Z_]+)/i.exec(key) : null;
  const HIVES: Record<string, string> = {
    HKEY_LOCAL_MACHINE: 'HKLM', HKEY_CURRENT_USER: 'HKCU', HKEY_USERS: 'HKU', HKEY_CLASSES_ROOT: 'HKCR', HKEY_CURRENT_CONFIG: 'HKCC',
  };
  ev.registry = compact({
    key,
    value,
    hive: hiveMatch ? HIVES[hiveMatch[1].toUpperCase()] : undefined,
    data: compact({ strings: data ? [data] : undefined, type: str(p.RegistryValueType) }),
  });
}

/** dns.question.name where the record is a DNS observation (AdditionalFields carries the query). */
function dnsFromAdditional(p: Props, ev: NormalizedEvent): void {
  const af = decodeJson(p.AdditionalFields);
  if (af && typeof af === 'object' && !Array.isArray(af)) {
    const q = (af as Record<string, unknown>).query ?? (af as Record<string, unknown>).DnsQueryString;
    const name = str(q);
    if (name) ev.dns = { question: { name } };
  }
}

function emailAddresses(p: Props, ev: NormalizedEvent): void {
  const from = str(p.SenderFromAddress);
  const to = str(p.RecipientEmailAddress);
  const email = (ev.email ??= {});
  if (from) email.from = { address: [from] };
  if (to) email.to = { address: [to] };
  const sender = str(p.SenderMailFromAddress);
  if (sender) email.sender = { address: sender };
  const id = str(p.InternetMessageId);
  if (id) email.message_id = id;
  const subject = str(p.Subject) ?? str(p.EmailSubject);
  if (subject) email.subject = subject;
  const direction = lower(p.EmailDirection);
  if (direction) email.direction = direction;
  relate(ev, 'user', from);
  relate(ev, 'user', to);
}

function identityCommon(p: Props, ev: NormalizedEvent): void {
  const name = lower(p.DeviceName);
  const hostIp = ip(p.IPAddress);
  if (name || hostIp) ev.host = compact({ name, ip: hostIp ? [hostIp] : undefined });
  account(p, ev);
  const dst = endpoint(p.DestinationIPAddress, p.DestinationPort, p.DestinationDeviceName);
  if (dst) ev.destination = dst;
  relate(ev, 'ip', hostIp);
  relate(ev, 'ip', dst?.ip);
  const proto = lower(p.Protocol);
  if (proto) ev.network = { protocol: proto };
  const af = decodeJson(p.AdditionalFields);
  if (af && typeof af === 'object' && !Array.isArray(af)) techniques((af as Record<string, unknown>).AttackTechniques, ev);
}

/** Process-actor tables: the initiating process, its account, the device. */
function deviceActor(p: Props, ev: NormalizedEvent): void {
  device(p, ev);
  initiatingAccount(p, ev);
  actorProcess(p, ev);
}

/** Entity columns shared by AlertEvidence and BehaviorEntities. */
function entityColumns(p: Props, ev: NormalizedEvent): void {
  device(p, ev);
  account(p, ev);
  file(p, ev);
  const local = ip(p.LocalIP);
  const remote = ip(p.RemoteIP);
  if (local) ev.source = { ip: local };
  if (remote) ev.destination = { ip: remote };
  relate(ev, 'ip', local);
  relate(ev, 'ip', remote);
  remoteUrl(p, ev);
  const cmd = str(p.ProcessCommandLine);
  if (cmd) ev.process = { command_line: cmd };
  registry(p, ev);
  const subject = str(p.EmailSubject);
  if (subject) ev.email = { subject };
  techniques(p.AttackTechniques, ev);
}

const ENTITY_CATEGORY: Record<string, string> = {
  file: 'file', process: 'process', ip: 'network', url: 'web', user: 'iam', machine: 'host', mailmessage: 'email',
  mailbox: 'email', registrykey: 'registry', registryvalue: 'registry', cloudapplication: 'web',
};

function alertCommon(p: Props, ev: NormalizedEvent): void {
  const title = str(p.Title);
  const id = str(p.AlertId) ?? str(p.BehaviorId);
  ev.rule = compact({ name: title, id, description: str(p.Description) });
  const sev = severityScore(p.Severity);
  if (sev !== undefined) ev.event.severity = sev;
  const tactic = str(p.Category) ?? (Array.isArray(decodeJson(p.Categories)) ? undefined : str(p.Categories));
  techniques(p.AttackTechniques, ev);
  if (tactic) (ev.threat ??= { framework: 'MITRE ATT&CK' }).tactic = { name: [tactic] };
  const product = str(p.ServiceSource);
  if (product) ev.observer.type = product;
}

const TABLE_MAPPINGS: Record<string, TableMapping> = {
  DeviceProcessEvents: {
    kind: 'event', category: ['process'], type: typeByAction([[/ProcessCreated/i, ['start']]]),
    map(p, ev) { device(p, ev); createdProcess(p, ev); const u = ev.process?.user; if (u) ev.user = { ...u }; else initiatingAccount(p, ev); },
  },
  DeviceNetworkEvents: {
    kind: 'event', category: ['network'],
    type: typeByAction([[/^ConnectionSuccess|^ConnectionAcknowledged|^InboundConnectionAccepted|^ListeningConnectionCreated/i, ['connection', 'start']], [/Connection/i, ['connection']]]),
    map(p, ev) {
      deviceActor(p, ev);
      const action = str(p.ActionType) ?? '';
      const inbound = /^Inbound/i.test(action);
      localRemote(p, ev, inbound);
      if (ev.network === undefined) protocol(p, ev);
      (ev.network ??= {}).direction = inbound ? 'ingress' : /^Listening/i.test(action) ? 'unknown' : 'egress';
      remoteUrl(p, ev);
      dnsFromAdditional(p, ev);
    },
  },
  DeviceFileEvents: {
    kind: 'event', category: ['file'],
    type: typeByAction([[/FileCreated/i, ['creation']], [/FileDeleted/i, ['deletion']], [/FileModified|FileRenamed/i, ['change']]]),
    map(p, ev) {
      deviceActor(p, ev);
      file(p, ev);
      const src = endpoint(p.RequestSourceIP, p.RequestSourcePort);
      if (src) ev.source = src;
      const origin = str(p.FileOriginUrl);
      if (origin) ev.url = { original: origin };
    },
  },
  DeviceRegistryEvents: {
    kind: 'event', category: ['registry'],
    type: typeByAction([[/Created/i, ['creation']], [/Deleted/i, ['deletion']], [/Set|Modified/i, ['change']]]),
    map(p, ev) { deviceActor(p, ev); registry(p, ev); },
  },
  DeviceLogonEvents: {
    kind: 'event', category: ['authentication'], type: typeByAction([[/LogonSuccess/i, ['start']], [/Logoff/i, ['end']]]),
    map(p, ev) {
      device(p, ev);
      account(p, ev);
      actorProcess(p, ev);
      const src = endpoint(p.RemoteIP, p.RemotePort, p.RemoteDeviceName);
      if (src) ev.source = src;
      relate(ev, 'ip', src?.ip);
      const proto = lower(p.Protocol);
      if (proto) ev.network = { protocol: proto };
      outcomeFromAction(ev, str(p.ActionType));
      const reason = str(p.FailureReason);
      if (reason) ev.event.reason = reason;
    },
  },
  DeviceImageLoadEvents: {
    kind: 'event', category: ['library'], type: () => ['start'],
    map(p, ev) { deviceActor(p, ev); file(p, ev); },
  },
  DeviceEvents: {
    kind: 'event', category: ['host'],
    map(p, ev) {
      deviceActor(p, ev);
      if (!ev.user) account(p, ev);
      file(p, ev);
      localRemote(p, ev, false);
      remoteUrl(p, ev);
      registry(p, ev);
      dnsFromAdditional(p, ev);
    },
  },
  DeviceInfo: {
    kind: 'state', category: ['host'], type: () => ['info'],
    map(p, ev) {
      device(p, ev);
      const os = compact({ platform: str(p.OSPlatform), version: str(p.OSVersion) ?? str(p.OSBuild), name: str(p.OSDistribution) });
      const publicIp = ip(p.PublicIP);
      if (ev.host) {
        if (os) ev.host.os = os;
        if (publicIp) ev.host.ip = [publicIp];
        const type = str(p.DeviceType);
        if (type) ev.host.type = type;
      }
      relate(ev, 'ip', publicIp);
    },
  },
  DeviceNetworkInfo: {
    kind: 'state', category: ['host', 'network'], type: () => ['info'],
    map(p, ev) {
      device(p, ev);
      const addrs = decodeJson(p.IPAddresses);
      const ips: string[] = [];
      if (Array.isArray(addrs)) {
        for (const a of addrs) {
          const v = ip(a && typeof a === 'object' ? (a as Record<string, unknown>).IPAddress : a);
          if (v) ips.push(v);
        }
      }
      if (ips.length && ev.host) ev.host.ip = ips;
      for (const v of ips) relate(ev, 'ip', v);
    },
  },
  DeviceFileCertificateInfo: {
    kind: 'state', category: ['file'], type: () => ['info'],
    map(p, ev) { device(p, ev); const h = hashes(undefined, p.SHA1, undefined); if (h) ev.file = { hash: h }; },
  },
  AlertInfo: {
    kind: 'alert', category: ['threat'], type: () => ['indicator'],
    map(p, ev) {
      alertCommon(p, ev);
      const cmd = str(p.ProcessCommandLine);
      if (cmd) ev.process = { command_line: cmd };
    },
  },
  AlertEvidence: {
    kind: 'alert', category: ['threat'], type: () => ['indicator'],
    map(p, ev) {
      alertCommon(p, ev);
      entityColumns(p, ev);
      const entity = ENTITY_CATEGORY[lower(p.EntityType) ?? ''];
      if (entity && ev.event.category && !ev.event.category.includes(entity)) ev.event.category = [...ev.event.category, entity];
    },
  },
  BehaviorInfo: {
    kind: 'alert', category: ['threat'], type: () => ['indicator'],
    map(p, ev) { alertCommon(p, ev); device(p, ev); account(p, ev); },
  },
  BehaviorEntities: {
    kind: 'alert', category: ['threat'], type: () => ['indicator'],
    map(p, ev) { alertCommon(p, ev); entityColumns(p, ev); },
  },
  EmailEvents: {
    kind: 'event', category: ['email'],
    map(p, ev) {
      emailAddresses(p, ev);
      const v4 = ip(p.SenderIPv4);
      const v6 = ip(p.SenderIPv6);
      if (v4 || v6) ev.source = { ip: v4 ?? v6 };
      relate(ev, 'ip', v4);
      relate(ev, 'ip', v6);
      const action = str(p.DeliveryAction);
      if (action && !ev.event.action) ev.event.action = action;
    },
  },
  EmailAttachmentInfo: {
    kind: 'event', category: ['email', 'file'],
    map(p, ev) {
      emailAddresses(p, ev);
      const name = str(p.FileName);
      const f = compact({ name, type: str(p.FileType), size: num(p.FileSize), hash: hashes(undefined, undefined, p.SHA256) });
      if (f) {
        ev.file = f;
        (ev.email ??= {}).attachments = [{ file: { name, size: f.size, hash: f.hash, mime_type: f.type } }];
      }
    },
  },
  EmailPostDeliveryEvents: {
    kind: 'event', category: ['email'],
    map(p, ev) { emailAddresses(p, ev); },
  },
  EmailUrlInfo: {
    kind: 'event', category: ['email'],
    map(p, ev) { const u = str(p.Url); if (u) ev.url = compact({ original: u, domain: lower(p.UrlDomain) }); },
  },
  UrlClickEvents: {
    kind: 'event', category: ['web'], type: () => ['access'],
    map(p, ev) {
      const u = str(p.Url);
      if (u) ev.url = { original: u };
      const upn = str(p.AccountUpn);
      if (upn) ev.user = { email: upn, name: upn };
      const src = ip(p.IPAddress);
      if (src) ev.source = { ip: src };
      relate(ev, 'ip', src);
      relate(ev, 'user', upn);
    },
  },
  CloudAppEvents: {
    kind: 'event', category: ['web'],
    map(p, ev) {
      account(p, ev);
      const src = ip(p.IPAddress);
      if (src) {
        ev.source = { ip: src };
        const geo = compact({ country_iso_code: str(p.CountryCode), city_name: str(p.City) });
        if (geo) ev.source.geo = geo;
      }
      relate(ev, 'ip', src);
    },
  },
  IdentityLogonEvents: {
    kind: 'event', category: ['authentication'],
    map(p, ev) {
      identityCommon(p, ev);
      outcomeFromAction(ev, str(p.ActionType));
      const reason = str(p.FailureReason);
      if (reason) ev.event.reason = reason;
    },
  },
  IdentityQueryEvents: {
    kind: 'event', category: ['network'],
    map(p, ev) {
      identityCommon(p, ev);
      if (lower(p.Protocol) === 'dns' || /dns/i.test(str(p.ActionType) ?? '')) {
        const q = str(p.QueryTarget);
        if (q) ev.dns = { question: { name: q } };
      }
    },
  },
  IdentityDirectoryEvents: {
    kind: 'event', category: ['iam'],
    map(p, ev) {
      identityCommon(p, ev);
      const target = compact({ name: str(p.TargetAccountUpn) ?? str(p.TargetAccountDisplayName) });
      if (target && ev.user) ev.user.target = target;
    },
  },
  IdentityInfo: {
    kind: 'state', category: ['iam'], type: () => ['info', 'user'],
    map(p, ev) {
      account(p, ev);
      const mail = str(p.EmailAddress);
      if (mail && ev.user) ev.user.email = mail;
    },
  },
  MessageEvents: {
    kind: 'event', category: ['email'],
    map(p, ev) {
      const sender = str(p.SenderEmailAddress);
      const subject = str(p.MessageSubject);
      if (sender || subject) ev.email = compact({ from: sender ? { address: [sender] } : undefined, subject });
      relate(ev, 'user', sender);
    },
  },
  MessagePostDeliveryEvents: {
    kind: 'event', category: ['email'],
    map(p, ev) { const sender = str(p.SenderEmailAddress); if (sender) ev.email = { from: { address: [sender] } }; },
  },
  MessageUrlInfo: {
    kind: 'event', category: ['email'],
    map(p, ev) { const u = str(p.Url); if (u) ev.url = compact({ original: u, domain: lower(p.UrlDomain) }); },
  },
  CloudProcessEvents: {
    kind: 'event', category: ['process'], type: typeByAction([[/Created/i, ['start']]]),
    map(p, ev) {
      const proc = compact({
        name: str(p.ProcessName) ?? str(p.FileName),
        executable: str(p.FolderPath),
        command_line: str(p.ProcessCommandLine),
        pid: num(p.ProcessId),
        start: str(p.ProcessCreationTime),
        parent: compact({ name: str(p.ParentProcessName), pid: num(p.ParentProcessId) }),
      });
      if (proc) ev.process = proc;
      const user = str(p.AccountName);
      if (user) ev.user = { name: user };
    },
  },
  CloudAuditEvents: {
    kind: 'event', category: ['configuration'],
    map(p, ev) { const src = ip(p.IPAddress); if (src) ev.source = { ip: src }; relate(ev, 'ip', src); },
  },
  CloudStorageAggregatedEvents: {
    kind: 'event', category: ['file'],
    map(p, ev) {
      const src = ip(p.IpAddress);
      if (src) ev.source = { ip: src };
      relate(ev, 'ip', src);
      const upn = str(p.AccountUpn);
      if (upn) ev.user = { email: upn, name: upn };
    },
  },
};

for (const m of Object.values(TABLE_MAPPINGS)) if (m.category) Object.freeze(m.category);

export const TABLES: Readonly<Record<string, TableMapping>> = TABLE_MAPPINGS;

/** Tables whose names are not known: every column is still kept under m365_defender.properties. */
export const GENERIC_TABLE: TableMapping = {
  kind: 'event',
  map(p, ev) {
    if (typeof p.DeviceName === 'string' || typeof p.DeviceId === 'string') device(p, ev);
    if (typeof p.AccountName === 'string' || typeof p.AccountUpn === 'string') account(p, ev);
    const src = ip(p.IPAddress) ?? ip(p.LocalIP);
    if (src) ev.source = { ip: src };
    const dst = ip(p.RemoteIP);
    if (dst) ev.destination = compact({ ip: dst, port: port(p.RemotePort) });
  },
};
