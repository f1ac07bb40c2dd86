import { createAppCredential, parseAppCredentialSettings } from '../auth/app-credential';
import { readBoolean, type SettingsSource } from '../config/env';
import { createDeadLetterStore } from '../deadletter/create';
import type { DeadLetterEntry } from '../deadletter/types';
import type { DeadLetterUnitStore } from '../deadletter/unit';
import { createSinks } from '../delivery/destinations';
import { DeliveryEngine } from '../delivery/engine';
import type { StreamingNormalizeOptions } from '../normalize/streaming';
import { Counters, type Logger } from '../observability/log';
import { processStreamingMessages } from '../pipeline/streaming';
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
  /** Replaces the dead-letter store chosen from the settings (tests). */
  deadLetters?: DeadLetterUnitStore;
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
  readonly deadLetters: DeadLetterUnitStore;
  readonly counters: Counters;
  /** Key Vault, when KEY_VAULT_URL is set. */
  readonly secrets?: SecretSource;
  /**
   * Delivers to every destination; what a destination could not take is dead-lettered. Resolves once
   * every item is delivered or durably stored; throws when the dead-letter store failed too.
   */
  deliver(items: readonly OutboundEvent[], logger?: Logger): Promise<DeliverySummary>;
  /** Stores parse failures (and anything else undeliverable) durably; throws if it could not. */
  deadLetter(entries: readonly DeadLetterEntry[]): Promise<void>;
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
  const vault = parseKeyVaultSettings(env);
  const secrets = vault.vaultUrl
    ? new KeyVaultSecretResolver({ vaultUrl: vault.vaultUrl, credential: createAppCredential(parseAppCredentialSettings(env)), logger })
    : undefined;
  const deadLetters = options.deadLetters ?? createDeadLetterStore(env, logger);
  const sinks = await createSinks({ env, logger, stdout: options.stdout ?? process.stdout, secrets, mode }, mode === 'function');
  const counters = new Counters();
  const engine = new DeliveryEngine({ sinks, deadLetters, logger, counters });

  return {
    env, mode, streaming, sinks, deadLetters, counters, secrets,
    async deliver(items) {
      const outcome = await engine.deliver(items);
      // An event counts as delivered once every destination took it.
      const perSink = Object.values(outcome.delivered);
      return { delivered: perSink.length ? Math.min(...perSink) : 0, deadLettered: outcome.deadLettered };
    },
    async deadLetter(entries) {
      if (entries.length) await engine.deadLetter(entries);
    },
    reprocess: (entry) => reprocessStreamingEntry(entry, streaming),
    close: () => engine.close(),
  };
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
