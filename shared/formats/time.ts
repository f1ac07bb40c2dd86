/**
 * Timestamp conversions on the hot path. The normalizer writes @timestamp in the canonical
 * `YYYY-MM-DDTHH:MM:SS.sssZ` form (Date#toISOString); for that form the CEF epoch, the LEEF devTime and
 * the RFC 3164 stamp are cut straight from the string (no Date object, no Date.parse, which cost more
 * than the rest of a CEF record together). Any other form goes through Date.parse.
 */

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function digits(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

// The syslog header and the CEF/LEEF payload ask about the same @timestamp string one after the other.
let lastChecked: string | undefined;
let lastCanonical = false;

/** True for exactly `YYYY-MM-DDTHH:MM:SS.sssZ` with digits where digits belong and sane ranges. */
export function isCanonicalIso(s: string): boolean {
  if (s === lastChecked) return lastCanonical;
  lastCanonical = checkCanonicalIso(s);
  lastChecked = s;
  return lastCanonical;
}

function checkCanonicalIso(s: string): boolean {
  if (s.length !== 24 || s.charCodeAt(23) !== 90 /* Z */ || s.charCodeAt(10) !== 84 /* T */) return false;
  if (s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58 || s.charCodeAt(19) !== 46) return false;
  const y = digits(s, 0, 4), mo = digits(s, 5, 7), d = digits(s, 8, 10);
  const h = digits(s, 11, 13), mi = digits(s, 14, 16), se = digits(s, 17, 19), ms = digits(s, 20, 23);
  return y >= 0 && mo >= 1 && mo <= 12 && d >= 1 && d <= daysInMonth(y, mo) && h >= 0 && h <= 23 && mi >= 0 && mi <= 59 && se >= 0 && se <= 59 && ms >= 0;
}

function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Milliseconds since the epoch, NaN when the text is not a date. */
export function epochMs(iso: string): number {
  if (typeof iso !== 'string') return NaN;
  if (!isCanonicalIso(iso)) return Date.parse(iso);
  const days = daysFromCivil(digits(iso, 0, 4), digits(iso, 5, 7), digits(iso, 8, 10));
  return ((days * 24 + digits(iso, 11, 13)) * 60 + digits(iso, 14, 16)) * 60000 + digits(iso, 17, 19) * 1000 + digits(iso, 20, 23);
}

/**
 * The epoch milliseconds as decimal text, undefined for a non-date. For canonical timestamps after
 * 1970-01-01T00:00:01Z it is the epoch SECONDS (a small integer, cheap to print) followed by the three
 * millisecond digits of the string: printing a 13-digit double cost more than all the CEF escaping.
 */
export function epochMsText(iso: string): string | undefined {
  if (typeof iso === 'string' && isCanonicalIso(iso)) {
    const days = daysFromCivil(digits(iso, 0, 4), digits(iso, 5, 7), digits(iso, 8, 10));
    const secs = ((days * 24 + digits(iso, 11, 13)) * 60 + digits(iso, 14, 16)) * 60 + digits(iso, 17, 19);
    if (secs > 0) return secs + iso.slice(20, 23);
  }
  const t = epochMs(iso);
  return Number.isNaN(t) ? undefined : String(t);
}

function pad2(n: number): string {
  return n < 10 ? '0' + n : '' + n;
}

/** LEEF devTime for devTimeFormat `MMM dd yyyy HH:mm:ss.SSS zzz`, in UTC; undefined for a non-date. */
export function leefDevTime(iso: string): string | undefined {
  if (typeof iso === 'string' && isCanonicalIso(iso)) {
    return MONTHS[digits(iso, 5, 7) - 1] + ' ' + iso.slice(8, 10) + ' ' + iso.slice(0, 4) + ' ' + iso.slice(11, 23) + ' UTC';
  }
  const t = typeof iso === 'string' ? Date.parse(iso) : NaN;
  if (Number.isNaN(t)) return undefined;
  const c = new Date(t).toISOString();
  // Years outside 0000-9999 come out as +/-YYYYYY and are not canonical: give up rather than loop.
  return isCanonicalIso(c) ? leefDevTime(c) : undefined;
}

/** RFC 3164 `Mmm dd hh:mm:ss` (UTC, day padded with a space). */
export function rfc3164Stamp(d: Date): string {
  const day = d.getUTCDate();
  return MONTHS[d.getUTCMonth()] + (day < 10 ? '  ' : ' ') + day + ' '
    + pad2(d.getUTCHours()) + ':' + pad2(d.getUTCMinutes()) + ':' + pad2(d.getUTCSeconds());
}

/** RFC 3164 stamp of an ISO timestamp; undefined for a non-date. */
export function rfc3164StampOf(iso: string): string | undefined {
  if (typeof iso === 'string' && isCanonicalIso(iso)) {
    const d = iso.charCodeAt(8) === 48 ? ' ' + iso[9] : iso.slice(8, 10);
    return MONTHS[digits(iso, 5, 7) - 1] + ' ' + d + ' ' + iso.slice(11, 19);
  }
  const t = typeof iso === 'string' ? Date.parse(iso) : NaN;
  return Number.isNaN(t) ? undefined : rfc3164Stamp(new Date(t));
}
