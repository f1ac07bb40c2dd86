import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { SETTINGS } from '../../shared/config/catalog';

/**
 * The settings catalog against the code: every setting the code reads is in the catalog (and so in the
 * README's reference, which test/infra/docs.test.ts checks against the catalog), and every catalog
 * entry is read somewhere.
 */
const ROOT = path.join(__dirname, '..', '..', '..');
const SOURCE_DIRS = ['shared', 'functions', 'cli'];

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    if (statSync(p).isDirectory()) return sources(p);
    return p.endsWith('.ts') && !p.endsWith('catalog.ts') ? [p] : [];
  });
}

const code = SOURCE_DIRS.flatMap((d) => sources(path.join(ROOT, d))).map((f) => readFileSync(f, 'utf8')).join('\n');

/** Settings read through the readers of shared/config/env.ts, env['X'], env.X, binding %X% and named constants. */
function settingsReadByCode(): Set<string> {
  const found = new Set<string>();
  const patterns = [
    /read(?:String|Boolean|Integer|Enum|PemFile|HttpsOrigin|Duration)\w*\(\s*\w+\s*,\s*'([A-Za-z][A-Za-z0-9_]*)'/g,
    /\benv\[\s*'([A-Za-z][A-Za-z0-9_]*)'\s*\]/g,
    /\benv\.([A-Z][A-Z0-9_]{2,})\b/g,
    /%([A-Z][A-Z0-9_]+)%/g,
  ];
  for (const re of patterns) for (const m of code.matchAll(re)) found.add(m[1]);
  return found;
}

/** Variables read by the Azure SDK or the host, not by our code; they are documented where they matter. */
const NOT_OURS = new Set(['SETTING', 'CI', 'NODE_EXTRA_CA_CERTS', 'IDENTITY_ENDPOINT', 'IDENTITY_HEADER', 'AZURE_FUNCTIONS_ENVIRONMENT', 'WEBSITE_SITE_NAME', 'FUNCTIONS_WORKER_DIRECTORY', 'PATH', 'HOME']);

test('every setting the code reads is in the catalog', () => {
  const known = new Set(SETTINGS.map((s) => s.name));
  const unknown = [...settingsReadByCode()].filter((n) => !known.has(n) && !NOT_OURS.has(n) && !/^AzureWebJobsStorage__/.test(n));
  assert.deepEqual(unknown.sort(), [], `read by the code but missing from shared/config/catalog.ts: ${unknown.join(', ')}`);
});

test('every catalog setting is read by the code', () => {
  const unread = SETTINGS.map((s) => s.name).filter((n) => !code.includes(`'${n}'`) && !code.includes(`%${n}%`) && !code.includes(`\`${n}\``) && !code.includes(`"${n}"`));
  // Identity-based storage settings are read by prefix (`${prefix}__accountName`), and the trigger
  // connection by the host itself.
  const byPrefix = unread.filter((n) => !/^(AzureWebJobsStorage|EventHubConnection)__/.test(n));
  assert.deepEqual(byPrefix, [], `in the catalog but read nowhere: ${byPrefix.join(', ')}`);
});

test('catalog entries are unique and described', () => {
  const names = SETTINGS.map((s) => s.name);
  assert.equal(new Set(names).size, names.length);
  for (const s of SETTINGS) assert.ok(s.description.length > 15, s.name);
});
