/**
 * Character-level helpers shared by the formats. Escaping is a security boundary: command lines,
 * e-mail subjects, URLs and file names are attacker-controlled, and nothing in them may end a syslog
 * message, start a new one or inject a header field or key.
 *
 * Every helper has a fast path: one precompiled regex `test` decides whether any work is needed, and the
 * common clean value is returned untouched (no per-character loop, no allocation).
 */

/** Not printable US-ASCII (33..126): what RFC 5424 allows in HOSTNAME, APP-NAME, PROCID and MSGID. */
const NOT_PRINTUSASCII = /[^\x21-\x7e]/;
const NOT_PRINTUSASCII_G = /[^\x21-\x7e]/g;

/**
 * Cuts a string to at most `max` UTF-16 code units without splitting a surrogate pair (a lone high
 * surrogate at the end would turn into U+FFFD on the wire).
 */
export function truncate(value: string, max: number): string {
  if (value.length <= max) return value;
  let end = max;
  const c = value.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end -= 1;
  return value.slice(0, end);
}

/**
 * A syslog header token: printable US-ASCII only (anything else, including space, becomes `_`),
 * at most `max` characters, NILVALUE `-` when empty. Header fields are space-delimited, so a space
 * must never get in.
 */
export function headerToken(value: string | undefined, max: number): string {
  if (typeof value !== 'string' || value === '') return '-';
  const clean = NOT_PRINTUSASCII.test(value) ? value.replace(NOT_PRINTUSASCII_G, '_') : value;
  return truncate(clean, max);
}

/** True when `value` is a valid RFC 5424 header token as given (for validating settings). */
export function isHeaderToken(value: string, max: number): boolean {
  return value.length > 0 && value.length <= max && !NOT_PRINTUSASCII.test(value);
}

/**
 * Remembers the last input and output of a string function. Category, ActionType, product and tenant
 * repeat from one event to the next in a batch, and a string comparison is cheaper than running the
 * escaping regex again. Deterministic: the output is always fn(input).
 */
export function memoLast(fn: (value: string) => string): (value: string) => string {
  let lastIn: string | undefined;
  let lastOut = '';
  return (value) => {
    if (value !== lastIn) {
      lastOut = fn(value);
      lastIn = value;
    }
    return lastOut;
  };
}
