/**
 * HTTPS double of Microsoft Entra ID for the real @azure/identity clients (MSAL underneath):
 * - `/{tenant}/v2.0/.well-known/openid-configuration` (authority metadata MSAL fetches first),
 *   `/common/discovery/instance` (only used when instance discovery is not disabled);
 * - `/{tenant}/oauth2/v2.0/token`, client_credentials with client_secret or a client_assertion JWT
 *   (RS256 or PS256, the signature checked against the registered certificate, x5t / x5t#S256, aud,
 *   iss = sub = clientId, exp/nbf), errors shaped like Entra's (AADSTS codes in error_description);
 * - an App Service style managed-identity endpoint (IDENTITY_ENDPOINT + X-IDENTITY-HEADER) as used by
 *   DefaultAzureCredential / ManagedIdentityCredential in a Function App.
 * Access tokens are JWTs signed with a key of this double; `verifyAccessToken` lets the Graph and
 * Key Vault doubles accept or reject them. Counts requests per endpoint and injects faults.
 */
import { createHash, createPublicKey, generateKeyPairSync, randomUUID, sign, verify, constants, X509Certificate, type KeyObject } from 'node:crypto';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type IdpEndpoint = 'openid' | 'discovery' | 'token' | 'msi';

export interface RegisteredApp {
  tenantId: string;
  clientId: string;
  displayName?: string;
  /** Valid client secret values. */
  secrets?: string[];
  /** Secret values that exist but are expired (AADSTS7000222). */
  expiredSecrets?: string[];
  /** Public certificates (PEM) registered on the app for client assertions. */
  certificates?: string[];
  /** Whether admin consent was granted in the tenant. Default true; false -> AADSTS65001. */
  consented?: boolean;
  /** App roles in the token's `roles` claim. Default SecurityIncident.Read.All + SecurityAlert.Read.All. */
  roles?: string[];
}

export interface ManagedIdentityRegistration {
  /** Client id of the identity; the system-assigned one answers requests without client_id. */
  clientId: string;
  systemAssigned?: boolean;
  principalId?: string;
}

export interface IdentityProviderOptions {
  tls: { certPem: string; keyPem: string };
  /** expires_in of issued tokens (seconds). Mutable later through `tokenLifetimeSeconds`. Default 3599. */
  tokenLifetimeSeconds?: number;
  /** Header value the managed-identity endpoint requires (IDENTITY_HEADER). Default a random one. */
  identityHeader?: string;
  /** Tenant the managed identities live in (tid of their tokens). */
  managedIdentityTenantId?: string;
  managedIdentities?: ManagedIdentityRegistration[];
  /** Clock of the double (token exp/nbf and verification); default Date.now. */
  now?: () => number;
}

export interface AccessTokenClaims {
  aud: string;
  iss: string;
  tid: string;
  appid: string;
  roles?: string[];
  idtyp: string;
  iat: number;
  nbf: number;
  exp: number;
  oid?: string;
  /** How the client proved itself: secret, certificate or managed identity. */
  authMethod: 'client_secret' | 'client_assertion' | 'managed_identity';
}

export interface IdpRequestRecord {
  endpoint: IdpEndpoint;
  tenantId?: string;
  clientId?: string;
  authMethod?: string;
  resource?: string;
  status: number;
  errorCode?: string;
}

interface Fault { status: number; remaining: number; retryAfterSeconds?: number; html?: boolean }

const DEFAULT_ROLES = ['SecurityIncident.Read.All', 'SecurityAlert.Read.All'];
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function b64url(buf: Buffer | string): string {
  return Buffer.from(buf).toString('base64url');
}

function entraTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

export class IdentityProviderDouble {
  readonly counts: Record<IdpEndpoint, number> = { openid: 0, discovery: 0, token: 0, msi: 0 };
  readonly requests: IdpRequestRecord[] = [];
  /** expires_in of tokens issued from now on. */
  tokenLifetimeSeconds: number;
  /** Header value IDENTITY_HEADER must carry. */
  readonly identityHeader: string;
  readonly managedIdentityTenantId: string;
  /** Shifts the double's clock (token exp and verification), e.g. to expire issued tokens. */
  clockOffsetMs = 0;

  private readonly apps = new Map<string, RegisteredApp>();
  private readonly tenants = new Set<string>();
  private readonly managedIdentities: ManagedIdentityRegistration[];
  private readonly faults = new Map<IdpEndpoint, Fault>();
  private readonly delays = new Map<IdpEndpoint, number>();
  private readonly signingKey: KeyObject;
  private readonly verifyKey: KeyObject;
  private readonly kid = randomUUID();
  private readonly baseNow: () => number;
  private port = 0;

  private constructor(private readonly server: https.Server, options: IdentityProviderOptions) {
    this.tokenLifetimeSeconds = options.tokenLifetimeSeconds ?? 3599;
    this.identityHeader = options.identityHeader ?? randomUUID();
    this.managedIdentityTenantId = options.managedIdentityTenantId ?? '72f988bf-86f1-41af-91ab-2d7cd011db47';
    this.managedIdentities = [...(options.managedIdentities ?? [])];
    this.baseNow = options.now ?? Date.now;
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.signingKey = privateKey;
    this.verifyKey = publicKey;
  }

  static async start(options: IdentityProviderOptions): Promise<IdentityProviderDouble> {
    let self: IdentityProviderDouble | undefined;
    const server = https.createServer({ cert: options.tls.certPem, key: options.tls.keyPem }, (req, res) => {
      void self!.handle(req, res);
    });
    self = new IdentityProviderDouble(server, options);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    self.port = (server.address() as AddressInfo).port;
    return self;
  }

  /** The authority host to configure (GRAPH_AUTHORITY_HOST / authorityHost). */
  get authorityHost(): string { return `https://127.0.0.1:${this.port}`; }
  /** IDENTITY_ENDPOINT for App Service style managed identity. */
  get identityEndpoint(): string { return `https://127.0.0.1:${this.port}/msi/token`; }

  now(): number { return this.baseNow() + this.clockOffsetMs; }

  registerApp(app: RegisteredApp): void {
    this.tenants.add(app.tenantId.toLowerCase());
    this.apps.set(`${app.tenantId.toLowerCase()}|${app.clientId.toLowerCase()}`, { ...app });
  }

  /** A tenant that exists but has no app registered (AADSTS700016 for any client id). */
  addTenant(tenantId: string): void { this.tenants.add(tenantId.toLowerCase()); }

  /** Replaces an app's valid secrets (rotation in the portal). */
  setSecrets(tenantId: string, clientId: string, secrets: string[], expiredSecrets: string[] = []): void {
    const app = this.apps.get(`${tenantId.toLowerCase()}|${clientId.toLowerCase()}`);
    if (!app) throw new Error(`no app ${clientId} in ${tenantId}`);
    app.secrets = [...secrets];
    app.expiredSecrets = [...expiredSecrets];
  }

  addManagedIdentity(mi: ManagedIdentityRegistration): void { this.managedIdentities.push(mi); }

  /** The next `times` requests to `endpoint` fail with `status` (500, 503, 429...). */
  failNext(endpoint: IdpEndpoint, status: number, times = 1, retryAfterSeconds?: number, options: { html?: boolean } = {}): void {
    this.faults.set(endpoint, { status, remaining: times, retryAfterSeconds, ...(options.html ? { html: true } : {}) });
  }

  /** Every request to `endpoint` waits `ms` before it is answered (0 to stop). */
  setDelay(endpoint: IdpEndpoint, ms: number): void { this.delays.set(endpoint, ms); }

  /** Claims of a token this double issued, when its signature is good, it is unexpired and for `audience`. */
  verifyAccessToken(token: string, audience: string): AccessTokenClaims | undefined {
    const parts = token.split('.');
    if (parts.length !== 3) return undefined;
    const ok = verify('sha256', Buffer.from(`${parts[0]}.${parts[1]}`), this.verifyKey, Buffer.from(parts[2]!, 'base64url'));
    if (!ok) return undefined;
    let claims: AccessTokenClaims;
    try { claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as AccessTokenClaims; } catch { return undefined; }
    const nowSec = this.now() / 1000;
    if (claims.exp <= nowSec || claims.nbf > nowSec + 300) return undefined;
    if (claims.aud.replace(/\/$/, '') !== audience.replace(/\/$/, '')) return undefined;
    return claims;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---- request handling ----

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.authorityHost);
    const body = await readBody(req);
    const parts = url.pathname.split('/').filter(Boolean);
    let endpoint: IdpEndpoint | undefined;
    if (req.method === 'GET' && parts.length >= 3 && parts.at(-2) === '.well-known' && parts.at(-1) === 'openid-configuration') endpoint = 'openid';
    else if (req.method === 'GET' && parts[1] === 'discovery' && parts[2] === 'instance') endpoint = 'discovery';
    else if (req.method === 'POST' && parts.length === 4 && parts[1] === 'oauth2' && parts[2] === 'v2.0' && parts[3] === 'token') endpoint = 'token';
    else if (req.method === 'GET' && url.pathname === '/msi/token') endpoint = 'msi';
    if (!endpoint) {
      send(res, 404, { error: 'not_found', error_description: `no route for ${req.method} ${url.pathname}` });
      return;
    }
    this.counts[endpoint]++;
    const delay = this.delays.get(endpoint) ?? 0;
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    const fault = this.faults.get(endpoint);
    if (fault && fault.remaining > 0) {
      fault.remaining--;
      const headers: Record<string, string> = fault.retryAfterSeconds !== undefined ? { 'Retry-After': String(fault.retryAfterSeconds) } : {};
      this.requests.push({ endpoint, status: fault.status, errorCode: 'fault' });
      if (fault.html) {
        // What a front door in trouble answers: no JSON, no AADSTS code, only the status.
        const html = `<html><body><h1>${fault.status} Service Unavailable</h1></body></html>`;
        res.writeHead(fault.status, { 'Content-Type': 'text/html', 'Content-Length': Buffer.byteLength(html), ...headers });
        res.end(html);
      } else if (endpoint === 'msi') send(res, fault.status, { statusCode: fault.status, message: 'An unexpected error occurred while fetching the AAD Token.' }, headers);
      else this.sendEntraError(res, fault.status, 'temporarily_unavailable', 90033, 'A transient error has occurred. Please try again.', headers);
      return;
    }
    switch (endpoint) {
      case 'openid': return this.openidConfiguration(res, parts[0]!);
      case 'discovery': return this.instanceDiscovery(res);
      case 'token': return this.token(res, parts[0]!, new URLSearchParams(body.toString('utf8')));
      case 'msi': return this.managedIdentityToken(req, res, url);
    }
  }

  private knownTenant(tenant: string): boolean {
    return this.tenants.has(tenant.toLowerCase());
  }

  private openidConfiguration(res: ServerResponse, tenant: string): void {
    if (!this.knownTenant(tenant)) {
      this.requests.push({ endpoint: 'openid', tenantId: tenant, status: 400, errorCode: 'AADSTS90002' });
      this.sendTenantNotFound(res, tenant);
      return;
    }
    this.requests.push({ endpoint: 'openid', tenantId: tenant, status: 200 });
    const h = this.authorityHost;
    send(res, 200, {
      token_endpoint: `${h}/${tenant}/oauth2/v2.0/token`,
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      jwks_uri: `${h}/${tenant}/discovery/v2.0/keys`,
      response_modes_supported: ['query', 'fragment', 'form_post'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      issuer: `${h}/${tenant}/v2.0`,
      request_uri_parameter_supported: false,
      userinfo_endpoint: 'https://graph.microsoft.com/oidc/userinfo',
      authorization_endpoint: `${h}/${tenant}/oauth2/v2.0/authorize`,
      device_authorization_endpoint: `${h}/${tenant}/oauth2/v2.0/devicecode`,
      http_logout_supported: true,
      frontchannel_logout_supported: true,
      end_session_endpoint: `${h}/${tenant}/oauth2/v2.0/logout`,
      claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'nonce', 'tid'],
      tenant_region_scope: 'EU',
      cloud_instance_name: 'microsoftonline.com',
      cloud_graph_host_name: 'graph.windows.net',
      msgraph_host: 'graph.microsoft.com',
      rbac_url: 'https://pas.windows.net',
    });
  }

  private instanceDiscovery(res: ServerResponse): void {
    const host = new URL(this.authorityHost).host;
    send(res, 200, {
      tenant_discovery_endpoint: `${this.authorityHost}/{tenant}/v2.0/.well-known/openid-configuration`,
      'api-version': '1.1',
      metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
    });
  }

  private token(res: ServerResponse, tenant: string, form: URLSearchParams): void {
    const clientId = form.get('client_id') ?? undefined;
    const record: IdpRequestRecord = { endpoint: 'token', tenantId: tenant, clientId, status: 200 };
    this.requests.push(record);
    const fail = (status: number, error: string, code: number, message: string): void => {
      record.status = status;
      record.errorCode = `AADSTS${code}`;
      this.sendEntraError(res, status, error, code, message);
    };
    if (form.get('grant_type') !== 'client_credentials') {
      fail(400, 'unsupported_grant_type', 70003, `The app requested an unsupported grant type '${form.get('grant_type') ?? ''}'.`);
      return;
    }
    if (!this.knownTenant(tenant)) {
      record.status = 400;
      record.errorCode = 'AADSTS90002';
      this.sendTenantNotFound(res, tenant);
      return;
    }
    if (!clientId) {
      fail(400, 'invalid_request', 900144, "The request body must contain the following parameter: 'client_id'.");
      return;
    }
    const app = this.apps.get(`${tenant.toLowerCase()}|${clientId.toLowerCase()}`);
    if (!app) {
      fail(400, 'unauthorized_client', 700016, `Application with identifier '${clientId}' was not found in the directory '${tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`);
      return;
    }
    const scope = form.get('scope') ?? '';
    const resourceScope = scope.split(' ').find((s) => s.endsWith('/.default'));
    if (!resourceScope) {
      fail(400, 'invalid_scope', 1002012, `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`);
      return;
    }
    const secret = form.get('client_secret');
    const assertion = form.get('client_assertion');
    if (secret !== null) {
      record.authMethod = 'client_secret';
      if (app.expiredSecrets?.includes(secret)) {
        fail(401, 'invalid_client', 7000222, `The provided client secret keys for app '${clientId}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.`);
        return;
      }
      if (!app.secrets?.includes(secret)) {
        fail(401, 'invalid_client', 7000215, `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`);
        return;
      }
    } else if (assertion !== null) {
      record.authMethod = 'client_assertion';
      if (form.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer') {
        fail(400, 'invalid_request', 50027, 'client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer.');
        return;
      }
      const problem = this.checkAssertion(assertion, app, `${this.authorityHost}/${tenant}/oauth2/v2.0/token`);
      if (problem) {
        fail(401, 'invalid_client', problem.code, problem.message);
        return;
      }
    } else {
      fail(401, 'invalid_client', 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
      return;
    }
    if (app.consented === false) {
      fail(400, 'invalid_grant', 65001, `The user or administrator has not consented to use the application with ID '${clientId}' named '${app.displayName ?? 'defender-forwarder'}'. Send an interactive authorization request for this user and resource.`);
      return;
    }
    const resource = resourceScope.slice(0, -'/.default'.length);
    const accessToken = this.issue({
      aud: resource,
      tid: app.tenantId,
      appid: app.clientId,
      roles: app.roles ?? DEFAULT_ROLES,
      authMethod: record.authMethod === 'client_assertion' ? 'client_assertion' : 'client_secret',
    });
    record.resource = resource;
    send(res, 200, {
      token_type: 'Bearer',
      expires_in: this.tokenLifetimeSeconds,
      ext_expires_in: this.tokenLifetimeSeconds,
      access_token: accessToken,
    });
  }

  /** Validates a client assertion as Entra does; returns the AADSTS error or undefined when good. */
  private checkAssertion(jwt: string, app: RegisteredApp, tokenEndpoint: string): { code: number; message: string } | undefined {
    const parts = jwt.split('.');
    if (parts.length !== 3) return { code: 50027, message: 'JWT token is invalid or malformed.' };
    let header: Record<string, unknown>;
    let payload: Record<string, unknown>;
    try {
      header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as Record<string, unknown>;
      payload = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
    } catch {
      return { code: 50027, message: 'JWT token is invalid or malformed.' };
    }
    const certs = (app.certificates ?? []).map((pem) => new X509Certificate(pem));
    const x5t = typeof header['x5t'] === 'string' ? header['x5t'] : undefined;
    const x5t256 = typeof header['x5t#S256'] === 'string' ? header['x5t#S256'] : undefined;
    const cert = certs.find((c) =>
      (x5t256 !== undefined && b64url(createHash('sha256').update(c.raw).digest()) === x5t256) ||
      (x5t !== undefined && b64url(createHash('sha1').update(c.raw).digest()) === x5t));
    if (!cert) {
      return { code: 700027, message: `Client assertion contains an invalid signature. [Reason - The key was not found., Thumbprint of key used by client: '${x5t256 ?? x5t ?? ''}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '${app.clientId}'.]` };
    }
    const data = Buffer.from(`${parts[0]}.${parts[1]}`);
    const signature = Buffer.from(parts[2]!, 'base64url');
    const key = createPublicKey(cert.publicKey.export({ type: 'spki', format: 'pem' }));
    let valid = false;
    if (header['alg'] === 'RS256') valid = verify('sha256', data, key, signature);
    else if (header['alg'] === 'PS256') {
      valid = verify('sha256', data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO }, signature);
    } else return { code: 5002738, message: `Invalid JWT token. '${String(header['alg'])}' is not a supported signature algorithm.` };
    if (!valid) {
      return { code: 700027, message: 'Client assertion contains an invalid signature. [Reason - The provided signature value did not match the expected signature value.]' };
    }
    if (payload['aud'] !== tokenEndpoint) {
      return { code: 700212, message: `No matching federated identity record found for presented assertion audience '${String(payload['aud'])}'. The audience must be the token endpoint '${tokenEndpoint}'.` };
    }
    if (payload['iss'] !== app.clientId || payload['sub'] !== app.clientId) {
      return { code: 700023, message: `Client assertion issuer and subject must be the client id '${app.clientId}'.` };
    }
    const nowSec = this.now() / 1000;
    const exp = typeof payload['exp'] === 'number' ? payload['exp'] : 0;
    const nbf = typeof payload['nbf'] === 'number' ? payload['nbf'] : 0;
    if (exp <= nowSec || nbf > nowSec + 300) {
      return { code: 700024, message: 'Client assertion is not within its valid time range.' };
    }
    return undefined;
  }

  private managedIdentityToken(req: IncomingMessage, res: ServerResponse, url: URL): void {
    const resource = url.searchParams.get('resource') ?? '';
    const clientId = url.searchParams.get('client_id') ?? undefined;
    const record: IdpRequestRecord = { endpoint: 'msi', clientId, resource, authMethod: 'managed_identity', status: 200 };
    this.requests.push(record);
    const header = req.headers['x-identity-header'];
    if (header !== this.identityHeader) {
      record.status = 401;
      send(res, 401, { statusCode: 401, message: 'Unauthorized: X-IDENTITY-HEADER is missing or wrong.', correlationId: randomUUID() });
      return;
    }
    if (url.searchParams.get('api-version') !== '2019-08-01' || !resource) {
      record.status = 400;
      send(res, 400, { statusCode: 400, message: 'api-version 2019-08-01 and resource are required.', correlationId: randomUUID() });
      return;
    }
    const mi = clientId
      ? this.managedIdentities.find((m) => m.clientId.toLowerCase() === clientId.toLowerCase())
      : this.managedIdentities.find((m) => m.systemAssigned);
    if (!mi) {
      record.status = 400;
      send(res, 400, { statusCode: 400, message: 'No User Assigned or Delegated Managed Identity found for specified ClientId/ResourceId/PrincipalId.', correlationId: randomUUID() });
      return;
    }
    const token = this.issue({ aud: resource, tid: this.managedIdentityTenantId, appid: mi.clientId, oid: mi.principalId, authMethod: 'managed_identity' });
    send(res, 200, {
      access_token: token,
      expires_on: String(Math.floor(this.now() / 1000) + this.tokenLifetimeSeconds),
      resource,
      token_type: 'Bearer',
      client_id: mi.clientId,
    });
  }

  private issue(c: { aud: string; tid: string; appid: string; roles?: string[]; oid?: string; authMethod: AccessTokenClaims['authMethod'] }): string {
    const nowSec = Math.floor(this.now() / 1000);
    const claims: AccessTokenClaims = {
      aud: c.aud,
      iss: `https://sts.windows.net/${c.tid}/`,
      tid: c.tid,
      appid: c.appid,
      ...(c.roles ? { roles: c.roles } : {}),
      ...(c.oid ? { oid: c.oid } : {}),
      idtyp: 'app',
      iat: nowSec,
      nbf: nowSec,
      exp: nowSec + this.tokenLifetimeSeconds,
      authMethod: c.authMethod,
    };
    const header = b64url(JSON.stringify({ typ: 'JWT', alg: 'RS256', kid: this.kid }));
    const payload = b64url(JSON.stringify({ ...claims, uti: randomUUID() }));
    const signature = sign('sha256', Buffer.from(`${header}.${payload}`), this.signingKey);
    return `${header}.${payload}.${b64url(signature)}`;
  }

  private sendTenantNotFound(res: ServerResponse, tenant: string): void {
    const guidNote = GUID.test(tenant) ? '' : ' The tenant may also be specified by a verified domain name.';
    this.sendEntraError(res, 400, 'invalid_request', 90002, `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.${guidNote}`);
  }

  private sendEntraError(res: ServerResponse, status: number, error: string, code: number, message: string, headers: Record<string, string> = {}): void {
    const traceId = randomUUID();
    const correlationId = randomUUID();
    const timestamp = entraTimestamp(this.now());
    send(res, status, {
      error,
      error_description: `AADSTS${code}: ${message} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
      error_codes: [code],
      timestamp,
      trace_id: traceId,
      correlation_id: correlationId,
      error_uri: `${this.authorityHost}/error?code=${code}`,
    }, headers);
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store, no-cache',
    ...headers,
  });
  res.end(text);
}
