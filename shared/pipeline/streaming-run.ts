import type { DeadLetterEntry } from '../deadletter/types';
import type { Provenance } from '../model/event';
import type { StreamingNormalizeOptions } from '../normalize/streaming';
import type { OutboundEvent } from '../sinks/types';
import { messagesInChunks, processStreamingMessages, type StreamingMessage } from './streaming';

/**
 * One streaming batch end to end: message bodies -> records -> events -> delivered or dead-lettered.
 * The Event Hub function and `replay` run it through the runtime, in-process or in worker threads
 * (worker-pool.ts); either way it is this function that runs, so both paths behave the same.
 * Resolves once every record was delivered or durably stored; rejects when the dead-letter store
 * failed (the caller must then not acknowledge the batch).
 */

/** What runStreamingBatch needs from the runtime: the normalize options and the two ways out. */
export interface StreamingRunDeps {
  streaming: StreamingNormalizeOptions;
  deliver(items: readonly OutboundEvent[], options?: { quietSuccess?: boolean }): Promise<{ delivered: number; deadLettered: number; counts?: Record<string, number> }>;
  deadLetter(entries: readonly DeadLetterEntry[]): Promise<void>;
}

/** A record that failed parsing: where it came from and why (it is dead-lettered in full). */
export interface BadRecord {
  reason: string;
  provenance: Provenance;
}

export interface StreamingRunResult {
  messages: number;
  records: number;
  events: number;
  /** Body bytes read. */
  bytes: number;
  parseErrors: number;
  /** Events every destination took. */
  delivered: number;
  /** Dead-letter entries written for delivery failures (one per event per failed destination). */
  deadLettered: number;
  /** The first MAX_BAD_RECORDS parse failures, for per-record reports; parseErrors counts all. */
  badRecords: BadRecord[];
  /** Per destination, for the batch's log line: `delivered|`, `failed|`, `retried|<destination>`. */
  counts: Record<string, number>;
}

/** `from` may be missing in a result that crossed from a worker thread. */
function addCounts(into: Record<string, number>, from: Readonly<Record<string, number>> | undefined): void {
  if (from) for (const [k, n] of Object.entries(from)) into[k] = (into[k] ?? 0) + n;
}

/** Bad records reported one by one per batch; beyond that only counted (all are dead-lettered). */
export const MAX_BAD_RECORDS = 1000;

export function emptyRunResult(): StreamingRunResult {
  return { messages: 0, records: 0, events: 0, bytes: 0, parseErrors: 0, delivered: 0, deadLettered: 0, badRecords: [], counts: {} };
}

/**
 * Messages are normalized and delivered in groups of at most GROUP_BYTES of body text (a larger
 * message goes alone), GROUPS_IN_FLIGHT at a time (the next group is normalized while the previous
 * one is on the wire).
 * Why: the events of a group are short-lived, so the young-generation GC frees them cheaply instead of
 * copying and promoting a whole trigger batch (a 64-message batch of 1 MB bodies is ~500 MB of
 * events); and memory per batch is bounded whatever the batch size.
 */
export const GROUP_BYTES = 64 * 1024;
const GROUPS_IN_FLIGHT = 4;

export async function runStreamingBatch(deps: StreamingRunDeps, messages: readonly StreamingMessage[], groupBytes = GROUP_BYTES): Promise<StreamingRunResult> {
  const total = emptyRunResult();
  const inFlight: Array<Promise<void>> = [];
  let failure: { error: unknown } | undefined;
  for (const group of messagesInChunks(messages, groupBytes)) {
    if (failure) break; // the batch is retried whole: no point delivering more of it
    const batch = processStreamingMessages(group, deps.streaming);
    addRunResult(total, {
      ...emptyRunResult(),
      messages: batch.messages,
      records: batch.records,
      events: batch.events.length,
      bytes: batch.bytes,
      parseErrors: batch.failures.length,
      badRecords: batch.failures.slice(0, MAX_BAD_RECORDS).map((f) => ({ reason: f.reason, provenance: f.provenance })),
    });
    const done = (async () => {
      await deps.deadLetter(batch.failures);
      if (batch.events.length === 0) return;
      const d = await deps.deliver(batch.events, { quietSuccess: true });
      addRunResult(total, { ...emptyRunResult(), delivered: d.delivered, deadLettered: d.deadLettered, counts: d.counts ?? {} });
    })().catch((error: unknown) => { failure ??= { error }; });
    inFlight.push(done);
    if (inFlight.length >= GROUPS_IN_FLIGHT) await inFlight.shift();
  }
  await Promise.all(inFlight);
  if (failure) throw failure.error;
  return total;
}

/** Adds one part's result into a total (a batch split across workers). */
export function addRunResult(total: StreamingRunResult, part: StreamingRunResult): StreamingRunResult {
  total.messages += part.messages;
  total.records += part.records;
  total.events += part.events;
  total.bytes += part.bytes;
  total.parseErrors += part.parseErrors;
  total.delivered += part.delivered;
  total.deadLettered += part.deadLettered;
  addCounts(total.counts, part.counts);
  for (const b of part.badRecords) {
    if (total.badRecords.length >= MAX_BAD_RECORDS) break;
    total.badRecords.push(b);
  }
  return total;
}
