import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';

const ROOT = path.join(__dirname, '..', '..', '..');
const CLI = path.join(ROOT, 'dist', 'cli', 'main.js');
const SAMPLES = path.join(ROOT, 'samples', 'streaming');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'replay-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function replay(args: string[], input?: string, env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [CLI, 'replay', ...args], {
    input, encoding: 'utf8', cwd: tmp, env: { PATH: process.env.PATH ?? '', DEADLETTER_DIR: path.join(tmp, 'dl'), ...env }, maxBuffer: 64 << 20,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, lines: r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l)) };
}

test('replay of the bundled samples writes one normalized event per record and exits 0', () => {
  const files = readdirSync(SAMPLES).filter((f) => f.endsWith('.ndjson')).map((f) => path.join(SAMPLES, f));
  const r = replay(files);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.lines.length, 32);
  assert.match(r.stderr, /9 messages, 32 records, 32 events out, 32 delivered, 0 parse errors, 0 dead-lettered/);
  for (const e of r.lines) {
    assert.match(e.event.id, /^[0-9a-f]{32}$/);
    assert.ok(e['@timestamp'] && e.event.dataset && e.event.action !== null);
  }
});

test('stdin (-), a bare record per line, and a pretty-printed single body are all read', () => {
  const rec = { category: 'AdvancedHunting-DeviceProcessEvents', tenantId: 't', properties: { DeviceName: 'H1', ProcessCommandLine: 'a b' } };
  const viaStdin = replay(['-'], JSON.stringify(rec) + '\n\n' + JSON.stringify({ records: [rec, rec] }) + '\n');
  assert.equal(viaStdin.code, 0, viaStdin.stderr);
  assert.equal(viaStdin.lines.length, 3);
  assert.equal(viaStdin.lines[0].forwarder.provenance.source, 'stdin');
  assert.equal(viaStdin.lines[2].forwarder.provenance.line, 3);
  const pretty = path.join(tmp, 'pretty.json');
  writeFileSync(pretty, JSON.stringify({ records: [rec] }, null, 2));
  const p = replay([pretty]);
  assert.equal(p.code, 0, p.stderr);
  assert.equal(p.lines.length, 1);
  assert.equal(p.lines[0].process.command_line, 'a b');
});

test('bad records make replay exit 1, report them with provenance, and still deliver the good ones', () => {
  const file = path.join(tmp, 'mixed.ndjson');
  writeFileSync(file, [
    JSON.stringify({ records: [{ category: 'AdvancedHunting-DeviceEvents', properties: { DeviceName: 'ok' } }, { nope: true }] }),
    '{"records": [truncated',
  ].join('\n') + '\n');
  const r = replay([file]);
  assert.equal(r.code, 1);
  assert.equal(r.lines.length, 1);
  assert.equal(r.lines[0].host.name, 'ok');
  assert.match(r.stderr, /2 parse errors/);
  assert.match(r.stderr, /mixed\.ndjson/);
});

test('--help, unknown options and missing files', () => {
  const h = spawnSync(process.execPath, [CLI, 'replay', '--help'], { encoding: 'utf8' });
  assert.equal(h.status, 0);
  assert.match(h.stdout, /Usage: defender-forwarder replay/);
  const top = spawnSync(process.execPath, [CLI, '--help'], { encoding: 'utf8' });
  assert.equal(top.status, 0);
  assert.match(top.stdout, /replay/);
  assert.equal(replay(['--frobnicate']).code, 2);
  const missing = replay([path.join(tmp, 'nope.ndjson')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /cannot read/);
  const badDest = replay(['-'], '', { DESTINATION: 'gopher://x' });
  assert.equal(badDest.code, 2);
  assert.match(badDest.stderr, /DESTINATION/);
});
