import { parentPort, workerData } from 'node:worker_threads';
import { createRuntime, type Runtime } from '../app/runtime';
import type { Logger, LogProperties } from '../observability/log';
import { runStreamingBatch } from './streaming-run';
import { PIECE_BYTES, type FromWorker, type ToWorker, type WorkerRuntimeData } from './worker-pool';

type ToWorkerRun = Extract<ToWorker, { type: 'run' }>;

/**
 * A streaming worker thread (see worker-pool.ts): builds its own runtime from the settings it was
 * given (its own sinks, connections and dead-letter store) and runs each piece it receives through
 * runStreamingBatch as it arrives: while one piece waits for its collector, the next is normalized
 * (the sinks bound what is in flight). Log lines go to the main thread's logger.
 */

const port = parentPort;
if (!port) throw new Error('streaming-worker.js runs only as a worker thread of the streaming worker pool');

const data = workerData as WorkerRuntimeData;
const post = (m: FromWorker) => port.postMessage(m);
const line = (level: 'info' | 'warn' | 'error') => (message: string, properties?: LogProperties) => post({ type: 'log', level, message, properties });
const logger: Logger = { info: line('info'), warn: line('warn'), error: line('error') };

let runtime: Promise<Runtime> | undefined;

/**
 * The worker's runtime (streamingWorkers 0: a worker never starts workers of its own). A failed
 * start (Key Vault unreachable for the collector token, say) is not kept: the piece fails, the batch
 * is retried, and the next piece tries again, as getRuntime does on the main thread.
 */
function workerRuntime(): Promise<Runtime> {
  if (!runtime) {
    const started = createRuntime({ env: data.env, mode: data.mode, logger, streamingWorkers: 0 });
    runtime = started;
    started.catch(() => { if (runtime === started) runtime = undefined; });
  }
  return runtime;
}

// Start at once, so the first piece does not wait for the sinks and secrets (a failure is reported by that piece).
workerRuntime().catch(() => undefined);

let reported: Record<string, number> = {};

/** Counter increments since the last report. */
function counterDelta(rt: Runtime): Record<string, number> {
  const now = rt.counters.snapshot();
  const delta: Record<string, number> = {};
  for (const [k, v] of Object.entries(now)) {
    const d = v - (reported[k] ?? 0);
    if (d !== 0) delta[k] = d;
  }
  reported = now;
  return delta;
}

/** The pieces received and not yet done (close waits for them). */
const inFlight = new Set<Promise<void>>();

async function runPiece(id: number, messages: ToWorkerRun['messages']): Promise<void> {
  try {
    const rt = await workerRuntime();
    // A piece is one group here (see PIECE_BYTES): the overlap of normalizing and delivering comes
    // from the pieces in flight. ~440 short records make about one full HTTP request; 64 KB groups
    // sent four smaller ones and made the peer load ~13% slower over HTTP.
    const result = await runStreamingBatch(rt, messages, PIECE_BYTES);
    post({ type: 'result', id, result, counters: counterDelta(rt) });
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    post({ type: 'error', id, name: e.name, message: e.message });
  }
}

port.on('message', (m: ToWorker) => {
  if (m.type === 'close') {
    // After the pieces already received; closing the port ends the thread, and the pool waits for its exit.
    void Promise.all(inFlight)
      .then(() => (runtime ?? Promise.resolve(undefined)).then((rt) => rt?.close(), () => undefined))
      .finally(() => port.close());
    return;
  }
  const piece = runPiece(m.id, m.messages);
  inFlight.add(piece);
  void piece.finally(() => inFlight.delete(piece));
});
