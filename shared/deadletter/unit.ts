/**
 * Dead letters are stored in units: one unit (blob or file) per `put()`, NDJSON, one entry per line.
 * A unit is written in one go and is the thing redrive deletes, so it is also the unit of "delivered,
 * may go". This module holds what both stores share: the store interface with list/read/delete, unit
 * names that sort by time, and the NDJSON encoding.
 */
import { randomBytes } from 'node:crypto';
import type { DeadLetterEntry, DeadLetterStore } from './types';

export type DeadLetterKind = DeadLetterEntry['kind'];
export type UnitKind = DeadLetterKind | 'mixed';

/** What `list()` tells about one unit without the caller reading its entries. */
export interface DeadLetterUnit {
  /** Store-specific id (blob name or file name); pass it to read() and delete(). */
  id: string;
  /** When the unit was written (ISO 8601), from its name. */
  createdAt: string;
  kind: UnitKind;
  count: number;
  kinds: Record<DeadLetterKind, number>;
  /** Distinct destinations of delivery-failed entries, in first-seen order. */
  destinations: string[];
  /** A few distinct reasons, in first-seen order, each cut to REASON_MAX characters. */
  reasons: string[];
  bytes: number;
  /** Set when the unit could not be read or decoded: it is kept, never redriven or deleted. */
  problem?: string;
}

/** A dead-letter store that can also be inspected and emptied: what redrive and the CLI need. */
export interface DeadLetterUnitStore extends DeadLetterStore {
  /** Every unit, oldest first. */
  list(): Promise<DeadLetterUnit[]>;
  /** The entries of one unit. Throws DeadLetterCorruptError if a line is not a valid entry. */
  read(id: string): Promise<DeadLetterEntry[]>;
  /** Removes one unit; deleting one that is already gone is not an error. */
  delete(id: string): Promise<void>;
}

export function isDeadLetterUnitStore(store: DeadLetterStore): store is DeadLetterUnitStore {
  const s = store as Partial<DeadLetterUnitStore>;
  return typeof s.list === 'function' && typeof s.read === 'function' && typeof s.delete === 'function';
}

/** put() could not store durably. Callers must not acknowledge the data (the Event Hub batch). */
export class DeadLetterWriteError extends Error {
  constructor(readonly store: string, readonly entries: number, cause: unknown) {
    super(`dead-letter store ${store} could not store ${entries} entr${entries === 1 ? 'y' : 'ies'}: ${errorText(cause)}`, { cause });
    this.name = 'DeadLetterWriteError';
  }
}

/** A stored unit that does not decode: never deleted, never half-redriven. */
export class DeadLetterCorruptError extends Error {
  constructor(readonly unit: string, readonly line: number, problem: string) {
    super(`dead-letter unit ${unit} line ${line}: ${problem}`);
    this.name = 'DeadLetterCorruptError';
  }
}

export function errorText(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}

export const REASON_MAX = 200;
const REASONS_KEPT = 3;

export function unitKind(entries: readonly DeadLetterEntry[]): UnitKind {
  const first = entries[0]?.kind ?? 'delivery-failed';
  return entries.every((e) => e.kind === first) ? first : 'mixed';
}

/** Counts, kinds, destinations and a few reasons of a set of entries. */
export function summarize(entries: readonly DeadLetterEntry[]): Pick<DeadLetterUnit, 'kind' | 'count' | 'kinds' | 'destinations' | 'reasons'> {
  const kinds: Record<DeadLetterKind, number> = { 'delivery-failed': 0, 'parse-error': 0 };
  const destinations: string[] = [];
  const reasons: string[] = [];
  for (const e of entries) {
    kinds[e.kind] = (kinds[e.kind] ?? 0) + 1;
    if (e.destination !== undefined && !destinations.includes(e.destination)) destinations.push(e.destination);
    const r = e.reason.slice(0, REASON_MAX);
    if (reasons.length < REASONS_KEPT && !reasons.includes(r)) reasons.push(r);
  }
  return { kind: unitKind(entries), count: entries.length, kinds, destinations, reasons };
}

/**
 * `2025-02-07T19:01:26.123Z` and 12 random hex digits. The time comes first in every name form so that
 * a lexical sort is a time sort; the random part keeps concurrent writers (several instances) apart.
 */
export function unitStamp(now: Date): { iso: string; random: string } {
  return { iso: now.toISOString(), random: randomBytes(6).toString('hex') };
}

/** Time of a unit from its name: the first ISO-like timestamp in it (either `:` or `-` between h/m/s). */
export function timeFromName(name: string): string | undefined {
  const m = /(\d{4}-\d{2}-\d{2}T\d{2})[:-](\d{2})[:-](\d{2}(?:\.\d+)?Z)/.exec(name);
  return m ? `${m[1]}:${m[2]}:${m[3]}` : undefined;
}

export function encodeEntries(entries: readonly DeadLetterEntry[]): Buffer {
  // JSON.stringify never emits a raw LF (it escapes them inside strings), so one line is one entry.
  let text = '';
  for (const e of entries) text += JSON.stringify(e) + '\n';
  return Buffer.from(text, 'utf8');
}

const KINDS: readonly string[] = ['delivery-failed', 'parse-error'];

export function decodeEntries(unit: string, data: Buffer | string): DeadLetterEntry[] {
  const text = typeof data === 'string' ? data : data.toString('utf8');
  const out: DeadLetterEntry[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line === '') {
      // Only the final newline may leave an empty piece; any other empty line means tampering or damage.
      if (i === lines.length - 1) continue;
      throw new DeadLetterCorruptError(unit, i + 1, 'empty line');
    }
    if (i === lines.length - 1) throw new DeadLetterCorruptError(unit, i + 1, 'last line is not terminated (truncated unit)');
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      throw new DeadLetterCorruptError(unit, i + 1, `not JSON (${errorText(err)})`);
    }
    const e = value as Partial<DeadLetterEntry> | null;
    if (!e || typeof e !== 'object' || !KINDS.includes(e.kind as string) || typeof e.reason !== 'string' || typeof e.failedAt !== 'string' || !('payload' in e)) {
      throw new DeadLetterCorruptError(unit, i + 1, 'not a dead-letter entry');
    }
    out.push(e as DeadLetterEntry);
  }
  return out;
}

export function sortUnits(units: DeadLetterUnit[]): DeadLetterUnit[] {
  return units.sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
