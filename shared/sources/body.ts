import { isUtf8 } from 'node:buffer';
import type { Provenance } from '../model/event';

/**
 * Turns one Event Hubs message body, in whatever shape the trigger or a file hands it over, into the
 * records it carries. Shapes seen: a JSON string, a Buffer/Uint8Array of UTF-8 JSON, an already parsed
 * object (`{"records":[...]}` or a bare record), or an array of records.
 */

/** A record candidate and where it came from; validation happens in parse/record.ts. */
export interface RawRecord {
  value: unknown;
  provenance: Provenance;
}

/** A body (or part of one) that could not be read at all, kept in full for the dead-letter store. */
export interface BodyFailure {
  reason: string;
  provenance: Provenance;
  /** The body as text, or base64 when it was not valid UTF-8. */
  payload: unknown;
  payloadEncoding?: 'base64';
}

export interface BodyRecords {
  records: RawRecord[];
  failures: BodyFailure[];
  /** UTF-8 bytes of the body when it arrived as text or bytes (for throughput metrics). */
  bytes: number;
  /** The body text when it arrived as text or bytes: kept for records that cannot be stored on their own. */
  text?: string;
}

function describeJsonError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Decodes bytes strictly: invalid UTF-8 is a reported failure, never silently replaced. */
function decodeBytes(body: Uint8Array, provenance: Provenance): { text?: string; failure?: BodyFailure } {
  if (!isUtf8(body)) {
    return {
      failure: {
        reason: 'message body is not valid UTF-8',
        provenance,
        payload: Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('base64'),
        payloadEncoding: 'base64',
      },
    };
  }
  return { text: Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8') };
}

/** Unwraps a parsed body value into record candidates. */
function unwrap(value: unknown, provenance: Provenance, out: BodyRecords): void {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) out.records.push({ value: value[i], provenance: { ...provenance, recordIndex: i } });
    return;
  }
  if (value !== null && typeof value === 'object') {
    const records = (value as { records?: unknown }).records;
    if (Object.prototype.hasOwnProperty.call(value, 'records')) {
      if (!Array.isArray(records)) {
        out.failures.push({ reason: 'message body has "records" that is not an array', provenance, payload: value });
        return;
      }
      for (let i = 0; i < records.length; i++) out.records.push({ value: records[i], provenance: { ...provenance, recordIndex: i } });
      return;
    }
    out.records.push({ value, provenance: { ...provenance, recordIndex: 0 } });
    return;
  }
  out.failures.push({ reason: `message body is a JSON ${value === null ? 'null' : typeof value}, not an object or array`, provenance, payload: value });
}

/** Reads one message body. Never throws: unreadable input becomes a BodyFailure. */
export function readBody(body: unknown, provenance: Provenance): BodyRecords {
  const out: BodyRecords = { records: [], failures: [], bytes: 0 };
  let text: string | undefined;
  if (typeof body === 'string') {
    text = body;
    out.bytes = Buffer.byteLength(body, 'utf8');
  } else if (body instanceof Uint8Array) {
    out.bytes = body.byteLength;
    const decoded = decodeBytes(body, provenance);
    if (decoded.failure) {
      out.failures.push(decoded.failure);
      return out;
    }
    text = decoded.text;
  } else if (body === undefined) {
    out.failures.push({ reason: 'message has no body', provenance, payload: null });
    return out;
  } else {
    unwrap(body, provenance, out);
    return out;
  }
  out.text = text;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text as string);
  } catch (err) {
    out.failures.push({ reason: `message body is not JSON: ${describeJsonError(err)}`, provenance, payload: text });
    return out;
  }
  unwrap(parsed, provenance, out);
  return out;
}
