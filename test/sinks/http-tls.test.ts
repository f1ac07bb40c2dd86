/**
 * HTTPS with a private CA made by the openssl CLI in a temp dir: verified by default, trusted through
 * DESTINATION_CA_FILE, a name mismatch or an unknown CA is a clear, unretried error with nothing sent,
 * and the insecure opt-out works but warns.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MemoryLogger } from '../../shared/observability/log';
import { HttpSink, parseHttpSinkOptions } from '../../shared/sinks/http';
import { encodeEventJson } from '../../shared/sinks/http-options';
import { HttpCollector } from '../support/http-collector';
import { outbounds } from './http-fixtures';

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** A CA and two server certificates signed by it: one for 127.0.0.1, one only for another name. */
function makePki(dir: string): { ca: string; good: { key: string; cert: string }; wrongName: { key: string; cert: string } } {
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=defender-forwarder test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  const leaf = (name: string, san: string) => {
    run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    writeFileSync(path.join(dir, `${name}.ext`), `subjectAltName=${san}\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n`);
    run('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`);
    return { key: readFileSync(path.join(dir, `${name}.key`), 'utf8'), cert: readFileSync(path.join(dir, `${name}.pem`), 'utf8') };
  };
  return { ca: path.join(dir, 'ca.pem'), good: leaf('good', 'IP:127.0.0.1,DNS:collector.test'), wrongName: leaf('wrong', 'DNS:other.test') };
}

const skip = hasOpenssl() ? false : 'the openssl CLI is not installed';

describe('HTTPS destinations', { skip }, () => {
  let dir: string;
  let pki: ReturnType<typeof makePki>;
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
