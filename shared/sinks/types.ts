import type { NormalizedEvent } from '../model/event';

/**
 * One event on its way out: the normalized form every format except `raw` encodes, and the original
 * Defender record or Graph object that `raw` (and FortiSIEM/QRadar parsers) want unaltered.
 */
export interface OutboundEvent {
  event: NormalizedEvent;
  /** The original record/object exactly as parsed from the source. */
  original: unknown;
  /** `streaming`, `incident` or `alert`: drives HEC sourcetypes and FortiSIEM log headers. */
  origin: 'streaming' | 'incident' | 'alert';
}

/** Why one event could not be delivered, after the engine gave up on it. */
export interface DeliveryFailure {
  item: OutboundEvent;
  reason: string;
  attempts: number;
  destination: string;
}

export interface DeliveryReport {
  delivered: number;
  failed: DeliveryFailure[];
  /** Attempts this send() made again after a failure (requests, reconnects), for the per-call counts. */
  retried?: number;
}

/**
 * A destination. Sinks own sockets, batching and retries; `send` resolves (never rejects for delivery
 * problems) with what went through and what did not, so the caller can dead-letter the rest.
 */
export interface Sink {
  /** Redacted destination description for logs, e.g. `syslog+tcp://siem:514` (never credentials). */
  readonly name: string;
  send(batch: readonly OutboundEvent[]): Promise<DeliveryReport>;
  close(): Promise<void>;
}
