import type { DeliveryReport, OutboundEvent, Sink } from './types';

/**
 * Writes one encoded event per line to a stream (the CLI's stdout). Waits for 'drain' so a slow pipe
 * (`replay ... | gzip > file`) applies backpressure instead of buffering the whole replay in memory.
 */
export class StreamSink implements Sink {
  readonly name: string;
  constructor(private readonly stream: NodeJS.WritableStream, private readonly encode: (item: OutboundEvent) => string, name = 'stdout') {
    this.name = name;
  }

  async send(batch: readonly OutboundEvent[]): Promise<DeliveryReport> {
    if (batch.length === 0) return { delivered: 0, failed: [] };
    let text = '';
    for (const item of batch) text += this.encode(item) + '\n';
    try {
      const flushed = this.stream.write(text);
      if (!flushed) await new Promise<void>((resolve, reject) => {
        const onDrain = () => { cleanup(); resolve(); };
        const onError = (err: Error) => { cleanup(); reject(err); };
        const cleanup = () => { this.stream.off('drain', onDrain); this.stream.off('error', onError); };
        this.stream.on('drain', onDrain);
        this.stream.on('error', onError);
      });
      return { delivered: batch.length, failed: [] };
    } catch (err) {
      const reason = `write to ${this.name} failed: ${(err as Error).message}`;
      return { delivered: 0, failed: batch.map((item) => ({ item, reason, attempts: 1, destination: this.name })) };
    }
  }

  async close(): Promise<void> {}
}
