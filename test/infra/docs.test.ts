// README.md (the operator's guide) against the code: its configuration reference lists
// exactly the settings of shared/config/catalog.ts with the same scope and default, its azd table
// lists exactly the infrastructure values of infra/main.parameters.json, and the steps an operator
// cannot skip are there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SETTINGS } from '../../shared/config/catalog';
import { SEND_CONNECTION_STRING_SETTING } from '../../shared/eventhub/send-samples';
import { repoRoot } from './support/bicep';

const guide = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');

/** Rows of the Markdown table that follows `heading`, as cells without the surrounding pipes. */
function tableAfter(heading: string): string[][] {
  const start = guide.indexOf(heading);
  assert.ok(start >= 0, `${heading} in README.md`);
  const lines = guide.slice(start).split('\n');
  const first = lines.findIndex((l) => l.startsWith('|'));
  const rows: string[][] = [];
  for (const line of lines.slice(first + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(line.slice(1, -1).split(/(?<!\\)\|/).map((c) => c.trim()));
  }
  return rows;
}

const code = (cell: string): string => cell.replace(/^`(.*)`$/, '$1');

test('the configuration reference lists every setting of the code, and only those', () => {
  const rows = tableAfter('## Configuration reference');
  const documented = rows.map((r) => code(r[0]));
  // send-samples reads EVENTHUB_SEND_CONNECTION_STRING; it belongs in the catalog as a local setting.
  const known = new Set([...SETTINGS.map((s) => s.name), SEND_CONNECTION_STRING_SETTING]);
  assert.deepEqual([...new Set(documented)].length, documented.length, 'no setting twice');
  assert.deepEqual([...documented].sort(), [...known].sort());
});

test('the reference shows each setting\'s scope and default as the catalog has them', () => {
  const rows = new Map(tableAfter('## Configuration reference').map((r) => [code(r[0]), r]));
  for (const spec of SETTINGS) {
    const row = rows.get(spec.name)!;
    assert.equal(row[1], spec.scope === 'app' ? 'app' : spec.scope === 'alt' ? 'optional' : 'local only', spec.name);
    assert.equal(row[2] === '-' ? undefined : code(row[2]).replace(/\\\|/g, '|'), spec.default, spec.name);
    assert.ok(row[3].length > 10, `${spec.name} has a meaning`);
  }
});

test('the azd table lists exactly the infrastructure values main.parameters.json reads', () => {
  const file = JSON.parse(readFileSync(path.join(repoRoot, 'infra', 'main.parameters.json'), 'utf8')) as {
    parameters: Record<string, { value: string }>;
  };
  const settingNames = new Set(SETTINGS.map((s) => s.name));
  const azdOwn = new Set(['AZURE_ENV_NAME', 'AZURE_LOCATION', 'AZURE_PRINCIPAL_ID']);
  const infraVars = Object.values(file.parameters)
    .map((p) => /^\$\{(\w+)/.exec(p.value)![1])
    .filter((v) => !settingNames.has(v) && !azdOwn.has(v))
    .sort();
  const documented = tableAfter('Infrastructure choices').map((r) => code(r[0])).sort();
  assert.deepEqual(documented, infraVars);
});

test('the guide covers the steps that cannot be skipped', () => {
  const must = [
    '```mermaid',
    'SecurityIncident.Read.All',
    'SecurityAlert.Read.All',
    'admin consent',
    'az keyvault secret set',
    'azd up',
    'Security Administrator',
    'Contributor',
    'Microsoft.Insights',
    'EVENTHUB_NAMESPACE_RESOURCE_ID',
    'Never leave it blank',
    'defender-forwarder check',
    'defender-forwarder send-samples',
    'func azure functionapp publish',
    '## Scaling and cost',
    '## Troubleshooting',
  ];
  for (const text of must) assert.ok(guide.includes(text), text);
});
