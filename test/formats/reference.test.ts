/**
 * The CEF and LEEF key tables shipped in shared/formats/reference must match the vendor dictionaries
 * in /work/shared/reference when that folder exists (it is not shipped to CI: skip there).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { CEF_KEYS } from '../../shared/formats/reference/cef-keys';
import { LEEF_KEYS } from '../../shared/formats/reference/leef-keys';

const CEF_YAML = '/work/shared/reference/cef-extensions.yaml';
const LEEF_YAML = '/work/shared/reference/leef-attributes.yaml';
const skip = (p: string) => (existsSync(p) ? false : `${p} not present (not shipped to CI)`);

/** Keys we add on purpose: the dictionary file lacks c6a2 (see reference/cef-keys.ts). */
const CEF_ADDED = new Set(['c6a2', 'c6a2Label']);

test('CEF key table matches the ArcSight extension dictionary', { skip: skip(CEF_YAML) }, () => {
  const doc = parse(readFileSync(CEF_YAML, 'utf8')) as { extensions: Array<{ key: string; full_name: string; type: string; length?: number; audience: string }> };
  const byKey = new Map(doc.extensions.map((e) => [e.key, e]));
  for (const [key, spec] of Object.entries(CEF_KEYS) as Array<[string, { fullName: string; type: string; maxLength?: number }]>) {
    if (CEF_ADDED.has(key)) {
      assert.equal(byKey.has(key), false, `${key} is now in the dictionary: drop it from CEF_ADDED`);
      continue;
    }
    const d = byKey.get(key);
    assert.ok(d, `${key} is in the dictionary`);
    assert.equal(d.audience, 'producer', `${key} may be set by producers`);
    assert.equal(spec.fullName, d.full_name, `${key} full name`);
    assert.equal(spec.type, d.type, `${key} type`);
    assert.equal(spec.maxLength, d.length, `${key} length`);
  }
});

test('LEEF predefined keys and limits match IBM\'s attribute list; custom keys do not collide', { skip: skip(LEEF_YAML) }, () => {
  const doc = parse(readFileSync(LEEF_YAML, 'utf8')) as { attributes: Array<{ key: string; limits?: string; normalized: boolean | null; reserved?: boolean }> };
  const byKey = new Map(doc.attributes.map((a) => [a.key, a]));
  for (const [key, spec] of Object.entries(LEEF_KEYS) as Array<[string, { maxLength?: number; normalized: boolean; custom?: true }]>) {
    const d = byKey.get(key);
    if (spec.custom) {
      assert.equal(d, undefined, `custom key ${key} collides with a predefined one`);
      continue;
    }
    assert.ok(d, `${key} is predefined`);
    assert.notEqual(d.reserved, true, `${key} is not a reserved key`);
    assert.equal(spec.normalized, d.normalized, `${key} normalized`);
    if (spec.maxLength !== undefined) assert.equal(String(spec.maxLength), d.limits, `${key} limit`);
  }
});
