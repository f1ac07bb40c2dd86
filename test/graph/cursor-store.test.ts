import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeIds, encodeIds, makeCursor, mergeCursors, PART_CHARS } from '../../shared/graph/cursor';
import { MemoryCursorStore } from '../../shared/graph/cursor-store';
import { startAzurite, type AzuriteInstance } from '../support/azurite';
import { alertId, instantAt } from '../support/graph-simulator';
import { cursorTable, tableStore, TENANT } from './harness';

describe('cursor merge and id encoding', () => {
  it('the later instant wins; equal instants union their ids', () => {
    const a = makeCursor('2025-02-07T19:01:26.1Z', ['1', '2']);
    const b = makeCursor('2025-02-07T19:01:26.1000001Z', ['3']);
    assert.deepEqual(mergeCursors(a, b), { instant: '2025-02-07T19:01:26.1000001Z', ids: ['3'] });
    assert.deepEqual(mergeCursors(b, a), b);
    const c = makeCursor('2025-02-07T19:01:26.1000000Z', ['2', '4']);
    assert.deepEqual(mergeCursors(a, c), { instant: '2025-02-07T19:01:26.1000000Z', ids: ['1', '2', '4'] });
    assert.deepEqual(mergeCursors(undefined, a), a);
  });

  it('1,200 real-length alert ids round-trip through gzip+base64 parts of at most 32,000 chars', () => {
    const ids = Array.from({ length: 1200 }, (_, i) => alertId(i));
    assert.ok(ids.every((id) => id.length === 40));
    const parts = encodeIds(ids);
    assert.ok(parts.every((p) => p.length <= PART_CHARS));
    assert.deepEqual(decodeIds(parts), ids);
    assert.deepEqual(encodeIds([]), []);
  });
});

describe('TableCursorStore on Azurite', () => {
  let azurite: AzuriteInstance;
  before(async () => { azurite = await startAzurite(); });
  after(async () => { await azurite.stop(); });

  it('stores 1,200 ids sharing one instant in one entity, every property within 64 KiB', async () => {
    const table = cursorTable(azurite);
    const store = tableStore(table);
    const T = instantAt(10, 5033333);
    const ids = Array.from({ length: 1200 }, (_, i) => alertId(i));
    const res = await store.advance(TENANT, 'alerts_v2', makeCursor(T, ids), undefined);
    assert.equal(res.conflicted, false);
    const loaded = await tableStore(table).load(TENANT, 'alerts_v2');
    assert.equal(loaded?.cursor.instant, T);
    assert.deepEqual(loaded?.cursor.ids, ids);
    const raw = await table.getEntity<Record<string, unknown>>(TENANT, 'alerts_v2');
    assert.equal(raw.instant, T);
    assert.equal(raw.idCount, 1200);
    assert.equal(raw.idsEncoding, 'gzip+base64:json');
    for (const [k, v] of Object.entries(raw)) {
      if (typeof v === 'string') assert.ok(v.length <= 32_000, `${k} has ${v.length} chars`);
    }
    // Raw, the ids alone would exceed one property.
    assert.ok(JSON.stringify(ids).length > 32_000);
  });

  it('a stale ETag (412) reloads and merges: no gap, never backwards', async () => {
    const table = cursorTable(azurite);
    const a = tableStore(table);
    const b = tableStore(table);
    const first = await a.advance(TENANT, 'incidents', makeCursor(instantAt(1), ['1']), undefined);
    // b moves the cursor ahead; a still holds the old ETag.
    await b.advance(TENANT, 'incidents', makeCursor(instantAt(5), ['5']), first.stored);
    const stale = await a.advance(TENANT, 'incidents', makeCursor(instantAt(3), ['3']), first.stored);
    assert.equal(stale.conflicted, true);
    assert.deepEqual(stale.stored.cursor, { instant: instantAt(5), ids: ['5'] });
    // Same instant from both: ids are unioned.
    const union = await a.advance(TENANT, 'incidents', makeCursor(instantAt(5), ['6']), first.stored);
    assert.equal(union.conflicted, true);
    assert.deepEqual(union.stored.cursor, { instant: instantAt(5), ids: ['5', '6'] });
    assert.deepEqual((await b.load(TENANT, 'incidents'))?.cursor, { instant: instantAt(5), ids: ['5', '6'] });
  });

  it('two creators of a new cursor (409) merge as well', async () => {
    const table = cursorTable(azurite);
    await tableStore(table).advance(TENANT, 'alerts_v2', makeCursor(instantAt(2), ['x']), undefined);
    const r = await tableStore(table).advance(TENANT, 'alerts_v2', makeCursor(instantAt(2), ['y']), undefined);
    assert.equal(r.conflicted, true);
    assert.deepEqual(r.stored.cursor, { instant: instantAt(2), ids: ['x', 'y'] });
  });

  it('a missing cursor loads as undefined; tenants and resources are separate entities', async () => {
    const table = cursorTable(azurite);
    const s = tableStore(table);
    assert.equal(await s.load(TENANT, 'incidents'), undefined);
    await s.advance(TENANT, 'incidents', makeCursor(instantAt(1)), undefined);
    assert.equal(await s.load(TENANT, 'alerts_v2'), undefined);
    assert.equal(await s.load('00000000-0000-4000-8000-000000000000', 'incidents'), undefined);
  });

  it('the memory store has the same merge semantics', async () => {
    const m = new MemoryCursorStore();
    const first = await m.advance(TENANT, 'incidents', makeCursor(instantAt(1), ['1']), undefined);
    await m.advance(TENANT, 'incidents', makeCursor(instantAt(4), ['4']), first.stored);
    const r = await m.advance(TENANT, 'incidents', makeCursor(instantAt(2), ['2']), first.stored);
    assert.equal(r.conflicted, true);
    assert.deepEqual(r.stored.cursor, { instant: instantAt(4), ids: ['4'] });
  });
});
