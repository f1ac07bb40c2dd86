/**
 * Graph polling bench: backfills of 2,500 / 5,000 / 10,000 incidents and alerts from the in-repo Graph
 * simulator (loopback HTTP, gzip), each poll in its own child process so peak RSS belongs to that
 * backlog alone (the simulator and its data live in this parent process).
 *
 * Reported per run: Graph requests per 1,000 items (against the minimum the page limits allow:
 * 20 for incidents at $top=50, 2 for alerts at $top=500), items/s, MB/s of Graph JSON, peak RSS, and
 * the ratio to a floor measured in the same run: fetching the same pages by nextLink with JSON.parse
 * only (no normalization, no cursor, no delivery). The cursor store is in memory here (Azurite would
 * measure Azurite); delivery serializes every event to JSON, as a sink's encoder would.
 *
 *   node dist/bench/graph.js
 */
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import zlib from 'node:zlib';
import { MemoryCursorStore } from '../shared/graph/cursor-store';
import { pollResource } from '../shared/graph/poller';
import type { GraphResource } from '../shared/graph/types';
import { silentLogger } from '../shared/observability/log';
import { GraphSimulator, instantAt, makeAlert, makeIncident } from '../test/support/graph-simulator';

const SIZES = [2500, 5000, 10000];
const PAGE: Record<GraphResource, number> = { incidents: 50, alerts_v2: 500 };

interface ChildResult {
  items: number;
  requests: number;
  ms: number;
  bytes: number;
  maxRssMb: number;
}

async function child(mode: 'poll' | 'floor', resource: GraphResource, tenantId: string, baseUrl: string, token: string): Promise<void> {
  const t0 = process.hrtime.bigint();
  let items = 0;
  let requests = 0;
  let bytes = 0;
  if (mode === 'poll') {
    const r = await pollResource({
      resource, tenantId, tokens: { getToken: async () => token }, graphBaseUrl: baseUrl,
      cursorStore: new MemoryCursorStore(),
      deliver: async (batch) => { for (const b of batch) bytes += JSON.stringify(b.event).length; },
      pageSize: PAGE[resource], lookbackMs: 86_400_000, budgetMs: 3_600_000, logger: silentLogger,
    });
    items = r.items;
    requests = r.requests;
  } else {
    let url: string | undefined = `${baseUrl}/v1.0/security/${resource}?$orderby=lastUpdateDateTime%20asc&$top=${PAGE[resource]}`;
    const agent = new http.Agent({ keepAlive: true });
    while (url) {
      const body = await new Promise<string>((resolve, reject) => {
        http.get(url!, { agent, headers: { Authorization: `Bearer ${token}`, 'Accept-Encoding': 'gzip' } }, (res) => {
          const s = res.headers['content-encoding'] === 'gzip' ? res.pipe(zlib.createGunzip()) : res;
          const chunks: Buffer[] = [];
          s.on('data', (c: Buffer) => chunks.push(c));
          s.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
          s.on('error', reject);
        }).on('error', reject);
      });
      requests++;
      const page = JSON.parse(body) as { value: unknown[]; '@odata.nextLink'?: string };
      items += page.value.length;
      bytes += body.length;
      url = page['@odata.nextLink'];
    }
    agent.destroy();
  }
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const out: ChildResult = { items, requests, ms, bytes, maxRssMb: process.resourceUsage().maxRSS / 1024 };
  process.stdout.write(JSON.stringify(out));
}

function runChild(mode: 'poll' | 'floor', resource: GraphResource, tenantId: string, baseUrl: string, token: string): Promise<ChildResult> {
  // execFileSync would block the simulator in this process: run asynchronously.
  return new Promise((resolve, reject) => {
    const { execFile } = require('node:child_process') as typeof import('node:child_process');
    execFile(process.execPath, [__filename, '--child', mode, resource, tenantId, baseUrl, token], { maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stderr}`));
      else resolve(JSON.parse(stdout) as ChildResult);
    });
  });
}

async function main(): Promise<void> {
  const sim = await GraphSimulator.start();
  const base = Math.floor(Date.now() / 1000) * 1000 - 20 * 3_600_000;
  const tenants = new Map<number, { id: string; token: string }>();
  for (const size of SIZES) {
    const id = `0000${size}`.slice(-5).padStart(8, '0') + '-0000-4000-8000-000000000000';
    sim.addTenant(id);
    sim.put(id, 'incidents', Array.from({ length: size }, (_, i) => makeIncident(i, instantAt(i, (i * 7919) % 10_000_000, base), id)));
    sim.put(id, 'alerts_v2', Array.from({ length: size }, (_, i) => makeAlert(i, instantAt(i, (i * 104729) % 10_000_000, base), id)));
    tenants.set(size, { id, token: sim.issueToken(id) });
  }
  const rows: string[][] = [];
  for (const resource of ['incidents', 'alerts_v2'] as const) {
    for (const size of SIZES) {
      const t = tenants.get(size)!;
      const floor = await runChild('floor', resource, t.id, sim.baseUrl, t.token);
      const poll = await runChild('poll', resource, t.id, sim.baseUrl, t.token);
      if (poll.items !== size || floor.items !== size) throw new Error(`${resource} ${size}: polled ${poll.items}, floor ${floor.items}`);
      const minimum = Math.ceil(size / PAGE[resource]);
      rows.push([
        resource, String(size), String(poll.requests), (poll.requests * 1000 / size).toFixed(2), (minimum * 1000 / size).toFixed(2),
        Math.round(size / (poll.ms / 1000)).toLocaleString('en-US'), (floor.bytes / 1e6 / (poll.ms / 1000)).toFixed(1),
        poll.maxRssMb.toFixed(0), floor.maxRssMb.toFixed(0), (poll.ms / floor.ms).toFixed(2),
      ]);
    }
  }
  await sim.stop();
  const head = ['resource', 'items', 'requests', 'req/1k', 'min req/1k', 'items/s', 'MB/s', 'peak RSS MB', 'floor RSS MB', 'x floor'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const fmt = (r: string[]) => r.map((c, i) => (i < 1 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(fmt(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(fmt(r));
  console.log('\nfloor = the same pages fetched by nextLink with JSON.parse only; x floor = poll time / floor time (same run).');
}

if (process.argv[2] === '--child') {
  const [, , , mode, resource, tenantId, baseUrl, token] = process.argv;
  child(mode as 'poll' | 'floor', resource as GraphResource, tenantId, baseUrl, token).catch((e: unknown) => { console.error(e); process.exit(1); });
} else {
  void execFileSync;
  main().catch((e: unknown) => { console.error(e); process.exit(1); });
}
