import { readBoolean, type SettingsSource } from '../config/env';
import type { DeadLetterEntry, DeadLetterStore } from '../deadletter/types';
import { createSinks } from '../delivery/destinations';
import { serializeEvent } from '../model/serialize';
import type { StreamingNormalizeOptions } from '../normalize/streaming';
import type { Logger } from '../observability/log';
import type { OutboundEvent, Sink } from '../sinks/types';

/**
 * The composition root: turns settings into the configured pipeline pieces (normalization options,
 * sinks, dead-letter store) once, so the functions and the CLI verbs stay thin and run the same code.
 * Configuration errors surface here, at startup, as ConfigError naming the setting.
 */

export type RuntimeMode = 'function' | 'cli';

export interface RuntimeOptions {
  env: SettingsSource;
  mode: RuntimeMode;
  logger: Logger;
  /** Where the `stdout` destination writes (the CLI passes its io.stdout). */
  stdout?: NodeJS.WritableStream;
}

export interface DeliverySummary {
  delivered: number;
  deadLettered: number;
}

export interface Runtime {
  readonly env: SettingsSource;
  readonly mode: RuntimeMode;
  readonly streaming: StreamingNormalizeOptions;
  readonly sinks: readonly Sink[];
  readonly deadLetters: DeadLetterStore;
  /**
   * Delivers to every destination; what a destination could not take is dead-lettered. Resolves once
   * every item is delivered or durably stored; throws when the dead-letter store failed too.
   */
  deliver(items: readonly OutboundEvent[], logger?: Logger): Promise<DeliverySummary>;
  /** Stores parse failures (and anything else undeliverable) durably; throws if it could not. */
  deadLetter(entries: readonly DeadLetterEntry[]): Promise<void>;
  close(): Promise<void>;
}

/** Until a durable store is configured: every dead letter is logged in full, never dropped silently. */
export class LoggingDeadLetterStore implements DeadLetterStore {
  readonly name = 'log';
  constructor(private readonly logger: Logger) {}
  async put(entries: readonly DeadLetterEntry[]): Promise<void> {
    for (const e of entries) {
      this.logger.error(`dead letter (${e.kind}): ${e.reason}`, { provenance: JSON.stringify(e.provenance), entry: JSON.stringify(e) });
    }
  }
}

function encodeJson(item: OutboundEvent): string {
  return serializeEvent(item.event);
}

export async function createRuntime(options: RuntimeOptions): Promise<Runtime> {
  const { env, mode, logger } = options;
  const streaming: StreamingNormalizeOptions = { includeOriginal: readBoolean(env, 'INCLUDE_ORIGINAL', false) };
  const sinks = createSinks({ env, logger, encode: encodeJson, stdout: options.stdout ?? process.stdout }, mode === 'function');
  const deadLetters: DeadLetterStore = new LoggingDeadLetterStore(logger);

  async function deadLetter(entries: readonly DeadLetterEntry[]): Promise<void> {
    if (entries.length) await deadLetters.put(entries);
  }

  return {
    env, mode, streaming, sinks, deadLetters, deadLetter,
    async deliver(items, log = logger) {
      let delivered = 0;
      const failures: DeadLetterEntry[] = [];
      const reports = await Promise.all(sinks.map((s) => s.send(items)));
      for (const r of reports) {
        delivered += r.delivered;
        for (const f of r.failed) {
          failures.push({
            kind: 'delivery-failed', reason: f.reason, destination: f.destination, attempts: f.attempts,
            provenance: f.item.event.forwarder.provenance, failedAt: new Date().toISOString(), origin: f.item.origin, payload: f.item,
          });
        }
      }
      if (failures.length) {
        log.warn(`${failures.length} event(s) could not be delivered; dead-lettering`, { deadLettered: failures.length });
        await deadLetter(failures);
      }
      return { delivered, deadLettered: failures.length };
    },
    async close() {
      await Promise.all(sinks.map((s) => s.close()));
    },
  };
}

let shared: Promise<Runtime> | undefined;

/**
 * The Function App's runtime, created once per worker process. A configuration error is thrown on
 * every call (not cached as success), so each invocation reports it until the setting is fixed.
 */
export function getRuntime(env: SettingsSource = process.env, logger?: Logger): Promise<Runtime> {
  if (!shared) {
    const consoleLogger: Logger = logger ?? {
      info: (m, p) => console.log(m, p ?? ''),
      warn: (m, p) => console.warn(m, p ?? ''),
      error: (m, p) => console.error(m, p ?? ''),
    };
    shared = createRuntime({ env, mode: 'function', logger: consoleLogger });
    shared.catch(() => { shared = undefined; });
  }
  return shared;
}
