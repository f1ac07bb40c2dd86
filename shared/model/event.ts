/**
 * The normalized event model shared by every source (Defender streaming records, Graph incidents and
 * alerts) and consumed by every format. Field names follow the Elastic Common Schema as Elastic's
 * m365_defender integration uses it, so an ECS-aware SIEM needs no mapping of its own.
 *
 * The full field-by-field mapping is documented in docs/event-model.md.
 */

/** Where one record came from: enough to find it again in the hub, a file or Graph. */
export interface Provenance {
  /** `eventhub`, `file` (CLI replay), `stdin` or `graph`. */
  source: 'eventhub' | 'file' | 'stdin' | 'graph';
  /** Event Hubs partition id, when the trigger tells it. */
  partition?: string;
  sequenceNumber?: number;
  offset?: string;
  enqueuedTime?: string;
  /** Index of the Event Hubs message (or file line body) in the batch/file, from 0. */
  messageIndex: number;
  /** Index of the record inside its message body, from 0. */
  recordIndex?: number;
  /** File name for CLI replay. */
  file?: string;
  /** 1-based line number in the file for CLI replay. */
  line?: number;
  /** Graph resource for polled objects (`incidents` or `alerts_v2`) and tenant. */
  resource?: string;
  tenantId?: string;
}

export type EventKind = 'event' | 'alert' | 'state';

export interface EcsEvent {
  kind: EventKind;
  category?: string[];
  type?: string[];
  action?: string;
  /** `m365_defender.<table>` for streaming, `m365_defender.incident` / `.alert` for Graph. */
  dataset: string;
  /** Deterministic, content-derived: the same record always gets the same id. */
  id: string;
  /** 0-100, Elastic's scale: low 21, medium 47, high 73, critical 99. */
  severity?: number;
  created?: string;
  ingested?: string;
  provider: string;
  module: 'm365_defender';
  outcome?: 'success' | 'failure' | 'unknown';
  reason?: string;
  /** The original record as JSON text, only with INCLUDE_ORIGINAL=true. */
  original?: string;
}

export interface EcsHash {
  md5?: string;
  sha1?: string;
  sha256?: string;
}

export interface EcsProcessBase {
  name?: string;
  executable?: string;
  command_line?: string;
  pid?: number;
  start?: string;
  hash?: EcsHash;
  user?: { name?: string; domain?: string; id?: string };
  integrity_level?: string;
}

export interface EcsProcess extends EcsProcessBase {
  parent?: EcsProcessBase & { parent?: EcsProcessBase };
}

export interface EcsEndpoint {
  ip?: string;
  port?: number;
  domain?: string;
  address?: string;
  user?: { name?: string; domain?: string; id?: string };
  geo?: { country_iso_code?: string; city_name?: string; region_name?: string };
}

/**
 * The JSON text of `m365_defender.properties`, computed once while normalizing (the event id hashes it)
 * so that serializing the event never walks the large, by then cache-cold, properties object again.
 * A symbol key: JSON.stringify ignores it, so the event's JSON is the same with or without it.
 */
export const PROPERTIES_JSON: unique symbol = Symbol('m365_defender.properties JSON');

export interface NormalizedEvent {
  '@timestamp': string;
  message?: string;
  event: EcsEvent;
  observer: { vendor: 'Microsoft'; product: string; type?: string };
  cloud?: { account: { id: string }; provider: 'azure' };
  host?: { name?: string; id?: string; ip?: string[]; os?: { name?: string; version?: string; platform?: string }; type?: string };
  user?: { name?: string; domain?: string; id?: string; email?: string; full_name?: string; target?: { name?: string; id?: string } };
  process?: EcsProcess;
  file?: { name?: string; path?: string; directory?: string; size?: number; hash?: EcsHash; extension?: string; type?: string };
  source?: EcsEndpoint;
  destination?: EcsEndpoint;
  network?: { protocol?: string; transport?: string; direction?: string };
  url?: { original?: string; domain?: string };
  registry?: { key?: string; value?: string; data?: { strings?: string[]; type?: string }; hive?: string };
  dns?: { question?: { name?: string }; answers?: unknown };
  email?: {
    message_id?: string;
    subject?: string;
    from?: { address?: string[] };
    to?: { address?: string[] };
    sender?: { address?: string };
    direction?: string;
    delivery_timestamp?: string;
    attachments?: Array<{ file: { name?: string; hash?: EcsHash; mime_type?: string; size?: number } }>;
  };
  threat?: {
    technique?: { id?: string[]; name?: string[] };
    tactic?: { name?: string[] };
    framework?: string;
  };
  rule?: { name?: string; id?: string; description?: string };
  related?: { ip?: string[]; user?: string[]; hosts?: string[]; hash?: string[] };
  /**
   * Source-specific detail that has no ECS home, under Elastic's own prefix: the table, envelope times
   * and timestamps at full 7-digit precision, `properties` (every column exactly as received) and
   * `decoded` (the JSON-encoded columns such as AdditionalFields, decoded).
   */
  m365_defender: Record<string, unknown>;
  /** Where the record came from. Not an ECS field; SIEMs index it as an object. */
  forwarder: { provenance: Provenance };
  [PROPERTIES_JSON]?: string;
}
