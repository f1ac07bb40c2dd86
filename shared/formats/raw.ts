/**
 * `raw`: the original Defender streaming record or Graph object, unaltered, as one line of JSON. This
 * is what QRadar/JSA's Microsoft 365 Defender DSM parses (unverified: no QRadar runs here).
 *
 * `fortisiem`: the same, but Graph incidents and alerts are prefixed with the "log header" FortiSIEM's
 * own Defender parsers key on, followed by ONE space:
 *   `Microsoft 365 Defender Incident {"id":"...",...}`
 *   `Microsoft 365 Defender Alert {"id":"...",...}`
 * Streaming records go out as `raw`. The separator (a single space) is our choice: FortiSIEM documents
 * the header strings for its Graph poller but not how they are joined to the JSON; this is UNVERIFIED
 * against a real FortiSIEM collector.
 */
import type { OutboundEvent } from '../sinks/types';

export const FORTISIEM_INCIDENT_HEADER = 'Microsoft 365 Defender Incident';
export const FORTISIEM_ALERT_HEADER = 'Microsoft 365 Defender Alert';

/**
 * JSON text of the original. An event always carries its original; should one ever arrive without
 * (a programming error upstream), the normalized event is sent instead of dropping it or sending
 * `undefined`.
 */
export function encodeRaw(item: OutboundEvent): string {
  if (item.original === undefined) return JSON.stringify(item.event);
  return JSON.stringify(item.original);
}

export function encodeFortiSiem(item: OutboundEvent): string {
  switch (item.origin) {
    case 'incident': return FORTISIEM_INCIDENT_HEADER + ' ' + encodeRaw(item);
    case 'alert': return FORTISIEM_ALERT_HEADER + ' ' + encodeRaw(item);
    default: return encodeRaw(item);
  }
}
