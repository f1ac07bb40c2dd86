// Every Bicep file compiles and lints with no error and no warning, and the gate really bites: the
// repo's bicepconfig.json turns a planted unused parameter into an error (exit status 1).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bicepOrSkip, diagnostics, infraDir, runBicep } from './support/bicep';

const { bin, skip } = bicepOrSkip();

function bicepFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...bicepFiles(p));
    else if (entry.name.endsWith('.bicep')) out.push(p);
  }
  return out.sort();
}

test('infra has main.bicep and its modules', () => {
  const files = bicepFiles(infraDir).map((f) => path.relative(infraDir, f));
  assert.deepEqual(files, [
    'main.bicep',
    'modules/eventhub-connection-secret.bicep',
    'modules/eventhubs.bicep',
    'modules/functionapp.bicep',
    'modules/identity.bicep',
    'modules/keyvault.bicep',
    'modules/monitoring.bicep',
    'modules/storage.bicep',
  ]);
});

test('bicep lint: no diagnostics in any Bicep file', { skip }, () => {
  const r = runBicep(bin!, ['lint', '--pattern', 'infra/**/*.bicep']);
  assert.deepEqual(diagnostics(r.output), [], r.output);
  assert.equal(r.status, 0, r.output);
});

test('bicep build: every Bicep file compiles with no diagnostics', { skip }, () => {
  const out = mkdtempSync(path.join(os.tmpdir(), 'df-bicep-build-'));
  try {
    const r = runBicep(bin!, ['build', '--pattern', 'infra/**/*.bicep', '--outdir', out]);
    assert.deepEqual(diagnostics(r.output), [], r.output);
    assert.equal(r.status, 0, r.output);
    for (const file of bicepFiles(infraDir)) {
      const json = path.join(out, path.relative(infraDir, file).replace(/\.bicep$/, '.json'));
      const template = JSON.parse(readFileSync(json, 'utf8')) as { $schema: string; resources: unknown };
      assert.match(template.$schema, /[dD]eploymentTemplate\.json#$/, json);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

// Each planted violation must make `bicep lint` exit 1 with the rule reported as an error.
const plantedViolations: Array<{ rule: string; edit: (source: string) => string }> = [
  { rule: 'no-unused-params', edit: (s) => `${s}\n@description('planted')\nparam plantedUnused string = 'x'\n` },
  {
    rule: 'outputs-should-not-contain-secrets',
    edit: (s) => `${s}\n@description('planted')\noutput plantedKey string = identity.listKeys().key\n`,
  },
  { rule: 'no-hardcoded-location', edit: (s) => s.replace('location: location', "location: 'westeurope'") },
  { rule: 'no-hardcoded-env-urls', edit: (s) => `${s}\n@description('planted')\noutput plantedUrl string = 'https://management.azure.com/'\n` },
  { rule: 'use-description-params', edit: (s) => s.replace("@description('Azure region.')\n", '') },
];

test('bicepconfig.json raises the rules that matter to error (planted violations fail lint)', { skip }, () => {
  const work = mkdtempSync(path.join(os.tmpdir(), 'df-bicep-gate-'));
  try {
    cpSync(infraDir, work, { recursive: true });
    const target = path.join(work, 'modules', 'identity.bicep');
    const original = readFileSync(target, 'utf8');
    for (const { rule, edit } of plantedViolations) {
      const planted = edit(original);
      assert.notEqual(planted, original, `the ${rule} edit changed nothing`);
      writeFileSync(target, planted);
      const r = runBicep(bin!, ['lint', target], work);
      assert.equal(r.status, 1, `${rule}\n${r.output}`);
      assert.match(r.output, new RegExp(`: Error ${rule}:`), r.output);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
