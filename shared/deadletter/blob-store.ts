/**
 * Dead letters in Blob Storage (container `deadletter` by default): one block blob per put(), NDJSON,
 * named `<kind>/YYYY/MM/DD/<ISO time>-<random>.ndjson` so a listing sorts by kind and time, with
 * metadata (counts, kinds, destinations, first reasons) so `deadletter list` needs no downloads.
 * A blob upload is durable once the service acknowledged it; any failure surfaces as DeadLetterWriteError.
 */
import type { BlobServiceClient, ContainerClient } from '@azure/storage-blob';
import type { DeadLetterEntry } from './types';
import {
  DeadLetterWriteError, decodeEntries, encodeEntries, errorText, sortUnits, summarize, timeFromName, unitStamp,
  type DeadLetterKind, type DeadLetterUnit, type DeadLetterUnitStore, type UnitKind,
} from './unit';

export const DEFAULT_DEADLETTER_CONTAINER = 'deadletter';

export interface BlobDeadLetterStoreOptions {
  service: BlobServiceClient;
  /** Default `deadletter`. Created on first use when missing. */
  containerName?: string;
  now?: () => Date;
}

const UNIT_KINDS: readonly UnitKind[] = ['delivery-failed', 'parse-error', 'mixed'];
/** Metadata of one blob is limited to 8 KB in all; reasons get a share of it. */
const METADATA_TEXT_MAX = 2000;

function encodeList(values: readonly string[]): string {
  const kept: string[] = [];
  for (const v of values) {
    if (encodeURIComponent(JSON.stringify([...kept, v])).length > METADATA_TEXT_MAX) break;
    kept.push(v);
  }
  // Metadata travels as HTTP headers: percent-encoding keeps CR/LF and non-ASCII out of them.
  return encodeURIComponent(JSON.stringify(kept));
}

function decodeList(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(decodeURIComponent(value));
    return Array.isArray(parsed) && parsed.every((x) => typeof x === 'string') ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function count(value: string | undefined): number | undefined {
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined;
}

/** A unit summary from blob metadata; undefined when the metadata is missing or not ours. */
function unitFromMetadata(id: string, bytes: number, md: Record<string, string> | undefined): DeadLetterUnit | undefined {
  if (!md) return undefined;
  const entries = count(md.entries);
  const deliveryFailed = count(md.deliveryfailed);
  const parseError = count(md.parseerror);
  const destinations = decodeList(md.destinations);
  const reasons = decodeList(md.reasons);
  const kind = md.kind as UnitKind;
  if (entries === undefined || deliveryFailed === undefined || parseError === undefined || !destinations || !reasons || !UNIT_KINDS.includes(kind)) return undefined;
  const kinds: Record<DeadLetterKind, number> = { 'delivery-failed': deliveryFailed, 'parse-error': parseError };
  return { id, createdAt: timeFromName(id) ?? '', kind, count: entries, kinds, destinations, reasons, bytes };
}

export class BlobDeadLetterStore implements DeadLetterUnitStore {
  readonly name: string;
  private readonly container: ContainerClient;
  private readonly now: () => Date;
  private ready: Promise<void> | undefined;

  constructor(opts: BlobDeadLetterStoreOptions) {
    const containerName = opts.containerName ?? DEFAULT_DEADLETTER_CONTAINER;
    this.container = opts.service.getContainerClient(containerName);
    // The URL of a SAS connection string carries the signature in its query: never in a name that gets logged.
    const url = new URL(this.container.url);
    url.search = '';
    this.name = `blob:${url.toString()}`;
    this.now = opts.now ?? (() => new Date());
  }

  /** Creates the container once per process; a failed attempt is retried by the next call. */
  private ensureContainer(): Promise<void> {
    this.ready ??= this.container.createIfNotExists().then(
      () => undefined,
      (err: unknown) => {
        this.ready = undefined;
        throw err;
      },
    );
    return this.ready;
  }

  async put(entries: readonly DeadLetterEntry[]): Promise<void> {
    if (entries.length === 0) return;
    try {
      const summary = summarize(entries);
      const { iso, random } = unitStamp(this.now());
      const id = `${summary.kind}/${iso.slice(0, 4)}/${iso.slice(5, 7)}/${iso.slice(8, 10)}/${iso}-${random}.ndjson`;
      const body = encodeEntries(entries);
      await this.ensureContainer();
      await this.container.getBlockBlobClient(id).uploadData(body, {
        blobHTTPHeaders: { blobContentType: 'application/x-ndjson; charset=utf-8' },
        metadata: {
          formatversion: '1',
          kind: summary.kind,
          entries: String(summary.count),
          deliveryfailed: String(summary.kinds['delivery-failed']),
          parseerror: String(summary.kinds['parse-error']),
          destinations: encodeList(summary.destinations),
          reasons: encodeList(summary.reasons),
        },
        // Names are random; this only guarantees a put can never replace an existing unit.
        conditions: { ifNoneMatch: '*' },
      });
    } catch (err) {
      throw new DeadLetterWriteError(this.name, entries.length, err);
    }
  }

  async list(): Promise<DeadLetterUnit[]> {
    if (!(await this.container.exists())) return [];
    const units: DeadLetterUnit[] = [];
    for await (const blob of this.container.listBlobsFlat({ includeMetadata: true })) {
      if (!blob.name.endsWith('.ndjson')) continue;
      const bytes = blob.properties.contentLength ?? 0;
      const fromMetadata = unitFromMetadata(blob.name, bytes, blob.metadata);
      if (fromMetadata) {
        units.push(fromMetadata);
        continue;
      }
      // Metadata lost or written by hand: read the unit to describe it.
      const kind: UnitKind = UNIT_KINDS.find((k) => blob.name.startsWith(`${k}/`)) ?? 'mixed';
      try {
        units.push({ id: blob.name, createdAt: timeFromName(blob.name) ?? '', bytes, ...summarize(await this.read(blob.name)) });
      } catch (err) {
        units.push({ id: blob.name, createdAt: timeFromName(blob.name) ?? '', bytes, ...summarize([]), kind, problem: errorText(err) });
      }
    }
    return sortUnits(units);
  }

  async read(id: string): Promise<DeadLetterEntry[]> {
    return decodeEntries(id, await this.container.getBlobClient(id).downloadToBuffer());
  }

  async delete(id: string): Promise<void> {
    await this.container.getBlobClient(id).deleteIfExists({ deleteSnapshots: 'include' });
  }
}
