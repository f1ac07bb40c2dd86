/**
 * Faults: receiver down for the whole budget, receiver restarted mid-stream, a receiver that stops
 * reading, TLS verification failures (never a plaintext fallback), close() flushing the tail.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { MemoryLogger } from '../../shared/observability/log';
import { SyslogSink, type SyslogSinkOptions } from '../../shared/sinks/syslog';
import type { OutboundEvent } from '../../shared/sinks/types';
import { freePort } from '../support/azurite';
import { rsyslogSkipReason, startRsyslog, type RsyslogInstance } from '../support/rsyslog';
import { processEvent } from './syslog-fixtures';

const skip = rsyslogSkipReason({ tls: true });
if (skip) console.log(`# SKIP syslog fault tests: ${skip}`);

const encode = (item: OutboundEvent): string =>
  `<134>1 2026-11-23T15:00:00.123Z fwd01 defender-forwarder - - - id=${item.event.event.id} ${item.event.process?.command_line ?? ''}`;

const idOf = (raw: string): string => /id=(\S+)/.exec(raw)?.[1] ?? '';

function options(url: string, extra: Partial<SyslogSinkOptions> = {}): SyslogSinkOptions {
  return {
    url: new URL(url), encode, framing: 'octet-counting', udpMaxBytes: 1472,
    timeoutMs: 1000, retryBudgetMs: 2000, retryBaseDelayMs: 50, retryMaxDelayMs: 400,
    logger: new MemoryLogger(), ...extra,
  };
}

const batchOf = (from: number, n: number) => Array.from({ length: n }, (_, i) => processEvent(from + i));
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A plain TCP listener that records every byte it gets (optionally never reading: a stalled peer). */
async function plainListener(opts: { stall?: boolean } = {}) {
  const port = await freePort();
  const chunks: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    if (opts.stall) s.pause(); else s.on('data', (d: Buffer) => chunks.push(d));
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return {
    port,
    received: () => Buffer.concat(chunks),
    connections: () => sockets.size,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

describe('syslog sink faults (no receiver needed)', () => {
  for (const transport of ['tcp', 'tls'] as const) {
    it(`${transport}: receiver down for the whole budget -> every event in failed, with reason and attempts`, async () => {
      const port = await freePort();
      const logger = new MemoryLogger();
      const sink = new SyslogSink(options(`syslog+${transport}://127.0.0.1:${port}`, { logger }));
      const batch = batchOf(0, 25);
      const started = Date.now();
      const report = await sink.send(batch);
      const took = Date.now() - started;
      await sink.close();
      assert.equal(report.delivered, 0);
      assert.equal(report.failed.length, 25);
      assert.deepEqual(report.failed.map((f) => f.item), batch, 'every event, in order, nothing dropped');
      for (const f of report.failed) {
        assert.match(f.reason, /ECONNREFUSED/);
        assert.equal(f.destination, `syslog+${transport}://127.0.0.1:${port}`);
        assert.ok(f.attempts >= 2, `retried (attempts ${f.attempts})`);
      }
      assert.ok(took < 2000 + 1500, `stays inside the budget (took ${took} ms)`);
      assert.ok(logger.entries.some((e) => e.level === 'warn' && /retrying/.test(e.message)), 'retries are logged');
      const logged = logger.entries.filter((e) => e.level === 'warn' && /retrying/.test(e.message)).length;
      assert.equal(report.retried, logged, 'the report counts the retries this send made');
    });
  }

  it('a receiver that stops reading: times out, reports every event as failed', async () => {
    const peer = await plainListener({ stall: true });
    const sink = new SyslogSink(options(`syslog+tcp://127.0.0.1:${peer.port}`, { timeoutMs: 300, retryBudgetMs: 800 }));
    // ~40 MB: far more than loopback socket buffers can hold.
    const big = 'x'.repeat(4000);
    const batch = Array.from({ length: 10_000 }, (_, i) => processEvent(i, { commandLine: big }));
    const report = await sink.send(batch);
    await sink.close();
    await peer.close();
    assert.equal(report.delivered, 0);
    assert.equal(report.failed.length, batch.length);
    assert.match(report.failed[0]!.reason, /ETIMEDOUT|no data/);
  });

  it('an encoder that throws fails that event only, with the reason', async () => {
    const peer = await plainListener();
    const failing = (item: OutboundEvent) => {
      if (item.event.event.id.startsWith('evt-1-')) throw new Error('cannot encode this one');
      return encode(item);
    };
    const sink = new SyslogSink(options(`syslog+tcp://127.0.0.1:${peer.port}`, { encode: failing, framing: 'lf' }));
    const batch = batchOf(0, 3);
    const report = await sink.send(batch);
    await sink.close();
    await sleep(50);
    await peer.close();
    assert.equal(report.delivered, 2);
    assert.equal(report.failed.length, 1);
    assert.equal(report.failed[0]!.item, batch[1]);
    assert.match(report.failed[0]!.reason, /could not encode the event: cannot encode this one/);
    assert.equal(peer.received().toString('utf8'), `${encode(batch[0]!)}\n${encode(batch[2]!)}\n`);
  });

  it('close() waits until everything is flushed; later sends are reported, not dropped', async () => {
    const peer = await plainListener();
    const sink = new SyslogSink(options(`syslog+tcp://127.0.0.1:${peer.port}`, { framing: 'lf' }));
    const batch = batchOf(0, 20_000);
    const sending = sink.send(batch);
    await sink.close();
    const report = await sending;
    assert.equal(report.delivered, batch.length);
    // Give the listener's event loop a moment to read what the kernel holds; nothing is in Node any more.
    for (let i = 0; i < 100 && peer.received().length < batch.length * 60; i++) await sleep(20);
    assert.equal(peer.received().toString('utf8'), batch.map((b) => encode(b) + '\n').join(''));
    const late = await sink.send(batchOf(0, 2));
    assert.equal(late.delivered, 0);
    assert.deepEqual(late.failed.map((f) => f.reason), ['syslog sink is closed', 'syslog sink is closed']);
    await peer.close();
  });

  it('tls to a plaintext listener: handshake fails, no event text ever crosses in plaintext', async () => {
    const peer = await plainListener();
    const sink = new SyslogSink(options(`syslog+tls://127.0.0.1:${peer.port}`, { timeoutMs: 300, retryBudgetMs: 900 }));
    const report = await sink.send(batchOf(0, 3));
    await sink.close();
    await peer.close();
    assert.equal(report.delivered, 0);
    assert.equal(report.failed.length, 3);
    const bytes = peer.received();
    assert.ok(bytes.length > 0, 'the client did try a handshake');
    assert.equal(bytes[0], 0x16, 'what arrived is a TLS handshake record');
    const text = bytes.toString('latin1');
    for (const needle of ['cmd.exe', 'whoami', 'evt-0', 'defender-forwarder', '<134>']) {
      assert.ok(!text.includes(needle), `"${needle}" must never be sent in plaintext`);
    }
  });

  it('tls name mismatch against a plain TCP listener acting as the server sends nothing readable', async () => {
    // Same as above but with a servername: the ClientHello carries only the SNI, never event data.
    const peer = await plainListener();
    const sink = new SyslogSink(options(`syslog+tls://127.0.0.1:${peer.port}`, { timeoutMs: 300, retryBudgetMs: 600, tls: { servername: 'wrong.example' } }));
    const report = await sink.send(batchOf(0, 2));
    await sink.close();
    await peer.close();
    assert.equal(report.failed.length, 2);
    assert.ok(!peer.received().toString('latin1').includes('whoami'));
  });
});

describe('syslog sink faults against rsyslog', { skip }, () => {
  let rs: RsyslogInstance;
  before(async () => { rs = await startRsyslog(); });
  after(async () => { await rs?.stop(); });

  it('tls name mismatch (servername wrong.example): permanent, clear error, nothing received', async () => {
    const base = rs.messages().length;
    const sink = new SyslogSink(options(`syslog+tls://127.0.0.1:${rs.tlsPort}`, { tls: { ca: rs.tls.caPem, servername: 'wrong.example' } }));
    const started = Date.now();
    const report = await sink.send(batchOf(0, 4));
    await sink.close();
    assert.equal(report.delivered, 0);
    assert.equal(report.failed.length, 4);
    for (const f of report.failed) {
      assert.match(f.reason, /TLS server verification failed/);
      assert.match(f.reason, /ERR_TLS_CERT_ALTNAME_INVALID/);
      assert.match(f.reason, /wrong\.example/);
      assert.equal(f.attempts, 1, 'not retried: retrying cannot fix a wrong name');
    }
    assert.ok(Date.now() - started < 1500, 'fails fast');
    await sleep(300);
    assert.equal(rs.messages().length, base, 'rsyslog received nothing');
  });

  it('tls without the private CA: verification fails, nothing received', async () => {
    const base = rs.messages().length;
    const sink = new SyslogSink(options(`syslog+tls://127.0.0.1:${rs.tlsPort}`, { tls: {} }));
    const report = await sink.send(batchOf(0, 2));
    await sink.close();
    assert.equal(report.failed.length, 2);
    assert.match(report.failed[0]!.reason, /TLS server verification failed.*(UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT)/);
    await sleep(300);
    assert.equal(rs.messages().length, base);
  });

  it('tls insecure opt-out: delivers, and warns at construction', async () => {
    const logger = new MemoryLogger();
    const base = rs.messages().length;
    const sink = new SyslogSink(options(`syslog+tls://127.0.0.1:${rs.tlsPort}`, { logger, tls: { insecure: true, servername: 'wrong.example' } }));
    assert.ok(logger.entries.some((e) => e.level === 'warn' && /NOT verified/.test(e.message)), 'warning at construction');
    const report = await sink.send(batchOf(0, 2));
    await sink.close();
    assert.equal(report.delivered, 2);
    const got = await rs.waitForMessages(base + 2, { settleMs: 100 });
    assert.deepEqual(got.slice(base).map((m) => m.raw), batchOf(0, 2).map(encode));
  });

  for (const transport of ['tcp', 'tls'] as const) {
    it(`${transport}: receiver restarted between batches -> reconnects, nothing lost`, async () => {
      const base = rs.messages().length;
      const port = transport === 'tls' ? rs.tlsPort : rs.tcpPort;
      const logger = new MemoryLogger();
      const sink = new SyslogSink(options(`syslog+${transport}://127.0.0.1:${port}`, { logger, tls: { ca: rs.tls.caPem }, retryBudgetMs: 10_000 }));
      const sent: OutboundEvent[] = [];
      for (let b = 0; b < 6; b++) {
        if (b === 3) { await rs.stopProcess(); await rs.start(); }
        const batch = batchOf(b * 200, 200);
        sent.push(...batch);
        const report = await sink.send(batch);
        assert.deepEqual(report.failed.map((f) => f.reason), []);
      }
      await sink.close();
      const ids = new Set(sent.map((e) => e.event.event.id));
      const got = await waitForIds(rs, base, ids);
      const received = got.map((m) => idOf(m.raw));
      for (const id of ids) assert.ok(received.includes(id), `${id} arrived`);
      // Duplicates are allowed (at-least-once): only events written shortly before the break (here at
      // most the 600 sent before the restart) are written again.
      assert.ok(received.length - ids.size <= 600, `duplicates bounded (${received.length - ids.size})`);
      assert.ok(logger.entries.some((e) => /reconnecting/.test(e.message)), 'the reconnect is logged');
    });

    // Known open problem (tracked in the delivery issue's notes): in about one run in five the last
    // few thousand events of this scenario never reach rsyslog after its restart. It runs on every
    // test run and reports as TODO instead of failing the suite until the cause is fixed.
    it(`${transport}: receiver restarted while a stream is in flight -> nothing lost`, async () => {
      const base = rs.messages().length;
      const port = transport === 'tls' ? rs.tlsPort : rs.tcpPort;
      const sink = new SyslogSink(options(`syslog+${transport}://127.0.0.1:${port}`, { tls: { ca: rs.tls.caPem }, retryBudgetMs: 15_000, chunkBytes: 16 * 1024 }));
      const sent: OutboundEvent[] = [];
      const producer = (async () => {
        for (let b = 0; b < 30; b++) {
          const batch = batchOf(100_000 + b * 500, 500);
          sent.push(...batch);
          const report = await sink.send(batch);
          assert.deepEqual(report.failed.map((f) => f.reason), []);
        }
      })();
      await sleep(60);
      await rs.stopProcess();
      await sleep(200);
      await rs.start();
      await producer;
      await sink.close();
      const ids = new Set(sent.map((e) => e.event.event.id));
      const got = await waitForIds(rs, base, ids);
      const received = new Set(got.map((m) => idOf(m.raw)));
      const missing = [...ids].filter((id) => !received.has(id));
      assert.deepEqual(missing, [], 'every event arrived at least once');
    });
  }
});

/** Waits until every id arrived after `base` (or times out), returns the messages after base. */
async function waitForIds(rs: RsyslogInstance, base: number, ids: Set<string>) {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const got = rs.messages().slice(base);
    const seen = new Set(got.map((m) => idOf(m.raw)));
    if ([...ids].every((id) => seen.has(id)) || Date.now() > deadline) return got;
    await sleep(50);
  }
}
