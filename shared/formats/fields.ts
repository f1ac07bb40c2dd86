/**
 * The few derived values every structured format (CEF, LEEF, syslog headers) picks from an event, in
 * one place so the formats agree with each other.
 */
import { isIPv4, isIPv6 } from 'node:net';
import type { OutboundEvent } from '../sinks/types';

/**
 * What identifies the kind of event (CEF Signature ID, LEEF EventID): the Defender ActionType for
 * streaming records; the title (`rule.name`) for alerts (AlertInfo/AlertEvidence, Graph alerts) and
 * Graph incidents. Falls back to the other one, then to the category, so it is never empty.
 */
export function signatureId(item: OutboundEvent): string {
  const ev = item.event;
  const titled = item.origin !== 'streaming' || ev.event.kind === 'alert';
  const first = titled ? ev.rule?.name : ev.event.action;
  const second = titled ? ev.event.action : ev.rule?.name;
  return nonEmpty(first) ?? nonEmpty(second) ?? category(item);
}

/** A short human summary (CEF Name). */
export function summary(item: OutboundEvent): string {
  const ev = item.event;
  return nonEmpty(ev.message) ?? nonEmpty(ev.rule?.name) ?? nonEmpty(ev.event.action) ?? category(item);
}

/** `AdvancedHunting-DeviceProcessEvents` for streaming records, else the dataset. */
export function category(item: OutboundEvent): string {
  const c = item.event.m365_defender?.category;
  return (typeof c === 'string' && c !== '' ? c : undefined) ?? item.event.event.dataset ?? 'unknown';
}

const CATEGORY_PREFIX = 'AdvancedHunting-';

/** Syslog MSGID: the Advanced Hunting table for streaming records, `incident` / `alert` for Graph. */
export function messageId(item: OutboundEvent): string {
  if (item.origin !== 'streaming') return item.origin;
  const c = category(item);
  return c.startsWith(CATEGORY_PREFIX) ? c.slice(CATEGORY_PREFIX.length) : c;
}

export function ipVersion(ip: string | undefined): 4 | 6 | undefined {
  if (typeof ip !== 'string' || ip === '') return undefined;
  if (isIPv4(ip)) return 4;
  if (isIPv6(ip)) return 6;
  return undefined;
}

export function validPort(port: number | undefined): number | undefined {
  return typeof port === 'number' && Number.isInteger(port) && port >= 0 && port <= 65535 ? port : undefined;
}

export function nonEmpty(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** The first of several hashes that is set: SHA-256, else SHA-1, else MD5. */
export function bestHash(h: { sha256?: string; sha1?: string; md5?: string } | undefined): string | undefined {
  return h ? nonEmpty(h.sha256) ?? nonEmpty(h.sha1) ?? nonEmpty(h.md5) : undefined;
}

/** E-mail sender: the envelope sender, else the first From address. */
export function emailSender(item: OutboundEvent): string | undefined {
  const m = item.event.email;
  if (!m) return undefined;
  return nonEmpty(m.sender?.address) ?? (Array.isArray(m.from?.address) ? nonEmpty(m.from?.address[0]) : undefined);
}

/** E-mail recipients, comma-separated. */
export function emailRecipients(item: OutboundEvent): string | undefined {
  const to = item.event.email?.to?.address;
  return Array.isArray(to) && to.length > 0 ? to.join(',') : undefined;
}
