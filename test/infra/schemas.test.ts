// The shipped JSON/YAML configuration validates against the public schemas copied into schemas/:
// azure.yaml (draft 2019-09), host.json (draft-07), local.settings.sample.json (draft-04) and
// infra/bicepconfig.json (draft-07). One peer shipped an invalid host.json for years; this is the guard.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import Ajv2019 from 'ajv/dist/2019';
import AjvDraft04 from 'ajv-draft-04';
import { parse as parseYaml } from 'yaml';
import { repoRoot } from './support/bicep';

const schemasDir = path.join(repoRoot, 'schemas');
const sharedSchemas = path.resolve(repoRoot, '..', 'shared', 'schemas');

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function readJson(file: string): Json {
  return JSON.parse(readFileSync(file, 'utf8')) as Json;
}

/**
 * A copy of the schema without `$ref`s to other files: azure.yaml's schema points at azd extension
 * schemas on raw.githubusercontent.com, which are not reachable offline. Those branches then accept
 * anything, which is no loss here (they describe AI hosts this project does not use).
 */
function dropExternalRefs(node: Json): Json {
  if (Array.isArray(node)) return node.map(dropExternalRefs);
  if (node !== null && typeof node === 'object') {
    const out: { [key: string]: Json } = {};
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string' && !v.startsWith('#')) continue;
      out[k] = dropExternalRefs(v);
    }
    return out;
  }
  return node;
}

function errorsText(errors: unknown): string {
  return JSON.stringify(errors, null, 2);
}

// Formats (uri, date-time, ...) are not checked: ajv-formats is not a dependency of the project.
const options = { allErrors: true, strict: false, validateFormats: false } as const;

test('schemas/ holds the four public schemas', () => {
  for (const name of ['azure.yaml.v1.0.schema.json', 'host.json.schema.json', 'local.settings.json.schema.json', 'bicepconfig.schema.json']) {
    assert.ok(existsSync(path.join(schemasDir, name)), name);
  }
});

test('the schema copies equal the reference schemas (when ../shared/schemas is present)', (t) => {
  if (!existsSync(sharedSchemas)) {
    t.skip(`${sharedSchemas} not present (it is not in CI): copies not compared`);
    return;
  }
  for (const name of ['azure.yaml.v1.0.schema.json', 'host.json.schema.json', 'local.settings.json.schema.json', 'bicepconfig.schema.json']) {
    assert.deepEqual(readJson(path.join(schemasDir, name)), readJson(path.join(sharedSchemas, name)), name);
  }
});

test('azure.yaml is valid against the azd schema (draft 2019-09)', () => {
  const schema = dropExternalRefs(readJson(path.join(schemasDir, 'azure.yaml.v1.0.schema.json'))) as object;
  assert.doesNotMatch(JSON.stringify(schema), /"\$ref":"(?!#)/);
  const validate = new Ajv2019(options).compile(schema);
  const doc = parseYaml(readFileSync(path.join(repoRoot, 'azure.yaml'), 'utf8')) as unknown;
  assert.ok(validate(doc), errorsText(validate.errors));
  // The schema check bites: a service without `host` is rejected.
  assert.equal(validate({ name: 'defender-forwarder', services: { forwarder: { project: '.' } } }), false);
});

test('azure.yaml deploys the repo root package as a TypeScript function app, built before packaging', () => {
  const doc = parseYaml(readFileSync(path.join(repoRoot, 'azure.yaml'), 'utf8')) as {
    name: string;
    infra: { provider: string; path: string; module: string };
    services: Record<string, { project: string; language: string; host: string; hooks: { prepackage: { run: string } } }>;
  };
  assert.equal(doc.name, 'defender-forwarder');
  assert.deepEqual(doc.infra, { provider: 'bicep', path: 'infra', module: 'main' });
  assert.deepEqual(Object.keys(doc.services), ['forwarder']);
  const svc = doc.services.forwarder;
  assert.equal(svc.project, '.');
  assert.equal(svc.language, 'ts');
  assert.equal(svc.host, 'function');
  assert.equal(svc.hooks.prepackage.run, 'npm run build');
  const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
    main: string;
    scripts: Record<string, string>;
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
  };
  assert.equal(pkg.main, 'dist/functions/*.js');
  assert.ok(pkg.scripts.build, 'package.json has a build script');
  // `func` is installed by users: its postinstall downloads a binary.
  assert.equal('azure-functions-core-tools' in { ...pkg.dependencies, ...pkg.devDependencies }, false);
  // The infra/main.bicep app tag azd looks the service up by.
  assert.match(readFileSync(path.join(repoRoot, 'infra', 'main.bicep'), 'utf8'), /serviceName: 'forwarder'/);
});

test('infra/bicepconfig.json is valid against the Bicep config schema (draft-07)', () => {
  const validate = new Ajv(options).compile(readJson(path.join(schemasDir, 'bicepconfig.schema.json')) as object);
  const config = readJson(path.join(repoRoot, 'infra', 'bicepconfig.json'));
  assert.ok(validate(config), errorsText(validate.errors));
  assert.equal(validate({ analyzers: { core: { rules: { 'no-unused-params': { level: 'loud' } } } } }), false);
});

test('host.json is valid against the Functions host schema (draft-07)', (t) => {
  const file = path.join(repoRoot, 'host.json');
  if (!existsSync(file)) {
    t.skip('host.json not present yet');
    return;
  }
  const validate = new Ajv(options).compile(readJson(path.join(schemasDir, 'host.json.schema.json')) as object);
  const host = readJson(file) as { version: string; extensionBundle: { id: string; version: string } };
  assert.ok(validate(host), errorsText(validate.errors));
  assert.equal(host.version, '2.0');
  assert.deepEqual(host.extensionBundle, { id: 'Microsoft.Azure.Functions.ExtensionBundle', version: '[4.*, 5.0.0)' });
  assert.equal(validate({ ...host, version: '1.0', functionTimeout: 'forever' }), false);
});

test('local.settings.sample.json is valid against the local.settings schema (draft-04)', (t) => {
  const file = path.join(repoRoot, 'local.settings.sample.json');
  if (!existsSync(file)) {
    t.skip('local.settings.sample.json not present yet');
    return;
  }
  const validate = new AjvDraft04(options).compile(readJson(path.join(schemasDir, 'local.settings.json.schema.json')) as object);
  const sample = readJson(file);
  assert.ok(validate(sample), errorsText(validate.errors));
  assert.equal(validate({ IsEncrypted: 'no', Values: {} }), false);
});
