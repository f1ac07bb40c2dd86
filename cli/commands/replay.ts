import { statSync } from 'node:fs';
import { createRuntime } from '../../shared/app/runtime';
import { ConfigError } from '../../shared/config/env';
import type { Provenance } from '../../shared/model/event';
import type { Logger } from '../../shared/observability/log';
import { addRunResult, emptyRunResult } from '../../shared/pipeline/streaming-run';
import { readMessagesFromFile } from '../../shared/sources/files';
import type { CliCommand, CliIo } from '../command';

const USAGE = `Usage: defender-forwarder replay [FILE...]

Replays Event Hubs message bodies through exactly the pipeline the Event Hub function runs
(parse -> normalize -> format -> deliver). A FILE holds one JSON body, or NDJSON with one body
per line; "-" (or no FILE) reads standard input. A body may be {"records":[...]}, one record or
an array of records.

Delivery follows the settings (environment): DESTINATION unset or "stdout" writes one normalized
event per line (JSON) to standard output; "discard" encodes every event and drops it (a dry
run). A summary goes to standard error; on a terminal, long replays show progress. Network
destinations use STREAMING_WORKERS worker threads (default: one per core).

Exit status: 0 only when every record was delivered; 1 when any record failed to parse or was
dead-lettered; 2 on a usage or configuration error.

Options:
  -v, --verbose   log delivery details (info level) to standard error
  -h, --help      show this help
`;

/**
 * Pipeline chunks: up to 200 messages or 1 MB of bodies (one full Event Hubs message), whichever comes first. Large enough for
 * throughput and delivery batches, small enough that a replay's memory does not depend on file size
 * or body size (normalized events take a few times their input bytes until delivered).
 */
const CHUNK_MESSAGES = 200;
const CHUNK_BYTES = 1024 * 1024;

/** Bad records reported one line each, up to this many; the summary always counts all. */
const MAX_REPORTED = 1000;

export function stderrLogger(io: CliIo, verbose: boolean): Logger {
  const line = (level: string, m: string, p?: Record<string, unknown>) =>
    io.stderr.write(`${level}: ${m}${p && Object.keys(p).length ? ' ' + JSON.stringify(p) : ''}\n`);
  return { info: (m, p) => { if (verbose) line('info', m, p); }, warn: (m, p) => line('warn', m, p), error: (m, p) => line('error', m, p) };
}

function where(p: Provenance): string {
  const at = p.file ?? p.source;
  return `${at}${p.line !== undefined ? `:${p.line}` : ''}${p.recordIndex !== undefined ? ` record ${p.recordIndex}` : ''}`;
}

export const command: CliCommand = {
  name: 'replay',
  summary: 'replay Event Hubs message bodies from files or stdin through the pipeline',
  usage: USAGE,
  async run(args: string[], io: CliIo): Promise<number> {
    if (args.includes('-h') || args.includes('--help')) {
      io.stdout.write(USAGE);
      return 0;
    }
    const verbose = args.includes('-v') || args.includes('--verbose');
    args = args.filter((a) => a !== '-v' && a !== '--verbose');
    const unknown = args.find((a) => a.startsWith('-') && a !== '-');
    if (unknown) {
      io.stderr.write(`replay: unknown option ${unknown}\n\n${USAGE}`);
      return 2;
    }
    const files = args.length ? args : ['-'];
    let totalBytes = 0;
    for (const f of files) {
      if (f === '-') continue;
      try {
        totalBytes += statSync(f).size;
      } catch (err) {
        io.stderr.write(`replay: cannot read ${f}: ${(err as Error).message}\n`);
        return 2;
      }
    }
    const logger = stderrLogger(io, verbose);
    let runtime;
    try {
      runtime = await createRuntime({ env: io.env, mode: 'cli', logger, stdout: io.stdout });
    } catch (err) {
      if (err instanceof ConfigError) {
        io.stderr.write(`replay: ${err.message}\n`);
        return 2;
      }
      throw err;
    }
    const totals = emptyRunResult();
    let doneBytes = 0;
    let reported = 0;
    let lastProgress = 0;
    const progress = (bytes: number) => {
      if (!io.isTTY) return;
      const now = Date.now();
      if (now - lastProgress < 250) return;
      lastProgress = now;
      const pct = totalBytes ? ` ${Math.min(100, Math.floor(((doneBytes + bytes) / totalBytes) * 100))}%` : '';
      io.stderr.write(`\rreplay:${pct} ${totals.records} records, ${totals.events} events`);
    };
    try {
      for (const file of files) {
        let fileBytes = 0;
        for await (const chunk of readMessagesFromFile(file, io.stdin, { chunkMessages: CHUNK_MESSAGES, chunkBytes: CHUNK_BYTES, onBytes: (b) => { fileBytes = b; progress(b); } })) {
          const r = await runtime.processStreaming(chunk);
          for (const bad of r.badRecords) {
            if (reported >= MAX_REPORTED) break;
            reported++;
            io.stderr.write(`${io.isTTY ? '\r\x1b[K' : ''}replay: bad record at ${where(bad.provenance)}: ${bad.reason} (dead-lettered)\n`);
          }
          addRunResult(totals, r);
        }
        doneBytes += fileBytes;
      }
    } catch (err) {
      io.stderr.write(`${io.isTTY ? '\n' : ''}replay: ${(err as Error).message}\n`);
      await runtime.close();
      return 1;
    } finally {
      if (io.isTTY) io.stderr.write('\r\x1b[K');
    }
    await runtime.close();
    io.stderr.write(`replay: ${totals.messages} messages, ${totals.records} records, ${totals.events} events out, ` +
      `${totals.delivered} delivered, ${totals.parseErrors} parse errors, ${totals.deadLettered} dead-lettered\n`);
    return totals.parseErrors === 0 && totals.deadLettered === 0 && totals.events === totals.records ? 0 : 1;
  },
};
