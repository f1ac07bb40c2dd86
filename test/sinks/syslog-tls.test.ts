/**
 * TLS settings end to end: DESTINATION_CA_FILE through parseSyslogSinkOptions to a real rsyslog, and
 * mutual TLS (client certificate) against a Node TLS server that requires one.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { MemoryLogger } from '../../shared/observability/log';
import { parseSyslogSinkOptions, SyslogSink } from '../../shared/sinks/syslog';
import type { OutboundEvent } from '../../shared/sinks/types';
import { makeTlsMaterial, rsyslogSkipReason, startRsyslog, type RsyslogInstance } from '../support/rsyslog';
import { processEvent } from './syslog-fixtures';

const skip = rsyslogSkipReason({ tls: true });
if (skip) console.log(`# SKIP syslog TLS tests: ${skip}`);

const encode = (item: OutboundEvent) => `<134>1 2026-11-23T15:00:00.123Z fwd01 defender-forwarder - - - ${item.event.event.id}`;

describe('syslog+tls settings against rsyslog', { skip }, () => {
  let rs: RsyslogInstance;
  before(async () => { rs = await startRsyslog(); });
  after(async () => { await rs?.stop(); });

  it('DESTINATION_CA_FILE trusts the private CA; octet counting is the TLS default', async () => {
    const env = { DESTINATION_CA_FILE: rs.tls.caFile, DELIVERY_TIMEOUT_SECONDS: '2', DELIVERY_RETRY_BUDGET_SECONDS: '2' };
    const options = parseSyslogSinkOptions(new URL(`syslog+tls://127.0.0.1:${rs.tlsPort}`), env, encode, new MemoryLogger());
    assert.equal(options.framing, 'octet-counting');
    const sink = new SyslogSink(options);
    const batch = [processEvent(1), processEvent(2)];
    const report = await sink.send(batch);
    await sink.close();
    assert.equal(report.delivered, 2);
    const got = await rs.waitForMessages(2, { settleMs: 100 });
    assert.deepEqual(got, batch.map((b) => ({ input: 'tls', raw: encode(b) })));
  });
});

describe('syslog+tls mutual TLS', { skip }, () => {
  let dir: string;
  let server: tls.Server;
  let port: number;
  let clientPem: string;
  const received: Buffer[] = [];
  const peers: string[] = [];

  before(async () => {
    const ca = makeTlsMaterial();
    dir = mkdtempSync(path.join(os.tmpdir(), 'syslog-mtls-'));
    const f = (n: string) => path.join(dir, n);
    const run = (args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    run(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=defender-forwarder', '-keyout', f('client.key'), '-out', f('client.csr')]);
    writeFileSync(f('client.ext'), 'extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n');
    run(['x509', '-req', '-in', f('client.csr'), '-CA', ca.caFile, '-CAkey', path.join(path.dirname(ca.caFile), 'ca.key'),
      '-CAcreateserial', '-CAserial', f('ca.srl'), '-days', '1', '-sha256', '-extfile', f('client.ext'), '-out', f('client.pem')]);
    // One PEM with certificate and key, as the Key Vault secret holds it.
    clientPem = readFileSync(f('client.pem'), 'utf8') + readFileSync(f('client.key'), 'utf8');
    server = tls.createServer({
      cert: readFileSync(ca.certFile), key: readFileSync(ca.keyFile), ca: ca.caPem, requestCert: true, rejectUnauthorized: true,
    }, (s) => {
      peers.push(String(s.getPeerCertificate().subject?.CN));
      s.on('data', (d: Buffer) => received.push(d));
      s.on('error', () => {});
    });
    server.on('tlsClientError', () => {});
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  });
  after(async () => {
    await new Promise<void>((r) => server?.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('presents the client certificate from the PEM secret', async () => {
    const ca = makeTlsMaterial();
    const options = parseSyslogSinkOptions(new URL(`syslog+tls://127.0.0.1:${port}`), { DESTINATION_CA_FILE: ca.caFile }, encode, new MemoryLogger(), { clientCertificatePem: clientPem });
    const sink = new SyslogSink({ ...options, timeoutMs: 2000, retryBudgetMs: 1000 });
    const report = await sink.send([processEvent(5)]);
    await sink.close();
    assert.equal(report.delivered, 1);
    for (let i = 0; i < 50 && received.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    const m = encode(processEvent(5));
    assert.equal(Buffer.concat(received).toString('utf8'), `${Buffer.byteLength(m)} ${m}`);
    assert.deepEqual(peers, ['defender-forwarder']);
  });

  it('without a client certificate the server refuses, and the events are reported failed', async () => {
    const ca = makeTlsMaterial();
    const before = Buffer.concat(received).length;
    const sink = new SyslogSink({
      ...parseSyslogSinkOptions(new URL(`syslog+tls://127.0.0.1:${port}`), { DESTINATION_CA_FILE: ca.caFile }, encode, new MemoryLogger()),
      timeoutMs: 1000, retryBudgetMs: 600, retryBaseDelayMs: 50,
    });
    const report = await sink.send([processEvent(6)]);
    await sink.close();
    assert.equal(report.delivered, 0);
    assert.equal(report.failed.length, 1);
    assert.equal(Buffer.concat(received).length, before, 'the server got no data');
  });
});
