/**
 * Polls one Graph security collection of one tenant from its cursor to now (or until the time budget),
 * delivering every object version once and advancing the cursor after each delivered page.
 * See pager.ts for the paging strategy and cursor.ts for what the cursor claims.
 */
import type { Logger } from '../observability/log';
import type { OutboundEvent } from '../sinks/types';
import type { NormalizedEvent } from '../model/event';
import { normalizeAlert } from '../normalize/graph/alert';
import { normalizeIncident } from '../normalize/graph/incident';
import { GraphClient } from './client';
import { makeCursor, type GraphCursor } from './cursor';
import type { CursorStore, StoredCursor } from './cursor-store';
import { GraphError, GraphHttpError } from './errors';
import { instantBefore } from './instant';
import { buildQueryUrl, checkNextLink, readPageItems, type PageItem } from './pager';
import { MAX_PAGE_SIZE, originOf, type GraphResource, type GraphTokenSource } from './types';

export type Deliver = (items: readonly OutboundEvent[]) => Promise<void>;

export interface PollProgress {
  resource: GraphResource;
  tenantId: string;
  items: number;
  pages: number;
  requests: number;
  cursor: GraphCursor;
}

export interface PollOptions {
  resource: GraphResource;
  tenantId: string;
  tokens: GraphTokenSource;
  graphBaseUrl: string;
  cursorStore: CursorStore;
  /** Resolves only when every item was delivered or durably dead-lettered; throws otherwise. */
  deliver: Deliver;
  /** `$top`: at most 50 for incidents, 1000 for alerts_v2. Default: the maximum. */
  pageSize?: number;
  /** Incidents only: `$expand=alerts`; a 500 it causes turns it off for the rest of the run. */
  expandAlerts?: boolean;
  /** First-run lookback in ms (no cursor stored yet). */
  lookbackMs: number;
  /** Paging stops before this much time has passed since the start; the next run resumes. */
  budgetMs: number;
  logger: Logger;
  onProgress?: (p: PollProgress) => void;
  /** Start here instead of the stored cursor (CLI `--since`). The stored cursor never moves backwards. */
  since?: string;
  /** Trust these CA certificates (PEM) for Graph, for private endpoints and test doubles. */
  ca?: string | Buffer;
  /** Injected clock and sleep (retry waits), for tests. */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** Backoff base for 5xx; default 1 s. */
  baseDelayMs?: number;
}

export type StopReason = 'caught-up' | 'budget' | 'concurrent';

export interface PollResult {
  resource: GraphResource;
  tenantId: string;
  /** Object versions delivered. */
  items: number;
  /** Objects re-read at the cursor instant and skipped (already delivered). */
  skipped: number;
  pages: number;
  /** HTTP requests to Graph, retries included. */
  requests: number;
  throttled: number;
  cursor: GraphCursor;
  stoppedBy: StopReason;
  /** True when `$expand=alerts` failed and the run continued without it. */
  expandFellBack: boolean;
  /** Cursor writes that met another writer's change (ETag) and merged. */
  conflicts: number;
}

export class PollOptionsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PollOptionsError';
  }
}

function normalizerFor(resource: GraphResource): (o: Readonly<Record<string, unknown>>, ctx: { tenantId: string; messageIndex: number }) => NormalizedEvent {
  return resource === 'incidents' ? normalizeIncident : normalizeAlert;
}

interface TieState {
  instant: string;
  /** nextLinks followed inside this instant. */
  followed: number;
  /** Re-reading the instant from a fresh query to catch objects a shifting nextLink skipped. */
  verifying: boolean;
  /** New objects the verification pass found (another pass runs if > 0). */
  found: number;
}

export async function pollResource(o: PollOptions): Promise<PollResult> {
  const now = o.now ?? Date.now;
  const start = now();
  const deadline = start + o.budgetMs;
  const max = MAX_PAGE_SIZE[o.resource];
  const pageSize = o.pageSize ?? max;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > max) {
    throw new PollOptionsError(`page size for ${o.resource} must be 1..${max}, got ${pageSize}`);
  }
  const normalize = normalizerFor(o.resource);
  const origin = originOf(o.resource);
  const log = o.logger;
  const client = new GraphClient({
    resource: o.resource, tenantId: o.tenantId, tokens: o.tokens, logger: log, ca: o.ca,
    sleep: o.sleep, now, random: o.random, baseDelayMs: o.baseDelayMs,
  });

  let stored: StoredCursor | undefined = await o.cursorStore.load(o.tenantId, o.resource);
  let position: GraphCursor = o.since
    ? makeCursor(o.since)
    : stored?.cursor ?? makeCursor(instantBefore(start, o.lookbackMs));
  if (!stored && !o.since) log.info('no cursor yet, starting from the lookback window', { resource: o.resource, tenantId: o.tenantId, since: position.instant });
  let known = new Set(position.ids);
  let expand = o.expandAlerts === true && o.resource === 'incidents';
  let nextUrl: string | undefined;
  let tie: TieState | undefined;
  let slowestPageMs = 0;
  const result: PollResult = {
    resource: o.resource, tenantId: o.tenantId, items: 0, skipped: 0, pages: 0, requests: 0, throttled: 0,
    cursor: position, stoppedBy: 'caught-up', expandFellBack: false, conflicts: 0,
  };
  const finish = (stoppedBy: StopReason): PollResult => {
    result.stoppedBy = stoppedBy;
    result.cursor = position;
    result.requests = client.stats.requests;
    result.throttled = client.stats.throttled;
    return result;
  };

  for (;;) {
    const pageStart = now();
    // Stop while a whole page round (fetch, deliver, cursor write) still fits in the budget.
    if (pageStart + slowestPageMs > deadline) {
      log.info('graph poll stopped at its time budget; the next run resumes from the cursor', { resource: o.resource, tenantId: o.tenantId, pages: result.pages });
      return finish('budget');
    }
    const url = nextUrl ?? buildQueryUrl(o.graphBaseUrl, o.resource, { since: position.instant, pageSize, expandAlerts: expand });
    let page;
    try {
      page = await client.getPage(url, { deadline, maxAttempts: expand ? 2 : undefined });
    } catch (err) {
      if (expand && err instanceof GraphHttpError && err.status >= 500) {
        // $expand=alerts is known to fail persistently on large tenants: drop it for this run, never stall.
        log.warn('incidents with $expand=alerts failed; continuing without expanding alerts for this run', { tenantId: o.tenantId, status: err.status });
        expand = false;
        result.expandFellBack = true;
        nextUrl = undefined;
        tie = undefined;
        continue;
      }
      throw err;
    }
    result.pages++;
    const items = readPageItems(o.resource, page.value);
    const fromTie = nextUrl !== undefined && tie !== undefined;
    const allAtCursor = items.length > 0 && items.every((p) => p.instant === position.instant);
    const full = items.length >= pageSize || page.nextLink !== undefined;

    // A nextLink page that leaves the tie instant after following nextLinks: verify the instant first.
    let deliverable: PageItem[] = items;
    let holdBeyondTie = false;
    if (fromTie && tie && !allAtCursor && tie.followed > 0 && (!tie.verifying || tie.found > 0)) {
      holdBeyondTie = true;
      deliverable = items.filter((p) => p.instant === tie!.instant);
    }

    const fresh = deliverable.filter((p) => p.instant > position.instant || (p.instant === position.instant && !known.has(p.item.id)));
    result.skipped += deliverable.length - fresh.length;
    if (tie?.verifying && fresh.length) tie.found += fresh.filter((p) => p.instant === tie!.instant).length;
    if (fresh.length) {
      const batch: OutboundEvent[] = fresh.map((p) => ({
        event: normalize(p.item, { tenantId: o.tenantId, messageIndex: p.index }),
        original: p.item,
        origin,
      }));
      await o.deliver(batch);
      result.items += batch.length;
    }

    // The cursor after this page: the last instant seen and the ids delivered at it.
    const considered = deliverable.filter((p) => p.instant >= position.instant);
    let proposed = position;
    if (considered.length) {
      const last = considered[considered.length - 1].instant;
      if (last > position.instant) {
        proposed = { instant: last, ids: considered.filter((p) => p.instant === last).map((p) => p.item.id) };
      } else {
        const added = considered.map((p) => p.item.id).filter((id) => !known.has(id));
        if (added.length) proposed = { instant: position.instant, ids: [...position.ids, ...added] };
      }
    }
    if (proposed !== position) {
      const adv = await o.cursorStore.advance(o.tenantId, o.resource, proposed, stored);
      stored = adv.stored;
      if (adv.conflicted) {
        result.conflicts++;
        if (!o.since && stored.cursor.instant >= proposed.instant) {
          // Another poller delivered this range at the same time and is at least as far: leave it to it.
          position = stored.cursor;
          log.info('another poller is advancing this cursor; stopping this one', { resource: o.resource, tenantId: o.tenantId, cursor: position.instant });
          o.onProgress?.(progress(o, result, client, position));
          return finish('concurrent');
        }
      }
      // After a merge at the same instant the stored ids are a superset of ours: adopt them.
      position = proposed.instant === stored.cursor.instant && !o.since ? stored.cursor : proposed;
      known = new Set(position.ids);
    }
    o.onProgress?.(progress(o, result, client, position));
    slowestPageMs = Math.max(slowestPageMs, now() - pageStart);

    // What to ask next.
    if (holdBeyondTie && tie) {
      log.info('re-reading a bulk-updated instant to catch objects a shifting nextLink may have skipped', { resource: o.resource, tenantId: o.tenantId, instant: tie.instant });
      tie = { instant: tie.instant, followed: 0, verifying: true, found: 0 };
      nextUrl = undefined;
      continue;
    }
    if (items.length === 0 || !full) return finish('caught-up');
    if (allAtCursor && items.every((p) => p.instant === position.instant)) {
      // The whole page shares the cursor instant: a fresh query would return it again.
      if (!tie || tie.instant !== position.instant) tie = { instant: position.instant, followed: 0, verifying: false, found: 0 };
      if (page.nextLink) {
        nextUrl = checkNextLink(o.graphBaseUrl, page.nextLink);
      } else {
        nextUrl = buildQueryUrl(o.graphBaseUrl, o.resource, { since: position.instant, pageSize, expandAlerts: expand, skip: position.ids.length });
        log.warn('full page without nextLink inside one instant; falling back to a shallow $skip', { resource: o.resource, tenantId: o.tenantId, skip: position.ids.length });
      }
      tie.followed++;
      continue;
    }
    tie = undefined;
    nextUrl = undefined;
  }
}

function progress(o: PollOptions, r: PollResult, client: GraphClient, cursor: GraphCursor): PollProgress {
  return { resource: o.resource, tenantId: o.tenantId, items: r.items, pages: r.pages, requests: client.stats.requests, cursor };
}

export interface TenantPoll {
  tenantId: string;
  tokens: GraphTokenSource;
}

export type TenantOutcome =
  | { tenantId: string; ok: true; result: PollResult }
  | { tenantId: string; ok: false; error: Error; transient: boolean };

/**
 * Polls one resource for many tenants, a few at a time; one tenant failing (permission, throttling,
 * delivery) never stops the others. Each tenant has its own cursor.
 */
export async function pollTenants(
  tenants: readonly TenantPoll[],
  common: Omit<PollOptions, 'tenantId' | 'tokens'>,
  concurrency = 2,
): Promise<TenantOutcome[]> {
  const outcomes: TenantOutcome[] = new Array(tenants.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      if (i >= tenants.length) return;
      const t = tenants[i];
      try {
        outcomes[i] = { tenantId: t.tenantId, ok: true, result: await pollResource({ ...common, tenantId: t.tenantId, tokens: t.tokens }) };
      } catch (e) {
        const error = e instanceof Error ? e : new Error(String(e));
        const transient = error instanceof GraphError ? error.transient : true;
        common.logger.error('graph poll failed for tenant', { tenantId: t.tenantId, resource: common.resource, error: error.message, transient });
        outcomes[i] = { tenantId: t.tenantId, ok: false, error, transient };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, tenants.length)) }, worker));
  return outcomes;
}

