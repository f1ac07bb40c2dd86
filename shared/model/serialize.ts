import { PROPERTIES_JSON, type NormalizedEvent } from './event';

/**
 * The event as JSON, with the same members as JSON.stringify(event) gives (m365_defender and its
 * `properties` placed last), but reusing the properties JSON
 * the normalizer already produced (see PROPERTIES_JSON): the verbatim columns are most of an event's
 * size, and serializing them twice would double the cost of the json format.
 */
export function serializeEvent(event: NormalizedEvent): string {
  const propertiesJson = event[PROPERTIES_JSON];
  const m = event.m365_defender;
  if (propertiesJson === undefined || m === undefined || m.properties === undefined) return JSON.stringify(event);
  const head = JSON.stringify({ ...event, m365_defender: undefined });
  const meta = JSON.stringify({ ...m, properties: undefined });
  // Both objects always have other members (@timestamp; category/table), so neither is "{}".
  return `${head.slice(0, -1)},"m365_defender":${meta.slice(0, -1)},"properties":${propertiesJson}}}`;
}
