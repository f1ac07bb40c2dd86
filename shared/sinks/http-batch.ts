/**
 * Cuts a send() call's events into request-sized batches by count and by bytes, lazily: each worker
 * takes the next batch only when it is free, so encoding batch N+1 on the main thread overlaps with
 * compressing and sending batch N. An event larger than the byte limit travels alone, never dropped.
 */
import type { OutboundEvent } from './types';

/** One event as it will appear on the wire (the sink's framing included), and its size in bytes. */
export interface FramedItem {
  item: OutboundEvent;
  text: string;
  bytes: number;
}

/** An event whose framing threw: it is reported failed, never sent half-encoded. */
export interface FramingFailure {
  item: OutboundEvent;
  reason: string;
}

export interface BatchLimits {
  maxEvents: number;
  /** Bytes of the framed texts plus separators, before compression. */
  maxBytes: number;
  /** Bytes the body adds between two items (1 for NDJSON's newline and JSON arrays' comma). */
  separatorBytes: number;
}

export class BatchCutter {
  private next = 0;
  private carried: FramedItem | undefined;

  constructor(
    private readonly items: readonly OutboundEvent[],
    private readonly frame: (item: OutboundEvent) => string,
    private readonly limits: BatchLimits,
    private readonly onFramingFailure: (failure: FramingFailure) => void,
  ) {}

  /** The next batch, or undefined when every item has been handed out. */
  take(): FramedItem[] | undefined {
    const batch: FramedItem[] = [];
    let bytes = 0;
    for (;;) {
      const framed = this.carried ?? this.frameNext();
      this.carried = undefined;
      if (!framed) break;
      const added = framed.bytes + (batch.length > 0 ? this.limits.separatorBytes : 0);
      if (batch.length > 0 && bytes + added > this.limits.maxBytes) {
        this.carried = framed;
        break;
      }
      batch.push(framed);
      bytes += added;
      if (batch.length >= this.limits.maxEvents) break;
    }
    return batch.length > 0 ? batch : undefined;
  }

  private frameNext(): FramedItem | undefined {
    while (this.next < this.items.length) {
      const item = this.items[this.next++];
      let text: string;
      try {
        text = this.frame(item);
      } catch (err) {
        this.onFramingFailure({ item, reason: `could not encode the event: ${err instanceof Error ? err.message : String(err)}` });
        continue;
      }
      return { item, text, bytes: Buffer.byteLength(text, 'utf8') };
    }
    return undefined;
  }
}
