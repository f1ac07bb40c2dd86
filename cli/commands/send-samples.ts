import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../../shared/config/env';
import {
  SEND_CONNECTION_STRING_SETTING,
  SampleFileError,
  SendSamplesError,
  createEventHubProducer,
  describeTarget,
  readSampleBodies,
  resolveSendTarget,
  sendSampleBodies,
  type EventProducer,
  type SampleBody,
  type SendReport,
  type SendTarget,
} from '../../shared/eventhub/send-samples';
import type { CliCommand, CliIo } from '../command';

/**
 * `defender-forwarder send-samples`: puts the bundled sample streaming bodies (or given files) on the
 * event hub the deployment reads, to smoke-test hub -> function -> SIEM from a workstation with the
 * operator's own Entra identity (Azure Event Hubs Data Sender, granted by the template).
 */

const USAGE = `Usage: defender-forwarder send-samples [--namespace <fqdn>] [--hub <name>] [--dry-run] [FILE...]

Sends sample Defender streaming data to the event hub, so the deployed forwarder delivers it to
the configured SIEM. Each non-blank line of a FILE is either one Event Hubs body as the Defender
export writes it, {"records":[...]}, sent unchanged, or one bare record (as in *.log samples),
wrapped with its neighbours into bodies of up to 50 records. Without FILEs the bundled
samples/streaming/*.ndjson are sent.

Target (the azd environment has these: eval "$(azd env get-values)"):
  --namespace <fqdn>  Event Hubs namespace host, default EventHubConnection__fullyQualifiedNamespace
  --hub <name>        event hub, default EVENTHUB_NAME, else defender-export
Authentication: your Azure identity (DefaultAzureCredential: az login, azd auth login, ...),
which needs the Azure Event Hubs Data Sender role on the hub. For local use a connection string
with Send rights in ${SEND_CONNECTION_STRING_SETTING} is used instead (not with --namespace).

Exit status: 0 when every body was sent; 1 when a body was too large for the hub or sending
failed (the summary says what was sent before); 2 on a usage, file or configuration error.

Options:
  --dry-run     read and check the files, print what would be sent, send nothing
  -h, --help    show this help
`;

export interface SendSamplesDependencies {
  /** Builds the producer for a target; tests pass a fake. */
  createProducer(target: SendTarget): EventProducer;
  /** Folder of the bundled samples. */
  samplesDir: string;
}

interface Args {
  namespace?: string;
  hub?: string;
  dryRun: boolean;
  help: boolean;
  files: string[];
}

class UsageError extends Error {}

function parseArgs(args: string[]): Args {
  const out: Args = { dryRun: false, help: false, files: [] };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const value = (name: string): string => {
      const eq = a.indexOf('=');
      if (eq > 0) return a.slice(eq + 1);
      const v = args[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${name} needs a value`);
      return v;
    };
    if (a === '-h' || a === '--help') out.help = true;
    else if (a === '--dry-run') out.dryRun = true;
    else if (a === '--namespace' || a.startsWith('--namespace=')) out.namespace = value('--namespace');
    else if (a === '--hub' || a.startsWith('--hub=')) out.hub = value('--hub');
    else if (a === '--') out.files.push(...args.slice(i + 1)), (i = args.length);
    else if (a.startsWith('-')) throw new UsageError(`unknown option ${a}`);
    else out.files.push(a);
  }
  if (out.hub !== undefined && out.hub.trim() === '') throw new UsageError('--hub must not be blank');
  return out;
}

function bundledSamples(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.filter((n) => n.endsWith('.ndjson')).sort().map((n) => path.join(dir, n));
}

function summary(report: SendReport): string {
  return `${report.bodies} bodies (${report.records} records, ${report.bytes} bytes) in ${report.batches} batch(es)`;
}

export function createSendSamplesCommand(deps: Partial<SendSamplesDependencies> = {}): CliCommand {
  const createProducer = deps.createProducer ?? createEventHubProducer;
  // dist/cli/commands -> the package root, where samples/ ships.
  const samplesDir = deps.samplesDir ?? path.resolve(__dirname, '..', '..', '..', 'samples', 'streaming');

  return {
    name: 'send-samples',
    summary: 'send sample Defender streaming records to the event hub (deployment smoke test)',
    usage: USAGE,
    async run(argv: string[], io: CliIo): Promise<number> {
      const err = (line: string): void => void io.stderr.write(`${line}\n`);
      let args: Args;
      try {
        args = parseArgs(argv);
      } catch (e) {
        err(`send-samples: ${(e as Error).message}`);
        err('Run "defender-forwarder send-samples --help" for usage.');
        return 2;
      }
      if (args.help) {
        io.stdout.write(USAGE);
        return 0;
      }

      const files = args.files.length > 0 ? args.files : bundledSamples(samplesDir);
      if (files.length === 0) {
        err(`send-samples: no FILE given and no bundled samples in ${samplesDir}`);
        return 2;
      }
      const bodies: SampleBody[] = [];
      try {
        for (const file of files) {
          const text = readFileSync(file, 'utf8');
          const read = readSampleBodies(text, file);
          if (read.length === 0) err(`send-samples: ${file}: no records`);
          bodies.push(...read);
        }
      } catch (e) {
        if (e instanceof SampleFileError) err(`send-samples: ${e.message}`);
        else err(`send-samples: cannot read ${(e as NodeJS.ErrnoException).path ?? 'file'}: ${(e as Error).message}`);
        return 2;
      }
      if (bodies.length === 0) {
        err('send-samples: nothing to send');
        return 2;
      }

      let target: SendTarget;
      try {
        target = resolveSendTarget(io.env, { namespace: args.namespace, hub: args.hub });
      } catch (e) {
        if (e instanceof ConfigError && !args.dryRun) {
          err(`send-samples: ${e.message}`);
          return 2;
        }
        if (!(e instanceof ConfigError)) throw e;
        target = { kind: 'identity', fullyQualifiedNamespace: '(not configured)', eventHubName: args.hub ?? 'defender-export' };
      }
      const where = describeTarget(target);
      const records = bodies.reduce((n, b) => n + b.records, 0);
      const bytes = bodies.reduce((n, b) => n + b.body.length, 0);

      if (args.dryRun) {
        io.stdout.write(`dry run: would send ${bodies.length} bodies (${records} records, ${bytes} bytes) from ${files.length} file(s) to ${where}\n`);
        return 0;
      }

      const producer = createProducer(target);
      let report: SendReport;
      try {
        report = await sendSampleBodies(producer, bodies, {
          onBatchSent: (batch, so) => {
            if (io.isTTY) err(`sent batch ${so.batches}: ${batch.events} bodies, ${batch.bytes} bytes`);
          },
        });
      } catch (e) {
        if (e instanceof SendSamplesError) {
          err(`send-samples: ${e.message}`);
          io.stdout.write(`sent ${summary(e.report)} to ${where} before the failure; ${bodies.length - e.report.bodies} bodies not sent\n`);
          return 1;
        }
        err(`send-samples: ${(e as Error).message}`);
        return 1;
      } finally {
        await producer.close().catch(() => undefined);
      }

      for (const o of report.oversize) {
        err(`send-samples: ${o.source}:${o.line}: body of ${o.bytes} bytes does not fit into a batch of at most ${o.maxSizeInBytes} bytes: not sent`);
      }
      io.stdout.write(`sent ${summary(report)} to ${where}\n`);
      if (report.oversize.length > 0) {
        io.stdout.write(`${report.oversize.length} bodies too large for the hub were not sent\n`);
        return 1;
      }
      return 0;
    },
  };
}

export const command: CliCommand = createSendSamplesCommand();
