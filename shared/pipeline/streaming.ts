import type { DeadLetterEntry } from '../deadletter/types';
import type { Provenance } from '../model/event';
import { normalizeStreamingRecord, validateRecord, type StreamingNormalizeOptions } from '../normalize/streaming';
import type { OutboundEvent } from '../sinks/types';
import { readBody } from '../sources/body';

/**
 * The streaming pipeline up to delivery: message bodies -> records -> normalized events. Shared by the
 * Event Hub function and `defender-forwarder replay`, so both run exactly the same code. Never throws:
 * whatever cannot be read or normalized comes back as a dead-letter entry with its provenance.
 */

export interface StreamingMessage {
  body: unknown;
  provenance: Provenance;
}

/** A message's size for grouping and splitting batches: text or byte length; a parsed body counts as 1 KB. */
export function bodySize(m: StreamingMessage): number {
  return typeof m.body === 'string' ? m.body.length : m.body instanceof Uint8Array ? m.body.byteLength : 1024;
}

/** Consecutive runs of messages of at most `maxBytes` of bodies each (a larger message goes alone). */
export function* messagesInChunks(messages: readonly StreamingMessage[], maxBytes: number): Generator<StreamingMessage[]> {
  let chunk: StreamingMessage[] = [];
  let bytes = 0;
  for (const m of messages) {
    const size = bodySize(m);
    if (chunk.length && bytes + size > maxBytes) {
      yield chunk;
      chunk = [];
      bytes = 0;
    }
    chunk.push(m);
    bytes += size;
  }
  if (chunk.length) yield chunk;
}

export interface StreamingBatch {
  events: OutboundEvent[];
  failures: DeadLetterEntry[];
  messages: number;
  records: number;
  bytes: number;
}

function errorText(err: unknown): string {
  if (err instanceof RangeError) return `record could not be normalized: ${err.message} (nesting too deep?)`;
  return `record could not be normalized: ${err instanceof Error ? err.message : String(err)}`;
}

export function processStreamingMessages(messages: readonly StreamingMessage[], options: StreamingNormalizeOptions): StreamingBatch {
  const out: StreamingBatch = { events: [], failures: [], messages: messages.length, records: 0, bytes: 0 };
  const failedAt = new Date().toISOString();
  for (const message of messages) {
    const body = readBody(message.body, message.provenance);
    out.bytes += body.bytes;
    for (const f of body.failures) {
      out.failures.push({ kind: 'parse-error', reason: f.reason, provenance: f.provenance, failedAt, origin: 'streaming', payload: f.payload, payloadEncoding: f.payloadEncoding });
    }
    for (const raw of body.records) {
      out.records++;
      const record = validateRecord(raw.value);
      if (typeof record === 'string') {
        out.failures.push({ kind: 'parse-error', reason: record, provenance: raw.provenance, failedAt, origin: 'streaming', payload: raw.value });
        continue;
      }
      try {
        out.events.push({ event: normalizeStreamingRecord(record, raw.provenance, options), original: record.envelope, origin: 'streaming' });
      } catch (err) {
        out.failures.push({ kind: 'parse-error', reason: errorText(err), provenance: raw.provenance, failedAt, origin: 'streaming', payload: safePayload(raw.value, body.text) });
      }
    }
  }
  return out;
}

/**
 * A payload that can be stored: the record itself when it serializes, else the whole message body text
 * (the provenance's recordIndex says which record of it failed), so nothing is lost either way.
 */
function safePayload(value: unknown, bodyText: string | undefined): unknown {
  try {
    JSON.stringify(value);
    return value;
  } catch {
    return { unserializableRecord: true, messageBody: bodyText ?? null };
  }
}
