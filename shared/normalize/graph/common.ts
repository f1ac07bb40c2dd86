/** Helpers shared by the incident and alert normalizers. */
import { createHash } from 'node:crypto';
import { millisecondInstant } from '../../graph/instant';
import type { NormalizedEvent } from '../../model/event';

export type GraphObject = Readonly<Record<string, unknown>>;

/** Where one Graph object came from: the poll that fetched it. */
export interface GraphNormalizeContext {
  /** The tenant polled (used when the object carries no tenantId). */
  tenantId: string;
  /** Index of the object in its Graph page, from 0. */
  messageIndex: number;
}

export class GraphNormalizeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GraphNormalizeError';
  }
}

/**
 * One id per object version: first 32 hex chars of sha256(`resource|id|lastUpdateDateTime`), with
 * lastUpdateDateTime exactly as Graph sent it. The same version always gets the same id, so a SIEM can
 * drop the duplicates that at-least-once polling produces.
 */
export function graphEventId(resource: string, id: string, lastUpdateDateTime: string): string {
  return createHash('sha256').update(`${resource}|${id}|${lastUpdateDateTime}`).digest('hex').slice(0, 32);
}

export function str(v: unknown): string | undefined {
  if (typeof v === 'string') return v === '' ? undefined : v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

export function int(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return Number(v);
  return undefined;
}

export function obj(v: unknown): GraphObject | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as GraphObject) : undefined;
}

export function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** Graph enums come as `active` (v1.0) or `Active` (some docs and older tenants): compare lowercased. */
export function enumValue(v: unknown): string | undefined {
  const s = str(v);
  return s === undefined ? undefined : s.charAt(0).toLowerCase() + s.slice(1);
}

/** Elastic's scale, shared with the streaming tables; unknown and future values carry no score. */
export { severityScore } from '../ecs';

export const ms = millisecondInstant;

/** `lastUpdateDateTime` -> `last_update_datetime`, `@odata.type` -> `odata_type` (Elastic's names). */
export function snakeCase(key: string): string {
  if (key === '@odata.type') return 'odata_type';
  return key
    .replace(/DateTime/g, 'Datetime')
    .replace(/[@.]/g, '_')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase()
    .replace(/^_+/, '');
}

/**
 * The object's own fields under snake_case names, minus the ones listed (large arrays that have an ECS
 * home, such as evidence). Values are kept as Graph sent them, so timestamps keep all 7 digits; nulls and
 * empty arrays are dropped.
 */
export function detail(o: GraphObject, skip: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    if (skip.includes(k) || v === null || v === undefined || (Array.isArray(v) && v.length === 0)) continue;
    out[snakeCase(k)] = v;
  }
  return out;
}

/** Adds a value to related.<kind> once. */
export function relate(ev: NormalizedEvent, kind: 'ip' | 'user' | 'hosts' | 'hash', value: string | undefined): void {
  if (!value) return;
  const related = (ev.related ??= {});
  const list = (related[kind] ??= []);
  if (!list.includes(value)) list.push(value);
}

/** Drops undefined members; undefined when nothing is left. */
export function compact<T extends object>(o: T): T | undefined {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return Object.keys(out).length ? (out as T) : undefined;
}

/** MITRE technique ids (`T1059`, `T1059.001`) from mitreTechniques, in order, once each. */
export function techniqueIds(v: unknown): string[] {
  const out: string[] = [];
  for (const t of arr(v)) {
    const s = str(t)?.trim();
    if (s && /^T\d{4}(\.\d{3})?$/i.test(s) && !out.includes(s.toUpperCase())) out.push(s.toUpperCase());
  }
  return out;
}

/** Graph's alert category (`DefenseEvasion`, `CommandAndControl`) as the MITRE tactic name. */
export function tacticName(category: unknown): string | undefined {
  const c = str(category);
  if (!c) return undefined;
  const special: Record<string, string> = { CommandAndControl: 'Command and Control', ['Command & Control']: 'Command and Control' };
  if (special[c]) return special[c];
  if (/\s/.test(c)) return c;
  return c.replace(/([a-z])([A-Z])/g, '$1 $2');
}

/** Requires the fields every Graph security object has. */
export function identity(o: GraphObject, resource: string): { id: string; lastUpdateDateTime: string } {
  const id = str(o.id);
  const last = str(o.lastUpdateDateTime);
  if (!id) throw new GraphNormalizeError(`${resource} object without an id`);
  if (!last || !ms(last)) throw new GraphNormalizeError(`${resource} object ${id} has no valid lastUpdateDateTime`);
  return { id, lastUpdateDateTime: last };
}
