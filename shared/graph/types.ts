/** Shared vocabulary of the Graph polling path. */

export type GraphResource = 'incidents' | 'alerts_v2';

export const GRAPH_RESOURCES: readonly GraphResource[] = ['incidents', 'alerts_v2'];

/**
 * Where tokens come from. The auth component's GraphTokenProvider fits: `getToken()` with no argument is
 * assignable here. `forceRefresh` is passed after a 401 so a provider with a cache fetches a new token.
 */
export interface GraphTokenSource {
  getToken(options?: { forceRefresh?: boolean }): Promise<string>;
}

/** The application permission each resource needs (Graph application role, admin consent required). */
export const REQUIRED_PERMISSION: Readonly<Record<GraphResource, string>> = {
  incidents: 'SecurityIncident.Read.All',
  alerts_v2: 'SecurityAlert.Read.All',
};

/** Graph's hard page limits: `$top` above them is a 400. */
export const MAX_PAGE_SIZE: Readonly<Record<GraphResource, number>> = {
  incidents: 50,
  alerts_v2: 1000,
};

/** A Graph object as returned in `value` (only the fields the poller itself relies on are typed). */
export interface GraphItem {
  id: string;
  lastUpdateDateTime: string;
  [key: string]: unknown;
}

/** One page of a Graph collection. */
export interface GraphPage {
  value: unknown[];
  nextLink?: string;
  /** Raw body size, for metrics. */
  bytes: number;
}

/** 'incidents' -> 'incident' origin used by OutboundEvent. */
export function originOf(resource: GraphResource): 'incident' | 'alert' {
  return resource === 'incidents' ? 'incident' : 'alert';
}

/** Accepts the CLI/queue spellings `incidents`, `incident`, `alerts`, `alert`, `alerts_v2`. */
export function parseResource(value: string): GraphResource | undefined {
  const v = value.trim().toLowerCase();
  if (v === 'incidents' || v === 'incident') return 'incidents';
  if (v === 'alerts' || v === 'alert' || v === 'alerts_v2' || v === 'alertsv2') return 'alerts_v2';
  return undefined;
}
