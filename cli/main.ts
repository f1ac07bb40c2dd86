#!/usr/bin/env node
import type { CliCommand, CliIo } from './command';

/**
 * `defender-forwarder <verb>`: each verb lives in cli/commands/<verb>.ts and is loaded only when used,
 * so `replay` does not pay for the Graph or Event Hubs clients.
 */
const VERBS: Record<string, () => CliCommand> = {
  replay: () => require('./commands/replay').command,
  check: () => require('./commands/check').command,
  poll: () => require('./commands/poll').command,
  deadletter: () => require('./commands/deadletter').command,
  'send-samples': () => require('./commands/send-samples').command,
};

function available(): CliCommand[] {
  const list: CliCommand[] = [];
  for (const load of Object.values(VERBS)) {
    try {
      list.push(load());
    } catch {
      // A verb whose module is not built is simply not offered.
    }
  }
  return list;
}

function topUsage(): string {
  const verbs = available().map((c) => `  ${c.name.padEnd(14)}${c.summary}`).join('\n');
  return `Usage: defender-forwarder <command> [options]\n\nCommands:\n${verbs}\n\nRun "defender-forwarder <command> --help" for a command's options.\n`;
}

export async function main(argv: string[], io: CliIo): Promise<number> {
  const [verb, ...rest] = argv;
  if (verb === undefined || verb === '-h' || verb === '--help' || verb === 'help') {
    io.stdout.write(topUsage());
    return verb === undefined ? 2 : 0;
  }
  const load = Object.prototype.hasOwnProperty.call(VERBS, verb) ? VERBS[verb] : undefined;
  let cmd: CliCommand | undefined;
  try {
    cmd = load?.();
  } catch {
    cmd = undefined;
  }
  if (!cmd) {
    io.stderr.write(`defender-forwarder: unknown command "${verb}"\n\n${topUsage()}`);
    return 2;
  }
  return cmd.run(rest, io);
}

if (require.main === module) {
  const io: CliIo = {
    stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env,
    isTTY: Boolean(process.stderr.isTTY),
  };
  main(process.argv.slice(2), io).then(
    (code) => { process.exitCode = code; },
    (err: unknown) => { process.stderr.write(`defender-forwarder: ${(err as Error)?.stack ?? String(err)}\n`); process.exitCode = 1; },
  );
}
