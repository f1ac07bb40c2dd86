import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GraphClient } from '../../shared/graph/client';
import { GraphAuthError, GraphHttpError, GraphPermissionError, GraphProtocolError, GraphTokenError } from '../../shared/graph/errors';
import { canonicalInstant, compareInstants, filterLiteral, millisecondInstant, parseIsoDuration } from '../../shared/graph/instant';
import { buildQueryUrl, checkNextLink, graphRoot, readPageItems } from '../../shared/graph/pager';
import { MemoryLogger } from '../../shared/observability/log';
import { GraphSimulator, instantAt, makeIncident } from '../support/graph-simulator';
import { noSleep, SimTokens, TENANT } from './harness';

describe('instants and durations', () => {
  it('canonicalizes Graph timestamps to 7 digits and compares at 100 ns', () => {
    assert.equal(canonicalInstant('2025-02-07T19:01:26Z'), '2025-02-07T19:01:26.0000000Z');
    assert.equal(canonicalInstant('2026-02-25T16:29:33.1Z'), '2026-02-25T16:29:33.1000000Z');
    assert.equal(canonicalInstant('2023-10-20T09:54:07.5033333Z'), '2023-10-20T09:54:07.5033333Z');
    assert.equal(canonicalInstant('2025-02-07T20:01:26.5+01:00'), '2025-02-07T19:01:26.5000000Z');
    assert.ok(compareInstants('2025-01-01T00:00:00.0000001Z', '2025-01-01T00:00:00Z') > 0);
    assert.equal(compareInstants('2025-01-01T00:00:00.1Z', '2025-01-01T00:00:00.1000000Z'), 0);
    assert.equal(millisecondInstant('2025-02-07T20:09:59.9999999Z'), '2025-02-07T20:09:59.999Z');
    assert.equal(filterLiteral('2025-02-07T19:01:26Z'), '2025-02-07T19:01:26.0000000Z');
    assert.throws(() => canonicalInstant('2025-02-07 19:01:26'), /not an ISO 8601/);
  });

  it('parses ISO 8601 durations for the lookback', () => {
    assert.equal(parseIsoDuration('P1D'), 86_400_000);
    assert.equal(parseIsoDuration('PT6H'), 21_600_000);
    assert.equal(parseIsoDuration('P1DT12H30M'), 131_400_000);
    assert.equal(parseIsoDuration('P2W'), 14 * 86_400_000);
    assert.equal(parseIsoDuration('PT90S'), 90_000);
    for (const bad of ['P', 'PT', '1D', 'P1M', 'P1Y', 'P1DT', 'yesterday']) assert.equal(parseIsoDuration(bad), undefined, bad);
  });
});

describe('query URLs and page checks', () => {
  it('builds the documented query: unquoted UTC literal, ascending order, $top, optional $expand', () => {
    assert.equal(
      buildQueryUrl('https://graph.microsoft.com', 'incidents', { since: '2025-02-07T19:01:26Z', pageSize: 50, expandAlerts: true }),
      'https://graph.microsoft.com/v1.0/security/incidents?$filter=lastUpdateDateTime%20ge%202025-02-07T19%3A01%3A26.0000000Z&$orderby=lastUpdateDateTime%20asc&$top=50&$expand=alerts',
    );
    assert.equal(
      buildQueryUrl('https://graph.microsoft.us/v1.0/', 'alerts_v2', { since: '2025-02-07T19:01:26.5Z', pageSize: 500, expandAlerts: true }),
      'https://graph.microsoft.us/v1.0/security/alerts_v2?$filter=lastUpdateDateTime%20ge%202025-02-07T19%3A01%3A26.5000000Z&$orderby=lastUpdateDateTime%20asc&$top=500',
    );
    assert.equal(graphRoot('https://dod-graph.microsoft.us/'), 'https://dod-graph.microsoft.us');
  });

  it('refuses a nextLink to another host (the token must not leave Graph)', () => {
    assert.equal(checkNextLink('https://graph.microsoft.com', 'https://graph.microsoft.com/v1.0/security/incidents?$skiptoken=x'), 'https://graph.microsoft.com/v1.0/security/incidents?$skiptoken=x');
    assert.throws(() => checkNextLink('https://graph.microsoft.com', 'https://evil.example/v1.0/security/incidents'), GraphProtocolError);
  });

  it('rejects unordered pages and objects without id or lastUpdateDateTime', () => {
    assert.throws(() => readPageItems('incidents', [{ id: '1', lastUpdateDateTime: '2025-01-02T00:00:00Z' }, { id: '2', lastUpdateDateTime: '2025-01-01T00:00:00Z' }]), /not ordered/);
    assert.throws(() => readPageItems('incidents', [{ lastUpdateDateTime: '2025-01-02T00:00:00Z' }]), /no id/);
    assert.throws(() => readPageItems('incidents', [{ id: '1', lastUpdateDateTime: 'soon' }]), /lastUpdateDateTime/);
    assert.equal(readPageItems('incidents', [{ id: '1', lastUpdateDateTime: '2025-01-01T00:00:00.1Z' }])[0].instant, '2025-01-01T00:00:00.1000000Z');
  });
});

describe('GraphClient and the simulator', () => {
  let sim: GraphSimulator;
  before(async () => {
    sim = await GraphSimulator.start();
    sim.addTenant(TENANT);
    sim.put(TENANT, 'incidents', Array.from({ length: 5 }, (_, i) => makeIncident(i, instantAt(i), TENANT)));
  });
  after(async () => { await sim.stop(); });

  const client = (tokens = new SimTokens(sim, TENANT), resource: 'incidents' | 'alerts_v2' = 'incidents') =>
    new GraphClient({ resource, tenantId: TENANT, tokens, logger: new MemoryLogger(), sleep: noSleep });
  const deadline = () => Date.now() + 30_000;

  it('sends the bearer token and Prefer: include-unknown-enum-members; $top > 50 on incidents is a 400 with Graph\'s message, not retried', async () => {
    const c = client();
    await assert.rejects(c.getPage(`${sim.baseUrl}/v1.0/security/incidents?$top=51`, { deadline: deadline() }), (e: unknown) => {
      assert.ok(e instanceof GraphHttpError);
      assert.equal(e.status, 400);
      assert.equal(e.code, 'BadRequest');
      assert.equal(e.graphMessage, "The limit of '50' for Top query has been exceeded. The value from the incoming request is '51'.");
      assert.equal(e.transient, false);
      return true;
    });
    assert.equal(c.stats.requests, 1);
  });

  it('$top > 1000 on alerts_v2 is a 400; 1000 is accepted', async () => {
    await assert.rejects(client(undefined, 'alerts_v2').getPage(`${sim.baseUrl}/v1.0/security/alerts_v2?$top=1001`, { deadline: deadline() }), /The limit of '1000' for Top query has been exceeded/);
    const page = await client(undefined, 'alerts_v2').getPage(`${sim.baseUrl}/v1.0/security/alerts_v2?$top=1000`, { deadline: deadline() });
    assert.deepEqual(page.value, []);
  });

  it('the simulator answers ge/gt filters, ordering and an opaque $skiptoken nextLink', async () => {
    const c = client();
    const ge = await c.getPage(`${sim.baseUrl}/v1.0/security/incidents?$filter=lastUpdateDateTime ge ${instantAt(2)}&$orderby=lastUpdateDateTime asc&$top=2`, { deadline: deadline() });
    assert.deepEqual(ge.value.map((o) => (o as { id: string }).id), ['100002', '100003']);
    assert.ok(ge.nextLink);
    const next = new URL(ge.nextLink);
    assert.ok(next.searchParams.get('$skiptoken'));
    assert.equal(next.searchParams.get('$skip'), null);
    const p2 = await c.getPage(ge.nextLink, { deadline: deadline() });
    assert.deepEqual(p2.value.map((o) => (o as { id: string }).id), ['100004']);
    assert.equal(p2.nextLink, undefined);
    const gt = await c.getPage(`${sim.baseUrl}/v1.0/security/incidents?$filter=lastUpdateDateTime gt ${instantAt(2)}&$orderby=lastUpdateDateTime asc`, { deadline: deadline() });
    assert.deepEqual(gt.value.map((o) => (o as { id: string }).id), ['100003', '100004']);
    await assert.rejects(c.getPage(`${sim.baseUrl}/v1.0/security/incidents?$filter=lastUpdateDateTime ge '${instantAt(2)}'`, { deadline: deadline() }), /incompatible types/);
  });

  it('401 twice: one forced refresh, then GraphAuthError naming the cloud settings', async () => {
    const tokens = new SimTokens(sim, TENANT);
    sim.revokeToken(tokens.token);
    await assert.rejects(client(tokens).getPage(`${sim.baseUrl}/v1.0/security/incidents`, { deadline: deadline() }), (e: unknown) => e instanceof GraphAuthError && /GRAPH_BASE_URL/.test(e.message));
    assert.equal(tokens.refreshes, 1);
  });

  it('a token refused for missing consent is a GraphPermissionError; a bad secret is a permanent GraphTokenError', async () => {
    const consent = { getToken: async () => { throw new Error('AADSTS65001: The user or administrator has not consented to use the application'); } };
    await assert.rejects(client(consent as unknown as SimTokens).getPage(`${sim.baseUrl}/v1.0/security/incidents`, { deadline: deadline() }), (e: unknown) => e instanceof GraphPermissionError && e.permission === 'SecurityIncident.Read.All');
    const badSecret = { getToken: async () => { throw new Error('AADSTS7000215: Invalid client secret provided.'); } };
    await assert.rejects(client(badSecret as unknown as SimTokens).getPage(`${sim.baseUrl}/v1.0/security/incidents`, { deadline: deadline() }), (e: unknown) => e instanceof GraphTokenError && e.transient === false);
  });

  it('persistent 503 gives up at the deadline with a transient GraphHttpError', async () => {
    sim.inject(50, 503, { retryAfterSeconds: 5 });
    const sleeps: number[] = [];
    let t = 0;
    const c = new GraphClient({ resource: 'incidents', tenantId: TENANT, tokens: new SimTokens(sim, TENANT), logger: new MemoryLogger(), now: () => t, sleep: async (ms) => { sleeps.push(ms); t += ms; } });
    await assert.rejects(c.getPage(`${sim.baseUrl}/v1.0/security/incidents`, { deadline: 21_000 }), (e: unknown) => e instanceof GraphHttpError && e.status === 503 && e.transient && e.attempts === 5);
    assert.deepEqual(sleeps, [5000, 5000, 5000, 5000]);
    sim.clearInjected();
  });
});

describe('GraphClient over HTTPS with a private CA', () => {
  it('trusts the CA given in options and refuses an unknown one', async (t) => {
    let pki: import('../support/tls-ca').TestPki;
    try {
      pki = (await import('../support/tls-ca')).createTestPki();
    } catch (e) {
      t.skip(`openssl is not available to make a test CA: ${(e as Error).message}`);
      return;
    }
    const sim = await GraphSimulator.start({ tls: { key: pki.server.keyPem, cert: pki.server.certPem } });
    try {
      sim.addTenant(TENANT);
      sim.put(TENANT, 'incidents', [makeIncident(1, instantAt(1), TENANT)]);
      assert.match(sim.baseUrl, /^https:\/\/127\.0\.0\.1:\d+$/);
      const ok = new GraphClient({ resource: 'incidents', tenantId: TENANT, tokens: new SimTokens(sim, TENANT), logger: new MemoryLogger(), ca: pki.caPem, sleep: noSleep });
      const page = await ok.getPage(`${sim.baseUrl}/v1.0/security/incidents`, { deadline: Date.now() + 10_000 });
      assert.deepEqual(page.value.map((o) => (o as { id: string }).id), ['100001']);
      const untrusted = new GraphClient({ resource: 'incidents', tenantId: TENANT, tokens: new SimTokens(sim, TENANT), logger: new MemoryLogger(), sleep: noSleep });
      await assert.rejects(untrusted.getPage(`${sim.baseUrl}/v1.0/security/incidents`, { deadline: Date.now() + 10_000 }),
        (e: unknown) => e instanceof GraphHttpError && e.transient === false && e.attempts === 1 && /self[- ]signed|unable to verify|certificate/i.test(e.message));
    } finally {
      await sim.stop();
      pki.cleanup();
    }
  });
});
