/**
 * Query URLs and page checks for the Graph security collections.
 *
 * Paging strategy (why): Graph's nextLink is a skip offset over a live result. When an object is updated
 * while we page, it moves to the end of the `lastUpdateDateTime asc` order and every later object shifts
 * down one place: following nextLinks then silently skips one object per update. So we page by time
 * boundary instead: every page is a fresh `$filter=lastUpdateDateTime ge <cursor instant>` query, and the
 * objects already delivered at exactly that instant (kept in the cursor) are skipped on re-read. Only
 * when a whole page shares the cursor instant (a bulk update touching more objects than a page holds)
 * does a fresh query make no progress; then, and only then, the nextLink is followed verbatim until the
 * instant is left behind. If Graph sends a full page of one instant without a nextLink, the fallback is
 * a shallow `$skip` of the objects already seen at that instant (shallow because the filter starts at
 * that instant, never at the beginning of the collection).
 */
import { GraphProtocolError } from './errors';
import { canonicalInstant, filterLiteral, isInstant } from './instant';
import type { GraphItem, GraphResource } from './types';

export interface QueryOptions {
  /** Inclusive lower bound on lastUpdateDateTime. */
  since: string;
  pageSize: number;
  expandAlerts: boolean;
  /** Only for the no-nextLink tie fallback (see module comment). */
  skip?: number;
}

/** `https://graph.microsoft.com`, `https://graph.microsoft.com/`, `.../v1.0` all mean the same root. */
export function graphRoot(baseUrl: string): string {
  let u: URL;
  try {
    u = new URL(baseUrl);
  } catch {
    throw new GraphProtocolError(`GRAPH_BASE_URL is not a URL: ${baseUrl}`);
  }
  const path = u.pathname.replace(/\/+$/, '').replace(/\/v1\.0$/i, '');
  return `${u.origin}${path}`;
}

export function collectionUrl(baseUrl: string, resource: GraphResource): string {
  return `${graphRoot(baseUrl)}/v1.0/security/${resource}`;
}

export function buildQueryUrl(baseUrl: string, resource: GraphResource, q: QueryOptions): string {
  const params = [
    `$filter=${encodeURIComponent(`lastUpdateDateTime ge ${filterLiteral(q.since)}`)}`,
    `$orderby=${encodeURIComponent('lastUpdateDateTime asc')}`,
    `$top=${q.pageSize}`,
  ];
  if (q.expandAlerts && resource === 'incidents') params.push('$expand=alerts');
  if (q.skip) params.push(`$skip=${q.skip}`);
  return `${collectionUrl(baseUrl, resource)}?${params.join('&')}`;
}

/**
 * A nextLink is followed verbatim, but only to the Graph host we were configured with: the bearer token
 * must never be sent anywhere else.
 */
export function checkNextLink(baseUrl: string, nextLink: string): string {
  let next: URL;
  try {
    next = new URL(nextLink);
  } catch {
    throw new GraphProtocolError(`Graph sent a nextLink that is not an absolute URL: ${nextLink.slice(0, 200)}`);
  }
  if (next.origin !== new URL(graphRoot(baseUrl)).origin) {
    throw new GraphProtocolError(`Graph sent a nextLink to another host (${next.origin}); refusing to send the token there`);
  }
  return nextLink;
}

/** One object of a page with its canonical instant. */
export interface PageItem {
  item: GraphItem;
  instant: string;
  /** Index in the page, from 0. */
  index: number;
}

/** Checks every object has an id and a lastUpdateDateTime and that the page is in ascending order. */
export function readPageItems(resource: GraphResource, value: readonly unknown[]): PageItem[] {
  const out: PageItem[] = [];
  let previous = '';
  value.forEach((raw, index) => {
    const o = raw as Partial<GraphItem> | null;
    if (o === null || typeof o !== 'object' || Array.isArray(o)) throw new GraphProtocolError(`${resource} page item ${index} is not an object`);
    if (typeof o.id !== 'string' || o.id === '') throw new GraphProtocolError(`${resource} page item ${index} has no id`);
    if (!isInstant(o.lastUpdateDateTime)) throw new GraphProtocolError(`${resource} ${o.id} has no valid lastUpdateDateTime`);
    const instant = canonicalInstant(o.lastUpdateDateTime);
    if (instant < previous) {
      // Without ascending order the time-boundary cursor would skip objects: refuse rather than lose data.
      throw new GraphProtocolError(`${resource} page is not ordered by lastUpdateDateTime ascending ($orderby not honoured)`);
    }
    previous = instant;
    out.push({ item: o as GraphItem, instant, index });
  });
  return out;
}
