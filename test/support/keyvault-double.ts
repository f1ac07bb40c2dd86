/**
 * HTTPS double of Azure Key Vault (data plane) for the real @azure/keyvault-secrets SecretClient:
 * - any request without an acceptable bearer token gets 401 with the challenge
 *   `WWW-Authenticate: Bearer authorization="<authority>/<tenant>", resource="https://vault.azure.net"`
 *   (the SDK first sends an unauthenticated request, reads the challenge, gets a token for
 *   `<resource>/.default` in that tenant and retries);
 * - GET /secrets/{name}[/{version}]?api-version=... -> SecretBundle; 404 SecretNotFound as real Key Vault;
 * - certificates as real Key Vault stores them: GET /certificates/{name} -> CertificateBundle (cer = DER),
 *   and an addressable secret of the same name holding the PEM (cert + private key) with
 *   contentType application/x-pem-file, `kid`, and `managed: true`;
 * - faults: the next n authenticated requests fail with 429/503 (optional Retry-After); request counts.
 */
import { randomBytes, X509Certificate } from 'node:crypto';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface KeyVaultDoubleOptions {
  tls: { certPem: string; keyPem: string };
  /** Authority in the challenge, e.g. `${idp.authorityHost}/${tenantId}`. */
  authority: string;
  /** Resource in the challenge; default https://vault.azure.net. */
  resource?: string;
  /** Accepts or rejects a bearer token (e.g. idp.verifyAccessToken(token, 'https://vault.azure.net')). */
  acceptToken: (token: string) => boolean;
}

export type KeyVaultEndpoint = 'challenge' | 'secret' | 'certificate' | 'other';

interface StoredVersion {
  version: string;
  value: string;
  contentType?: string;
  created: number;
  enabled: boolean;
  certificate?: { cerDer: Buffer; x5t: string };
}

interface Fault { status: number; remaining: number; retryAfterSeconds?: number }

export class KeyVaultDouble {
  readonly counts: Record<KeyVaultEndpoint, number> = { challenge: 0, secret: 0, certificate: 0, other: 0 };
  /** Every request: method, path (no query), status. */
  readonly requests: Array<{ method: string; path: string; status: number; authenticated: boolean }> = [];
  private readonly secrets = new Map<string, StoredVersion[]>();
  /** Secret names the caller's identity has no role for (403 ForbiddenByRbac). */
  private readonly denied = new Set<string>();
  private fault: Fault | undefined;
  private port = 0;

  private constructor(private readonly server: https.Server, private readonly options: KeyVaultDoubleOptions) {}

  static async start(options: KeyVaultDoubleOptions): Promise<KeyVaultDouble> {
    let self: KeyVaultDouble | undefined;
    const server = https.createServer({ cert: options.tls.certPem, key: options.tls.keyPem }, (req, res) => {
      self!.handle(req, res);
    });
    self = new KeyVaultDouble(server, options);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    self.port = (server.address() as AddressInfo).port;
    return self;
  }

  /** KEY_VAULT_URL of this vault. */
  get vaultUrl(): string { return `https://127.0.0.1:${this.port}`; }

  /** Adds a new version of a secret (it becomes the current one); returns the version id. */
  setSecret(name: string, value: string, contentType?: string): string {
    const version = randomBytes(16).toString('hex');
    const list = this.secrets.get(name.toLowerCase()) ?? [];
    list.push({ version, value, contentType, created: Math.floor(Date.now() / 1000), enabled: true });
    this.secrets.set(name.toLowerCase(), list);
    return version;
  }

  /** Imports a certificate as Key Vault stores it: the certificate plus its PEM secret of the same name. */
  importCertificate(name: string, certPem: string, keyPem: string): string {
    const x509 = new X509Certificate(certPem);
    const version = this.setSecret(name, `${keyPem.trim()}\n${certPem.trim()}\n`, 'application/x-pem-file');
    const stored = this.secrets.get(name.toLowerCase())!.at(-1)!;
    stored.certificate = { cerDer: x509.raw, x5t: Buffer.from(x509.fingerprint.replace(/:/g, ''), 'hex').toString('base64url') };
    return version;
  }

  deleteSecret(name: string): void { this.secrets.delete(name.toLowerCase()); }

  /** Reads of `name` get 403 as when the identity lacks the Key Vault Secrets User role. */
  denyAccess(name: string): void { this.denied.add(name.toLowerCase()); }

  /** The next `times` authenticated requests fail with `status` (429 or 503 as Key Vault throttles). */
  failNext(status: number, times = 1, retryAfterSeconds?: number): void {
    this.fault = { status, remaining: times, retryAfterSeconds };
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    // Drain the body: the SDK may send one on the unauthenticated first attempt.
    req.resume();
    req.on('end', () => this.route(req, res));
  }

  private route(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', this.vaultUrl);
    const method = req.method ?? 'GET';
    const record = { method, path: url.pathname, status: 200, authenticated: false };
    this.requests.push(record);
    const reply = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      record.status = status;
      send(res, status, body, headers);
    };

    const auth = req.headers.authorization;
    const token = auth?.startsWith('Bearer ') ? auth.slice(7) : undefined;
    if (!token || !this.options.acceptToken(token)) {
      this.counts.challenge++;
      const resource = this.options.resource ?? 'https://vault.azure.net';
      reply(401, { error: { code: 'Unauthorized', message: token ? 'AKV10022: Invalid audience or token.' : 'AKV10000: Request is missing a Bearer or PoP token.' } },
        { 'WWW-Authenticate': `Bearer authorization="${this.options.authority}", resource="${resource}"` });
      return;
    }
    record.authenticated = true;

    if (this.fault && this.fault.remaining > 0) {
      this.fault.remaining--;
      const headers: Record<string, string> = this.fault.retryAfterSeconds !== undefined ? { 'Retry-After': String(this.fault.retryAfterSeconds) } : {};
      if (this.fault.status === 429) {
        reply(429, { error: { code: 'Throttled', message: 'Request was not processed because too many requests were received. Reason: VaultRequestTypeLimitReached' } }, headers);
      } else {
        reply(this.fault.status, { error: { code: 'ServiceUnavailable', message: 'The service is temporarily unavailable. Please try again later.' } }, headers);
      }
      return;
    }
    if (!url.searchParams.get('api-version')) {
      reply(400, { error: { code: 'BadParameter', message: 'The request URI contains an invalid or missing api-version.' } });
      return;
    }
    const parts = url.pathname.split('/').filter(Boolean);
    if (method === 'GET' && parts[0] === 'secrets' && (parts.length === 2 || parts.length === 3)) {
      this.counts.secret++;
      if (this.denied.has(parts[1]!.toLowerCase())) {
        reply(403, { error: { code: 'Forbidden', message: `Caller is not authorized to perform action on resource.\r\nIf role assignments, deny assignments or role definitions were changed recently, please observe propagation time.\r\nAction: 'Microsoft.KeyVault/vaults/secrets/getSecret/action'\r\nResource: '/secrets/${parts[1]}'\r\nAssignment: (not found)\r\nDenyAssignmentId: null\r\nDecisionReason: null \r\nVault: ${this.vaultUrl};location=westeurope`, innererror: { code: 'ForbiddenByRbac' } } });
        return;
      }
      const found = this.find(parts[1]!, parts[2]);
      if (!found) {
        reply(404, { error: { code: 'SecretNotFound', message: `A secret with (name/id) ${parts.slice(1).join('/')} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182` } });
        return;
      }
      const name = parts[1]!;
      reply(200, {
        value: found.value,
        ...(found.contentType ? { contentType: found.contentType } : {}),
        id: `${this.vaultUrl}/secrets/${name}/${found.version}`,
        ...(found.certificate ? { kid: `${this.vaultUrl}/keys/${name}/${found.version}`, managed: true } : {}),
        attributes: { enabled: found.enabled, created: found.created, updated: found.created, recoveryLevel: 'Recoverable+Purgeable', recoverableDays: 90 },
        tags: {},
      });
      return;
    }
    if (method === 'GET' && parts[0] === 'certificates' && (parts.length === 2 || parts.length === 3)) {
      this.counts.certificate++;
      const found = this.find(parts[1]!, parts[2]);
      if (!found?.certificate) {
        reply(404, { error: { code: 'CertificateNotFound', message: `A certificate with (name/id) ${parts.slice(1).join('/')} was not found in this key vault. If you recently deleted this certificate you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182` } });
        return;
      }
      const name = parts[1]!;
      reply(200, {
        id: `${this.vaultUrl}/certificates/${name}/${found.version}`,
        kid: `${this.vaultUrl}/keys/${name}/${found.version}`,
        sid: `${this.vaultUrl}/secrets/${name}/${found.version}`,
        x5t: found.certificate.x5t,
        cer: found.certificate.cerDer.toString('base64'),
        attributes: { enabled: true, created: found.created, updated: found.created, recoveryLevel: 'Recoverable+Purgeable', recoverableDays: 90 },
        policy: {
          id: `${this.vaultUrl}/certificates/${name}/policy`,
          key_props: { exportable: true, kty: 'RSA', key_size: 2048, reuse_key: false },
          secret_props: { contentType: 'application/x-pem-file' },
        },
        tags: {},
      });
      return;
    }
    this.counts.other++;
    reply(400, { error: { code: 'BadParameter', message: `Unsupported request ${method} ${url.pathname}` } });
  }

  private find(name: string, version: string | undefined): StoredVersion | undefined {
    const list = this.secrets.get(name.toLowerCase());
    if (!list || list.length === 0) return undefined;
    if (version === undefined) return list.at(-1);
    return list.find((v) => v.version === version);
  }
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string>): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'x-ms-keyvault-service-version': '1.9.0.0',
    ...headers,
  });
  res.end(text);
}
