import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Logger, LogProperties } from '../observability/log';
import { messagesInChunks, type StreamingMessage } from './streaming';
import { addRunResult, emptyRunResult, type StreamingRunResult } from './streaming-run';

/**
 * Worker threads for the streaming path, so a batch uses every core: the main thread cuts the
 * messages of a batch into pieces and hands each to the next worker with room for it; each worker
 * runs the whole pipeline on its pieces (parse, normalize, format, deliver, dead-letter) with a
 * runtime of its own, built from the same settings, and answers with counts. The batch resolves only
 * when every piece did; if any piece failed (the dead-letter store was unreachable, a worker died),
 * the batch rejects once the pieces in flight have settled, and the trigger retries all of it:
 * duplicates, never a loss (event.id is stable).
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
  /** Receives each piece's counter increments (the runtime's Counters). */
  onCounters?: (delta: Record<string, number>) => void;
  /** The worker script (tests); default: streaming-worker.js beside this module. */
  script?: string;
}

/** A piece of a batch that could not be processed in a worker; the message is the worker's own error text. */
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
    // Referenced only while pieces are in flight: an idle pool must not keep the CLI alive, and a
    // busy one must (a pending promise alone does not hold the event loop open).
    this.worker.unref();
    this.worker.on('message', (m: FromWorker) => this.receive(m));
    this.worker.on('error', (err) => this.fail(`streaming worker failed: ${err.message}`));
    this.worker.on('exit', (code) => this.fail(`streaming worker exited (code ${code}) with ${this.pending.size} piece(s) in flight`));
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

/**
 * Bodies handed to a worker in one message, and the group a worker normalizes and delivers at once.
 * Small enough that the workers of a pool finish a batch at about the same time (a worker with room
 * takes the next piece, so none waits for a slow one) and that a worker never holds much of a large
 * trigger batch; large enough that round trips are a small part of the time (a piece is ~25 ms of
 * work) and that a piece of short records fills about one HTTP request.
 */
export const PIECE_BYTES = 256 * 1024;

/**
 * Pieces each worker has at a time: it normalizes the next while the previous one waits for its
 * collector, and never waits for a round trip through the main thread.
 */
const PIECES_AHEAD = 2;

export class StreamingWorkerPool {
  private readonly workers: PoolWorker[] = [];
  private readonly script: string;
  private nextId = 1;
  private closed = false;

  constructor(private readonly opts: StreamingWorkerPoolOptions) {
    if (!Number.isInteger(opts.size) || opts.size < 1) throw new RangeError(`worker pool size must be a positive integer, got ${opts.size}`);
    this.script = opts.script ?? path.join(__dirname, 'streaming-worker.js');
  }

  /**
   * Runs one batch across the workers; see the module comment for what a rejection means. The batch
   * is cut into pieces of about PIECE_BYTES, in order, and each worker takes the next piece whenever
   * it has room for one. After a failure no further piece is handed out (the batch is retried whole).
   */
  async run(messages: readonly StreamingMessage[]): Promise<StreamingRunResult> {
    if (this.closed) throw new StreamingWorkerError('the streaming worker pool is closed');
    const total = emptyRunResult();
    if (messages.length === 0) return total;
    this.fill();
    const pieces = messagesInChunks(messages, PIECE_BYTES);
    let failure: { error: unknown } | undefined;
    const feed = async (worker: PoolWorker): Promise<void> => {
      while (!failure) {
        const next = pieces.next();
        if (next.done) return;
        try {
          addRunResult(total, await worker.run(this.nextId++, next.value));
        } catch (error) {
          failure ??= { error };
        }
      }
    };
    await Promise.all(this.workers.flatMap((worker) => Array.from({ length: PIECES_AHEAD }, () => feed(worker))));
    if (failure) throw failure.error instanceof Error ? failure.error : new StreamingWorkerError(String(failure.error));
    return total;
  }

  /** Lets every worker finish its pieces, close its sinks and exit. */
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
