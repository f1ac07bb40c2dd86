/**
 * The settings the Graph poller owns, parsed once into a typed object. Auth and cloud settings
 * (GRAPH_TENANT*, GRAPH_CLIENT*, KEY_VAULT_URL, GRAPH_BASE_URL, GRAPH_AUTHORITY_HOST) belong to
 * shared/auth; storage (AzureWebJobsStorage*) to shared/storage.
 */
import { ConfigError, readBoolean, readInteger, readString, type SettingsSource } from '../config/env';
import { parseIsoDuration } from './instant';
import { MAX_PAGE_SIZE, type GraphResource } from './types';

export interface GraphPollSettings {
  /** GRAPH_ALERTS_PAGE_SIZE, default 500, 1..1000. Incidents always use 50 (Graph's limit). */
  alertsPageSize: number;
  /** GRAPH_EXPAND_ALERTS, default false. */
  expandAlerts: boolean;
  /** GRAPH_INITIAL_LOOKBACK as given (default P1D) and in ms. */
  initialLookback: string;
  lookbackMs: number;
  /** GRAPH_CURSOR_TABLE, default graphcursors. */
  cursorTable: string;
  /** GRAPH_POLL_QUEUE, default graph-poll. */
  pollQueue: string;
  /** GRAPH_POLL_BUDGET_SECONDS (default 480) in ms. */
  budgetMs: number;
}

export const GRAPH_SETTING_DEFAULTS = {
  GRAPH_ALERTS_PAGE_SIZE: 500,
  GRAPH_EXPAND_ALERTS: false,
  GRAPH_INITIAL_LOOKBACK: 'P1D',
  GRAPH_CURSOR_TABLE: 'graphcursors',
  GRAPH_POLL_QUEUE: 'graph-poll',
  GRAPH_POLL_BUDGET_SECONDS: 480,
  GRAPH_INCIDENTS_SCHEDULE: '0 */5 * * * *',
  GRAPH_ALERTS_SCHEDULE: '0 */5 * * * *',
} as const;

/** Azure Table names: 3-63 alphanumerics, starting with a letter. */
const TABLE_NAME = /^[A-Za-z][A-Za-z0-9]{2,62}$/;
/** Azure queue names: 3-63 lowercase letters, digits and single dashes, no dash at either end. */
const QUEUE_NAME = /^(?!-)(?!.*--)[a-z0-9-]{3,63}(?<!-)$/;

export function readGraphPollSettings(env: SettingsSource): GraphPollSettings {
  const alertsPageSize = readInteger(env, 'GRAPH_ALERTS_PAGE_SIZE', GRAPH_SETTING_DEFAULTS.GRAPH_ALERTS_PAGE_SIZE, 1, MAX_PAGE_SIZE.alerts_v2);
  const expandAlerts = readBoolean(env, 'GRAPH_EXPAND_ALERTS', GRAPH_SETTING_DEFAULTS.GRAPH_EXPAND_ALERTS);
  const initialLookback = readString(env, 'GRAPH_INITIAL_LOOKBACK') ?? GRAPH_SETTING_DEFAULTS.GRAPH_INITIAL_LOOKBACK;
  const lookbackMs = parseIsoDuration(initialLookback);
  if (lookbackMs === undefined || lookbackMs <= 0) {
    throw new ConfigError('GRAPH_INITIAL_LOOKBACK', `expected an ISO 8601 duration in weeks, days, hours, minutes or seconds such as P1D, PT12H or P7D, got "${initialLookback}"`);
  }
  if (lookbackMs > 90 * 86_400_000) {
    throw new ConfigError('GRAPH_INITIAL_LOOKBACK', `at most P90D (a first run that reaches further back floods the SIEM; use the CLI "poll --since" for a deliberate backfill), got "${initialLookback}"`);
  }
  const cursorTable = readString(env, 'GRAPH_CURSOR_TABLE') ?? GRAPH_SETTING_DEFAULTS.GRAPH_CURSOR_TABLE;
  if (!TABLE_NAME.test(cursorTable) || cursorTable.toLowerCase() === 'tables') {
    throw new ConfigError('GRAPH_CURSOR_TABLE', `a table name has 3-63 letters and digits and starts with a letter, got "${cursorTable}"`);
  }
  const pollQueue = readString(env, 'GRAPH_POLL_QUEUE') ?? GRAPH_SETTING_DEFAULTS.GRAPH_POLL_QUEUE;
  if (!QUEUE_NAME.test(pollQueue)) {
    throw new ConfigError('GRAPH_POLL_QUEUE', `a queue name has 3-63 lowercase letters, digits and single dashes, got "${pollQueue}"`);
  }
  const budgetSeconds = readInteger(env, 'GRAPH_POLL_BUDGET_SECONDS', GRAPH_SETTING_DEFAULTS.GRAPH_POLL_BUDGET_SECONDS, 10, 3600);
  return { alertsPageSize, expandAlerts, initialLookback, lookbackMs, cursorTable, pollQueue, budgetMs: budgetSeconds * 1000 };
}

export function pageSizeFor(resource: GraphResource, settings: GraphPollSettings): number {
  return resource === 'incidents' ? MAX_PAGE_SIZE.incidents : settings.alertsPageSize;
}
