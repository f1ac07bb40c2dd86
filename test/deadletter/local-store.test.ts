import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LocalDirDeadLetterStore } from '../../shared/deadletter/local-store';
import { DeadLetterWriteError } from '../../shared/deadletter/unit';
import { deliveryFailureEntry, parseFailureEntry } from '../../shared/deadletter/entries';
import type { DeadLetterEntry } from '../../shared/deadletter/types';
import { outbound } from '../delivery/support';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dl-local-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const failedAt = '2025-02-07T19:05:00.000Z';
const failure = (i: number, destination = 'syslog+tcp://siem:514', reason = 'connect ECONNREFUSED'): DeadLetterEntry =>
  deliveryFailureEntry({ item: outbound(i), reason, attempts: 4, destination }, failedAt);

test('round trip: put, list with counts/kinds/reasons, read exact entries, delete', async (t) => {
  const dir = tempDir(t);
  let clock = Date.parse('2025-02-07T19:05:00.000Z');
  const store = new LocalDirDeadLetterStore({ dir, now: () => new Date(clock++) });
  const hostile = parseFailureEntry({ reason: 'not JSON', provenance: { source: 'file', messageIndex: 0, file: 'x.ndjson', line: 3 }, body: 'line1\nline2 \u2028 "quoted" \\ back', failedAt });
  const first = [failure(0), failure(1, 'https://collector/ingest', 'HTTP 503')];
  const second = [hostile];
  await store.put(first);
  await store.put(second);
  await store.put([]); // nothing to store: no unit

  const units = await store.list();
  assert.equal(units.length, 2);
  assert.match(units[0].id, /^2025-02-07T19-05-00\.000Z-delivery-failed-[0-9a-f]{12}\.ndjson$/);
  assert.match(units[1].id, /^2025-02-07T19-05-00\.001Z-parse-error-[0-9a-f]{12}\.ndjson$/);
  const { id: _a, bytes: b0, ...u0 } = units[0];
  assert.deepEqual(u0, {
    createdAt: '2025-02-07T19:05:00.000Z', kind: 'delivery-failed', count: 2,
    kinds: { 'delivery-failed': 2, 'parse-error': 0 },
    destinations: ['syslog+tcp://siem:514', 'https://collector/ingest'], reasons: ['connect ECONNREFUSED', 'HTTP 503'],
  });
  assert.equal(b0, readFileSync(path.join(dir, units[0].id)).length);
  assert.equal(units[1].kind, 'parse-error');
  assert.deepEqual(units[1].kinds, { 'delivery-failed': 0, 'parse-error': 1 });

  assert.deepEqual(await store.read(units[0].id), JSON.parse(JSON.stringify(first)));
  const [back] = await store.read(units[1].id);
  assert.equal(back.payload, 'line1\nline2 \u2028 "quoted" \\ back');
  // One line per entry: content newlines are escaped by JSON.
  assert.equal(readFileSync(path.join(dir, units[1].id), 'utf8').split('\n').length, 2);

  await store.delete(units[0].id);
  await store.delete(units[0].id); // already gone: fine
  assert.deepEqual((await store.list()).map((u) => u.id), [units[1].id]);
});

test('list() of a folder that does not exist yet is empty; put() creates it', async (t) => {
  const dir = path.join(tempDir(t), 'nested', 'deadletter');
  const store = new LocalDirDeadLetterStore({ dir });
  assert.deepEqual(await store.list(), []);
  await store.put([failure(1)]);
  assert.equal((await store.list()).length, 1);
  assert.equal(store.name, `dir:${dir}`);
});

test('ids outside the store are refused (no path traversal)', async (t) => {
  const store = new LocalDirDeadLetterStore({ dir: tempDir(t) });
  await assert.rejects(store.read('../../etc/passwd'), /not a dead-letter unit name/);
  await assert.rejects(store.delete('../x.ndjson'), /not a dead-letter unit name/);
});

test('a write that fails before the rename leaves no unit and no temp file, and put() throws', async (t) => {
  const dir = tempDir(t);
  const store = new LocalDirDeadLetterStore({ dir, beforeRename: () => { throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' }); } });
  await assert.rejects(store.put([failure(1)]), (err: unknown) => {
    assert.ok(err instanceof DeadLetterWriteError);
    assert.equal(err.message, `dead-letter store dir:${dir} could not store 1 entry: ENOSPC: no space left on device`);
    return true;
  });
  assert.deepEqual(readdirSync(dir), []);
});

test('put() into a path that is a file throws DeadLetterWriteError', async (t) => {
  const file = path.join(tempDir(t), 'not-a-dir');
  writeFileSync(file, 'x');
  await assert.rejects(new LocalDirDeadLetterStore({ dir: file }).put([failure(1)]), DeadLetterWriteError);
});

test('a damaged unit is listed with its problem instead of breaking the listing', async (t) => {
  const dir = tempDir(t);
  const store = new LocalDirDeadLetterStore({ dir });
  await store.put([failure(1)]);
  const name = '2025-01-01T00-00-00.000Z-delivery-failed-0123456789ab.ndjson';
  writeFileSync(path.join(dir, name), '{"kind":"delivery-failed","reason":"x"');
  const units = await store.list();
  assert.equal(units.length, 2);
  assert.equal(units[0].id, name);
  assert.equal(units[0].problem, `dead-letter unit ${name} line 1: last line is not terminated (truncated unit)`);
  assert.equal(units[1].problem, undefined);
});

/** Runs a child that writes units with the compiled store and is killed with SIGKILL. */
function crashChild(dir: string, mode: 'before-rename' | 'random'): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string }> {
  const storeModule = path.resolve(__dirname, '../../shared/deadletter/local-store.js');
  const script = `
    const { LocalDirDeadLetterStore } = require(${JSON.stringify(storeModule)});
    const mode = ${JSON.stringify(mode)};
    const store = new LocalDirDeadLetterStore({ dir: ${JSON.stringify(dir)},
      beforeRename: mode === 'before-rename' ? () => process.kill(process.pid, 'SIGKILL') : undefined });
    const big = 'x'.repeat(64 * 1024);
    const entry = (n) => ({ kind: 'parse-error', reason: 'r' + n, provenance: { source: 'file', messageIndex: n }, failedAt: new Date().toISOString(), payload: big });
    (async () => {
      for (let u = 0; ; u++) {
        await store.put(Array.from({ length: 40 }, (_, k) => entry(k)));
        process.stdout.write('unit ' + u + '\\n');
      }
    })();`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      // Killed while it is writing the fourth unit or later, at whatever point that write has reached.
      if (mode === 'random' && (stdout.match(/unit /g) ?? []).length >= 3) setTimeout(() => child.kill('SIGKILL'), 1 + Math.floor(Math.random() * 5));
    });
    const guard = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('error', reject);
    child.on('exit', (code, signal) => { clearTimeout(guard); resolve({ code, signal, stdout }); });
  });
}

test('crash safety: a process killed after writing the temp file leaves no visible unit', async (t) => {
  const dir = tempDir(t);
  const r = await crashChild(dir, 'before-rename');
  assert.equal(r.signal, 'SIGKILL');
  const files = readdirSync(dir);
  assert.equal(files.length, 1, 'the temp file is all that is left');
  assert.match(files[0], /^\..*\.ndjson\.tmp$/);
  assert.deepEqual(await new LocalDirDeadLetterStore({ dir }).list(), []);
});

test('crash safety: killed at an arbitrary point, every visible unit is complete', async (t) => {
  const dir = tempDir(t);
  const r = await crashChild(dir, 'random');
  assert.equal(r.signal, 'SIGKILL');
  const store = new LocalDirDeadLetterStore({ dir });
  const units = await store.list();
  assert.ok(units.length >= 3, `at least the acknowledged units are there (got ${units.length})`);
  for (const u of units) {
    assert.equal(u.problem, undefined);
    assert.equal(u.count, 40);
    const entries = await store.read(u.id);
    assert.deepEqual(entries.map((e) => e.reason), Array.from({ length: 40 }, (_, k) => `r${k}`));
  }
});
