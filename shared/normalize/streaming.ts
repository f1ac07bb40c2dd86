import crypto from 'node:crypto';
import { PROPERTIES_JSON, type NormalizedEvent, type Provenance } from '../model/event';
import { decodeJson, isoTime, str } from './coerce';
import { relate, type Props } from './ecs';
import { GENERIC_TABLE, TABLES, type TableMapping } from './tables';

/** One streaming API record after validation: the envelope plus its Advanced Hunting row. */
export interface DefenderRecord {
  /** `AdvancedHunting-<Table>`, as Defender writes it. */
  category: string;
  /** The table name: the category without its `AdvancedHunting-` prefix. */
  table: string;
  properties: Props;
  /** The record exactly as received (the `raw` format and event.original use it). */
  envelope: Record<string, unknown>;
}

export interface StreamingNormalizeOptions {
  /** Add the original record as event.original (INCLUDE_ORIGINAL). */
  includeOriginal: boolean;
}

const PREFIX = 'AdvancedHunting-';

/** Columns that Defender ships as JSON text; decoded under m365_defender.properties. */
const JSON_COLUMNS = [
  'AdditionalFields', 'AttackTechniques', 'AuthenticationDetails', 'LoggedOnUsers', 'IPAddresses', 'ConnectedNetworks',
  'DefaultGateways', 'DnsAddresses', 'RawEventData', 'Categories', 'ActivityObjects', 'IPTags', 'UserAgentTags',
  'DeviceManualTags', 'DeviceDynamicTags', 'UrlChain', 'MergedDeviceIds', 'OSVersionInfo', 'SessionData', 'DataSources',
  'DetectionMethods', 'ThreatTypes', 'ThreatNames', 'Connectors', 'CrlDistributionPointUrls', 'OperationNamesList',
  'LastSeenForUser', 'UncommonForUser', 'AssetValue', 'RegistryDeviceTag', 'OtherMailAddresses', 'Tags', 'BlastRadius',
];

/** Checks the envelope shape. Returns the record, or why it is not one. */
export function validateRecord(value: unknown): DefenderRecord | string {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return `record is a ${value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value}, not an object`;
  }
  const envelope = value as Record<string, unknown>;
  const category = envelope.category;
  if (typeof category !== 'string' || category.trim() === '') return 'record has no "category" string';
  const properties = envelope.properties;
  if (properties === null || typeof properties !== 'object' || Array.isArray(properties)) {
    return `record (${category}) has no "properties" object`;
  }
  const table = category.startsWith(PREFIX) ? category.slice(PREFIX.length) : category;
  return { category, table, properties: properties as Props, envelope };
}

const JSON_COLUMN_SET: ReadonlySet<string> = new Set(JSON_COLUMNS);

/**
 * The JSON-encoded columns, decoded, in the record's own column order. Known tables decode the
 * documented columns; unknown tables decode any string that looks like a JSON object or array. The
 * record's keys are walked (one set lookup each) rather than the 33 documented names looked up on
 * every record: most are absent, and a miss on objects of many shapes is the slower lookup. Keys are
 * set with defineProperty so a column named `__proto__` stays a plain data property.
 */
function decodedColumns(p: Props, known: boolean): Props | undefined {
  let decoded: Props | undefined;
  for (const col of Object.keys(p)) {
    if (known && !JSON_COLUMN_SET.has(col)) continue;
    const v = p[col];
    if (v === undefined || v === null || (!known && (typeof v !== 'string' || v.length < 2 || (v.charCodeAt(0) !== 123 && v.charCodeAt(0) !== 91)))) continue;
    const d = decodeJson(v);
    if (d === undefined || (typeof v === 'string' && d === v)) continue;
    decoded ??= {};
    if (known) decoded[col] = d;
    else Object.defineProperty(decoded, col, { value: d, enumerable: true, writable: true, configurable: true });
  }
  return decoded;
}

/**
 * Deterministic, content-derived id: the same row always gets the same id (so a SIEM can drop the
 * duplicates of at-least-once delivery), different rows get different ids. The envelope `time` is left
 * out on purpose: a re-export of the same row must keep its id.
 */
export function streamingEventId(category: string, tenantId: string, propertiesJson: string): string {
  return sha256Hex(`${category}\u001f${tenantId}\u001f${propertiesJson}`).slice(0, 32);
}

/**
 * SHA-256 (collision resistant: an attacker must not be able to craft a record whose id equals another
 * event's and so get it dropped as a duplicate). crypto.hash (Node >= 20.12) is the one-shot form,
 * about twice as fast per call as createHash for record-sized inputs.
 */
const oneShotHash = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;
function sha256Hex(data: string): string {
  return oneShotHash ? oneShotHash('sha256', data, 'hex') : crypto.createHash('sha256').update(data).digest('hex');
}

/** What is the same for every record of one table, computed once per table rather than per record. */
interface TableInfo {
  mapping: TableMapping;
  known: boolean;
  dataset: string;
  /** event.type per ActionType (few distinct values per table). */
  types: Map<string, string[]>;
}

const TABLE_INFO = new Map<string, TableInfo>();
const INFO_TYPE = Object.freeze(['info']) as string[];

function tableInfo(table: string): TableInfo {
  let info = TABLE_INFO.get(table);
  if (!info) {
    const known = Object.prototype.hasOwnProperty.call(TABLES, table);
    info = { mapping: known ? TABLES[table] : GENERIC_TABLE, known, dataset: `m365_defender.${table.toLowerCase()}`, types: new Map() };
    // Unknown category names come from the data: cap the cache so hostile input cannot grow it forever.
    if (TABLE_INFO.size < 1000) TABLE_INFO.set(table, info);
  }
  return info;
}

function eventType(info: TableInfo, action: string | undefined): string[] {
  const typeOf = info.mapping.type;
  if (!typeOf) return INFO_TYPE;
  const key = action ?? '';
  let t = info.types.get(key);
  if (!t) {
    t = typeOf(action);
    if (info.types.size < 1000) info.types.set(key, t);
  }
  return t;
}

function summary(table: string, ev: NormalizedEvent): string {
  if (ev.event.kind === 'alert' && ev.rule?.name) return ev.rule.name;
  let s = ev.event.action ? `${table} ${ev.event.action}` : table;
  const host = ev.host?.name;
  const user = ev.user?.name;
  if (host) s += ` on ${host}`;
  if (user) s += ` by ${user}`;
  return s;
}

/** Normalizes one validated record. Throws only on pathological input (for example nesting too deep to serialize). */
export function normalizeStreamingRecord(record: DefenderRecord, provenance: Provenance, options: StreamingNormalizeOptions): NormalizedEvent {
  const { category, table, envelope } = record;
  const p = record.properties;
  const info = tableInfo(table);
  const mapping = info.mapping;
  const tenantId = str(envelope.tenantId) ?? '';
  const action = str(p.ActionType);
  const rawTimestamp = typeof p.Timestamp === 'string' ? p.Timestamp : undefined;
  const envelopeTime = typeof envelope.time === 'string' ? envelope.time : undefined;
  const timestamp = isoTime(rawTimestamp) ?? isoTime(envelopeTime) ?? new Date().toISOString();
  const propertiesJson = JSON.stringify(p);

  const ev: NormalizedEvent = {
    '@timestamp': timestamp,
    event: {
      kind: mapping.kind,
      // Shared per table (frozen): an event that needs another category builds a new array.
      category: mapping.category,
      type: eventType(info, action),
      action,
      dataset: info.dataset,
      id: streamingEventId(category, tenantId, propertiesJson),
      created: isoTime(envelopeTime),
      provider: table,
      module: 'm365_defender',
    },
    observer: { vendor: 'Microsoft', product: 'Defender XDR' },
    cloud: tenantId ? { account: { id: tenantId }, provider: 'azure' } : undefined,
    m365_defender: {
      category,
      table,
      operation_name: str(envelope.operationName),
      tenant: tenantId || envelope.Tenant !== undefined ? { id: tenantId || undefined, name: str(envelope.Tenant) } : undefined,
      time: envelopeTime,
      timestamp: rawTimestamp,
      time_received_by_svc: str(envelope._TimeReceivedBySvc),
      report_id: str(p.ReportId),
      decoded: decodedColumns(p, info.known),
      properties: p,
    },
    forwarder: { provenance },
    [PROPERTIES_JSON]: propertiesJson,
  };
  mapping.map(p, ev);
  relate(ev, 'hosts', ev.host?.name);
  relate(ev, 'user', ev.user?.name);
  ev.message = summary(table, ev);
  if (options.includeOriginal) ev.event.original = JSON.stringify(envelope);
  return ev;
}

/** The tables with a specific mapping (every other category is normalized generically). */
export const KNOWN_TABLES: readonly string[] = Object.keys(TABLES);

