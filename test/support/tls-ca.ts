/**
 * A private PKI for tests, made with the openssl CLI in a temp dir: a CA, a server certificate for
 * 127.0.0.1/localhost signed by it, and self-signed client (application) certificates like the ones an
 * Entra app registration holds. Clients trust the CA either through NODE_EXTRA_CA_CERTS (child
 * processes: Node reads it only at start) or by passing `caPem` to the SDK's `tlsOptions`.
 */
import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface CertificateMaterial {
  certPem: string;
  keyPem: string;
  certPath: string;
  keyPath: string;
  /** Hex SHA-1 and SHA-256 of the DER certificate (what x5t / x5t#S256 encode). */
  thumbprintSha1: string;
  thumbprintSha256: string;
}

export interface TestPki {
  dir: string;
  caPem: string;
  /** Path of the CA certificate, for NODE_EXTRA_CA_CERTS. */
  caPath: string;
  /** Server certificate for 127.0.0.1 and localhost, signed by the CA. */
  server: CertificateMaterial;
  /** A new self-signed RSA certificate (client credential of an app registration), PEM cert + key. */
  createClientCertificate(commonName: string): CertificateMaterial;
  cleanup(): void;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

function material(dir: string, base: string): CertificateMaterial {
  const certPath = path.join(dir, `${base}.crt`);
  const keyPath = path.join(dir, `${base}.key`);
  const certPem = readFileSync(certPath, 'utf8');
  const der = new X509Certificate(certPem).raw;
  return {
    certPem,
    keyPem: readFileSync(keyPath, 'utf8'),
    certPath,
    keyPath,
    thumbprintSha1: createHash('sha1').update(der).digest('hex'),
    thumbprintSha256: createHash('sha256').update(der).digest('hex'),
  };
}

export function createTestPki(): TestPki {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'df-pki-'));
  try {
    openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=defender-forwarder test CA',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
      '-keyout', 'ca.key', '-out', 'ca.crt'], dir);
    openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', 'server.key', '-out', 'server.csr'], dir);
    writeFileSync(path.join(dir, 'server.ext'), [
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '',
    ].join('\n'));
    openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2',
      '-sha256', '-extfile', 'server.ext', '-out', 'server.crt'], dir);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const caPath = path.join(dir, 'ca.crt');
  let counter = 0;
  return {
    dir,
    caPath,
    caPem: readFileSync(caPath, 'utf8'),
    server: material(dir, 'server'),
    createClientCertificate(commonName: string): CertificateMaterial {
      const base = `client${++counter}`;
      openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=${commonName}`,
        '-keyout', `${base}.key`, '-out', `${base}.crt`], dir);
      return material(dir, base);
    },
    cleanup(): void {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
