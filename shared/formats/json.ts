/**
 * `json`: the normalized event as one line of JSON. JSON.stringify escapes every C0 control character
 * (and, since Node 12, lone surrogates), so the text never contains a raw CR, LF or NUL.
 */
import type { OutboundEvent } from '../sinks/types';

export function encodeJson(item: OutboundEvent): string {
  return JSON.stringify(item.event);
}
