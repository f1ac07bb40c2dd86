/**
 * send-samples: puts sample Defender streaming bodies on the event hub, to smoke-test a deployment end
 * to end (hub -> trigger -> SIEM). Reading the files, batching within the producer's limits and
 * building the real @azure/event-hubs producer are separate functions, so tests drive the batching
 * through the small EventProducer interface with a fake that enforces the SDK's limits.
 */
import { DefaultAzureCredential } from '@azure/identity';
import { EventHubProducerClient, type EventData, type EventDataBatch } from '@azure/event-hubs';
import { ConfigError, readString, type SettingsSource } from '../config/env';

/** The part of the SDK's EventDataBatch that batching needs. */
export interface EventBatch {
  readonly count: number;
  readonly sizeInBytes: number;
  readonly maxSizeInBytes: number;
  /** False when the event does not fit (also for a single event larger than an empty batch allows). */
  tryAdd(event: EventData): boolean;
}

/** The part of the SDK's EventHubProducerClient that batching needs. */
export interface EventProducer<B extends EventBatch = EventBatch> {
  createBatch(): Promise<B>;
  sendBatch(batch: B): Promise<void>;
  close(): Promise<void>;
}

/** One Event Hubs message body as the Defender export writes it: `{"records":[...]}` in UTF-8. */
export interface SampleBody {
  /** File (or other label) and 1-based line the body comes from; for grouped bare records, the first line. */
  source: string;
  line: number;
  records: number;
  body: Buffer;
}

export class SampleFileError extends Error {
  constructor(readonly source: string, readonly line: number, problem: string) {
    super(`${source}:${line}: ${problem}`);
    this.name = 'SampleFileError';
  }
}

export interface ReadSamplesOptions {
  /** Bare records (one record per line, as in *.log samples) are wrapped this many to a body. */
  maxRecordsPerBody?: number;
  /** ...and into bodies no larger than this (the Basic tier's limit is 256 KB). */
  maxBodyBytes?: number;
}

const DEFAULT_RECORDS_PER_BODY = 50;
const DEFAULT_BODY_BYTES = 240 * 1024;

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * Parses sample text: each non-blank line is either a whole body (`{"records":[...]}`, sent byte for
 * byte as written) or one bare record (an object with `category` or `properties`), which is wrapped
 * with its neighbours into bodies. Anything else is an error naming the line: nothing is guessed.
 */
export function readSampleBodies(text: string, source: string, options: ReadSamplesOptions = {}): SampleBody[] {
  const maxRecords = options.maxRecordsPerBody ?? DEFAULT_RECORDS_PER_BODY;
  const maxBytes = options.maxBodyBytes ?? DEFAULT_BODY_BYTES;
  const bodies: SampleBody[] = [];
  let pending: { line: number; records: string[]; bytes: number } | undefined;

  const flush = (): void => {
    if (!pending) return;
    const body = Buffer.from(`{"records":[${pending.records.join(',')}]}`, 'utf8');
    bodies.push({ source, line: pending.line, records: pending.records.length, body });
    pending = undefined;
  };

  const lines = text.replace(/^\uFEFF/, '').split('\n');
  lines.forEach((raw, i) => {
    const lineNo = i + 1;
    const line = raw.replace(/\r$/, '').trim();
    if (line === '') return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch (err) {
      throw new SampleFileError(source, lineNo, `not JSON (${(err as Error).message})`);
    }
    if (!isObject(parsed)) throw new SampleFileError(source, lineNo, 'expected a JSON object');
    if ('records' in parsed) {
      const records = parsed.records;
      if (!Array.isArray(records)) throw new SampleFileError(source, lineNo, '"records" is not an array');
      if (records.length === 0) throw new SampleFileError(source, lineNo, '"records" is empty');
      if (!records.every(isObject)) throw new SampleFileError(source, lineNo, 'every record must be a JSON object');
      flush();
      bodies.push({ source, line: lineNo, records: records.length, body: Buffer.from(line, 'utf8') });
      return;
    }
    if (!('category' in parsed) && !('properties' in parsed)) {
      throw new SampleFileError(source, lineNo, 'neither a {"records":[...]} body nor a streaming record (no category/properties)');
    }
    const bytes = Buffer.byteLength(line, 'utf8');
    // 14 = `{"records":[` + `]}`, plus one comma per record after the first.
    if (pending && (pending.records.length >= maxRecords || pending.bytes + 1 + bytes > maxBytes)) flush();
    if (!pending) pending = { line: lineNo, records: [], bytes: 14 };
    else pending.bytes += 1;
    pending.records.push(line);
    pending.bytes += bytes;
  });
  flush();
  return bodies;
}

/** What goes on the wire: the body bytes as one AMQP data section, as the Defender export sends them. */
export function toEventData(sample: SampleBody): EventData {
  return { body: sample.body, contentType: 'application/json' };
}

export interface OversizeBody {
  source: string;
  line: number;
  bytes: number;
  maxSizeInBytes: number;
}

export interface SendReport {
  /** Bodies accepted by the hub. */
  bodies: number;
  records: number;
  bytes: number;
  batches: number;
  /** Bodies too large for even an empty batch: reported, never sent, never silently dropped. */
  oversize: OversizeBody[];
}

/** A send failed; `report` says what the hub had already accepted (earlier batches). */
export class SendSamplesError extends Error {
  constructor(readonly report: SendReport, override readonly cause: unknown) {
    super(`sending to the event hub failed after ${report.batches} batch(es): ${(cause as Error)?.message ?? String(cause)}`);
    this.name = 'SendSamplesError';
  }
}

export interface SendOptions {
  /** Called after each batch the hub accepted (progress). */
  onBatchSent?: (batch: { events: number; bytes: number }, report: SendReport) => void;
}

/**
 * Sends the bodies in as few batches as the producer's size limit allows, in order. Does not close
 * the producer (the caller owns it).
 */
export async function sendSampleBodies<B extends EventBatch>(
  producer: EventProducer<B>,
  samples: readonly SampleBody[],
  options: SendOptions = {},
): Promise<SendReport> {
  const report: SendReport = { bodies: 0, records: 0, bytes: 0, batches: 0, oversize: [] };
  let batch = await producer.createBatch();
  let inBatch: SampleBody[] = [];

  const send = async (): Promise<void> => {
    if (inBatch.length === 0) return;
    const size = batch.sizeInBytes;
    try {
      await producer.sendBatch(batch);
    } catch (err) {
      throw new SendSamplesError({ ...report, oversize: [...report.oversize] }, err);
    }
    report.batches++;
    report.bodies += inBatch.length;
    for (const s of inBatch) {
      report.records += s.records;
      report.bytes += s.body.length;
    }
    options.onBatchSent?.({ events: inBatch.length, bytes: size }, report);
    inBatch = [];
    batch = await producer.createBatch();
  };

  for (const sample of samples) {
    const event = toEventData(sample);
    if (batch.tryAdd(event)) {
      inBatch.push(sample);
      continue;
    }
    if (inBatch.length > 0) {
      await send();
      if (batch.tryAdd(event)) {
        inBatch.push(sample);
        continue;
      }
    }
    // It does not fit into an empty batch: the hub would reject it too.
    report.oversize.push({ source: sample.source, line: sample.line, bytes: sample.body.length, maxSizeInBytes: batch.maxSizeInBytes });
  }
  await send();
  return report;
}

// ---------------------------------------------------------------------------------------------
// The real producer
// ---------------------------------------------------------------------------------------------

/** Local-use setting: a connection string with Send rights (for example a SAS rule of your own). */
export const SEND_CONNECTION_STRING_SETTING = 'EVENTHUB_SEND_CONNECTION_STRING';

export type SendTarget =
  | { kind: 'identity'; fullyQualifiedNamespace: string; eventHubName: string; managedIdentityClientId?: string }
  | { kind: 'connectionString'; connectionString: string; eventHubName: string };

export interface SendTargetOverrides {
  namespace?: string;
  hub?: string;
}

/** `contoso.servicebus.windows.net`, also from `sb://host/`, `https://host:443/`. */
export function normalizeNamespace(value: string, setting: string): string {
  const host = value.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').replace(/\/.*$/, '').replace(/:\d+$/, '');
  if (!/^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/.test(host)) {
    throw new ConfigError(setting, `expected the namespace host name, e.g. contoso-ns.servicebus.windows.net, got "${value}"`);
  }
  return host.toLowerCase();
}

function entityPath(connectionString: string): string | undefined {
  const m = /(?:^|;)\s*EntityPath=([^;]+)/i.exec(connectionString);
  return m ? m[1].trim() : undefined;
}

/**
 * Where to send: a connection string in EVENTHUB_SEND_CONNECTION_STRING wins (local use), else the
 * namespace (--namespace or EventHubConnection__fullyQualifiedNamespace) with DefaultAzureCredential.
 * The hub is --hub, else EVENTHUB_NAME, else `defender-export` (the template's default).
 */
export function resolveSendTarget(env: SettingsSource, overrides: SendTargetOverrides = {}): SendTarget {
  const hubSetting = readString(env, 'EVENTHUB_NAME');
  const connectionString = readString(env, SEND_CONNECTION_STRING_SETTING);
  if (connectionString && !overrides.namespace) {
    const path = entityPath(connectionString);
    const hub = overrides.hub ?? path ?? hubSetting ?? 'defender-export';
    if (path && path !== hub) {
      throw new ConfigError(SEND_CONNECTION_STRING_SETTING, `its EntityPath names another hub than "${hub}"`);
    }
    if (!/(?:^|;)\s*Endpoint=sb:\/\//i.test(connectionString)) {
      throw new ConfigError(SEND_CONNECTION_STRING_SETTING, 'expected an Event Hubs connection string (Endpoint=sb://...)');
    }
    return { kind: 'connectionString', connectionString, eventHubName: hub };
  }
  const nsValue = overrides.namespace ?? readString(env, 'EventHubConnection__fullyQualifiedNamespace');
  if (!nsValue) {
    throw new ConfigError(
      'EventHubConnection__fullyQualifiedNamespace',
      `not set: pass --namespace <host>, set it (azd env get-values has it), or set ${SEND_CONNECTION_STRING_SETTING}`,
    );
  }
  const fullyQualifiedNamespace = normalizeNamespace(nsValue, overrides.namespace ? '--namespace' : 'EventHubConnection__fullyQualifiedNamespace');
  const target: SendTarget = {
    kind: 'identity',
    fullyQualifiedNamespace,
    eventHubName: overrides.hub ?? hubSetting ?? 'defender-export',
  };
  const clientId = readString(env, 'AZURE_CLIENT_ID');
  if (clientId) target.managedIdentityClientId = clientId;
  return target;
}

/** Where a target points, without any secret (for messages). */
export function describeTarget(target: SendTarget): string {
  if (target.kind === 'identity') return `${target.fullyQualifiedNamespace}/${target.eventHubName}`;
  const m = /Endpoint=sb:\/\/([^/;]+)/i.exec(target.connectionString);
  return `${m ? m[1] : '(connection string)'}/${target.eventHubName}`;
}

/** The real @azure/event-hubs producer; constructing it does not connect yet. */
export function createEventHubProducer(target: SendTarget): EventProducer<EventDataBatch> {
  const client =
    target.kind === 'connectionString'
      ? entityPath(target.connectionString)
        ? new EventHubProducerClient(target.connectionString)
        : new EventHubProducerClient(target.connectionString, target.eventHubName)
      : new EventHubProducerClient(
          target.fullyQualifiedNamespace,
          target.eventHubName,
          new DefaultAzureCredential(target.managedIdentityClientId ? { managedIdentityClientId: target.managedIdentityClientId } : {}),
        );
  return {
    createBatch: () => client.createBatch(),
    sendBatch: (batch) => client.sendBatch(batch),
    close: () => client.close(),
  };
}
