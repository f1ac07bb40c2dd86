import { app, type InvocationContext, type Timer } from '@azure/functions';
import { invocationLogger } from '../shared/observability/invocation-logger';
import { getRuntime } from '../shared/app/runtime';
import type { SettingsSource } from '../shared/config/env';
import { TableCursorStore, type CursorStore } from '../shared/graph/cursor-store';
import { GraphError } from '../shared/graph/errors';
import { decodeJob, enqueuePollJobs, PollJobError, type PollJob } from '../shared/graph/jobs';
import { pollResource, type PollResult } from '../shared/graph/poller';
import { GRAPH_SETTING_DEFAULTS, pageSizeFor } from '../shared/graph/settings';
import type { GraphResource } from '../shared/graph/types';
import { createGraphPollDeps, type GraphPollDeps } from '../shared/graph/wiring';
import type { Logger } from '../shared/observability/log';

/**
 * Graph polling on Functions, built to scale out: two timers (incidents, alerts_v2; singletons across
 * instances) only enqueue one Storage Queue message per tenant and resource, and a queue-triggered
 * worker polls one tenant + resource per message, so hundreds of tenants spread over instances.
 * A run that stops at its time budget enqueues its own continuation; the cursor makes any overlap safe.
 */

export const INCIDENTS_TIMER = 'graphIncidentsTimer';
export const ALERTS_TIMER = 'graphAlertsTimer';
export const POLL_WORKER = 'graphPollWorker';


export interface GraphHandlers {
  /** Timer handler: enqueues one job per configured tenant for the resource; returns the count. */
  enqueue(resource: GraphResource, timer: Timer | undefined, context: InvocationContext): Promise<number>;
  /** Queue handler: polls one tenant + resource. Resolves with the result, or undefined for a job it refused. */
  poll(message: unknown, context: InvocationContext): Promise<PollResult | undefined>;
}

/**
 * The handlers over injected dependencies. `deps` is created once per worker (lazily, so a
 * configuration error is reported by every invocation until fixed rather than crashing the worker).
 */
export interface GraphHandlerOptions {
  /** Injected clock (tests): drives the time budget. */
  now?: () => number;
}

export function makeGraphHandlers(depsProvider: (logger: Logger) => GraphPollDeps | Promise<GraphPollDeps>, options: GraphHandlerOptions = {}): GraphHandlers {
  let stores: { table: unknown; store: CursorStore } | undefined;
  const storeFor = (deps: GraphPollDeps): CursorStore => {
    const table = deps.cursorTable();
    if (!stores || stores.table !== table) stores = { table, store: new TableCursorStore(table, { logger: { info() {}, warn() {}, error() {} } }) };
    return stores.store;
  };
  return {
    async enqueue(resource, timer, context) {
      const logger = invocationLogger(context);
      if (timer?.isPastDue) logger.warn('graph poll timer is running late (missed schedule)', { resource });
      const deps = await depsProvider(logger);
      const jobs: PollJob[] = deps.tenants().map((tenantId) => ({ tenantId, resource, reason: 'schedule' }));
      if (jobs.length === 0) {
        logger.warn('graph polling has no tenants configured (GRAPH_TENANT_ID or GRAPH_TENANTS); nothing enqueued', { resource });
        return 0;
      }
      return enqueuePollJobs(deps.pollQueue(), jobs, logger);
    },

    async poll(message, context) {
      const logger = invocationLogger(context);
      let job: PollJob;
      try {
        job = decodeJob(message);
      } catch (e) {
        // A malformed message will never succeed: log it and let the host delete it (no poison loop).
        logger.error('graph poll job refused', { error: (e as PollJobError).message });
        return undefined;
      }
      const deps = await depsProvider(logger);
      if (!deps.tenants().includes(job.tenantId)) {
        logger.error('graph poll job for a tenant that is not configured; ignored', { tenantId: job.tenantId, resource: job.resource });
        return undefined;
      }
      const s = deps.settings;
      try {
        const result = await pollResource({
          resource: job.resource,
          tenantId: job.tenantId,
          tokens: deps.tokens(job.tenantId),
          graphBaseUrl: deps.graphBaseUrl,
          cursorStore: storeFor(deps),
          deliver: (items) => deps.deliver(items, logger),
          pageSize: pageSizeFor(job.resource, s),
          expandAlerts: s.expandAlerts,
          lookbackMs: s.lookbackMs,
          budgetMs: s.budgetMs,
          logger,
          now: options.now,
        });
        logger.info('graph poll finished', {
          tenantId: job.tenantId, resource: job.resource, items: result.items, pages: result.pages, requests: result.requests,
          throttled: result.throttled, stoppedBy: result.stoppedBy, cursor: result.cursor.instant, expandFellBack: result.expandFellBack,
        });
        if (result.stoppedBy === 'budget') {
          await enqueuePollJobs(deps.pollQueue(), [{ tenantId: job.tenantId, resource: job.resource, reason: 'continuation' }], logger);
        }
        return result;
      } catch (e) {
        const err = e as Error;
        if (e instanceof GraphError && !e.transient) {
          // Permission / credential problems: retrying the message five times cannot help; the error
          // names the fix, and the next timer tries again once it is applied.
          logger.error('graph poll failed permanently', { tenantId: job.tenantId, resource: job.resource, error: err.message });
          return undefined;
        }
        logger.error('graph poll failed; the queue will retry it and the cursor keeps what was delivered', { tenantId: job.tenantId, resource: job.resource, error: err.message });
        throw err;
      }
    },
  };
}

let productionDeps: GraphPollDeps | undefined;

/** Production dependencies from settings (cached per worker once they were created successfully). */
export function runtimeGraphDeps(logger: Logger, env: SettingsSource = process.env): GraphPollDeps {
  productionDeps ??= createGraphPollDeps({ env, logger, runtime: () => getRuntime(env) });
  return productionDeps;
}

export const graphHandlers = makeGraphHandlers((logger) => runtimeGraphDeps(logger));

/** `%SETTING%` when the app setting exists (the host resolves it), else the default: a missing setting would stop the host. */
function bindingValue(env: SettingsSource, name: keyof typeof GRAPH_SETTING_DEFAULTS): string {
  return env[name] !== undefined && env[name]!.trim() !== '' ? `%${name}%` : String(GRAPH_SETTING_DEFAULTS[name]);
}

app.timer(INCIDENTS_TIMER, {
  schedule: bindingValue(process.env, 'GRAPH_INCIDENTS_SCHEDULE'),
  runOnStartup: false,
  handler: async (timer, context) => { await graphHandlers.enqueue('incidents', timer, context); },
});

app.timer(ALERTS_TIMER, {
  schedule: bindingValue(process.env, 'GRAPH_ALERTS_SCHEDULE'),
  runOnStartup: false,
  handler: async (timer, context) => { await graphHandlers.enqueue('alerts_v2', timer, context); },
});

app.storageQueue(POLL_WORKER, {
  queueName: bindingValue(process.env, 'GRAPH_POLL_QUEUE'),
  connection: 'AzureWebJobsStorage',
  handler: async (message, context) => { await graphHandlers.poll(message, context); },
});
