import { runChecks, summarize, type CheckDeps, type CheckResult } from '../../shared/app/check';
import type { CliCommand, CliIo } from '../command';

/**
 * `defender-forwarder check`: validates the whole configuration and tests each dependency, one
 * PASS/FAIL/SKIP line per item with the fix for each failure. Lines are printed as the checks finish,
 * so a slow dependency (bounded by DELIVERY_TIMEOUT_SECONDS) does not look like a hang.
 */

const USAGE = `Usage: defender-forwarder check [--json] [--function-app]

Validates every setting and tests each dependency with the app's own settings (the environment, or
local.settings.json values exported into it):
  1. configuration: every setting parses (formats, destinations, delivery tuning, storage, Key Vault,
     dead letters, Graph cloud, tenants and polling settings);
  2. storage: the dead-letter container, the Graph cursor table and poll queue (or, without storage,
     that the local DEADLETTER_DIR is writable);
  3. per Graph tenant: the Key Vault secret or certificate, a token, and a one-item GET on
     /security/incidents and /security/alerts_v2;
  4. each DESTINATION: a TCP connect or TLS handshake (syslog), a DNS lookup (syslog+udp), or one
     lightweight request (HTTP HEAD, Splunk HEC health, Elasticsearch GET /). No event is sent.
Each check gives up after DELIVERY_TIMEOUT_SECONDS (default 30). Items whose settings are absent are
skipped. Secret values are never printed.

Options:
  --json            print the results as one JSON document instead of lines
  --function-app    check as the Function App would run (DESTINATION is required)
  -h, --help        show this help

Exit status: 0 when every item passed or was skipped, 1 when any item failed, 2 on a usage error.
`;

export type CheckCommandDeps = Omit<CheckDeps, 'onResult'>;

interface Parsed {
  help: boolean;
  json: boolean;
  functionApp: boolean;
  error?: string;
}

function parseArgs(args: readonly string[]): Parsed {
  const p: Parsed = { help: false, json: false, functionApp: false };
  for (const a of args) {
    if (a === '-h' || a === '--help') p.help = true;
    else if (a === '--json') p.json = true;
    else if (a === '--function-app') p.functionApp = true;
    else {
      p.error = a.startsWith('-') ? `unknown option ${a}` : `unexpected argument "${a}"`;
      break;
    }
  }
  return p;
}

/** One line per item: `PASS  item: detail`, `FAIL  item: detail -> fix: ...`, `SKIP  item (detail)`. */
export function formatResult(r: CheckResult): string {
  if (r.skipped) return `SKIP  ${r.item} (${r.detail})`;
  if (r.ok) return `PASS  ${r.item}: ${r.detail}`;
  return `FAIL  ${r.item}: ${r.detail}${r.fix ? ` -> fix: ${r.fix}` : ''}`;
}

export function formatSummary(results: readonly CheckResult[]): string {
  const s = summarize(results);
  const verdict = s.failed === 0 ? 'all checks passed' : `${s.failed} check(s) FAILED`;
  return `${verdict}: ${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped`;
}

export function createCheckCommand(deps: CheckCommandDeps = {}): CliCommand {
  return {
    name: 'check',
    summary: 'validate the settings and test each dependency (pass/fail per item)',
    usage: USAGE,
    async run(args: string[], io: CliIo): Promise<number> {
      const p = parseArgs(args);
      if (p.error) {
        io.stderr.write(`defender-forwarder check: ${p.error}\n\n${USAGE}`);
        return 2;
      }
      if (p.help) {
        io.stdout.write(USAGE);
        return 0;
      }
      const results = await runChecks(io.env, {
        ...deps,
        ...(p.functionApp ? { mode: 'function' as const } : {}),
        ...(p.json ? {} : { onResult: (r: CheckResult) => { io.stdout.write(`${formatResult(r)}\n`); } }),
      });
      const s = summarize(results);
      if (p.json) {
        io.stdout.write(`${JSON.stringify({ ok: s.failed === 0, summary: s, results }, null, 2)}\n`);
      } else {
        io.stdout.write(`\n${formatSummary(results)}\n`);
      }
      return s.failed === 0 ? 0 : 1;
    },
  };
}

export const command: CliCommand = createCheckCommand();
