import type { SettingsSource } from '../shared/config/env';

/** What a CLI verb gets instead of reaching for process globals, so tests can run verbs in-process. */
export interface CliIo {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: SettingsSource;
  /** True when stderr is a terminal: verbs show progress only then. */
  isTTY: boolean;
}

export interface CliCommand {
  /** The verb, e.g. `replay` or `deadletter`. */
  name: string;
  /** One line for the top-level help. */
  summary: string;
  /** Full `--help` text of the verb. */
  usage: string;
  /** Returns the process exit status. */
  run(args: string[], io: CliIo): Promise<number>;
}
