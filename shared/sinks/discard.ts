import { Writable } from 'node:stream';
import { StreamSink } from './stdout';
import type { OutboundEvent } from './types';

/**
 * DESTINATION=discard (CLI only): every event is encoded exactly as for stdout, then dropped, like
 * Vector's blackhole sink. For measuring the pipeline without a receiver (`npm run bench`,
 * `defender-forwarder replay` dry runs); the bytes it would have written are counted.
 */
export class DiscardSink extends StreamSink {
  private readonly counter: { bytes: number };

  constructor(encode: (item: OutboundEvent) => string) {
    const counter = { bytes: 0 };
    super(new Writable({ decodeStrings: false, write(chunk: string | Buffer, _enc, done) { counter.bytes += chunk.length; done(); } }), encode, 'discard');
    this.counter = counter;
  }

  /** Characters (JSON text) the sink would have written. */
  get bytesDiscarded(): number {
    return this.counter.bytes;
  }
}
