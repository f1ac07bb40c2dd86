import type { Runtime } from '../../shared/app/runtime';
import { ConfigError, type SettingsSource } from '../../shared/config/env';
import { createDeadLetterStore } from '../../shared/deadletter/create';
import { readRedriveSettings, redriveDeadLetters, type Reprocess } from '../../shared/deadletter/redrive';
import { isDeadLetterUnitStore, type DeadLetterUnit, type DeadLetterUnitStore } from '../../shared/deadletter/unit';
import type { Logger } from '../../shared/observability/log';
import type { Sink } from '../../shared/sinks/types';
import type { CliCommand, CliIo } from '../command';

/**
 * `defender-forwarder deadletter list|redrive`: inspect and redrive the dead-letter store the settings
 * point at (Blob Storage with AzureWebJobsStorage*, else the DEADLETTER_DIR folder). `list` needs only
 * the store; `redrive` also builds the configured destinations.
 */

const USAGE = `Usage: defender-forwarder deadletter <list|redrive> [options]

Inspects and redrives dead letters: events a destination did not take within the retry budget,
and records that failed parsing. The store follows the settings: Blob Storage (container
DEADLETTER_CONTAINER, default "deadletter") when AzureWebJobsStorage or AzureWebJobsStorage__*
is set, otherwise the local folder DEADLETTER_DIR (default ./deadletter).

Commands:
  list       one line per stored unit, then totals
  redrive    deliver stored dead letters again; delete each unit only once all of it was delivered

Run "defender-forwarder deadletter <command> --help" for a command's options.
`;

const LIST_USAGE = `Usage: defender-forwarder deadletter list [--json]

Lists the dead-letter units, oldest first, one line per unit with tab-separated columns:
  UNIT  KIND  COUNT  DESTINATIONS  FIRST-REASON
followed by a totals line. KIND is delivery-failed, parse-error or mixed; DESTINATIONS is "-"
for parse errors. A unit that cannot be read shows "unreadable" and its problem.

Exit status: 0 when the store could be listed (also when it holds dead letters); 1 when the
store could not be read; 2 on a usage or configuration error.

Options:
  --json        print the units as a JSON array instead
  -v, --verbose log informational messages to standard error
  -h, --help    show this help
`;

const REDRIVE_USAGE = `Usage: defender-forwarder deadletter redrive [--max-units N] [--budget-seconds N]

Sends every stored delivery failure again to the destination it failed at (destinations are the
configured DESTINATION list; entries for a destination that is no longer configured are kept).
Parse errors are re-parsed when the pipeline supports it, otherwise kept. A unit is deleted only
after everything in it was delivered; a partly delivered unit is replaced by a new unit holding
the rest (written before the old one is deleted: duplicates are possible, loss is not).

A summary line goes to standard error.

Exit status: 0 only when every dead letter was redriven (the store is empty of what it held at
the start); 1 when anything remains; 2 on a usage or configuration error.

Options:
  --max-units N       work on at most N units (oldest first)
  --budget-seconds N  start no new unit after N seconds (default DEADLETTER_REDRIVE_BUDGET_SECONDS, 600)
  -v, --verbose       log informational messages to standard error
  -h, --help          show this help
`;

/** What the command needs; tests pass their own, the default builds them from settings. */
export interface DeadletterDeps {
  store(env: SettingsSource, logger: Logger): DeadLetterUnitStore | Promise<DeadLetterUnitStore>;
  /** The configured destinations (and optionally re-parsing of parse errors), closed after the redrive. */
  destinations(env: SettingsSource, logger: Logger, io: CliIo): Promise<{ sinks: readonly Sink[]; reprocess?: Reprocess; close(): Promise<void> }>;
}

export const defaultDeadletterDeps: DeadletterDeps = {
  store: (env, logger) => createDeadLetterStore(env, logger),
  async destinations(env, logger, io) {
    // Loaded only for redrive, so `list` does not build sinks (or need their secrets).
    const { createRuntime } = require('../../shared/app/runtime') as typeof import('../../shared/app/runtime');
    const runtime: Runtime = await createRuntime({ env, mode: 'cli', logger, stdout: io.stdout });
    const reprocess = (runtime as { reprocess?: Reprocess }).reprocess;
    return { sinks: runtime.sinks, reprocess: typeof reprocess === 'function' ? reprocess.bind(runtime) : undefined, close: () => runtime.close() };
  },
};

function stderrLogger(io: CliIo, verbose: boolean): Logger {
  const line = (level: string, m: string, p?: Record<string, unknown>) =>
    io.stderr.write(`${level}: ${m}${p && Object.keys(p).length ? ' ' + JSON.stringify(p) : ''}\n`);
  return { info: (m, p) => { if (verbose) line('info', m, p); }, warn: (m, p) => line('warn', m, p), error: (m, p) => line('error', m, p) };
}

/** Reasons come from remote servers: control characters would break the one-line-per-unit output. */
function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ');
}

function unitLine(u: DeadLetterUnit): string {
  if (u.problem !== undefined) return [u.id, 'unreadable', '-', '-', oneLine(u.problem)].join('\t');
  return [u.id, u.kind, String(u.count), u.destinations.length ? u.destinations.join(',') : '-', oneLine(u.reasons[0] ?? '')].join('\t');
}

interface Parsed { help: boolean; verbose: boolean; json: boolean; maxUnits?: number; budgetSeconds?: number; error?: string }

function parseOptions(args: string[], allowed: readonly string[]): Parsed {
  const p: Parsed = { help: false, verbose: false, json: false };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '-h' || a === '--help') p.help = true;
    else if (a === '-v' || a === '--verbose') p.verbose = true;
    else if (a === '--json' && allowed.includes(a)) p.json = true;
    else if ((a === '--max-units' || a === '--budget-seconds') && allowed.includes(a)) {
      const v = args[++i];
      if (v === undefined || !/^\d+$/.test(v) || Number(v) < 1) return { ...p, error: `${a} needs a whole number of at least 1` };
      if (a === '--max-units') p.maxUnits = Number(v);
      else p.budgetSeconds = Number(v);
    } else return { ...p, error: `unknown option ${a}` };
  }
  return p;
}

export function createDeadletterCommand(deps: DeadletterDeps = defaultDeadletterDeps): CliCommand {
  async function openStore(io: CliIo, logger: Logger): Promise<DeadLetterUnitStore> {
    const store = await deps.store(io.env, logger);
    if (!isDeadLetterUnitStore(store)) throw new Error(`dead-letter store ${String((store as { name?: unknown }).name)} cannot be listed`);
    return store;
  }

  async function list(args: string[], io: CliIo): Promise<number> {
    const opts = parseOptions(args, ['--json']);
    if (opts.help) { io.stdout.write(LIST_USAGE); return 0; }
    if (opts.error) { io.stderr.write(`deadletter list: ${opts.error}\n\n${LIST_USAGE}`); return 2; }
    const logger = stderrLogger(io, opts.verbose);
    const store = await openStore(io, logger);
    const units = await store.list();
    if (opts.json) {
      io.stdout.write(JSON.stringify(units, null, 2) + '\n');
      return 0;
    }
    for (const u of units) io.stdout.write(unitLine(u) + '\n');
    const entries = units.reduce((n, u) => n + u.count, 0);
    const df = units.reduce((n, u) => n + u.kinds['delivery-failed'], 0);
    const pe = units.reduce((n, u) => n + u.kinds['parse-error'], 0);
    const unreadable = units.filter((u) => u.problem !== undefined).length;
    io.stdout.write(`${units.length} unit(s), ${entries} entr${entries === 1 ? 'y' : 'ies'}: ${df} delivery-failed, ${pe} parse-error${unreadable ? `, ${unreadable} unreadable unit(s)` : ''} (${store.name})\n`);
    return 0;
  }

  async function redrive(args: string[], io: CliIo): Promise<number> {
    const opts = parseOptions(args, ['--max-units', '--budget-seconds']);
    if (opts.help) { io.stdout.write(REDRIVE_USAGE); return 0; }
    if (opts.error) { io.stderr.write(`deadletter redrive: ${opts.error}\n\n${REDRIVE_USAGE}`); return 2; }
    const logger = stderrLogger(io, opts.verbose);
    const budgetMs = opts.budgetSeconds !== undefined ? opts.budgetSeconds * 1000 : readRedriveSettings(io.env).budgetMs;
    const store = await openStore(io, logger);
    const dest = await deps.destinations(io.env, logger, io);
    let result;
    try {
      result = await redriveDeadLetters({ store, sinks: dest.sinks, reprocess: dest.reprocess, logger, maxUnits: opts.maxUnits, budgetMs });
    } finally {
      await dest.close();
    }
    // Standard error, like replay's summary: with DESTINATION=stdout the events themselves go to stdout.
    io.stderr.write(
      `redriven ${result.entriesRedriven} entr${result.entriesRedriven === 1 ? 'y' : 'ies'}; units: ${result.unitsSeen} seen, ${result.unitsDeleted} deleted, `
      + `${result.unitsRewritten} partly redriven, ${result.unitsKept} kept, ${result.unitsNotReached} not reached; `
      + `${result.entriesRemaining} entr${result.entriesRemaining === 1 ? 'y' : 'ies'} remain in the units worked on (${store.name})\n`,
    );
    return result.complete ? 0 : 1;
  }

  return {
    name: 'deadletter',
    summary: 'list or redrive dead letters (Blob Storage or the local DEADLETTER_DIR)',
    usage: USAGE,
    async run(args: string[], io: CliIo): Promise<number> {
      const [sub, ...rest] = args;
      if (sub === undefined || sub === '-h' || sub === '--help' || sub === 'help') {
        io.stdout.write(USAGE);
        return sub === undefined ? 2 : 0;
      }
      try {
        if (sub === 'list') return await list(rest, io);
        if (sub === 'redrive') return await redrive(rest, io);
      } catch (err) {
        if (err instanceof ConfigError) {
          io.stderr.write(`deadletter ${sub}: ${err.message}\n`);
          return 2;
        }
        io.stderr.write(`deadletter ${sub}: ${err instanceof Error ? err.message : String(err)}\n`);
        return 1;
      }
      io.stderr.write(`deadletter: unknown command "${sub}"\n\n${USAGE}`);
      return 2;
    },
  };
}

export const command: CliCommand = createDeadletterCommand();
