import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { QueueClient } from '@azure/storage-queue';
import { InvocationContext } from '@azure/functions';
import { after, before, describe, it } from 'node:test';
import { createPollCommand } from '../../cli/commands/poll';
import type { CliIo } from '../../cli/command';
import { makeGraphHandlers } from '../../functions/graph-poll';
import { ConfigError } from '../../shared/config/env';
import { decodeJob, encodeJob } from '../../shared/graph/jobs';
import { readGraphPollSettings } from '../../shared/graph/settings';
import type { GraphPollDeps } from '../../shared/graph/wiring';
import { startAzurite, type AzuriteInstance } from '../support/azurite';
import { GraphSimulator, instantAt, makeAlert, makeIncident } from '../support/graph-simulator';
import { cursorTable, Recorder, SimTokens, tableStore } from './harness';

// The functions use the real clock: these objects were updated in the last hour (inside P1D).
const BASE = Math.floor(Date.now() / 1000) * 1000 - 3_600_000;
const at = (seconds: number) => instantAt(seconds, 0, BASE);

const T1 = '11111111-1111-4111-8111-111111111111';
const T2 = '22222222-2222-4222-8222-222222222222';
const T3 = '33333333-3333-4333-8333-333333333333';

describe('settings', () => {
  it('defaults and validation of the Graph poll settings', () => {
    assert.deepEqual(readGraphPollSettings({}), {
      alertsPageSize: 500, expandAlerts: false, initialLookback: 'P1D', lookbackMs: 86_400_000,
      cursorTable: 'graphcursors', pollQueue: 'graph-poll', budgetMs: 480_000,
    });
    const s = readGraphPollSettings({ GRAPH_ALERTS_PAGE_SIZE: '1000', GRAPH_EXPAND_ALERTS: 'true', GRAPH_INITIAL_LOOKBACK: 'PT6H', GRAPH_CURSOR_TABLE: 'Cursors2', GRAPH_POLL_QUEUE: 'poll-jobs', GRAPH_POLL_BUDGET_SECONDS: '60' });
    assert.deepEqual(s, { alertsPageSize: 1000, expandAlerts: true, initialLookback: 'PT6H', lookbackMs: 21_600_000, cursorTable: 'Cursors2', pollQueue: 'poll-jobs', budgetMs: 60_000 });
    const bad: Array<[Record<string, string>, string]> = [
      [{ GRAPH_ALERTS_PAGE_SIZE: '1001' }, 'GRAPH_ALERTS_PAGE_SIZE'],
      [{ GRAPH_INITIAL_LOOKBACK: '24h' }, 'GRAPH_INITIAL_LOOKBACK'],
      [{ GRAPH_INITIAL_LOOKBACK: 'P1M' }, 'GRAPH_INITIAL_LOOKBACK'],
      [{ GRAPH_INITIAL_LOOKBACK: 'P365D' }, 'GRAPH_INITIAL_LOOKBACK'],
      [{ GRAPH_CURSOR_TABLE: 'graph-cursors' }, 'GRAPH_CURSOR_TABLE'],
      [{ GRAPH_POLL_QUEUE: 'Graph_Poll' }, 'GRAPH_POLL_QUEUE'],
      [{ GRAPH_EXPAND_ALERTS: 'maybe' }, 'GRAPH_EXPAND_ALERTS'],
    ];
    for (const [env, setting] of bad) assert.throws(() => readGraphPollSettings(env), (e: unknown) => e instanceof ConfigError && e.setting === setting, setting);
  });

  it('queue jobs are base64 JSON (the Functions queue trigger decodes base64) and decode from object or string', () => {
    const encoded = encodeJob({ tenantId: T1, resource: 'alerts_v2', reason: 'schedule' });
    assert.equal(Buffer.from(encoded, 'base64').toString(), `{"tenantId":"${T1}","resource":"alerts_v2","reason":"schedule"}`);
    assert.deepEqual(decodeJob(encoded), { tenantId: T1, resource: 'alerts_v2', reason: 'schedule' });
    assert.deepEqual(decodeJob({ tenantId: T1, resource: 'incidents' }), { tenantId: T1, resource: 'incidents', reason: 'schedule' });
    assert.deepEqual(decodeJob(`{"tenantId":"${T1}","resource":"alerts","reason":"continuation"}`), { tenantId: T1, resource: 'alerts_v2', reason: 'continuation' });
    assert.throws(() => decodeJob({ tenantId: T1, resource: 'users' }), /unknown resource/);
    assert.throws(() => decodeJob('%%%'), /not JSON/);
  });
});

describe('functions/graph-poll and the poll verb, on the simulator and Azurite', () => {
  let azurite: AzuriteInstance;
  let sim: GraphSimulator;
  before(async () => {
    azurite = await startAzurite();
    sim = await GraphSimulator.start();
    for (const t of [T1, T2, T3]) {
      sim.addTenant(t, t === T2 ? { permissions: ['SecurityAlert.Read.All'] } : {});
      sim.put(t, 'incidents', Array.from({ length: 75 }, (_, i) => makeIncident(i, at(i), t)));
      sim.put(t, 'alerts_v2', Array.from({ length: 30 }, (_, i) => makeAlert(i, at(i), t)));
    }
  });
  after(async () => {
    await sim.stop();
    await azurite.stop();
  });

  let n = 0;
  function deps(rec: Recorder, env: Record<string, string> = {}): GraphPollDeps & { queue: QueueClient } {
    const table = cursorTable(azurite);
    const q = new QueueClient(azurite.connectionString, `graph-poll-${process.pid}-${++n}`);
    const tokens = new Map([T1, T2, T3].map((t) => [t, new SimTokens(sim, t)]));
    return {
      env,
      settings: readGraphPollSettings(env),
      graphBaseUrl: sim.baseUrl,
      tenants: () => [T1, T2, T3],
      tokens: (t) => tokens.get(t)!,
      cursorTable: () => table,
      pollQueue: () => q,
      deliver: (items) => rec.deliver(items),
      queue: q,
    };
  }

  function context(): InvocationContext & { lines: string[] } {
    const lines: string[] = [];
    const ctx = new InvocationContext({ invocationId: 'test', functionName: 'graph', logHandler: (_level, ...args) => { lines.push(args.map(String).join(' ')); } });
    return Object.assign(ctx, { lines });
  }

  it('the timer enqueues one job per tenant; the worker polls one, a permission error is logged, not retried', async () => {
    const rec = new Recorder();
    const d = deps(rec);
    const handlers = makeGraphHandlers(() => d);
    assert.equal(await handlers.enqueue('incidents', undefined, context()), 3);
    const received = await d.queue.receiveMessages({ numberOfMessages: 10 });
    const jobs = received.receivedMessageItems.map((m) => JSON.parse(Buffer.from(m.messageText, 'base64').toString()) as { tenantId: string; resource: string });
    assert.deepEqual(jobs.map((j) => `${j.tenantId}/${j.resource}`).sort(), [T1, T2, T3].map((t) => `${t}/incidents`));

    // The host hands the worker the decoded JSON object.
    const r1 = await handlers.poll(jobs.find((j) => j.tenantId === T1), context());
    assert.equal(r1?.items, 75);
    const ctx2 = context();
    const r2 = await handlers.poll(jobs.find((j) => j.tenantId === T2), ctx2);
    assert.equal(r2, undefined);
    assert.ok(ctx2.lines.some((l) => /failed permanently/.test(l) && /SecurityIncident\.Read\.All/.test(l)));
    assert.equal(rec.items.length, 75);
    assert.equal(await handlers.poll({ tenantId: '99999999-9999-4999-8999-999999999999', resource: 'incidents' }, context()), undefined);
  });

  it('a transient failure makes the worker throw (the queue retries); the cursor keeps what was delivered', async () => {
    const rec = new Recorder();
    rec.failOnCall = 2;
    const d = deps(rec);
    const handlers = makeGraphHandlers(() => d);
    await assert.rejects(handlers.poll({ tenantId: T3, resource: 'incidents' }, context()), /simulated delivery failure/);
    rec.failOnCall = undefined;
    const r = await handlers.poll({ tenantId: T3, resource: 'incidents' }, context());
    assert.equal(r?.stoppedBy, 'caught-up');
    assert.equal(new Set(rec.versions()).size, 75);
  });

  it('a run that stops at its budget enqueues its own continuation', async () => {
    const rec = new Recorder();
    const d = deps(rec, { GRAPH_POLL_BUDGET_SECONDS: '10', GRAPH_ALERTS_PAGE_SIZE: '5' });
    // A clock that moves 1 s per reading: each page round "takes" a few seconds of the 10 s budget.
    let clock = Date.now();
    const handlers = makeGraphHandlers(() => d, { now: () => (clock += 1000) });
    const r = await handlers.poll({ tenantId: T1, resource: 'alerts_v2' }, context());
    assert.equal(r?.stoppedBy, 'budget');
    const msgs = await d.queue.receiveMessages({ numberOfMessages: 5 });
    assert.deepEqual(msgs.receivedMessageItems.map((m) => decodeJob(m.messageText)), [{ tenantId: T1, resource: 'alerts_v2', reason: 'continuation' }]);
  });

  function io(isTTY = false): CliIo & { out: () => string; err: () => string } {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let o = '';
    let e = '';
    stdout.on('data', (c) => { o += c; });
    stderr.on('data', (c) => { e += c; });
    return { stdin: new PassThrough(), stdout, stderr, env: {}, isTTY, out: () => o, err: () => e };
  }

  it('poll alerts --once: every tenant, summary line, exit 1 when one tenant failed', async () => {
    const rec = new Recorder();
    const d = deps(rec);
    const cmd = createPollCommand({ deps: () => d });
    const t = io();
    const code = await cmd.run(['alerts', '--once'], t);
    assert.equal(code, 0, t.err());
    assert.equal(t.out(), 'poll alerts: 3/3 tenant(s) ok, 90 item(s) delivered, 3 page(s), 3 Graph request(s)\n');
    assert.equal(rec.items.length, 90);

    const t2 = io();
    assert.equal(await cmd.run(['incidents', '--once'], t2), 1);
    assert.match(t2.err(), new RegExp(`tenant ${T2} failed: .*SecurityIncident\\.Read\\.All`));
    assert.match(t2.out(), /^poll incidents: 2\/3 tenant\(s\) ok, 150 item\(s\) delivered, .*1 tenant\(s\) FAILED\n$/);
  });

  it('poll incidents --once --since --tenant on a TTY shows progress on stderr; usage errors exit 2', async () => {
    const rec = new Recorder();
    const d = deps(rec);
    const cmd = createPollCommand({ deps: () => d });
    const t = io(true);
    assert.equal(await cmd.run(['incidents', '--once', '--since', at(50), '--tenant', T1], t), 0);
    assert.equal(rec.items.length, 25);
    assert.ok(t.err().includes(`\r\x1b[Kincidents ${T1}: 25 delivered, 1 page(s), cursor ${at(74)}`), JSON.stringify(t.err()));
    assert.equal(t.out(), `poll incidents: 1/1 tenant(s) ok, 25 item(s) delivered, 1 page(s), 1 Graph request(s), cursor ${at(74)}\n`);

    for (const args of [[], ['users'], ['incidents', '--since', 'yesterday'], ['incidents', '--bogus'], ['alerts', '--tenant', 'nope', '--once']]) {
      const u = io();
      assert.equal(await cmd.run(args, u), 2, args.join(' '));
      assert.match(u.err(), /defender-forwarder poll: /);
    }
    const h = io();
    assert.equal(await cmd.run(['--help'], h), 0);
    assert.match(h.out(), /Usage: defender-forwarder poll <incidents\|alerts>/);
  });

  it('without --once it polls again every --interval until stopped', async () => {
    const rec = new Recorder();
    const d = deps(rec);
    const stop = new AbortController();
    let sleeps = 0;
    const cmd = createPollCommand({
      deps: () => d, signal: stop.signal,
      sleep: async (ms) => {
        assert.equal(ms, 7000);
        if (++sleeps === 1) sim.put(T1, 'alerts_v2', [makeAlert(900, at(900), T1)]);
        else stop.abort();
      },
    });
    const t = io();
    assert.equal(await cmd.run(['alerts', '--interval', '7'], t), 0);
    assert.equal(sleeps, 2);
    const lines = t.out().trim().split('\n');
    assert.equal(lines.length, 2);
    assert.match(lines[1], /3\/3 tenant\(s\) ok, 1 item\(s\) delivered/);
  });

  it('tableStore helper and deps share one cursor table per deps', async () => {
    const d = deps(new Recorder());
    assert.equal(d.cursorTable(), d.cursorTable());
    assert.ok(tableStore(d.cursorTable()).name.startsWith('table:'));
  });
});

