/**
 * `json`: the normalized event as one line of JSON. JSON.stringify escapes every C0 control character
 * (and, since Node 12, lone surrogates), so the text never contains a raw CR, LF or NUL.
 * serializeEvent reuses the properties JSON the normalizer already made (same members, one walk less).
 */
import { serializeEvent } from '../model/serialize';
import type { OutboundEvent } from '../sinks/types';

export function encodeJson(item: OutboundEvent): string {
  return serializeEvent(item.event);
}
