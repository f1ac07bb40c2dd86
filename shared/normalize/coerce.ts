/**
 * Tolerant readers for Defender column values. Real streams mix types freely (ports as "", booleans as
 * "0"/0/false/null, IPs as "-"), so every mapped field goes through one of these: a value of the wrong
 * type yields `undefined`, never an exception and never a misleading value.
 */

/** A non-empty string; numbers are stringified (ReportId is a long in Device* tables). */
export function str(v: unknown): string | undefined {
  if (typeof v === 'string') return v === '' ? undefined : v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

export function lower(v: unknown): string | undefined {
  const s = str(v);
  return s === undefined ? undefined : s.toLowerCase();
}

/** A finite number from a number or a numeric string ("" and "abc" are undefined). */
export function num(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && v !== '') {
    const n = Number(v);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

/** A TCP/UDP port 0-65535. */
export function port(v: unknown): number | undefined {
  const n = num(v);
  return n !== undefined && Number.isInteger(n) && n >= 0 && n <= 65535 ? n : undefined;
}

export function bool(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (v === 1 || v === '1' || v === 'true' || v === 'True') return true;
  if (v === 0 || v === '0' || v === 'false' || v === 'False') return false;
  return undefined;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** An IP address; "", "-", "::" placeholders and non-addresses are undefined. */
export function ip(v: unknown): string | undefined {
  if (typeof v !== 'string' || v.length < 2 || v.length > 45) return undefined;
  if (v.charCodeAt(0) === 45 /* - */) return undefined;
  if (IPV4.test(v)) return v;
  // IPv6 (possibly with an embedded IPv4 tail or a zone); reject anything with other characters.
  if (v.indexOf(':') !== -1 && /^[0-9A-Fa-f:.]+(%[\w.-]+)?$/.test(v)) return v;
  return undefined;
}

export function isIPv4(v: string): boolean {
  return IPV4.test(v);
}

/**
 * Decodes a JSON-encoded column (AdditionalFields, LoggedOnUsers, ...): a string holding JSON becomes
 * the value it encodes; objects and arrays pass through; "", "[]", "{}" and null become undefined;
 * a string that is not JSON is kept as it is (it is still data).
 */
export function decodeJson(v: unknown): unknown {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'string') {
    const t = v.trim();
    if (t === '' || t === '[]' || t === '{}' || t === 'null') return undefined;
    const c = t.charCodeAt(0);
    if (c === 123 /* { */ || c === 91 /* [ */ || c === 34 /* " */) {
      try {
        return JSON.parse(t);
      } catch {
        return v;
      }
    }
    return v;
  }
  if (Array.isArray(v)) return v.length === 0 ? undefined : v;
  return v;
}

const ISO_MS = /^(\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d)(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})?$/;

/**
 * Parses a Defender timestamp (0 to 7 fraction digits) into ISO 8601 with milliseconds in UTC.
 * The original string is kept elsewhere: JS dates hold milliseconds only.
 */
export function isoTime(v: unknown): string | undefined {
  if (typeof v !== 'string' || v === '') return undefined;
  const m = ISO_MS.exec(v);
  if (m && (m[3] === 'Z' || m[3] === undefined)) {
    // Fast path for the common UTC form: no Date round trip.
    const frac = (m[2] ?? '').padEnd(3, '0').slice(0, 3);
    return `${m[1]}.${frac}Z`;
  }
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : new Date(t).toISOString();
}
