import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Logger, LogProperties } from '../observability/log';
import { bodySize, messagesInChunks, type StreamingMessage } from './streaming';
import { addRunResult, emptyRunResult, type StreamingRunResult } from './streaming-run';

/**
 * Worker threads for the streaming path, so a batch uses every core: the main thread splits the
 * messages of a batch into one contiguous slice per worker; each worker runs the whole pipeline on
 * its slice (parse, normalize, format, deliver, dead-letter) with a runtime of its own, built from the
 * same settings, and answers with counts. The batch resolves only when every slice did; if any slice
 * failed (the dead-letter store was unreachable, a worker died), the batch rejects after the others
 * have settled, and the trigger retries all of it: duplicates, never a loss (event.id is stable).
 *
 * Normalized events never cross threads: only message bodies go in (copied) and counts come out,
 * which is what makes this cheaper than doing the work on one thread.
 */

export interface WorkerRuntimeData {
  /** The settings, as plain strings (the worker builds its runtime from them). */
  env: Record<string, string>;
  mode: 'function' | 'cli';
}

export type ToWorker =
  | { type: 'run'; id: number; messages: readonly StreamingMessage[] }
  | { type: 'close' };

export type FromWorker =
  | { type: 'result'; id: number; result: StreamingRunResult; counters: Record<string, number> }
  | { type: 'error'; id: number; name: string; message: string }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string; properties?: LogProperties };

export interface StreamingWorkerPoolOptions {
  size: number;
  runtime: WorkerRuntimeData;
  /** Receives the workers' log lines. */
  logger: Logger;
  /** Receives each slice's counter increments (the runtime's Counters). */
  onCounters?: (delta: Record<string, number>) => void;
  /** The worker script (tests); default: streaming-worker.js beside this module. */
  script?: string;
}

/** A slice that could not be processed in a worker; the message is the worker's own error text. */
export class StreamingWorkerError extends Error {
  constructor(message: string, readonly causeName?: string) {
    super(message);
    this.name = 'StreamingWorkerError';
  }
}

interface Pending {
  resolve: (r: StreamingRunResult) => void;
  reject: (e: Error) => void;
}

class PoolWorker {
  readonly worker: Worker;
  readonly pending = new Map<number, Pending>();
  private exited = false;
  private closing?: Promise<void>;

  constructor(script: string, data: WorkerRuntimeData, private readonly opts: StreamingWorkerPoolOptions, private readonly onExit: (w: PoolWorker) => void) {
    this.worker = new Worker(script, { workerData: data });
    // Referenced only while slices are in flight: an idle pool must not keep the CLI alive, and a
    // busy one must (a pending promise alone does not hold the event loop open).
    this.worker.unref();
    this.worker.on('message', (m: FromWorker) => this.receive(m));
    this.worker.on('error', (err) => this.fail(`streaming worker failed: ${err.message}`));
    this.worker.on('exit', (code) => this.fail(`streaming worker exited (code ${code}) with ${this.pending.size} slice(s) in flight`));
  }

  run(id: number, messages: readonly StreamingMessage[]): Promise<StreamingRunResult> {
    return new Promise((resolve, reject) => {
      if (this.exited) return reject(new StreamingWorkerError('streaming worker is not running'));
      this.pending.set(id, { resolve, reject });
      if (this.pending.size === 1) this.worker.ref();
      this.worker.postMessage({ type: 'run', id, messages } satisfies ToWorker);
    });
  }

  close(): Promise<void> {
    if (this.exited) return Promise.resolve();
    this.closing ??= new Promise<void>((resolve) => {
      this.worker.ref();
      const force = setTimeout(() => void this.worker.terminate(), 30_000);
      this.worker.once('exit', () => { clearTimeout(force); resolve(); });
      this.worker.postMessage({ type: 'close' } satisfies ToWorker);
    });
    return this.closing;
  }

  private settle(id: number): Pending | undefined {
    const p = this.pending.get(id);
    this.pending.delete(id);
    if (this.pending.size === 0 && !this.closing) this.worker.unref();
    return p;
  }

  private receive(m: FromWorker): void {
    switch (m.type) {
      case 'result':
        this.opts.onCounters?.(m.counters);
        this.settle(m.id)?.resolve(m.result);
        return;
      case 'error':
        this.settle(m.id)?.reject(new StreamingWorkerError(m.message, m.name));
        return;
      case 'log':
        this.opts.logger[m.level](m.message, m.properties);
        return;
    }
  }

  private fail(reason: string): void {
    if (this.exited) return;
    this.exited = true;
    for (const [id] of [...this.pending]) this.settle(id)?.reject(new StreamingWorkerError(reason));
    this.onExit(this);
  }
}

/** Bodies handed to a worker in one message; see runSlice. */
export const PIECE_BYTES = 1024 * 1024;

/** Splits messages into at most `parts` contiguous slices of about equal body size. */
export function splitMessages(messages: readonly StreamingMessage[], parts: number): StreamingMessage[][] {
  if (parts <= 1 || messages.length <= 1) return [messages.slice()];
  const total = messages.reduce((n, m) => n + bodySize(m), 0);
  const target = total / Math.min(parts, messages.length);
  const slices: StreamingMessage[][] = [];
  let current: StreamingMessage[] = [];
  let bytes = 0;
  for (const m of messages) {
    const s = bodySize(m);
    // Cut before a message when more than half of it would fall past the current slice's share.
    if (current.length && slices.length < parts - 1 && bytes + s / 2 > target * (slices.length + 1)) {
      slices.push(current);
      current = [];
    }
    current.push(m);
    bytes += s;
  }
  if (current.length) slices.push(current);
  return slices;
}

export class StreamingWorkerPool {
  private readonly workers: PoolWorker[] = [];
  private readonly script: string;
  private nextId = 1;
  private closed = false;

  constructor(private readonly opts: StreamingWorkerPoolOptions) {
    if (!Number.isInteger(opts.size) || opts.size < 1) throw new RangeError(`worker pool size must be a positive integer, got ${opts.size}`);
    this.script = opts.script ?? path.join(__dirname, 'streaming-worker.js');
  }

  /** Runs one batch across the workers; see the module comment for what a rejection means. */
  async run(messages: readonly StreamingMessage[]): Promise<StreamingRunResult> {
    if (this.closed) throw new StreamingWorkerError('the streaming worker pool is closed');
    if (messages.length === 0) return emptyRunResult();
    const slices = splitMessages(messages, this.opts.size);
    this.fill();
    const settled = await Promise.allSettled(slices.map((slice, i) => this.runSlice(this.workers[i], slice)));
    const failure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failure) throw failure.reason instanceof Error ? failure.reason : new StreamingWorkerError(String(failure.reason));
    return settled.reduce((total, s) => addRunResult(total, (s as PromiseFulfilledResult<StreamingRunResult>).value), emptyRunResult());
  }

  /**
   * A worker's slice, handed over in pieces of about PIECE_BYTES, one after the other: a worker then
   * holds one piece's bodies and events at a time, not the whole slice of a large trigger batch.
   */
  private async runSlice(worker: PoolWorker, slice: readonly StreamingMessage[]): Promise<StreamingRunResult> {
    const total = emptyRunResult();
    for (const piece of messagesInChunks(slice, PIECE_BYTES)) addRunResult(total, await worker.run(this.nextId++, piece));
    return total;
  }

  /** Lets every worker finish its slices, close its sinks and exit. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.close()));
  }

  /** Starts workers up to the pool size, replacing any that died. */
  private fill(): void {
    while (this.workers.length < this.opts.size) {
      this.workers.push(new PoolWorker(this.script, this.opts.runtime, this.opts, (dead) => {
        const i = this.workers.indexOf(dead);
        if (i >= 0) this.workers.splice(i, 1);
        if (!this.closed) this.opts.logger.warn('a streaming worker stopped; a new one starts with the next batch');
      }));
    }
  }
}
