import type { Provenance } from '../model/event';

/**
 * What failed and why, kept in full so that it can be inspected and redriven. `payload` is the data
 * itself: the original record/object for delivery failures, the undecodable body (as text or base64)
 * for parse failures.
 */
export interface DeadLetterEntry {
  kind: 'parse-error' | 'delivery-failed';
  reason: string;
  provenance: Provenance;
  /** When the failure happened (ISO 8601). */
  failedAt: string;
  destination?: string;
  attempts?: number;
  /** `streaming`, `incident` or `alert`, so a redrive re-normalizes through the right path. */
  origin?: 'streaming' | 'incident' | 'alert';
  payload: unknown;
  /** Set when payload is a base64 string of bytes that were not valid UTF-8. */
  payloadEncoding?: 'base64';
}

/** Durable store for entries nobody could deliver. `put` must throw if it could not store durably. */
export interface DeadLetterStore {
  readonly name: string;
  put(entries: readonly DeadLetterEntry[]): Promise<void>;
}
