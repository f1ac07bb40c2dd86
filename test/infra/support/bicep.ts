/**
 * Finding and running the Bicep CLI: env BICEP_BIN, then `bicep` on PATH, then the NuGet cache path
 * scripts/install-bicep.sh restores to. Tests skip with a clear message when it is missing, except
 * under CI=true, where a missing compiler is a failure (CI installs it with scripts/install-bicep.sh).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ArmTemplate } from './arm';

export const BICEP_VERSION = '0.49.2';
export const repoRoot = path.resolve(__dirname, '..', '..', '..', '..');
export const infraDir = path.join(repoRoot, 'infra');

export function findBicep(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.BICEP_BIN) return existsSync(env.BICEP_BIN) ? env.BICEP_BIN : undefined;
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, 'bicep');
    if (existsSync(candidate)) return candidate;
  }
  const cache = env.NUGET_PACKAGES ?? path.join(os.homedir(), '.nuget', 'packages');
  const nuget = path.join(cache, 'azure.bicep.commandline.linux-x64', BICEP_VERSION, 'tools', 'bicep');
  return existsSync(nuget) ? nuget : undefined;
}

/**
 * The compiler, or a skip reason for node:test (`{ skip }`). Under CI=true a missing compiler throws,
 * so the suite fails instead of passing with nothing checked.
 */
export function bicepOrSkip(): { bin?: string; skip: string | false } {
  const bin = findBicep();
  if (bin) return { bin, skip: false };
  const where = process.env.BICEP_BIN ? ` at BICEP_BIN=${process.env.BICEP_BIN}` : '';
  const message = `Bicep CLI not found${where} (set BICEP_BIN, put bicep on PATH, or run scripts/install-bicep.sh): Bicep build/lint tests skipped`;
  if (process.env.CI === 'true') throw new Error(`${message} - under CI=true this is a failure`);
  console.log(`# ${message}`);
  return { skip: message };
}

export interface BicepRun {
  status: number;
  output: string;
}

export function runBicep(bin: string, args: string[], cwd = repoRoot): BicepRun {
  const r = spawnSync(bin, args, {
    cwd,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, DOTNET_CLI_TELEMETRY_OPTOUT: '1', DOTNET_NOLOGO: '1' },
  });
  if (r.error) throw r.error;
  return { status: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
}

/** Compiles a Bicep file to ARM JSON in a temporary folder that is removed again. */
export function compileBicep(bin: string, file: string): ArmTemplate {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'df-bicep-'));
  try {
    const out = path.join(dir, 'main.json');
    execFileSync(bin, ['build', file, '--outfile', out], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
    return JSON.parse(readFileSync(out, 'utf8')) as ArmTemplate;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Lines that are Bicep diagnostics (`file(line,col) : Warning rule: ...` or `: Error ...`). */
export function diagnostics(output: string): string[] {
  return output.split('\n').filter((l) => /\)\s*:\s*(Warning|Error|Info)\b/.test(l));
}
