/**
 * Redrive: sends stored dead letters again and removes a unit only once everything in it was delivered.
 * Delivery-failed entries go back to the sink whose name equals entry.destination; parse-error entries
 * go through the caller's `reprocess` (re-parse and normalize) and then to every sink. A unit that was
 * partly delivered is replaced: the rest is written as a new unit first, then the old one is deleted,
 * so a crash in between can duplicate events but never lose one.
 */
import { readInteger, type SettingsSource } from '../config/env';
import type { Counters, Logger } from '../observability/log';
import type { OutboundEvent, Sink } from '../sinks/types';
import { deliveryFailureEntry, isOutboundEvent } from './entries';
import type { DeadLetterEntry } from './types';
import { errorText, type DeadLetterUnit, type DeadLetterUnitStore } from './unit';

export type Reprocess = (entry: DeadLetterEntry) => OutboundEvent[] | undefined | Promise<OutboundEvent[] | undefined>;

export interface RedriveOptions {
  store: DeadLetterUnitStore;
  sinks: readonly Sink[];
  logger: Logger;
  counters?: Counters;
  /** Most units to work on in this run (oldest first). Default: all. */
  maxUnits?: number;
  /** No new unit is started once this much time has passed. Default: no limit. */
  budgetMs?: number;
  /**
   * Turns a parse-error entry into events (the lead's parse + normalize path). `undefined` (or no
   * callback) keeps the entry; `[]` means the body holds nothing to forward and resolves the entry.
   */
  reprocess?: Reprocess;
  now?: () => number;
}

export interface RedriveResult {
  /** Units in the store when the run started. */
  unitsSeen: number;
  /** Units fully delivered and deleted. */
  unitsDeleted: number;
  /** Units partly delivered: the rest was stored as a new unit and the old one deleted. */
  unitsRewritten: number;
  /** Units left as they were (nothing could be delivered, unreadable, or the rewrite failed). */
  unitsKept: number;
  /** Units not started because of maxUnits or the time budget. */
  unitsNotReached: number;
  /** Entries resolved: delivered, or parse errors turned into delivered events. */
  entriesRedriven: number;
  /** Entries still stored among the units worked on. */
  entriesRemaining: number;
  /** True when every unit seen was emptied. */
  complete: boolean;
}

export interface RedriveSettings {
  /** DEADLETTER_REDRIVE_BUDGET_SECONDS (default 600): no new unit is started after this long. */
  budgetMs: number;
}

/**
 * The redrive's own time budget. Each send can take up to DELIVERY_RETRY_BUDGET_SECONDS on top, so the
 * default (10 min) plus one retry budget stays well inside the Flex Consumption 30 min timeout.
 */
export function readRedriveSettings(env: SettingsSource): RedriveSettings {
  return { budgetMs: readInteger(env, 'DEADLETTER_REDRIVE_BUDGET_SECONDS', 600, 1, 86_400) * 1000 };
}

interface Pending { entry: DeadLetterEntry; payload: OutboundEvent }

interface SendResult {
  /** Payloads that did not go through, with the new reason and attempts. */
  failed: Map<OutboundEvent, { reason: string; attempts: number }>;
  /** False when the sink's report cannot be trusted item by item: then nothing counts as delivered. */
  exact: boolean;
  delivered: number;
}

/** Sends and maps each failure back to the payload object it was given. */
async function send(sink: Sink, payloads: readonly OutboundEvent[], logger: Logger): Promise<SendResult> {
  try {
    const report = await sink.send(payloads);
    const given = new Set(payloads);
    const failed = new Map<OutboundEvent, { reason: string; attempts: number }>();
    for (const f of report.failed) {
      if (!given.has(f.item)) return { failed, exact: false, delivered: 0 };
      failed.set(f.item, { reason: f.reason, attempts: f.attempts });
    }
    if (report.delivered + failed.size !== payloads.length) {
      logger.error('destination report does not account for every item; keeping them all', { destination: sink.name, delivered: report.delivered, failed: failed.size, sent: payloads.length });
      return { failed, exact: false, delivered: 0 };
    }
    return { failed, exact: true, delivered: report.delivered };
  } catch (err) {
    logger.error('destination threw during redrive; keeping its entries', { destination: sink.name, error: errorText(err) });
    return { failed: new Map(), exact: false, delivered: 0 };
  }
}

export async function redriveDeadLetters(opts: RedriveOptions): Promise<RedriveResult> {
  const { store, logger, counters } = opts;
  const now = opts.now ?? Date.now;
  const started = now();
  const sinksByName = new Map(opts.sinks.map((s) => [s.name, s] as const));
  // A destination that took nothing in this run is not tried again for later units: each attempt would
  // spend a whole retry budget against a collector that is still down.
  const down = new Set<string>();

  const units = await store.list();
  const result: RedriveResult = {
    unitsSeen: units.length, unitsDeleted: 0, unitsRewritten: 0, unitsKept: 0, unitsNotReached: 0,
    entriesRedriven: 0, entriesRemaining: 0, complete: false,
  };
  const maxUnits = opts.maxUnits ?? Number.POSITIVE_INFINITY;
  let worked = 0;
  for (const unit of units) {
    if (worked >= maxUnits || (opts.budgetMs !== undefined && now() - started >= opts.budgetMs)) {
      result.unitsNotReached++;
      continue;
    }
    worked++;
    await redriveUnit(unit);
  }
  result.complete = result.unitsDeleted === units.length;
  logger.info('dead-letter redrive finished', {
    store: store.name, ...Object.fromEntries(Object.entries(result).map(([k, v]) => [k, typeof v === 'boolean' ? v : Number(v)])),
    durationMs: now() - started,
  });
  return result;

  async function redriveUnit(unit: DeadLetterUnit): Promise<void> {
    if (unit.problem !== undefined) {
      logger.error('dead-letter unit is unreadable; kept for inspection', { unit: unit.id, problem: unit.problem });
      result.unitsKept++;
      return;
    }
    let entries: DeadLetterEntry[];
    try {
      entries = await store.read(unit.id);
    } catch (err) {
      logger.error('dead-letter unit could not be read; kept', { unit: unit.id, error: errorText(err) });
      result.unitsKept++;
      return;
    }

    const remaining: DeadLetterEntry[] = [];
    let resolved = 0;
    const byDestination = new Map<string, Pending[]>();
    const reprocessed: Array<{ entry: DeadLetterEntry; events: OutboundEvent[] }> = [];
    const missing = new Set<string>();

    for (const entry of entries) {
      if (entry.kind === 'delivery-failed') {
        if (entry.destination === undefined || !isOutboundEvent(entry.payload)) {
          logger.error('delivery-failed entry without destination or event payload; kept', { unit: unit.id });
          remaining.push(entry);
          continue;
        }
        if (!sinksByName.has(entry.destination)) {
          missing.add(entry.destination);
          remaining.push(entry);
          continue;
        }
        if (down.has(entry.destination)) {
          remaining.push(entry);
          continue;
        }
        const list = byDestination.get(entry.destination) ?? [];
        list.push({ entry, payload: entry.payload });
        byDestination.set(entry.destination, list);
        continue;
      }
      // parse-error
      if (!opts.reprocess) {
        remaining.push(entry);
        continue;
      }
      try {
        const events = await opts.reprocess(entry);
        if (events === undefined) remaining.push(entry);
        else reprocessed.push({ entry, events });
      } catch (err) {
        logger.warn('reprocessing a parse-error entry failed; kept', { unit: unit.id, error: errorText(err) });
        remaining.push(entry);
      }
    }
    for (const destination of missing) {
      logger.warn('dead letters for a destination that is no longer configured are kept', { unit: unit.id, destination });
    }

    // Every destination of this unit at once, like the engine.
    await Promise.all([...byDestination].map(async ([destination, pending]) => {
      const sink = sinksByName.get(destination) as Sink;
      const sent = await send(sink, pending.map((p) => p.payload), logger);
      for (const p of pending) {
        const failure = sent.exact ? sent.failed.get(p.payload) : { reason: p.entry.reason, attempts: 0 };
        if (failure === undefined) {
          resolved++;
          continue;
        }
        // The first failure time stays (age of the dead letter); reason and attempts are the latest.
        remaining.push({ ...p.entry, reason: failure.reason, attempts: (p.entry.attempts ?? 0) + failure.attempts });
      }
      const delivered = sent.exact ? sent.delivered : 0;
      counters?.add('redriven', delivered, destination);
      counters?.add('redriveFailed', pending.length - delivered, destination);
      if (delivered === 0) down.add(destination);
    }));

    if (reprocessed.length > 0) {
      const events = reprocessed.flatMap((r) => r.events);
      const failedAt = new Date(now()).toISOString();
      if (events.length > 0) {
        await Promise.all(opts.sinks.map(async (sink) => {
          const sent = await send(sink, events, logger);
          // A parse error that now parses becomes ordinary delivery-failed entries for the sinks that failed.
          for (const ev of events) {
            const failure = sent.exact ? sent.failed.get(ev) : { reason: 'destination report could not be matched to events', attempts: 0 };
            if (failure) remaining.push(deliveryFailureEntry({ item: ev, destination: sink.name, ...failure }, failedAt));
          }
          counters?.add('redriven', sent.exact ? sent.delivered : 0, sink.name);
        }));
      }
      resolved += reprocessed.length;
    }

    result.entriesRedriven += resolved;
    if (remaining.length === 0) {
      try {
        await store.delete(unit.id);
        result.unitsDeleted++;
        logger.info('dead-letter unit redriven and deleted', { unit: unit.id, entries: entries.length });
      } catch (err) {
        // Everything was delivered; the unit stays and will be sent again (a duplicate, not a loss).
        logger.error('dead-letter unit delivered but could not be deleted', { unit: unit.id, error: errorText(err) });
        result.unitsKept++;
      }
      return;
    }
    result.entriesRemaining += remaining.length;
    if (resolved === 0 && reprocessed.length === 0) {
      result.unitsKept++;
      logger.warn('dead-letter unit kept: nothing in it could be delivered', { unit: unit.id, entries: entries.length, firstReason: remaining[0].reason });
      return;
    }
    try {
      await store.put(remaining);
    } catch (err) {
      // The old unit still holds everything: what was delivered will be sent again next run.
      logger.error('could not store the rest of a partly redriven unit; old unit kept', { unit: unit.id, error: errorText(err) });
      result.unitsKept++;
      result.entriesRemaining += resolved;
      return;
    }
    try {
      await store.delete(unit.id);
    } catch (err) {
      logger.error('partly redriven unit could not be deleted after its rest was stored; duplicates will follow', { unit: unit.id, error: errorText(err) });
    }
    result.unitsRewritten++;
    logger.info('dead-letter unit partly redriven; the rest was stored as a new unit', { unit: unit.id, redriven: resolved, remaining: remaining.length });
  }
}
