// scripts/install-bicep.sh: idempotent, prints only the binary path on stdout, and that binary is
// the pinned Bicep version. Runs only where the package is already in the NuGet cache or dotnet is
// available (CI); otherwise it says why it is skipped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BICEP_VERSION, repoRoot } from './support/bicep';

const script = path.join(repoRoot, 'scripts', 'install-bicep.sh');
const cached = path.join(
  process.env.NUGET_PACKAGES ?? path.join(os.homedir(), '.nuget', 'packages'),
  'azure.bicep.commandline.linux-x64',
  BICEP_VERSION,
  'tools',
  'bicep',
);
const hasDotnet = spawnSync('dotnet', ['--version'], { encoding: 'utf8' }).status === 0;
const skip =
  existsSync(cached) || hasDotnet
    ? false
    : 'neither dotnet nor a cached Azure.Bicep.CommandLine package is available: install-bicep.sh not run';
if (skip) console.log(`# ${skip}`);

test('install-bicep.sh prints the path of an executable Bicep CLI of the pinned version, twice the same', { skip, timeout: 300_000 }, () => {
  const run = (): string => execFileSync('bash', [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
  const first = run();
  const second = run();
  assert.equal(first, `${cached}\n`);
  assert.equal(second, first);
  assert.ok((statSync(cached).mode & 0o111) !== 0, 'executable');
  const version = execFileSync(cached, ['--version'], { encoding: 'utf8' });
  assert.match(version, new RegExp(`Bicep CLI version ${BICEP_VERSION.replace(/\./g, '\\.')} `));
});
