/**
 * Building dead-letter entries, so every caller records failures the same way: delivery failures keep
 * the whole OutboundEvent (a redrive sends exactly what failed), parse failures keep the undecodable body
 * byte for byte (UTF-8 text when it is valid UTF-8, base64 otherwise).
 */
import type { Provenance } from '../model/event';
import type { DeliveryFailure, OutboundEvent } from '../sinks/types';
import type { DeadLetterEntry } from './types';

export function deliveryFailureEntry(failure: DeliveryFailure, failedAt: string): DeadLetterEntry {
  return {
    kind: 'delivery-failed',
    reason: failure.reason,
    provenance: failure.item.event.forwarder.provenance,
    failedAt,
    destination: failure.destination,
    attempts: failure.attempts,
    origin: failure.item.origin,
    payload: failure.item,
  };
}

export interface ParseFailure {
  reason: string;
  provenance: Provenance;
  /** The body as received: text, bytes, or an already-parsed value the parser rejected. */
  body: unknown;
  origin?: OutboundEvent['origin'];
  failedAt?: string;
}

// ignoreBOM keeps a leading BOM in the text instead of silently dropping those bytes.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function parseFailureEntry(failure: ParseFailure): DeadLetterEntry {
  const base = {
    kind: 'parse-error' as const,
    reason: failure.reason,
    provenance: failure.provenance,
    failedAt: failure.failedAt ?? new Date().toISOString(),
    ...(failure.origin ? { origin: failure.origin } : {}),
  };
  const body = failure.body;
  if (body instanceof Uint8Array) {
    try {
      return { ...base, payload: strictUtf8.decode(body) };
    } catch {
      return { ...base, payload: Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('base64'), payloadEncoding: 'base64' };
    }
  }
  return { ...base, payload: body === undefined ? null : body };
}

/** The bytes or text of a parse-error entry's payload, undoing the base64 form. */
export function parseFailureBody(entry: DeadLetterEntry): unknown {
  if (entry.payloadEncoding === 'base64' && typeof entry.payload === 'string') return Buffer.from(entry.payload, 'base64');
  return entry.payload;
}

/** True when a stored payload has the OutboundEvent shape a redrive can send. */
export function isOutboundEvent(value: unknown): value is OutboundEvent {
  const v = value as Partial<OutboundEvent> | null;
  return !!v && typeof v === 'object' && !!v.event && typeof v.event === 'object'
    && (v.origin === 'streaming' || v.origin === 'incident' || v.origin === 'alert') && 'original' in v;
}
