import { createRuntime } from '../../shared/app/runtime';
import { ConfigError, type SettingsSource } from '../../shared/config/env';
import { TableCursorStore, type CursorStore } from '../../shared/graph/cursor-store';
import { canonicalInstant, isInstant } from '../../shared/graph/instant';
import { pollTenants, type PollProgress, type TenantOutcome } from '../../shared/graph/poller';
import { pageSizeFor } from '../../shared/graph/settings';
import { parseResource, type GraphResource } from '../../shared/graph/types';
import { createGraphPollDeps, type GraphPollDeps } from '../../shared/graph/wiring';
import type { Logger } from '../../shared/observability/log';
import type { CliCommand, CliIo } from '../command';

/**
 * `defender-forwarder poll incidents|alerts`: the same polling code as the Functions, run from a shell.
 * `--once` polls every configured tenant to now (or the time budget) and exits; without it the verb
 * keeps polling every --interval seconds until interrupted. `--since` backfills from a given time
 * without moving the stored cursor backwards.
 */

const USAGE = `Usage: defender-forwarder poll <incidents|alerts> [--once] [--since <ISO time>] [options]

Polls Microsoft Graph /security/incidents or /security/alerts_v2 for every configured tenant
(GRAPH_TENANT_ID or GRAPH_TENANTS), from each tenant's cursor in Table Storage (GRAPH_CURSOR_TABLE
in AzureWebJobsStorage), and delivers every new or updated object to the configured destinations.
The cursor advances after each delivered page, so an interrupted run loses nothing.

Options:
  --once                 poll once to the present and exit (default: keep polling)
  --since <ISO time>     start at this lastUpdateDateTime instead of the cursor (backfill),
                         e.g. 2025-02-07T19:01:26Z; the stored cursor never moves backwards
  --tenant <tenant id>   only this configured tenant
  --budget-seconds <n>   stop paging after n seconds (default GRAPH_POLL_BUDGET_SECONDS, 480;
                         with --since: no limit)
  --interval <seconds>   pause between polls without --once (default 300)
  -v, --verbose          log informational messages to standard error
  -h, --help             show this help

Exit status: 0 when every tenant was polled and everything delivered (or dead-lettered);
1 when a tenant failed (the message names the cause and the fix); 2 on a usage or
configuration error.
`;

export interface PollCommandDeps {
  /** The dependencies from settings (default: production wiring with the CLI runtime). */
  deps(env: SettingsSource, logger: Logger, io: CliIo): GraphPollDeps | Promise<GraphPollDeps>;
  /** Cursor store over the deps' table (tests may substitute). */
  cursorStore?(deps: GraphPollDeps, logger: Logger): CursorStore;
  sleep?(ms: number, signal: AbortSignal): Promise<void>;
  /** Stops the continuous mode (default: SIGINT/SIGTERM). */
  signal?: AbortSignal;
  now?: () => number;
}

interface Parsed {
  help: boolean;
  once: boolean;
  verbose: boolean;
  resource?: GraphResource;
  since?: string;
  tenant?: string;
  budgetSeconds?: number;
  intervalSeconds: number;
  error?: string;
}

function parseArgs(args: string[]): Parsed {
  const p: Parsed = { help: false, once: false, verbose: false, intervalSeconds: 300 };
  const value = (i: number, flag: string): string | undefined => {
    const v = args[i + 1];
    if (v === undefined || v.startsWith('--')) { p.error = `${flag} needs a value`; return undefined; }
    return v;
  };
  for (let i = 0; i < args.length && !p.error; i++) {
    const a = args[i];
    if (a === '-h' || a === '--help') p.help = true;
    else if (a === '--once') p.once = true;
    else if (a === '-v' || a === '--verbose') p.verbose = true;
    else if (a === '--since') {
      const v = value(i++, a);
      if (v !== undefined) {
        if (!isInstant(v)) p.error = `--since wants an ISO 8601 UTC time such as 2025-02-07T19:01:26Z, got "${v}"`;
        else p.since = canonicalInstant(v);
      }
    } else if (a === '--tenant') {
      const v = value(i++, a);
      if (v !== undefined) p.tenant = v.toLowerCase();
    } else if (a === '--budget-seconds' || a === '--interval') {
      const v = value(i++, a);
      if (v !== undefined) {
        if (!/^\d+$/.test(v) || Number(v) < 1) p.error = `${a} wants a positive whole number of seconds, got "${v}"`;
        else if (a === '--interval') p.intervalSeconds = Number(v);
        else p.budgetSeconds = Number(v);
      }
    } else if (a.startsWith('-')) p.error = `unknown option ${a}`;
    else if (p.resource === undefined) {
      const r = parseResource(a);
      if (!r) p.error = `unknown resource "${a}": use incidents or alerts`;
      else p.resource = r;
    } else p.error = `unexpected argument "${a}"`;
  }
  if (!p.help && !p.error && !p.resource) p.error = 'which resource? use "poll incidents" or "poll alerts"';
  return p;
}

function stderrLogger(io: CliIo, verbose: boolean, clearProgress: () => void): Logger {
  const line = (level: string, m: string, p?: object) => {
    clearProgress();
    io.stderr.write(`${level}: ${m}${p && Object.keys(p).length ? ` ${JSON.stringify(p)}` : ''}\n`);
  };
  return { info: (m, p) => { if (verbose) line('info', m, p); }, warn: (m, p) => line('warn', m, p), error: (m, p) => line('error', m, p) };
}

const label = (r: GraphResource) => (r === 'incidents' ? 'incidents' : 'alerts');

function defaultSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() { clearTimeout(t); signal.removeEventListener('abort', done); resolve(); }
    signal.addEventListener('abort', done, { once: true });
  });
}

export function createPollCommand(commandDeps: PollCommandDeps): CliCommand {
  return {
    name: 'poll',
    summary: 'poll Graph incidents or alerts_v2 and deliver them (--once for a single run)',
    usage: USAGE,
    async run(args: string[], io: CliIo): Promise<number> {
      const opts = parseArgs(args);
      if (opts.help) { io.stdout.write(USAGE); return 0; }
      if (opts.error) { io.stderr.write(`defender-forwarder poll: ${opts.error}\n\n${USAGE}`); return 2; }
      const resource = opts.resource as GraphResource;
      let progressShown = false;
      const clearProgress = () => { if (progressShown) { io.stderr.write('\r\x1b[K'); progressShown = false; } };
      const logger = stderrLogger(io, opts.verbose, clearProgress);

      let deps: GraphPollDeps;
      let tenants: string[];
      let store: CursorStore;
      try {
        deps = await commandDeps.deps(io.env, logger, io);
        tenants = [...deps.tenants()];
        if (tenants.length === 0) throw new ConfigError('GRAPH_TENANT_ID', 'no tenant configured: set GRAPH_TENANT_ID and GRAPH_CLIENT_ID (or GRAPH_TENANTS)');
        if (opts.tenant) {
          if (!tenants.includes(opts.tenant)) throw new ConfigError('GRAPH_TENANTS', `tenant ${opts.tenant} given with --tenant is not configured`);
          tenants = [opts.tenant];
        }
        store = commandDeps.cursorStore?.(deps, logger) ?? new TableCursorStore(deps.cursorTable(), { logger });
      } catch (e) {
        if (e instanceof ConfigError) { io.stderr.write(`defender-forwarder poll: ${e.message}\n`); return 2; }
        throw e;
      }

      const stop = new AbortController();
      const external = commandDeps.signal;
      const onSignal = () => stop.abort();
      if (external) external.addEventListener('abort', onSignal, { once: true });
      else if (!opts.once) { process.once('SIGINT', onSignal); process.once('SIGTERM', onSignal); }
      const sleep = commandDeps.sleep ?? defaultSleep;
      const budgetMs = opts.budgetSeconds !== undefined ? opts.budgetSeconds * 1000 : opts.since ? 365 * 86_400_000 : deps.settings.budgetMs;
      const onProgress = (p: PollProgress) => {
        if (!io.isTTY) return;
        io.stderr.write(`\r\x1b[K${label(resource)} ${p.tenantId}: ${p.items} delivered, ${p.pages} page(s), cursor ${p.cursor.instant}`);
        progressShown = true;
      };

      let exit = 0;
      try {
        for (let run = 0; ; run++) {
          const outcomes: TenantOutcome[] = await pollTenants(
            tenants.map((tenantId) => ({ tenantId, tokens: deps.tokens(tenantId) })),
            {
              resource,
              graphBaseUrl: deps.graphBaseUrl,
              cursorStore: store,
              deliver: (items) => deps.deliver(items, logger),
              pageSize: pageSizeFor(resource, deps.settings),
              expandAlerts: deps.settings.expandAlerts,
              lookbackMs: deps.settings.lookbackMs,
              budgetMs,
              logger,
              onProgress,
              since: run === 0 ? opts.since : undefined,
              now: commandDeps.now,
            },
          );
          clearProgress();
          exit = report(io, resource, outcomes);
          if (opts.once || stop.signal.aborted) break;
          await sleep(opts.intervalSeconds * 1000, stop.signal);
          if (stop.signal.aborted) break;
        }
      } finally {
        if (external) external.removeEventListener('abort', onSignal);
        else if (!opts.once) { process.removeListener('SIGINT', onSignal); process.removeListener('SIGTERM', onSignal); }
        await deps.close?.();
      }
      return exit;
    },
  };
}

/** One line per tenant that failed (stderr), one summary line (stdout); the exit status. */
function report(io: CliIo, resource: GraphResource, outcomes: readonly TenantOutcome[]): number {
  let items = 0;
  let pages = 0;
  let requests = 0;
  let partial = 0;
  for (const o of outcomes) {
    if (o.ok) {
      items += o.result.items;
      pages += o.result.pages;
      requests += o.result.requests;
      if (o.result.stoppedBy === 'budget') partial++;
    } else {
      io.stderr.write(`poll ${label(resource)}: tenant ${o.tenantId} failed: ${o.error.message}\n`);
    }
  }
  const failed = outcomes.filter((o) => !o.ok).length;
  const cursors = outcomes.filter((o): o is Extract<TenantOutcome, { ok: true }> => o.ok).map((o) => o.result.cursor.instant);
  const last = cursors.length === 1 ? `, cursor ${cursors[0]}` : '';
  io.stdout.write(
    `poll ${label(resource)}: ${outcomes.length - failed}/${outcomes.length} tenant(s) ok, ${items} item(s) delivered, ` +
    `${pages} page(s), ${requests} Graph request(s)${last}${partial ? `, ${partial} stopped at the time budget (run again to continue)` : ''}` +
    `${failed ? `, ${failed} tenant(s) FAILED` : ''}\n`,
  );
  return failed ? 1 : 0;
}

/** Production: settings -> tenants, Key Vault, tokens, cursor table, and the CLI runtime's destinations. */
export const command: CliCommand = createPollCommand({
  deps: (env, logger, io) => createGraphPollDeps({ env, logger, runtime: () => createRuntime({ env, mode: 'cli', logger, stdout: io.stdout }) }),
});
