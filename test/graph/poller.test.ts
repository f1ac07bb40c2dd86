import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GraphPermissionError } from '../../shared/graph/errors';
import { pollResource, pollTenants, type PollOptions } from '../../shared/graph/poller';
import { MemoryLogger } from '../../shared/observability/log';
import { startAzurite, type AzuriteInstance } from '../support/azurite';
import { alertId, GraphSimulator, instantAt, makeAlert, makeIncident, type SimObject } from '../support/graph-simulator';
import { countDuplicates, cursorTable, noSleep, Recorder, simClock, SimTokens, tableStore, TENANT } from './harness';

const DAY = 86_400_000;

describe('Graph poller against the simulator and a real Azurite cursor table', () => {
  let azurite: AzuriteInstance;
  let sim: GraphSimulator;

  before(async () => {
    azurite = await startAzurite();
  });
  after(async () => {
    await azurite.stop();
  });

  async function fresh(): Promise<GraphSimulator> {
    if (sim) await sim.stop();
    sim = await GraphSimulator.start();
    sim.addTenant(TENANT);
    return sim;
  }
  after(async () => { if (sim) await sim.stop(); });

  function options(over: Partial<PollOptions> & Pick<PollOptions, 'resource' | 'tokens' | 'cursorStore' | 'deliver'>): PollOptions {
    return {
      tenantId: TENANT,
      graphBaseUrl: sim.baseUrl,
      lookbackMs: DAY,
      budgetMs: 60_000,
      logger: new MemoryLogger(),
      now: simClock(),
      sleep: noSleep,
      ...over,
    };
  }

  it('backfills 1,000 incidents: each delivered once, ceil(1000/50)+1 requests, cursor on the last', async () => {
    await fresh();
    const incidents = Array.from({ length: 1000 }, (_, i) => makeIncident(i, instantAt(i * 60, (i * 7919) % 10_000_000), TENANT));
    sim.put(TENANT, 'incidents', incidents);
    const rec = new Recorder();
    const table = cursorTable(azurite);
    const store = tableStore(table);
    const tokens = new SimTokens(sim, TENANT);
    const progress: number[] = [];
    const r = await pollResource(options({ resource: 'incidents', tokens, cursorStore: store, deliver: rec.deliver, onProgress: (p) => progress.push(p.items) }));

    assert.equal(r.items, 1000);
    assert.equal(countDuplicates(rec.versions()), 0);
    assert.deepEqual(new Set(rec.versions()), new Set(incidents.map((o) => `${o.id}|${o.lastUpdateDateTime}`)));
    // Time-boundary paging re-reads the one object at each page's last instant: 50 + 19*49 + 19.
    assert.equal(r.requests, 21);
    assert.equal(r.pages, 21);
    assert.equal(r.stoppedBy, 'caught-up');
    assert.equal(progress.length, 21);
    assert.equal(progress.at(-1), 1000);
    // Every request used the documented query shape.
    for (const q of sim.collectionRequests().map((x) => x.query)) {
      assert.match(q.$filter, /^lastUpdateDateTime ge \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/);
      assert.equal(q.$orderby, 'lastUpdateDateTime asc');
      assert.equal(q.$top, '50');
      assert.equal(q.$skiptoken, undefined);
    }
    // The first request starts at the lookback (now - P1D).
    assert.match(sim.collectionRequests()[0].query.$filter, /^lastUpdateDateTime ge 2025-02-28T23:00:0\d\.\d{7}Z$/);
    // Delivered items carry the original object unaltered and a normalized event.
    const first = rec.items[0];
    assert.equal(first.origin, 'incident');
    assert.deepEqual(first.original, incidents[0]);
    assert.equal(first.event.event.dataset, 'm365_defender.incident');
    assert.equal(first.event.forwarder.provenance.messageIndex, 0);
    assert.equal(rec.items[1].event.forwarder.provenance.messageIndex, 1);
    // Cursor: last instant, at full precision, with the one id delivered there.
    const stored = await store.load(TENANT, 'incidents');
    assert.deepEqual(stored?.cursor, { instant: incidents[999].lastUpdateDateTime, ids: [incidents[999].id] });

    // Next run: nothing new, one request, nothing delivered again.
    const before = sim.requests.length;
    const r2 = await pollResource(options({ resource: 'incidents', tokens, cursorStore: store, deliver: rec.deliver }));
    assert.equal(r2.items, 0);
    assert.equal(r2.skipped, 1);
    assert.equal(sim.requests.length - before, 1);
    assert.equal(rec.items.length, 1000);
  });

  it('120 incidents sharing one lastUpdateDateTime: follows nextLink inside the instant, no loop, no skip', async () => {
    await fresh();
    const T = instantAt(3600, 1234567);
    const before10 = Array.from({ length: 10 }, (_, i) => makeIncident(i, instantAt(i), TENANT));
    const tie = Array.from({ length: 120 }, (_, i) => makeIncident(100 + i, T, TENANT));
    sim.put(TENANT, 'incidents', [...before10, ...tie]);
    const rec = new Recorder();
    const store = tableStore(cursorTable(azurite));
    const tokens = new SimTokens(sim, TENANT);
    const r = await pollResource(options({ resource: 'incidents', tokens, cursorStore: store, deliver: rec.deliver }));
    assert.equal(r.items, 130);
    assert.equal(countDuplicates(rec.versions()), 0);
    assert.equal(r.stoppedBy, 'caught-up');
    assert.ok(r.requests <= 5, `requests ${r.requests}`);
    const stored = await store.load(TENANT, 'incidents');
    assert.equal(stored?.cursor.instant, T);
    assert.deepEqual([...(stored?.cursor.ids ?? [])].sort(), tie.map((o) => o.id).sort());

    // A rerun at the tie re-reads the instant (all known) and ends: still nothing new, no loop.
    const r2 = await pollResource(options({ resource: 'incidents', tokens, cursorStore: store, deliver: rec.deliver }));
    assert.equal(r2.items, 0);
    assert.equal(r2.skipped, 120);
    assert.equal(r2.requests, 3);

    // Later objects arrive: the tie is left behind and only the new ones are delivered.
    const later = Array.from({ length: 5 }, (_, i) => makeIncident(500 + i, instantAt(7200 + i), TENANT));
    sim.put(TENANT, 'incidents', later);
    const r3 = await pollResource(options({ resource: 'incidents', tokens, cursorStore: store, deliver: rec.deliver }));
    assert.equal(r3.items, 5);
    assert.equal(countDuplicates(rec.versions()), 0);
    assert.equal(rec.items.length, 135);
    assert.equal((await store.load(TENANT, 'incidents'))?.cursor.instant, later[4].lastUpdateDateTime);
  });

  it('1,200 alerts sharing one lastUpdateDateTime (page 500): every alert once, cursor ids fit in Table Storage', async () => {
    await fresh();
    const T = instantAt(1800, 5033333);
    const tie = Array.from({ length: 1200 }, (_, i) => makeAlert(i, T, TENANT));
    const afterTie = Array.from({ length: 30 }, (_, i) => makeAlert(5000 + i, instantAt(1900 + i), TENANT));
    sim.put(TENANT, 'alerts_v2', [...tie, ...afterTie]);
    const rec = new Recorder();
    const table = cursorTable(azurite);
    const store = tableStore(table);
    const tokens = new SimTokens(sim, TENANT);
    const r = await pollResource(options({ resource: 'alerts_v2', tokens, cursorStore: store, deliver: rec.deliver, pageSize: 500 }));
    assert.equal(r.items, 1230);
    assert.equal(countDuplicates(rec.versions()), 0);
    assert.deepEqual(new Set(rec.items.map((i) => (i.original as SimObject).id)), new Set([...tie, ...afterTie].map((o) => o.id)));
    assert.equal(rec.items[0].origin, 'alert');
    // 3 pages through the instant, a verification re-read of it (3), then the rest.
    assert.ok(r.requests <= 8, `requests ${r.requests}`);
    assert.equal((await store.load(TENANT, 'alerts_v2'))?.cursor.instant, afterTie[29].lastUpdateDateTime);
  });

  it('an object updated while its instant is paged by nextLink (offsets shift) is not skipped', async () => {
    await fresh();
    const T = instantAt(600, 1);
    const tie = Array.from({ length: 120 }, (_, i) => makeIncident(i, T, TENANT));
    sim.put(TENANT, 'incidents', [...tie, makeIncident(999, instantAt(700), TENANT)]);
    // After the first page was served, an object of that page is updated: everything behind it shifts
    // down one place, so the object at offset 50 would be skipped by the next nextLink.
    const moved = sim.all(TENANT, 'incidents')[3];
    sim.beforePage = ({ pageNumber }) => {
      if (pageNumber === 2) sim.update(TENANT, 'incidents', moved.id, instantAt(650), { status: 'resolved' });
    };
    const rec = new Recorder();
    const store = tableStore(cursorTable(azurite));
    const r = await pollResource(options({ resource: 'incidents', tokens: new SimTokens(sim, TENANT), cursorStore: store, deliver: rec.deliver }));
    const expected = new Set([...tie.map((o) => `${o.id}|${T}`), `${moved.id}|${instantAt(650)}`, `${String(100999)}|${instantAt(700)}`]);
    assert.deepEqual(new Set(rec.versions()), expected);
    assert.equal(countDuplicates(rec.versions()), 0);
    assert.equal(r.items, 122);
  });

  it('objects updated during a time-boundary backfill are delivered at both versions, none skipped', async () => {
    await fresh();
    const incidents = Array.from({ length: 300 }, (_, i) => makeIncident(i, instantAt(i), TENANT));
    sim.put(TENANT, 'incidents', incidents);
    sim.beforePage = ({ pageNumber }) => {
      if (pageNumber === 3) {
        sim.update(TENANT, 'incidents', incidents[10].id, instantAt(10_000));
        sim.update(TENANT, 'incidents', incidents[120].id, instantAt(10_001));
      }
    };
    const rec = new Recorder();
    const r = await pollResource(options({ resource: 'incidents', tokens: new SimTokens(sim, TENANT), cursorStore: tableStore(cursorTable(azurite)), deliver: rec.deliver }));
    const versions = new Set(rec.versions());
    for (const o of incidents) assert.ok(versions.has(`${o.id}|${o.lastUpdateDateTime}`) || o === incidents[120], `missing ${o.id}`);
    assert.ok(versions.has(`${incidents[10].id}|${instantAt(10_000)}`));
    assert.ok(versions.has(`${incidents[120].id}|${instantAt(10_001)}`));
    assert.equal(countDuplicates(rec.versions()), 0);
    assert.equal(r.items, 301);
  });

  it('crash after page k (deliver throws) then restart: resumes at the cursor, no gap, bounded duplicates', async () => {
    await fresh();
    const incidents = Array.from({ length: 400 }, (_, i) => makeIncident(i, instantAt(i * 3), TENANT));
    sim.put(TENANT, 'incidents', incidents);
    const table = cursorTable(azurite);
    const tokens = new SimTokens(sim, TENANT);
    const rec = new Recorder();
    rec.failOnCall = 4;
    await assert.rejects(
      pollResource(options({ resource: 'incidents', tokens, cursorStore: tableStore(table), deliver: rec.deliver })),
      /simulated delivery failure on batch 4/,
    );
    assert.equal(rec.batches.length, 3);
    // The cursor holds what pages 1-3 delivered, nothing of page 4.
    const afterCrash = await tableStore(table).load(TENANT, 'incidents');
    const lastDelivered = rec.items.at(-1)!.original as SimObject;
    assert.deepEqual(afterCrash?.cursor, { instant: lastDelivered.lastUpdateDateTime, ids: [lastDelivered.id] });

    // A new process (new store instance) resumes.
    rec.failOnCall = undefined;
    const r = await pollResource(options({ resource: 'incidents', tokens, cursorStore: tableStore(table), deliver: rec.deliver }));
    assert.equal(r.stoppedBy, 'caught-up');
    assert.deepEqual(new Set(rec.versions()), new Set(incidents.map((o) => `${o.id}|${o.lastUpdateDateTime}`)));
    assert.ok(countDuplicates(rec.versions()) <= 50, `duplicates ${countDuplicates(rec.versions())}`);
  });

  it('two pollers racing on one cursor (ETag): no gap, duplicates bounded by a page per conflict', async () => {
    await fresh();
    const incidents = Array.from({ length: 500 }, (_, i) => makeIncident(i, instantAt(i * 2), TENANT));
    sim.put(TENANT, 'incidents', incidents);
    const name = `race${process.pid}`;
    const storeA = tableStore(cursorTable(azurite, name));
    const storeB = tableStore(cursorTable(azurite, name));
    const rec = new Recorder();
    let seed = 7;
    rec.delay = () => new Promise((r) => setTimeout(r, (seed = (seed * 16807) % 2147483647) % 4));
    const tokens = new SimTokens(sim, TENANT);
    const [a, b] = await Promise.all([
      pollResource(options({ resource: 'incidents', tokens, cursorStore: storeA, deliver: rec.deliver })),
      pollResource(options({ resource: 'incidents', tokens, cursorStore: storeB, deliver: rec.deliver })),
    ]);
    const conflicts = a.conflicts + b.conflicts;
    // Whatever the interleaving: a third run delivers whatever is left, and then nothing is missing.
    await pollResource(options({ resource: 'incidents', tokens, cursorStore: storeA, deliver: rec.deliver }));
    assert.deepEqual(new Set(rec.versions()), new Set(incidents.map((o) => `${o.id}|${o.lastUpdateDateTime}`)));
    const dup = countDuplicates(rec.versions());
    assert.ok(dup <= 50 * (conflicts + 1), `duplicates ${dup} with ${conflicts} conflicts`);
    const final = await storeB.load(TENANT, 'incidents');
    assert.deepEqual(final?.cursor, { instant: incidents[499].lastUpdateDateTime, ids: [incidents[499].id] });
    assert.ok([a.stoppedBy, b.stoppedBy].every((s) => s === 'caught-up' || s === 'concurrent'));
  });

  it('token expiry mid-run: a 401 refreshes the token once and the run completes', async () => {
    await fresh();
    const incidents = Array.from({ length: 200 }, (_, i) => makeIncident(i, instantAt(i), TENANT));
    sim.put(TENANT, 'incidents', incidents);
    const tokens = new SimTokens(sim, TENANT);
    sim.beforePage = ({ pageNumber }) => { if (pageNumber === 2) tokens.rotate(); };
    const rec = new Recorder();
    // beforePage runs after the auth check, so page 2 is still served; page 3 meets the revoked token.
    const r = await pollResource(options({ resource: 'incidents', tokens, cursorStore: tableStore(cursorTable(azurite)), deliver: rec.deliver }));
    assert.equal(r.items, 200);
    assert.equal(countDuplicates(rec.versions()), 0);
    assert.equal(tokens.refreshes, 1);
    assert.equal(sim.collectionRequests({ status: 401 }).length, 1);
  });

  it('one of three tenants failing (no permission) never stops the other two', async () => {
    await fresh();
    const tenants = ['11111111-1111-4111-8111-111111111111', '22222222-2222-4222-8222-222222222222', '33333333-3333-4333-8333-333333333333'];
    sim.addTenant(tenants[0]);
    sim.addTenant(tenants[1], { permissions: ['SecurityAlert.Read.All'] });
    sim.addTenant(tenants[2]);
    for (const t of tenants) sim.put(t, 'incidents', Array.from({ length: 60 }, (_, i) => makeIncident(i, instantAt(i), t)));
    const rec = new Recorder();
    const logger = new MemoryLogger();
    const outcomes = await pollTenants(
      tenants.map((tenantId) => ({ tenantId, tokens: new SimTokens(sim, tenantId) })),
      { resource: 'incidents', graphBaseUrl: sim.baseUrl, cursorStore: tableStore(cursorTable(azurite)), deliver: rec.deliver, lookbackMs: DAY, budgetMs: 60_000, logger, now: simClock(), sleep: noSleep },
    );
    assert.deepEqual(outcomes.map((o) => o.ok), [true, false, true]);
    const failed = outcomes[1];
    assert.ok(!failed.ok && failed.error instanceof GraphPermissionError);
    assert.match(failed.error.message, /SecurityIncident\.Read\.All/);
    assert.match(failed.error.message, /admin consent/);
    assert.equal(failed.transient, false);
    assert.equal(rec.items.length, 120);
    assert.deepEqual(new Set(rec.items.map((i) => i.event.forwarder.provenance.tenantId)), new Set([tenants[0], tenants[2]]));
    assert.ok(logger.entries.some((e) => e.level === 'error' && e.properties?.tenantId === tenants[1]));
  });

  it('alerts_v2 without SecurityAlert.Read.All: the error names that permission', async () => {
    await fresh();
    const t = '44444444-4444-4444-8444-444444444444';
    sim.addTenant(t, { permissions: ['SecurityIncident.Read.All'] });
    await assert.rejects(
      pollResource(options({ tenantId: t, resource: 'alerts_v2', tokens: new SimTokens(sim, t), cursorStore: tableStore(cursorTable(azurite)), deliver: new Recorder().deliver })),
      (e: unknown) => e instanceof GraphPermissionError && e.permission === 'SecurityAlert.Read.All' && /Grant admin consent/.test(e.message) && /Missing application roles/.test(e.message),
    );
  });

  it('$expand=alerts: incidents link their alerts; a 500 it causes falls back without expand and the cursor advances', async () => {
    await fresh();
    const incidents = Array.from({ length: 70 }, (_, i) => makeIncident(i, instantAt(i), TENANT));
    sim.put(TENANT, 'incidents', incidents);
    sim.put(TENANT, 'alerts_v2', [makeAlert(1, instantAt(1), TENANT, incidents[0].id), makeAlert(2, instantAt(2), TENANT, incidents[0].id)]);
    const rec = new Recorder();
    const table = cursorTable(azurite);
    const r = await pollResource(options({ resource: 'incidents', tokens: new SimTokens(sim, TENANT), cursorStore: tableStore(table), deliver: rec.deliver, expandAlerts: true }));
    assert.equal(r.expandFellBack, false);
    assert.deepEqual((rec.items[0].event.m365_defender.incident as Record<string, unknown>).alert_ids, [alertId(1), alertId(2)]);
    assert.ok(sim.collectionRequests().every((q) => q.query.$expand === 'alerts'));

    sim.put(TENANT, 'incidents', Array.from({ length: 70 }, (_, i) => makeIncident(200 + i, instantAt(1000 + i), TENANT)));
    sim.failExpand = true;
    const sleeps: number[] = [];
    const r2 = await pollResource(options({ resource: 'incidents', tokens: new SimTokens(sim, TENANT), cursorStore: tableStore(table), deliver: rec.deliver, expandAlerts: true, sleep: async (ms) => { sleeps.push(ms); } }));
    assert.equal(r2.expandFellBack, true);
    assert.equal(r2.items, 70);
    assert.equal(sim.collectionRequests({ status: 500 }).length, 2, 'one retry of the expand request, then the fallback');
    assert.equal(sleeps.length, 1);
    assert.equal((await tableStore(table).load(TENANT, 'incidents'))?.cursor.instant, instantAt(1069));
  });

  it('429 and 503 honour Retry-After (waits counted through the injected sleep); 500 backs off', async () => {
    await fresh();
    sim.put(TENANT, 'alerts_v2', Array.from({ length: 25 }, (_, i) => makeAlert(i, instantAt(i), TENANT)));
    sim.inject(2, 429, { retryAfterSeconds: 7 });
    sim.inject(1, 503, { retryAfterSeconds: 3 });
    sim.inject(1, 500);
    const sleeps: number[] = [];
    const rec = new Recorder();
    const r = await pollResource(options({
      resource: 'alerts_v2', pageSize: 10, tokens: new SimTokens(sim, TENANT), cursorStore: tableStore(cursorTable(azurite)), deliver: rec.deliver,
      sleep: async (ms) => { sleeps.push(ms); }, random: () => 0.5, baseDelayMs: 1000,
    }));
    // Retry-After twice, then once more; the 500 is the 4th retry of that request: backoff base*2^3 with
    // jitter fixed at the middle (random 0.5) -> 8000/2 + 0.5*8000/2 = 6000.
    assert.deepEqual(sleeps, [7000, 7000, 3000, 6000]);
    assert.equal(r.throttled, 3);
    assert.equal(r.items, 25);
    assert.equal(r.requests, 3 + 4, "3 pages (10, 1 re-read + 9, 1 re-read + 6) and 4 refused attempts");
  });

  it('Retry-After beyond the time budget stops the run with a transient error; the cursor is kept', async () => {
    await fresh();
    sim.put(TENANT, 'incidents', Array.from({ length: 5 }, (_, i) => makeIncident(i, instantAt(i), TENANT)));
    sim.inject(1, 429, { retryAfterSeconds: 600 });
    const sleeps: number[] = [];
    await assert.rejects(
      pollResource(options({ resource: 'incidents', budgetMs: 30_000, tokens: new SimTokens(sim, TENANT), cursorStore: tableStore(cursorTable(azurite)), deliver: new Recorder().deliver, sleep: async (ms) => { sleeps.push(ms); } })),
      (e: unknown) => (e as { status?: number; transient?: boolean }).status === 429 && (e as { transient: boolean }).transient === true,
    );
    assert.deepEqual(sleeps, []);
  });

  it('stops before the time budget and the next run resumes with no gap', async () => {
    await fresh();
    const incidents = Array.from({ length: 300 }, (_, i) => makeIncident(i, instantAt(i), TENANT));
    sim.put(TENANT, 'incidents', incidents);
    // A clock that advances 1 s per reading: pages "take" a few seconds each.
    let t = Date.UTC(2025, 2, 1, 23);
    const now = () => (t += 1000);
    const table = cursorTable(azurite);
    const rec = new Recorder();
    const r = await pollResource(options({ resource: 'incidents', budgetMs: 20_000, now, tokens: new SimTokens(sim, TENANT), cursorStore: tableStore(table), deliver: rec.deliver }));
    assert.equal(r.stoppedBy, 'budget');
    assert.ok(r.items > 0 && r.items < 300, `items ${r.items}`);
    const r2 = await pollResource(options({ resource: 'incidents', tokens: new SimTokens(sim, TENANT), cursorStore: tableStore(table), deliver: rec.deliver }));
    assert.equal(r2.stoppedBy, 'caught-up');
    assert.deepEqual(new Set(rec.versions()), new Set(incidents.map((o) => `${o.id}|${o.lastUpdateDateTime}`)));
    assert.equal(countDuplicates(rec.versions()), 0);
  });

  it('--since starts earlier than the cursor without moving the stored cursor backwards', async () => {
    await fresh();
    const incidents = Array.from({ length: 80 }, (_, i) => makeIncident(i, instantAt(i), TENANT));
    sim.put(TENANT, 'incidents', incidents);
    const table = cursorTable(azurite);
    const rec = new Recorder();
    await pollResource(options({ resource: 'incidents', tokens: new SimTokens(sim, TENANT), cursorStore: tableStore(table), deliver: rec.deliver }));
    const r = await pollResource(options({ resource: 'incidents', since: instantAt(40), tokens: new SimTokens(sim, TENANT), cursorStore: tableStore(table), deliver: rec.deliver }));
    assert.equal(r.items, 40);
    assert.deepEqual((await tableStore(table).load(TENANT, 'incidents'))?.cursor, { instant: incidents[79].lastUpdateDateTime, ids: [incidents[79].id] });
  });
});
