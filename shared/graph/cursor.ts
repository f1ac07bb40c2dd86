/**
 * The poll cursor of one tenant + resource: everything with lastUpdateDateTime before `instant` has been
 * delivered, and so have the objects listed in `ids` whose lastUpdateDateTime is exactly `instant`.
 * Both halves are claims about delivered data, so two true cursors merge into a true cursor: the later
 * instant wins, equal instants union their ids. That is what makes concurrent writers safe (no gap).
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { canonicalInstant } from './instant';

export interface GraphCursor {
  /** Canonical 7-digit UTC instant (see instant.ts). */
  instant: string;
  /** Ids already delivered whose lastUpdateDateTime equals `instant`. */
  ids: readonly string[];
}

export function makeCursor(instant: string, ids: Iterable<string> = []): GraphCursor {
  return { instant: canonicalInstant(instant), ids: [...new Set(ids)] };
}

/** The cursor that claims what both claim (see module comment). */
export function mergeCursors(a: GraphCursor | undefined, b: GraphCursor): GraphCursor {
  if (!a) return b;
  if (a.instant > b.instant) return a;
  if (b.instant > a.instant) return b;
  if (b.ids.every((id) => a.ids.includes(id)) && a.ids.length >= b.ids.length) return a;
  return { instant: a.instant, ids: [...new Set([...a.ids, ...b.ids])] };
}

export function sameCursor(a: GraphCursor | undefined, b: GraphCursor | undefined): boolean {
  if (!a || !b) return a === b;
  if (a.instant !== b.instant || a.ids.length !== b.ids.length) return false;
  const s = new Set(a.ids);
  return b.ids.every((id) => s.has(id));
}

/**
 * Table Storage string properties hold at most 64 KiB (32K UTF-16 chars). Ids at one instant can be
 * many (a bulk resolve of 1,200 alerts with ~45-char ids is ~55 KB): they are stored gzip+base64 in
 * parts of at most PART_CHARS characters.
 */
export const PART_CHARS = 32_000;

export function encodeIds(ids: readonly string[]): string[] {
  if (ids.length === 0) return [];
  const b64 = gzipSync(Buffer.from(JSON.stringify(ids), 'utf8'), { level: 9 }).toString('base64');
  const parts: string[] = [];
  for (let i = 0; i < b64.length; i += PART_CHARS) parts.push(b64.slice(i, i + PART_CHARS));
  return parts;
}

export function decodeIds(parts: readonly string[]): string[] {
  if (parts.length === 0) return [];
  const parsed: unknown = JSON.parse(gunzipSync(Buffer.from(parts.join(''), 'base64')).toString('utf8'));
  if (!Array.isArray(parsed) || !parsed.every((x) => typeof x === 'string')) throw new Error('cursor ids are not a string array');
  return parsed as string[];
}
