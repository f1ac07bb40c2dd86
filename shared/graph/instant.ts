/**
 * Graph timestamps at full precision. lastUpdateDateTime carries up to 7 fraction digits
 * (`2023-10-20T09:54:07.5033333Z`) and a JS Date keeps milliseconds only, so two versions 0.1 ms apart
 * would collide if we went through Date. The cursor, the dedup key and every comparison use these
 * helpers instead.
 */

const INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

export class InvalidInstantError extends Error {
  constructor(readonly value: unknown) {
    super(`not an ISO 8601 UTC date-time: ${JSON.stringify(value)}`);
    this.name = 'InvalidInstantError';
  }
}

/**
 * Canonical form: `YYYY-MM-DDTHH:MM:SS.fffffffZ` with exactly 7 fraction digits (Graph's precision),
 * in UTC. Canonical strings sort lexicographically in time order.
 */
export function canonicalInstant(value: string): string {
  const m = INSTANT.exec(value);
  if (!m) throw new InvalidInstantError(value);
  const frac = (m[7] ?? '').padEnd(9, '0');
  if (m[8] === 'Z') {
    return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.${frac.slice(0, 7)}Z`;
  }
  // An offset: shift the whole seconds through Date (exact), keep the fraction digits as they are.
  const ms = Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${m[8]}`);
  if (Number.isNaN(ms)) throw new InvalidInstantError(value);
  return `${new Date(ms).toISOString().slice(0, 19)}.${frac.slice(0, 7)}Z`;
}

export function isInstant(value: unknown): value is string {
  if (typeof value !== 'string' || !INSTANT.test(value)) return false;
  return !Number.isNaN(Date.parse(value.replace(/\.\d+/, '')));
}

/** Negative, zero or positive like a sort comparator, at 100 ns precision. */
export function compareInstants(a: string, b: string): number {
  const ca = canonicalInstant(a);
  const cb = canonicalInstant(b);
  return ca < cb ? -1 : ca > cb ? 1 : 0;
}

/** ISO 8601 with milliseconds (what @timestamp and event.created carry), or undefined. */
export function millisecondInstant(value: unknown): string | undefined {
  if (typeof value !== 'string' || !isInstant(value)) return undefined;
  const c = canonicalInstant(value);
  return `${c.slice(0, 23)}Z`;
}

/**
 * The unquoted UTC literal Graph's `$filter` wants (`lastUpdateDateTime ge 2025-02-07T19:01:26.1234567Z`).
 * Canonical 7-digit form: Graph accepts it and it never rounds the cursor away from the real instant.
 */
export function filterLiteral(value: string): string {
  return canonicalInstant(value);
}

const DURATION = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/**
 * ISO 8601 duration (`P1D`, `PT6H`, `P1DT12H`, `P2W`) in milliseconds. Years and months are refused:
 * their length depends on the calendar and a lookback must be exact.
 */
export function parseIsoDuration(value: string): number | undefined {
  const m = DURATION.exec(value.trim().toUpperCase());
  if (!m || value.trim().toUpperCase() === 'P' || value.trim().toUpperCase().endsWith('T')) return undefined;
  const [, w, d, h, min, s] = m;
  if (w === undefined && d === undefined && h === undefined && min === undefined && s === undefined) return undefined;
  const ms = (Number(w ?? 0) * 7 * 86_400 + Number(d ?? 0) * 86_400 + Number(h ?? 0) * 3_600 + Number(min ?? 0) * 60 + Number(s ?? 0)) * 1000;
  return Math.round(ms);
}

/** Canonical instant `ms` milliseconds before `now`. */
export function instantBefore(now: number, ms: number): string {
  return canonicalInstant(new Date(now - ms).toISOString());
}
