/**
 * The delivery engine: fans every event out to every configured sink at once and dead-letters what a
 * sink gave up on, per destination. Sinks own batching and retries within the retry budget; the engine
 * owns the no-loss rule: an item is either reported delivered by its sink or written to the dead-letter
 * store before deliver() resolves. If that write fails, deliver() throws, so the trigger does not
 * acknowledge the batch (the Event Hub trigger's `maxRetryCount: -1` keeps retrying it).
 */
import type { DeadLetterEntry, DeadLetterStore } from '../deadletter/types';
import { deliveryFailureEntry } from '../deadletter/entries';
import { DeadLetterWriteError, errorText } from '../deadletter/unit';
import type { Counters, Logger, LogProperties } from '../observability/log';
import type { DeliveryFailure, OutboundEvent, Sink } from '../sinks/types';

export interface DeliveryEngineOptions {
  sinks: Sink[];
  deadLetters: DeadLetterStore;
  logger: Logger;
  /** Counters `in`, `delivered`, `failed`, `deadLettered` per destination; `deadLettered|parse-error`. */
  counters?: Counters;
  now?: () => Date;
}

export interface DestinationFailures {
  destination: string;
  count: number;
  /** Up to three distinct reasons. */
  reasons: string[];
}

export interface DeliveryOutcome {
  /** Items handed to deliver(). */
  received: number;
  /** Items each destination took, by sink name. */
  delivered: Record<string, number>;
  /** Dead-letter entries written (one per failed item per destination). */
  deadLettered: number;
  /** Destinations that failed anything, with counts and reasons. */
  failures: DestinationFailures[];
  /** Retries each destination made during this call (requests or reconnects); absent when none. */
  retried?: Record<string, number>;
}

export { DeadLetterWriteError };

export interface DeliverOptions {
  /**
   * Leave out the info line of a fully delivered call (failures are always logged): for callers that
   * deliver one batch in many parts and log one summary for all of them (the streaming path).
   */
  quietSuccess?: boolean;
}

export class DeliveryEngine {
  private readonly sinks: Sink[];
  private readonly deadLetters: DeadLetterStore;
  private readonly logger: Logger;
  private readonly counters?: Counters;
  private readonly now: () => Date;

  constructor(opts: DeliveryEngineOptions) {
    if (opts.sinks.length === 0) throw new Error('DeliveryEngine needs at least one sink');
    const names = opts.sinks.map((s) => s.name);
    // Redrive finds a dead letter's sink by name: two sinks with one name would be indistinguishable.
    const duplicate = names.find((n, i) => names.indexOf(n) !== i);
    if (duplicate !== undefined) throw new Error(`two destinations have the same name "${duplicate}"`);
    this.sinks = [...opts.sinks];
    this.deadLetters = opts.deadLetters;
    this.logger = opts.logger;
    this.counters = opts.counters;
    this.now = opts.now ?? (() => new Date());
  }

  async deliver(items: readonly OutboundEvent[], options: DeliverOptions = {}): Promise<DeliveryOutcome> {
    const started = Date.now();
    const outcome: DeliveryOutcome = { received: items.length, delivered: {}, deadLettered: 0, failures: [] };
    if (items.length === 0) return outcome;

    const results = await Promise.all(this.sinks.map((sink) => this.sendTo(sink, items)));
    const entries: DeadLetterEntry[] = [];
    const failedAt = this.now().toISOString();
    const props: Record<string, string | number> = { in: items.length };
    for (const { sink, delivered, failed, retried } of results) {
      outcome.delivered[sink.name] = delivered;
      if (retried > 0) {
        (outcome.retried ??= {})[sink.name] = retried;
        props[`retried|${sink.name}`] = retried;
      }
      this.counters?.add('in', items.length, sink.name);
      this.counters?.add('delivered', delivered, sink.name);
      props[`delivered|${sink.name}`] = delivered;
      if (failed.length === 0) continue;
      this.counters?.add('failed', failed.length, sink.name);
      props[`failed|${sink.name}`] = failed.length;
      const reasons: string[] = [];
      for (const f of failed) {
        entries.push(deliveryFailureEntry(f, failedAt));
        if (reasons.length < 3 && !reasons.includes(f.reason)) reasons.push(f.reason);
      }
      outcome.failures.push({ destination: sink.name, count: failed.length, reasons });
    }

    if (entries.length > 0) {
      await this.store(entries, props);
      for (const f of outcome.failures) this.counters?.add('deadLettered', f.count, f.destination);
      outcome.deadLettered = entries.length;
    }
    props.deadLettered = outcome.deadLettered;
    props.durationMs = Date.now() - started;
    if (outcome.failures.length > 0) {
      this.logger.warn('delivery finished with dead letters', { ...props, deadLetterStore: this.deadLetters.name, firstReason: outcome.failures[0].reasons[0] });
    } else if (!options.quietSuccess) {
      this.logger.info('delivery finished', props);
    }
    return outcome;
  }

  /**
   * Stores entries nobody delivered for another reason, e.g. records that failed parsing (build them
   * with parseFailureEntry). Counts `deadLettered|<kind>`, logs one line, and throws
   * DeadLetterWriteError like deliver() when the store fails.
   */
  async deadLetter(entries: readonly DeadLetterEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const props: Record<string, string | number> = { entries: entries.length, kind: entries[0].kind };
    await this.store(entries, props);
    for (const e of entries) this.counters?.add('deadLettered', 1, e.kind);
    this.logger.warn('dead-lettered entries', { ...props, deadLetterStore: this.deadLetters.name, firstReason: entries[0].reason });
  }

  async close(): Promise<void> {
    const results = await Promise.allSettled(this.sinks.map((s) => s.close()));
    results.forEach((r, i) => {
      // Everything sent was already reported; a failing close loses nothing, so it is logged, not thrown.
      if (r.status === 'rejected') this.logger.warn('closing a destination failed', { destination: this.sinks[i].name, error: errorText(r.reason) });
    });
  }

  private async store(entries: readonly DeadLetterEntry[], props: LogProperties): Promise<void> {
    try {
      await this.deadLetters.put(entries);
    } catch (err) {
      this.counters?.add('deadLetterWriteFailed', entries.length);
      this.logger.error('dead-letter write failed: the batch must not be acknowledged', { ...props, deadLetterStore: this.deadLetters.name, error: errorText(err) });
      throw err instanceof DeadLetterWriteError ? err : new DeadLetterWriteError(this.deadLetters.name, entries.length, err);
    }
  }

  /**
   * One sink's result with every item accounted for. A sink that rejects (against its contract) or
   * reports fewer items than it was given has all unaccounted items treated as failed: a duplicate on
   * redrive is acceptable, a silent loss is not.
   */
  private async sendTo(sink: Sink, items: readonly OutboundEvent[]): Promise<{ sink: Sink; delivered: number; failed: DeliveryFailure[]; retried: number }> {
    let report;
    try {
      report = await sink.send(items);
    } catch (err) {
      this.logger.error('destination threw instead of reporting failures', { destination: sink.name, error: errorText(err) });
      return { sink, delivered: 0, failed: items.map((item) => ({ item, reason: `sink error: ${errorText(err)}`, attempts: 1, destination: sink.name })), retried: 0 };
    }
    // Always the sink's own name: it is what redrive matches on.
    const failed = report.failed.map((f) => (f.destination === sink.name ? f : { ...f, destination: sink.name }));
    let delivered = report.delivered;
    if (delivered + failed.length < items.length) {
      const reported = new Set<OutboundEvent>(failed.map((f) => f.item));
      const reason = `sink reported ${delivered} delivered and ${failed.length} failed of ${items.length} items`;
      this.logger.error('destination report does not account for every item; dead-lettering the rest', { destination: sink.name, reason });
      for (const item of items) {
        if (!reported.has(item)) failed.push({ item, reason, attempts: 1, destination: sink.name });
      }
      delivered = Math.max(0, items.length - failed.length);
    }
    return { sink, delivered, failed, retried: report.retried ?? 0 };
  }
}
