/**
 * alerts_v2 evidence (a polymorphic array, ~30 `@odata.type`s) onto ECS: the first device becomes `host`,
 * the first user `user`, the first process `process`, the first file `file`, the first URL `url`, the
 * first analyzed message `email`; every value worth pivoting on also lands in `related.*`. Types with no
 * ECS home stay in the original object, which always travels with the event.
 */
import type { EcsHash, EcsProcessBase, NormalizedEvent } from '../../model/event';
import { arr, compact, int, ms, obj, relate, str, type GraphObject } from './common';

const EVIDENCE_PREFIX = '#microsoft.graph.security.';

/** ECS event.category per evidence kind. */
const CATEGORY: Readonly<Record<string, string>> = {
  deviceEvidence: 'host',
  userEvidence: 'iam',
  processEvidence: 'process',
  fileEvidence: 'file',
  ipEvidence: 'network',
  urlEvidence: 'network',
  networkConnectionEvidence: 'network',
  mailboxEvidence: 'email',
  analyzedMessageEvidence: 'email',
  mailClusterEvidence: 'email',
  registryKeyEvidence: 'registry',
  registryValueEvidence: 'registry',
  cloudApplicationEvidence: 'web',
  oauthApplicationEvidence: 'iam',
  securityGroupEvidence: 'iam',
};

export function evidenceKind(e: GraphObject): string | undefined {
  const t = str(e['@odata.type']);
  if (!t) return undefined;
  return t.startsWith(EVIDENCE_PREFIX) ? t.slice(EVIDENCE_PREFIX.length) : t.replace(/^#/, '');
}

function fileHash(f: GraphObject | undefined): EcsHash | undefined {
  if (!f) return undefined;
  return compact<EcsHash>({ md5: str(f.md5)?.toLowerCase(), sha1: str(f.sha1)?.toLowerCase(), sha256: str(f.sha256)?.toLowerCase() });
}

function joinPath(dir: string | undefined, name: string | undefined): string | undefined {
  if (!dir) return name;
  if (!name) return undefined;
  const sep = dir.includes('\\') || /^[A-Za-z]:/.test(dir) ? '\\' : '/';
  return dir.endsWith(sep) ? `${dir}${name}` : `${dir}${sep}${name}`;
}

function isIp(v: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(v) || (/^[0-9a-f:.]+$/i.test(v) && v.includes(':'));
}

function isLoopback(v: string): boolean {
  return v === '::1' || v.startsWith('127.');
}

function hashesToRelated(ev: NormalizedEvent, h: EcsHash | undefined): void {
  if (!h) return;
  relate(ev, 'hash', h.md5);
  relate(ev, 'hash', h.sha1);
  relate(ev, 'hash', h.sha256);
}

function account(a: GraphObject | undefined): { name?: string; domain?: string; id?: string } | undefined {
  if (!a) return undefined;
  return compact({ name: str(a.accountName), domain: str(a.domainName), id: str(a.userSid) ?? str(a.azureAdUserId) });
}

function accountToRelated(ev: NormalizedEvent, a: GraphObject | undefined): void {
  if (!a) return;
  relate(ev, 'user', str(a.accountName));
  relate(ev, 'user', str(a.userPrincipalName));
  relate(ev, 'user', str(a.userSid));
  relate(ev, 'user', str(a.azureAdUserId));
}

function processImage(p: GraphObject, imageKey: string, pidKey: string, startKey: string): EcsProcessBase | undefined {
  const image = obj(p[imageKey]);
  const name = str(image?.fileName);
  return compact<EcsProcessBase>({
    pid: int(p[pidKey]),
    start: ms(p[startKey]),
    name,
    executable: joinPath(str(image?.filePath), name),
    hash: fileHash(image),
  });
}

/** Maps the evidence array onto `ev` and returns the ECS categories it implies, sorted. */
export function applyEvidence(evidence: unknown, ev: NormalizedEvent): string[] {
  const categories = new Set<string>();
  for (const raw of arr(evidence)) {
    const e = obj(raw);
    if (!e) continue;
    const kind = evidenceKind(e);
    if (!kind) continue;
    const category = CATEGORY[kind];
    if (category) categories.add(category);
    switch (kind) {
      case 'deviceEvidence': {
        const name = str(e.deviceDnsName)?.toLowerCase() ?? str(e.hostName)?.toLowerCase();
        const ips = arr(e.ipInterfaces).map(str).filter((x): x is string => !!x && isIp(x));
        if (!ev.host) {
          ev.host = compact({
            name,
            id: str(e.mdeDeviceId) ?? str(e.azureAdDeviceId),
            ip: ips.length ? ips : undefined,
            os: compact({ name: str(e.osPlatform), version: str(e.version) ?? str(e.osBuild) }),
          });
        }
        relate(ev, 'hosts', name);
        relate(ev, 'hosts', str(e.mdeDeviceId));
        for (const ip of ips) if (!isLoopback(ip)) relate(ev, 'ip', ip);
        for (const u of arr(e.loggedOnUsers)) relate(ev, 'user', str(obj(u)?.accountName));
        break;
      }
      case 'userEvidence': {
        const a = obj(e.userAccount);
        if (!ev.user && a) {
          ev.user = compact({ ...account(a), email: str(a.userPrincipalName), full_name: str(a.displayName) });
        }
        accountToRelated(ev, a);
        break;
      }
      case 'processEvidence': {
        const self = processImage(e, 'imageFile', 'processId', 'processCreationDateTime');
        const parent = processImage(e, 'parentProcessImageFile', 'parentProcessId', 'parentProcessCreationDateTime');
        if (!ev.process) {
          ev.process = compact({
            ...self,
            command_line: str(e.processCommandLine),
            user: account(obj(e.userAccount)),
            parent,
          });
        }
        hashesToRelated(ev, self?.hash);
        hashesToRelated(ev, parent?.hash);
        accountToRelated(ev, obj(e.userAccount));
        relate(ev, 'hosts', str(e.mdeDeviceId));
        break;
      }
      case 'fileEvidence': {
        const f = obj(e.fileDetails);
        const name = str(f?.fileName);
        const dir = str(f?.filePath);
        const hash = fileHash(f);
        if (!ev.file && f) {
          ev.file = compact({ name, directory: dir, path: joinPath(dir, name), size: int(f.fileSize), hash });
        }
        hashesToRelated(ev, hash);
        relate(ev, 'hosts', str(e.mdeDeviceId));
        break;
      }
      case 'ipEvidence': {
        const ip = str(e.ipAddress);
        if (ip && isIp(ip)) relate(ev, 'ip', ip);
        break;
      }
      case 'urlEvidence': {
        const url = str(e.url);
        if (url && !ev.url) {
          let domain: string | undefined;
          try { domain = new URL(url).hostname || undefined; } catch { domain = undefined; }
          ev.url = compact({ original: url, domain });
        }
        break;
      }
      case 'networkConnectionEvidence': {
        const src = obj(e.sourceAddress);
        const dst = obj(e.destinationAddress);
        if (!ev.source && src) ev.source = compact({ ip: str(src.ipAddress), port: int(e.sourcePort) });
        if (!ev.destination && dst) ev.destination = compact({ ip: str(dst.ipAddress), port: int(e.destinationPort) });
        relate(ev, 'ip', str(src?.ipAddress));
        relate(ev, 'ip', str(dst?.ipAddress));
        break;
      }
      case 'mailboxEvidence': {
        const address = str(e.primaryAddress);
        if (!ev.user && (address || obj(e.userAccount))) {
          ev.user = compact({ ...account(obj(e.userAccount)), email: address, full_name: str(e.displayName) });
        }
        relate(ev, 'user', address);
        accountToRelated(ev, obj(e.userAccount));
        break;
      }
      case 'analyzedMessageEvidence': {
        const from = str(obj(e.p1Sender)?.emailAddress);
        const sender = str(obj(e.p2Sender)?.emailAddress);
        const to = str(e.recipientEmailAddress);
        if (!ev.email) {
          ev.email = compact({
            message_id: str(e.internetMessageId),
            subject: str(e.subject),
            from: from ? { address: [from] } : undefined,
            sender: sender ? { address: sender } : undefined,
            to: to ? { address: [to] } : undefined,
            direction: str(e.antiSpamDirection)?.toLowerCase(),
            delivery_timestamp: ms(e.receivedDateTime),
          });
        }
        relate(ev, 'user', from);
        relate(ev, 'user', sender);
        relate(ev, 'user', to);
        const senderIp = str(e.senderIp);
        if (senderIp && isIp(senderIp)) relate(ev, 'ip', senderIp);
        break;
      }
      case 'registryKeyEvidence':
      case 'registryValueEvidence': {
        if (!ev.registry) {
          const value = str(e.registryValue);
          ev.registry = compact({
            key: str(e.registryKey),
            hive: str(e.registryHive),
            value: str(e.registryValueName),
            data: value !== undefined ? compact({ strings: [value], type: str(e.registryValueType) }) : undefined,
          });
        }
        relate(ev, 'hosts', str(e.mdeDeviceId));
        break;
      }
      default:
        break;
    }
  }
  return [...categories].sort();
}
