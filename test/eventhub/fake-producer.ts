/**
 * A stand-in for EventHubProducerClient (no Event Hubs emulator runs here) that enforces what the SDK
 * enforces: a batch holds events only up to maxSizeInBytes (the link's max message size: 1 MB on
 * Standard/Premium, 256 KB on Basic), tryAdd returns false - it never throws - when an event does not
 * fit, also for one event larger than an empty batch allows; a batch is sent once; nothing works
 * after close().
 */
import type { EventData } from '@azure/event-hubs';
import type { EventBatch, EventProducer } from '../../shared/eventhub/send-samples';

/** AMQP framing the SDK adds per message and per batch (approximate: the exact figure varies by a few bytes). */
export const MESSAGE_OVERHEAD = 40;
export const BATCH_OVERHEAD = 24;

function encodedSize(event: EventData): number {
  const body = event.body;
  const bytes = Buffer.isBuffer(body) ? body.length : Buffer.byteLength(JSON.stringify(body), 'utf8');
  return bytes + MESSAGE_OVERHEAD + Buffer.byteLength(event.contentType ?? '', 'utf8');
}

export class FakeBatch implements EventBatch {
  readonly events: EventData[] = [];
  private size = BATCH_OVERHEAD;
  sent = false;
  constructor(readonly maxSizeInBytes: number) {}
  get count(): number {
    return this.events.length;
  }
  get sizeInBytes(): number {
    return this.size;
  }
  tryAdd(event: EventData): boolean {
    if (this.sent) throw new Error('batch already sent');
    const add = encodedSize(event);
    if (this.size + add > this.maxSizeInBytes) return false;
    this.events.push(event);
    this.size += add;
    return true;
  }
}

export class FakeProducer implements EventProducer<FakeBatch> {
  readonly sent: FakeBatch[] = [];
  closed = false;
  batchesCreated = 0;
  /** Make the n-th sendBatch (1-based) fail, like a lost connection or a 401. */
  failOnSend?: number;

  constructor(readonly maxSizeInBytes = 1024 * 1024) {}

  async createBatch(): Promise<FakeBatch> {
    if (this.closed) throw new Error('producer closed');
    this.batchesCreated++;
    return new FakeBatch(this.maxSizeInBytes);
  }

  async sendBatch(batch: FakeBatch): Promise<void> {
    if (this.closed) throw new Error('producer closed');
    if (batch.sent) throw new Error('batch sent twice');
    if (batch.count === 0) throw new Error('empty batch sent');
    if (this.failOnSend !== undefined && this.sent.length + 1 === this.failOnSend) {
      throw Object.assign(new Error('connection lost'), { code: 'ECONNRESET' });
    }
    batch.sent = true;
    this.sent.push(batch);
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** Every body the hub received, in order, as text. */
  bodies(): string[] {
    return this.sent.flatMap((b) => b.events.map((e) => (e.body as Buffer).toString('utf8')));
  }
}
