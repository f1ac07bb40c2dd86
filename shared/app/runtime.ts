import { availableParallelism } from 'node:os';
import { createAppCredential, parseAppCredentialSettings } from '../auth/app-credential';
import { ConfigError, readBoolean, readString, type SettingsSource } from '../config/env';
import { createDeadLetterStore } from '../deadletter/create';
import type { DeadLetterEntry } from '../deadletter/types';
import type { DeadLetterUnitStore } from '../deadletter/unit';
import { createSinks } from '../delivery/destinations';
import { DeliveryEngine, type DeliverOptions } from '../delivery/engine';
import type { StreamingNormalizeOptions } from '../normalize/streaming';
import { Counters, type Logger } from '../observability/log';
import { processStreamingMessages, type StreamingMessage } from '../pipeline/streaming';
import { runStreamingBatch, type StreamingRunResult } from '../pipeline/streaming-run';
import { StreamingWorkerPool } from '../pipeline/worker-pool';
import { KeyVaultSecretResolver, parseKeyVaultSettings, type SecretSource } from '../secrets/keyvault';
import type { OutboundEvent, Sink } from '../sinks/types';

/**
 * The composition root: turns settings into the configured pipeline pieces (normalization options,
 * sinks, delivery engine, dead-letter store, Key Vault) once, so the functions and the CLI verbs stay
 * thin and run the same code. Configuration errors surface here, at startup, as ConfigError naming the
 * setting.
 */

export type RuntimeMode = 'function' | 'cli';

export interface RuntimeOptions {
  env: SettingsSource;
  mode: RuntimeMode;
  logger: Logger;
  /** Where the `stdout` destination writes (the CLI passes its io.stdout). */
  stdout?: NodeJS.WritableStream;
  /** Replaces the dead-letter store chosen from the settings (tests); streaming then runs in-process. */
  deadLetters?: DeadLetterUnitStore;
  /** Overrides STREAMING_WORKERS (a worker's own runtime passes 0). */
  streamingWorkers?: number;
}

export interface DeliverySummary {
  delivered: number;
  deadLettered: number;
  /** Per destination: `delivered|<destination>`, and where any, `failed|<destination>` and `retried|<destination>`. */
  counts: Record<string, number>;
}

export interface Runtime {
  readonly env: SettingsSource;
  readonly mode: RuntimeMode;
  readonly streaming: StreamingNormalizeOptions;
  readonly sinks: readonly Sink[];
  readonly deadLetters: DeadLetterUnitStore;
  readonly counters: Counters;
  /** Key Vault, when KEY_VAULT_URL is set. */
  readonly secrets?: SecretSource;
  /**
   * Delivers to every destination; what a destination could not take is dead-lettered. Resolves once
   * every item is delivered or durably stored; throws when the dead-letter store failed too.
   */
  deliver(items: readonly OutboundEvent[], options?: DeliverOptions): Promise<DeliverySummary>;
  /** Stores parse failures (and anything else undeliverable) durably; throws if it could not. */
  deadLetter(entries: readonly DeadLetterEntry[]): Promise<void>;
  /**
   * One streaming batch end to end (runStreamingBatch), in worker threads when streamingWorkers > 0.
   * Resolves once every record was delivered or durably stored; throws otherwise.
   */
  processStreaming(messages: readonly StreamingMessage[]): Promise<StreamingRunResult>;
  /** Worker threads the streaming path uses (0: the calling thread). */
  readonly streamingWorkers: number;
  /** Redrive of a stored parse failure: the events it yields now, or undefined to keep it stored. */
  reprocess(entry: DeadLetterEntry): OutboundEvent[] | undefined;
  close(): Promise<void>;
}

/**
 * Runs a stored streaming parse failure through the pipeline again (a fixed parser, or a record that
 * was only unreadable because of a bug, then goes through). Anything still failing stays stored.
 */
export function reprocessStreamingEntry(entry: DeadLetterEntry, options: StreamingNormalizeOptions): OutboundEvent[] | undefined {
  if (entry.kind !== 'parse-error' || (entry.origin !== undefined && entry.origin !== 'streaming')) return undefined;
  const payload = entry.payload as unknown;
  if (payload && typeof payload === 'object' && (payload as { unserializableRecord?: unknown }).unserializableRecord) return undefined;
  const body = entry.payloadEncoding === 'base64' && typeof payload === 'string' ? Buffer.from(payload, 'base64') : payload;
  const batch = processStreamingMessages([{ body, provenance: entry.provenance }], options);
  return batch.failures.length === 0 && batch.events.length > 0 ? batch.events : undefined;
}

export async function createRuntime(options: RuntimeOptions): Promise<Runtime> {
  const { env, mode, logger } = options;
  const streaming: StreamingNormalizeOptions = { includeOriginal: readBoolean(env, 'INCLUDE_ORIGINAL', false) };
  const requestedWorkers = options.streamingWorkers ?? parseStreamingWorkers(env);
  const vault = parseKeyVaultSettings(env);
  const secrets = vault.vaultUrl
    ? new KeyVaultSecretResolver({ vaultUrl: vault.vaultUrl, credential: createAppCredential(parseAppCredentialSettings(env)), logger })
    : undefined;
  const deadLetters = options.deadLetters ?? createDeadLetterStore(env, logger);
  const counters = new Counters();
  const sinks = await createSinks({ env, logger, stdout: options.stdout ?? process.stdout, secrets, mode, counters }, mode === 'function');
  const engine = new DeliveryEngine({ sinks, deadLetters, logger, counters });
  const workers = streamingWorkerCount(requestedWorkers, options, sinks, logger);
  const pool = workers > 0
    ? new StreamingWorkerPool({ size: workers, runtime: { env: plainSettings(env), mode }, logger, onCounters: (d) => counters.merge(d) })
    : undefined;

  const runtime: Runtime = {
    env, mode, streaming, sinks, deadLetters, counters, secrets, streamingWorkers: workers,
    async deliver(items, deliverOptions) {
      const outcome = await engine.deliver(items, deliverOptions);
      // An event counts as delivered once every destination took it.
      const perSink = Object.values(outcome.delivered);
      const counts: Record<string, number> = {};
      for (const [destination, n] of Object.entries(outcome.delivered)) counts[`delivered|${destination}`] = n;
      for (const f of outcome.failures) counts[`failed|${f.destination}`] = f.count;
      for (const [destination, n] of Object.entries(outcome.retried ?? {})) counts[`retried|${destination}`] = n;
      return { delivered: perSink.length ? Math.min(...perSink) : 0, deadLettered: outcome.deadLettered, counts };
    },
    async deadLetter(entries) {
      if (entries.length) await engine.deadLetter(entries);
    },
    // `this`, not `runtime`: a caller may wrap the runtime ({ ...runtime, deadLetter }) and must get its own methods used.
    processStreaming(messages) {
      return pool ? pool.run(messages) : runStreamingBatch(this, messages);
    },
    reprocess: (entry) => reprocessStreamingEntry(entry, streaming),
    async close() {
      await pool?.close();
      await engine.close();
    },
  };
  return runtime;
}

/** STREAMING_WORKERS: `auto` (the default), or a count 0-64. Read before anything is opened. */
function parseStreamingWorkers(env: SettingsSource): number | 'auto' {
  const raw = readString(env, 'STREAMING_WORKERS');
  if (raw === undefined || raw.toLowerCase() === 'auto') return 'auto';
  if (!/^\d{1,2}$/.test(raw) || Number(raw) > 64) throw new ConfigError('STREAMING_WORKERS', `must be auto or a whole number 0-64, got "${raw}"`);
  return Number(raw);
}

/**
 * The worker threads the streaming path uses: `auto` is one per core when there are two or more, 0
 * the calling thread. Workers run whole pipelines with sinks of their own, so streaming stays
 * in-process where a sink cannot be duplicated into a thread: the `stdout` destination (one ordered
 * output stream) and a dead-letter store handed in by the caller.
 */
function streamingWorkerCount(requested: number | 'auto', options: RuntimeOptions, sinks: readonly Sink[], logger: Logger): number {
  if (requested === 0) return 0;
  const blocker = sinks.some((s) => s.name === 'stdout') ? 'the stdout destination' : options.deadLetters ? 'a dead-letter store given by the caller' : undefined;
  if (blocker) {
    if (requested !== 'auto') logger.warn(`STREAMING_WORKERS=${requested} ignored: ${blocker} needs the calling thread; streaming runs in-process`);
    return 0;
  }
  if (requested !== 'auto') return requested;
  const cores = availableParallelism();
  return cores >= 2 ? cores : 0;
}

/** The settings as plain strings, to hand to worker threads (process.env is not cloneable as is). */
function plainSettings(env: SettingsSource): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (typeof v === 'string') out[k] = v;
  return out;
}

let shared: Promise<Runtime> | undefined;

/**
 * The Function App's runtime, created once per worker process. A configuration error is not cached:
 * every invocation reports it (and the trigger's retry keeps the data) until the setting is fixed.
 */
export function getRuntime(env: SettingsSource = process.env, logger?: Logger): Promise<Runtime> {
  if (!shared) {
    const consoleLogger: Logger = logger ?? {
      info: (m, p) => console.log(m, p ? JSON.stringify(p) : ''),
      warn: (m, p) => console.warn(m, p ? JSON.stringify(p) : ''),
      error: (m, p) => console.error(m, p ? JSON.stringify(p) : ''),
    };
    shared = createRuntime({ env, mode: 'function', logger: consoleLogger });
    shared.catch(() => { shared = undefined; });
  }
  return shared;
}
