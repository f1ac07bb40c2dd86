/**
 * Poll cursors in Azure Table Storage: one entity per tenant (PartitionKey) and resource (RowKey), written
 * with ETag optimistic concurrency. A conflicting write (412, or 409 on first create) reloads the entity,
 * merges (later instant wins, equal instants union ids: both are claims about delivered data) and writes
 * again, so racing pollers never open a gap and never move a cursor backwards.
 */
import { RestError, type TableClient, type TableEntityResult } from '@azure/data-tables';
import type { Logger } from '../observability/log';
import { decodeIds, encodeIds, mergeCursors, sameCursor, type GraphCursor } from './cursor';
import type { GraphResource } from './types';

export interface StoredCursor {
  cursor: GraphCursor;
  /** Opaque version for optimistic concurrency. */
  etag: string;
}

export interface AdvanceResult {
  /** What the store holds now. */
  stored: StoredCursor;
  /** True when another writer had changed the entity and `stored` is the merge of both. */
  conflicted: boolean;
}

export interface CursorStore {
  readonly name: string;
  load(tenantId: string, resource: GraphResource): Promise<StoredCursor | undefined>;
  /**
   * Stores merge(expected.cursor, proposed) if the entity is still at `expected` (undefined: absent);
   * otherwise reloads and merges with what is there. Never moves the cursor backwards.
   */
  advance(tenantId: string, resource: GraphResource, proposed: GraphCursor, expected: StoredCursor | undefined): Promise<AdvanceResult>;
}

export class CursorStoreError extends Error {
  constructor(message: string, readonly underlying?: unknown) {
    super(message);
    this.name = 'CursorStoreError';
  }
}

/** Characters Table Storage forbids in keys. */
const BAD_KEY = /[/\\#?\u0000-\u001f\u007f-\u009f]/;

/** Azure's limits: 252 custom properties and 1 MiB per entity; we stay well below. */
const MAX_PARTS = 14;

interface CursorEntity {
  partitionKey: string;
  rowKey: string;
  instant: string;
  idCount: number;
  idsEncoding: string;
  idsParts: number;
  updatedAt: string;
  [part: `ids${number}`]: string;
}

export interface TableCursorStoreOptions {
  logger: Logger;
  /** Reload-merge-write rounds before giving up on a hot entity. Default 20. */
  maxConflictRounds?: number;
  now?: () => number;
}

export class TableCursorStore implements CursorStore {
  readonly name: string;
  private tableReady: Promise<void> | undefined;

  constructor(private readonly table: TableClient, private readonly options: TableCursorStoreOptions) {
    this.name = `table:${table.tableName}`;
  }

  async load(tenantId: string, resource: GraphResource): Promise<StoredCursor | undefined> {
    checkKey(tenantId, 'tenant id');
    await this.ensureTable();
    try {
      const e = await this.table.getEntity<Record<string, unknown>>(tenantId, resource);
      return fromEntity(e);
    } catch (err) {
      if (err instanceof RestError && err.statusCode === 404) return undefined;
      throw new CursorStoreError(`could not read the ${resource} cursor of tenant ${tenantId} from ${this.name}: ${(err as Error).message}`, err);
    }
  }

  async advance(tenantId: string, resource: GraphResource, proposed: GraphCursor, expected: StoredCursor | undefined): Promise<AdvanceResult> {
    checkKey(tenantId, 'tenant id');
    await this.ensureTable();
    const rounds = this.options.maxConflictRounds ?? 20;
    let base = expected;
    let conflicted = false;
    for (let round = 0; round < rounds; round++) {
      const target = mergeCursors(base?.cursor, proposed);
      if (base && sameCursor(base.cursor, target)) return { stored: base, conflicted };
      const entity = this.toEntity(tenantId, resource, target);
      try {
        const res = base
          ? await this.table.updateEntity(entity, 'Replace', { etag: base.etag })
          : await this.table.createEntity(entity);
        if (!res.etag) throw new CursorStoreError(`${this.name} returned no ETag`);
        return { stored: { cursor: target, etag: res.etag }, conflicted };
      } catch (err) {
        const status = err instanceof RestError ? err.statusCode : undefined;
        if (status !== 412 && status !== 409 && !(status === 404 && base)) {
          throw new CursorStoreError(`could not write the ${resource} cursor of tenant ${tenantId} to ${this.name}: ${(err as Error).message}`, err);
        }
        // Someone else wrote (or deleted) it since we read it: merge with the current state and retry.
        conflicted = true;
        this.options.logger.info('cursor write conflict, merging', { tenantId, resource, status, round });
        base = await this.load(tenantId, resource);
      }
    }
    throw new CursorStoreError(`the ${resource} cursor of tenant ${tenantId} kept changing under ${rounds} write attempts`);
  }

  private toEntity(tenantId: string, resource: GraphResource, cursor: GraphCursor): CursorEntity {
    const parts = encodeIds(cursor.ids);
    if (parts.length > MAX_PARTS) {
      throw new CursorStoreError(`${cursor.ids.length} ids share lastUpdateDateTime ${cursor.instant}: more than one cursor entity holds (${MAX_PARTS} x 32K chars compressed)`);
    }
    const entity: CursorEntity = {
      partitionKey: tenantId,
      rowKey: resource,
      instant: cursor.instant,
      idCount: cursor.ids.length,
      idsEncoding: 'gzip+base64:json',
      idsParts: parts.length,
      updatedAt: new Date((this.options.now ?? Date.now)()).toISOString(),
    };
    parts.forEach((p, i) => { entity[`ids${i}`] = p; });
    return entity;
  }

  private ensureTable(): Promise<void> {
    this.tableReady ??= this.table.createTable().then(
      () => undefined,
      (err: unknown) => {
        this.tableReady = undefined;
        if (err instanceof RestError && err.statusCode === 409) return; // TableAlreadyExists
        throw new CursorStoreError(`could not create cursor table ${this.table.tableName}: ${(err as Error).message}`, err);
      },
    );
    return this.tableReady;
  }
}

function checkKey(value: string, what: string): void {
  if (value === '' || BAD_KEY.test(value) || value.length > 512) throw new CursorStoreError(`invalid ${what} for a cursor key: ${JSON.stringify(value)}`);
}

function fromEntity(e: TableEntityResult<Record<string, unknown>>): StoredCursor {
  const instant = e.instant;
  if (typeof instant !== 'string') throw new CursorStoreError(`cursor entity ${e.partitionKey}/${e.rowKey} has no instant`);
  const partCount = typeof e.idsParts === 'number' ? e.idsParts : 0;
  const parts: string[] = [];
  for (let i = 0; i < partCount; i++) {
    const p = e[`ids${i}`];
    if (typeof p !== 'string') throw new CursorStoreError(`cursor entity ${e.partitionKey}/${e.rowKey} misses part ids${i}`);
    parts.push(p);
  }
  if (!e.etag) throw new CursorStoreError(`cursor entity ${e.partitionKey}/${e.rowKey} has no ETag`);
  return { cursor: { instant, ids: decodeIds(parts) }, etag: e.etag };
}

/** In-memory store with the same semantics (ETag + merge), for the CLI dry runs, unit tests and benches. */
export class MemoryCursorStore implements CursorStore {
  readonly name = 'memory';
  private readonly entries = new Map<string, StoredCursor>();
  private version = 0;
  writes = 0;

  async load(tenantId: string, resource: GraphResource): Promise<StoredCursor | undefined> {
    return this.entries.get(`${tenantId}|${resource}`);
  }

  async advance(tenantId: string, resource: GraphResource, proposed: GraphCursor, expected: StoredCursor | undefined): Promise<AdvanceResult> {
    const key = `${tenantId}|${resource}`;
    const current = this.entries.get(key);
    const conflicted = current?.etag !== expected?.etag;
    const target = mergeCursors(current?.cursor, proposed);
    if (current && sameCursor(current.cursor, target)) return { stored: current, conflicted };
    const stored = { cursor: target, etag: `W/"${++this.version}"` };
    this.entries.set(key, stored);
    this.writes++;
    return { stored, conflicted };
  }
}
