/**
 * HTTPS with a private CA made by the openssl CLI in a temp dir: verified by default, trusted through
 * DESTINATION_CA_FILE, a name mismatch or an unknown CA is a clear, unretried error with nothing sent,
 * and the insecure opt-out works but warns. Mutual TLS: collectors that require a client certificate
 * get the one from the Key Vault secret named by DESTINATION_CLIENT_CERT_SECRET_NAME (all three HTTP
 * sink kinds, built by createSink as the app builds them), and without it the handshake fails.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { ConfigError } from '../../shared/config/env';
import { createSink } from '../../shared/delivery/destinations';
import { DeliveryEngine } from '../../shared/delivery/engine';
import { Counters, MemoryLogger } from '../../shared/observability/log';
import type { SecretSource } from '../../shared/secrets/keyvault';
import { HttpSink, parseHttpSinkOptions } from '../../shared/sinks/http';
import { encodeEventJson } from '../../shared/sinks/http-options';
import { redactUrl } from '../../shared/sinks/http-url';
import type { OutboundEvent } from '../../shared/sinks/types';
import { MemoryDeadLetterStore } from '../delivery/support';
import { HttpCollector, type CollectorKind } from '../support/http-collector';
import { outbounds } from './http-fixtures';

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

interface Pki {
  ca: string;
  good: { key: string; cert: string };
  wrongName: { key: string; cert: string };
  /** A client certificate (CN defender-forwarder, clientAuth) signed by the CA: certificate + key in one PEM, as Key Vault holds it. */
  clientPem: string;
  /** The same certificate without its key, and a key that is not its own. */
  clientCertOnly: string;
  otherKey: string;
}

/** A CA, two server certificates signed by it (one for 127.0.0.1, one only for another name) and a client certificate. */
function makePki(dir: string): Pki {
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=defender-forwarder test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  const leaf = (name: string, san: string) => {
    run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    writeFileSync(path.join(dir, `${name}.ext`), `subjectAltName=${san}\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n`);
    run('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`);
    return { key: readFileSync(path.join(dir, `${name}.key`), 'utf8'), cert: readFileSync(path.join(dir, `${name}.pem`), 'utf8') };
  };
  const good = leaf('good', 'IP:127.0.0.1,DNS:collector.test');
  const wrongName = leaf('wrong', 'DNS:other.test');
  run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'client.key', '-out', 'client.csr', '-subj', '/CN=defender-forwarder');
  writeFileSync(path.join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n');
  run('x509', '-req', '-in', 'client.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'client.pem', '-days', '2', '-extfile', 'client.ext');
  const clientCertOnly = readFileSync(path.join(dir, 'client.pem'), 'utf8');
  return {
    ca: path.join(dir, 'ca.pem'), good, wrongName,
    clientPem: clientCertOnly + readFileSync(path.join(dir, 'client.key'), 'utf8'),
    clientCertOnly,
    otherKey: good.key,
  };
}

const skip = hasOpenssl() ? false : 'the openssl CLI is not installed';

describe('HTTPS destinations', { skip }, () => {
  let dir: string;
  let pki: Pki;
  let good: HttpCollector;
  let wrong: HttpCollector;
  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'http-tls-'));
    pki = makePki(dir);
    good = await HttpCollector.start({ kind: 'generic', tls: pki.good });
    wrong = await HttpCollector.start({ kind: 'generic', tls: pki.wrongName });
  });
  after(async () => {
    await good?.stop();
    await wrong?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const sinkFor = (c: HttpCollector, env: Record<string, string>, logger = new MemoryLogger()) =>
    new HttpSink(parseHttpSinkOptions(c.url('/ingest'), { DELIVERY_RETRY_BUDGET_SECONDS: '2', ...env }, encodeEventJson, undefined, logger));

  it('delivers over TLS when DESTINATION_CA_FILE trusts the private CA', async () => {
    const sink = sinkFor(good, { DESTINATION_CA_FILE: pki.ca });
    const items = outbounds(3);
    assert.deepEqual(await sink.send(items), { delivered: 3, failed: [] });
    await sink.close();
    assert.equal(good.requests.length, 1);
    assert.equal(good.requests[0].body, items.map((i) => JSON.stringify(i.event)).join('\n') + '\n');
  });

  it('an untrusted CA is a clear error, not retried, nothing sent', async () => {
    const before = good.requests.length;
    const logger = new MemoryLogger();
    const sink = sinkFor(good, {}, logger);
    const report = await sink.send(outbounds(2));
    await sink.close();
    assert.equal(report.delivered, 0);
    assert.equal(good.requests.length, before, 'no request reached the collector');
    for (const f of report.failed) {
      assert.equal(f.attempts, 1);
      assert.match(f.reason, /^permanent failure: TLS verification of 127\.0\.0\.1 failed: the certificate is not trusted \(set DESTINATION_CA_FILE to trust a private CA\): .*\[(UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)\]$/);
    }
  });

  it('a certificate for another name is a clear error, not retried, nothing sent in plaintext or otherwise', async () => {
    const logger = new MemoryLogger();
    const sink = sinkFor(wrong, { DESTINATION_CA_FILE: pki.ca }, logger);
    const report = await sink.send(outbounds(2));
    await sink.close();
    assert.equal(report.delivered, 0);
    assert.equal(wrong.requests.length, 0);
    for (const f of report.failed) {
      assert.equal(f.attempts, 1);
      assert.match(f.reason, /^permanent failure: TLS verification of 127\.0\.0\.1 failed: the certificate does not name this host: .*\[ERR_TLS_CERT_ALTNAME_INVALID\]$/);
    }
    assert.ok(logger.entries.some((e) => e.level === 'error' && String(e.properties?.reason).includes('ERR_TLS_CERT_ALTNAME_INVALID')));
  });

  it('https to a plaintext port fails as TLS, never falls back to http', async () => {
    const plain = await HttpCollector.start({ kind: 'generic' });
    try {
      const url = new URL(`https://127.0.0.1:${plain.boundPort}/`);
      const sink = new HttpSink(parseHttpSinkOptions(url, { DELIVERY_RETRY_BUDGET_SECONDS: '1' }, encodeEventJson, undefined, new MemoryLogger()));
      const report = await sink.send(outbounds(1));
      await sink.close();
      assert.equal(report.delivered, 0);
      assert.equal(plain.requests.length, 0);
      assert.match(report.failed[0].reason, /^permanent failure: TLS handshake with 127\.0\.0\.1 failed: the server did not answer in TLS \(is this a plaintext port\?\): .*\[EPROTO\]$/);
    } finally {
      await plain.stop();
    }
  });

  it('DESTINATION_TLS_INSECURE=true delivers and warns at every start', async () => {
    const logger = new MemoryLogger();
    const before = wrong.requests.length;
    for (let i = 0; i < 2; i++) {
      const sink = sinkFor(wrong, { DESTINATION_TLS_INSECURE: 'true' }, logger);
      assert.equal((await sink.send(outbounds(1))).delivered, 1);
      await sink.close();
    }
    assert.equal(wrong.requests.length, before + 2);
    const warnings = logger.entries.filter((e) => e.level === 'warn' && e.message.includes('TLS server verification is OFF'));
    assert.equal(warnings.length, 2);
  });

  it('a DESTINATION_CA_FILE without a certificate is a configuration error', () => {
    const notPem = path.join(dir, 'not.pem');
    writeFileSync(notPem, 'hello');
    assert.throws(() => parseHttpSinkOptions(good.url('/'), { DESTINATION_CA_FILE: notPem }, encodeEventJson, undefined, new MemoryLogger()),
      /DESTINATION_CA_FILE: .*holds no PEM certificate/);
  });
});

describe('HTTPS destinations with mutual TLS', { skip }, () => {
  const SECRET = 'forwarder-client-cert';
  const TOKEN = 'hec-token-1';
  const INDEX = 'logs-m365_defender.event-default';
  let dir: string;
  let pki: Pki;
  const collectors: Partial<Record<CollectorKind, HttpCollector>> = {};
  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'http-mtls-'));
    pki = makePki(dir);
    for (const kind of ['generic', 'hec', 'bulk'] as const) {
      collectors[kind] = await HttpCollector.start({ kind, hecToken: TOKEN, tls: { ...pki.good, clientCa: readFileSync(pki.ca) } });
    }
  });
  after(async () => {
    for (const c of Object.values(collectors)) await c?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Key Vault as createSink sees it: only the client-certificate secret exists; every read is recorded. */
  const vault = (reads: string[]): SecretSource => ({
    getSecret: async (name) => {
      reads.push(name);
      if (name !== SECRET) throw new Error(`no secret ${name}`);
      return pki.clientPem;
    },
  });
  const env = (over: Record<string, string> = {}) => ({
    DESTINATION_CA_FILE: pki.ca, DESTINATION_TOKEN: TOKEN, DELIVERY_RETRY_BUDGET_SECONDS: '2', HTTP_COMPRESSION: 'none', ...over,
  });
  const deps = (e: Record<string, string>, reads: string[], counters?: Counters) => ({
    env: e, logger: new MemoryLogger(), stdout: new PassThrough(), secrets: vault(reads), mode: 'cli' as const, ...(counters ? { counters } : {}),
  });

  it('https, splunk+https and elastic+https present the client certificate from DESTINATION_CLIENT_CERT_SECRET_NAME', async () => {
    const reads: string[] = [];
    const counters = new Counters();
    const withCert = env({ DESTINATION_CLIENT_CERT_SECRET_NAME: SECRET });
    const generic = collectors.generic!;
    const hec = collectors.hec!;
    const bulk = collectors.bulk!;
    const specs: Array<[HttpCollector, string]> = [
      [generic, generic.url('/ingest').toString()],
      [hec, hec.url('', 'splunk+').toString()],
      [bulk, bulk.url(`/${INDEX}`, 'elastic+').toString()],
    ];
    // One 503 first: the retry is counted in the runtime's counters, passed through createSink.
    generic.fail({ kind: 'status', status: 503 });
    for (const [collector, spec] of specs) {
      const sink = await createSink(spec, deps(withCert, reads, counters));
      const items = outbounds(2);
      const report = await sink.send(items);
      assert.deepEqual({ delivered: report.delivered, failed: report.failed }, { delivered: 2, failed: [] }, spec);
      await sink.close();
      const served = collector.requests.filter((r) => r.status === 200);
      assert.equal(served.length, 1, spec);
      assert.equal(served[0].clientCertCN, 'defender-forwarder', `${spec} saw our client certificate`);
    }
    assert.deepEqual(reads, [SECRET, SECRET, SECRET]);
    assert.deepEqual(generic.accepted, outbounds(2).map((i) => JSON.parse(JSON.stringify(i.event))));
    assert.deepEqual(hec.accepted.map((e) => (e as { event: { event: { id: string } } }).event.event.id), ['id-0', 'id-1']);
    assert.deepEqual([...bulk.docs.keys()], [`${INDEX}/id-0`, `${INDEX}/id-1`]);
    const genericName = redactUrl(generic.url('/ingest'));
    assert.equal(counters.get('retried', genericName), 1);
    // What DeliveryEngine counts, the sink must not count as well.
    assert.equal(counters.get('delivered', genericName), 0);
  });

  it('without a client certificate the handshake fails as TLS: not retried, nothing received, dead-lettered', async () => {
    const generic = collectors.generic!;
    generic.requests.length = 0;
    const logger = new MemoryLogger();
    const sink = await createSink(generic.url('/ingest').toString(), { ...deps(env(), []), logger });
    const deadLetters = new MemoryDeadLetterStore();
    const engine = new DeliveryEngine({ sinks: [sink], deadLetters, logger });
    const items = outbounds(3);
    const outcome = await engine.deliver(items);
    await engine.close();
    assert.equal(outcome.delivered[sink.name], 0);
    assert.equal(outcome.deadLettered, 3);
    assert.equal(generic.requests.length, 0, 'the collector handled nothing, over TLS or otherwise');
    const entries = deadLetters.puts.flat();
    assert.deepEqual(entries.map((e) => (e.payload as OutboundEvent).event.event.id), ['id-0', 'id-1', 'id-2']);
    for (const e of entries) {
      assert.equal(e.attempts, 1);
      assert.match(e.reason, /^permanent failure: TLS handshake with 127\.0\.0\.1 failed: the server refused it \(alert "certificate required"\): it may require a client certificate \(DESTINATION_CLIENT_CERT_SECRET_NAME\) or not trust the one presented \[ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED\]$/);
    }
  });

  it('TLS 1.2 server: the refusal (alert handshake failure) is the same clear, unretried TLS failure', async () => {
    let handled = 0;
    const server = https.createServer({ ...pki.good, ca: readFileSync(pki.ca), requestCert: true, rejectUnauthorized: true, maxVersion: 'TLSv1.2' }, (_req, res) => {
      handled++;
      res.end('ok');
    });
    server.on('tlsClientError', () => {});
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = new URL(`https://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      const without = new HttpSink(parseHttpSinkOptions(url, env(), encodeEventJson, undefined, new MemoryLogger()));
      const report = await without.send(outbounds(1));
      await without.close();
      assert.equal(report.delivered, 0);
      assert.equal(report.failed[0].attempts, 1);
      assert.match(report.failed[0].reason, /^permanent failure: TLS handshake with 127\.0\.0\.1 failed: the server refused it \(alert "handshake failure"\): .*\[EPROTO\]$/);
      assert.equal(handled, 0);

      const withCert = new HttpSink(parseHttpSinkOptions(url, env(), encodeEventJson, undefined, new MemoryLogger(), { clientCertificatePem: pki.clientPem }));
      assert.deepEqual(await withCert.send(outbounds(1)), { delivered: 1, failed: [] });
      await withCert.close();
      assert.equal(handled, 1);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('plaintext http destinations never read the client certificate secret', async () => {
    const plain = await HttpCollector.start({ kind: 'generic' });
    try {
      const reads: string[] = [];
      const sink = await createSink(plain.url('/').toString(), deps(env({ DESTINATION_CLIENT_CERT_SECRET_NAME: SECRET }), reads));
      assert.deepEqual(await sink.send(outbounds(1)), { delivered: 1, failed: [] });
      await sink.close();
      assert.deepEqual(reads, []);
    } finally {
      await plain.stop();
    }
  });

  it('a secret without its key, or with a key that is not the certificate\'s, is a configuration error naming the setting', () => {
    const url = collectors.generic!.url('/');
    for (const [pem, why] of [
      [pki.clientCertOnly, /holds a certificate but no PEM private key/],
      [pki.clientCertOnly + pki.otherKey, /the certificate and key in the secret are not usable: .*key values mismatch/],
      ['not a pem', /holds no PEM certificate/],
    ] as const) {
      assert.throws(() => parseHttpSinkOptions(url, env(), encodeEventJson, undefined, new MemoryLogger(), { clientCertificatePem: pem }),
        (e: unknown) => e instanceof ConfigError && e.setting === 'DESTINATION_CLIENT_CERT_SECRET_NAME' && why.test(e.message) && !e.message.includes('BEGIN'));
    }
  });
});
