/**
 * The real @azure/identity credentials (ClientSecretCredential, ClientCertificateCredential,
 * ManagedIdentityCredential) and the real SecretClient against the HTTPS identity and Key Vault
 * doubles, in this process. The private CA is passed explicitly through the SDK pipeline
 * (`tlsOptions: { ca }`): NODE_EXTRA_CA_CERTS is read only at process start, and this process started
 * before the CA existed. The child-process variant (app-credential.test.ts) proves the production
 * path without any TLS option.
 */
import assert from 'node:assert/strict';
import https from 'node:https';
import { after, before, describe, it } from 'node:test';
import { createAppCredential } from '../../shared/auth/app-credential';
import { GraphAuthError } from '../../shared/auth/errors';
import { createGraphCredential, GraphTokenProvider } from '../../shared/auth/graph-credential';
import type { GraphTenantConfig } from '../../shared/auth/tenants';
import { ConfigError } from '../../shared/config/env';
import { MemoryLogger } from '../../shared/observability/log';
import { CertificateFormatError, KeyVaultAccessDeniedError, KeyVaultSecretResolver, SecretNotFoundError } from '../../shared/secrets/keyvault';
import { IdentityProviderDouble, type IdpEndpoint } from '../support/identity-provider';
import { KeyVaultDouble } from '../support/keyvault-double';
import { createTestPki, type CertificateMaterial, type TestPki } from '../support/tls-ca';
import { graphGet, startFakeGraph, type FakeGraph } from './fake-graph';

const MI_TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const MI_CLIENT = '5c1e6a4b-0000-4d2e-9a7b-3c4d5e6f7a8b';
const MI_CLIENT_2 = '5c1e6a4b-1111-4d2e-9a7b-3c4d5e6f7a8b';
const TENANT = '8d3f2c1a-1111-4c5e-9f00-0123456789ab';
const CLIENT = '0f5b2d9e-2222-4a1b-8c3d-abcdefabcdef';
const CERT_CLIENT = '0f5b2d9e-3333-4a1b-8c3d-abcdefabcdef';
const NO_CONSENT_CLIENT = '0f5b2d9e-4444-4a1b-8c3d-abcdefabcdef';
const TENANT2 = '8d3f2c1a-5555-4c5e-9f00-0123456789ab';
const SECRET = 'Qx8~good.Secret-Value_0123456789';
const FAST_RETRY = { baseDelayMs: 5, maxDelayMs: 20 };

let pki: TestPki;
let idp: IdentityProviderDouble;
let kv: KeyVaultDouble;
let graph: FakeGraph;
let appCert: CertificateMaterial;
let tls: { tlsOptions: { ca: string } };

function resolver(logger = new MemoryLogger(), extra: { cacheTtlMs?: number; retryBudgetMs?: number } = {}): KeyVaultSecretResolver {
  return new KeyVaultSecretResolver({
    vaultUrl: kv.vaultUrl,
    credential: createAppCredential({ managedIdentityClientId: MI_CLIENT, clientOptions: tls }),
    logger,
    clientOptions: tls,
    retry: FAST_RETRY,
    ...extra,
  });
}

function provider(tenant: GraphTenantConfig, secrets: KeyVaultSecretResolver | undefined, logger = new MemoryLogger()): GraphTokenProvider {
  const credential = createGraphCredential(tenant, { authorityHost: idp.authorityHost, ...(secrets ? { secrets } : {}), logger, clientOptions: tls });
  // The scope (token audience) is the real Graph root; the fake Graph checks that audience.
  return new GraphTokenProvider(credential, 'https://graph.microsoft.com', {
    tenant, authorityHost: idp.authorityHost, logger, retry: FAST_RETRY, retryBudgetMs: 5_000,
  });
}

function counts(): Record<IdpEndpoint, number> { return { ...idp.counts }; }
function delta(before: Record<IdpEndpoint, number>): Record<IdpEndpoint, number> {
  return Object.fromEntries(Object.entries(idp.counts).map(([k, v]) => [k, v - before[k as IdpEndpoint]])) as Record<IdpEndpoint, number>;
}

async function rejects<T extends Error>(p: Promise<unknown>, cls: new (...args: never[]) => T): Promise<T> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof cls, `expected ${cls.name}, got ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
    return err;
  }
  assert.fail(`expected ${cls.name}`);
}

before(async () => {
  pki = createTestPki();
  tls = { tlsOptions: { ca: pki.caPem } };
  idp = await IdentityProviderDouble.start({
    tls: pki.server,
    managedIdentityTenantId: MI_TENANT,
    managedIdentities: [{ clientId: MI_CLIENT, principalId: '9a9a9a9a-0000-4000-8000-000000000001' }],
  });
  // The in-process managed identity reads these (the Functions platform sets them in Azure).
  process.env['IDENTITY_ENDPOINT'] = idp.identityEndpoint;
  process.env['IDENTITY_HEADER'] = idp.identityHeader;
  appCert = pki.createClientCertificate('defender-forwarder graph app');
  idp.registerApp({ tenantId: TENANT, clientId: CLIENT, secrets: [SECRET] });
  idp.registerApp({ tenantId: TENANT, clientId: CERT_CLIENT, certificates: [appCert.certPem] });
  idp.registerApp({ tenantId: TENANT, clientId: NO_CONSENT_CLIENT, secrets: [SECRET], consented: false, displayName: 'defender-forwarder' });
  idp.registerApp({ tenantId: TENANT2, clientId: CLIENT, secrets: ['tenant2-secret'] });
  kv = await KeyVaultDouble.start({
    tls: pki.server,
    authority: `${idp.authorityHost}/${MI_TENANT}`,
    acceptToken: (t) => idp.verifyAccessToken(t, 'https://vault.azure.net') !== undefined,
  });
  kv.setSecret('graph-client-secret', SECRET);
  kv.importCertificate('graph-cert', appCert.certPem, appCert.keyPem);
  graph = await startFakeGraph(pki.server, idp);
});

after(async () => {
  await graph?.stop();
  await kv?.stop();
  await idp?.stop();
  pki?.cleanup();
});

describe('Graph credential from Key Vault (real SDK clients, HTTPS doubles)', () => {
  it('reads the secret from Key Vault with the managed identity, gets a token, and Graph accepts it', async () => {
    const c0 = counts();
    const kvStart = kv.requests.length;
    const logger = new MemoryLogger();
    const tokens = provider({ tenantId: TENANT, clientId: CLIENT, secretName: 'graph-client-secret' }, resolver(logger), logger);
    const token = await tokens.getToken();
    assert.equal(tokens.scope, 'https://graph.microsoft.com/.default');
    const res = await graphGet(`${graph.baseUrl}/v1.0/security/incidents?$top=1`, token, pki.caPem);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#security/incidents', value: [] });
    // Key Vault: the unauthenticated probe got the challenge, the retry with the MI token the secret.
    assert.deepEqual(kv.requests.slice(kvStart).map((r) => [r.path, r.status, r.authenticated]), [
      ['/secrets/graph-client-secret/', 401, false],
      ['/secrets/graph-client-secret/', 200, true],
    ]);
    const tokenRecord = idp.requests.filter((r) => r.endpoint === 'token').at(-1)!;
    assert.deepEqual([tokenRecord.tenantId, tokenRecord.clientId, tokenRecord.authMethod, tokenRecord.resource, tokenRecord.status],
      [TENANT, CLIENT, 'client_secret', 'https://graph.microsoft.com', 200]);
    const claims = idp.verifyAccessToken(token, 'https://graph.microsoft.com')!;
    assert.equal(claims.tid, TENANT);
    assert.equal(claims.appid, CLIENT);
    // A second call is served from the SDK's token cache: no new token request, no Key Vault read.
    assert.equal(await tokens.getToken(), token);
    assert.deepEqual(delta(c0), { openid: 1, discovery: 0, token: 1, msi: 1 });
    assert.equal(kv.requests.length - kvStart, 2);
    assert.ok(!JSON.stringify(logger.entries).includes(SECRET), 'the secret value is never logged');
  });

  it('uses a Key Vault certificate: the identity provider verifies the signed assertion', async () => {
    const tokens = provider({ tenantId: TENANT, clientId: CERT_CLIENT, certificateName: 'graph-cert' }, resolver());
    const token = await tokens.getToken();
    const rec = idp.requests.filter((r) => r.endpoint === 'token').at(-1)!;
    assert.deepEqual([rec.clientId, rec.authMethod, rec.status], [CERT_CLIENT, 'client_assertion', 200]);
    assert.equal(idp.verifyAccessToken(token, 'https://graph.microsoft.com')!.authMethod, 'client_assertion');
    assert.equal((await graphGet(`${graph.baseUrl}/v1.0/security/alerts_v2?$top=1`, token, pki.caPem)).status, 200);
  });

  it('a certificate the app registration does not know -> GraphAuthError invalid-certificate', async () => {
    const other = pki.createClientCertificate('not registered');
    kv.importCertificate('unregistered-cert', other.certPem, other.keyPem);
    const err = await rejects(provider({ tenantId: TENANT, clientId: CERT_CLIENT, certificateName: 'unregistered-cert' }, resolver()).getToken(), GraphAuthError);
    assert.equal(err.reason, 'invalid-certificate');
    assert.equal(err.aadstsCode, 'AADSTS700027');
    assert.match(err.message, /upload the public certificate from Key Vault certificate "unregistered-cert"/);
  });

  it('a secret missing from Key Vault -> SecretNotFoundError naming vault, secret and the az command, not retried', async () => {
    const kvStart = kv.requests.length;
    const err = await rejects(provider({ tenantId: TENANT, clientId: CLIENT, secretName: 'missing-secret' }, resolver()).getToken(), SecretNotFoundError);
    assert.equal(err.secretName, 'missing-secret');
    assert.equal(err.vaultUrl, kv.vaultUrl);
    assert.equal(err.message, `Key Vault ${kv.vaultUrl} has no secret named "missing-secret". Fix: az keyvault secret set --vault-name ${kv.vaultUrl} --name missing-secret --value <the secret value> (or correct the secret name setting)`);
    assert.deepEqual(kv.requests.slice(kvStart).filter((r) => r.authenticated).map((r) => r.status), [404]);
  });

  it('a certificate missing from Key Vault -> SecretNotFoundError with the import command', async () => {
    const err = await rejects(resolver().getCertificatePem('no-such-cert'), SecretNotFoundError);
    assert.equal(err.kind, 'certificate');
    assert.match(err.message, /has no certificate named "no-such-cert"\. Fix: az keyvault certificate import --vault-name \S+ --name no-such-cert --file/);
  });

  it('no role on the vault (403 ForbiddenByRbac) -> KeyVaultAccessDeniedError naming the role, not retried', async () => {
    kv.setSecret('locked-secret', 'whatever');
    kv.denyAccess('locked-secret');
    const kvStart = kv.requests.length;
    const err = await rejects(resolver().getSecret('locked-secret'), KeyVaultAccessDeniedError);
    assert.equal(err.code, 'Forbidden');
    assert.match(err.message, /^Key Vault \S+ denied reading "locked-secret" \(Forbidden\): Caller is not authorized to perform action on resource\..*Fix: grant the Function App's managed identity the "Key Vault Secrets User" role/s);
    assert.deepEqual(kv.requests.slice(kvStart).filter((r) => r.authenticated).map((r) => r.status), [403]);
  });

  it('a PKCS#12 certificate secret -> CertificateFormatError asking for PEM', async () => {
    kv.setSecret('pfx-cert', 'MIIKYQIBAzCCCicGCSqGSIb3DQEHAaCCChgEggoUMIIKEDCCBEcGCSqGSIb3DQEHBqCC', 'application/x-pkcs12');
    const err = await rejects(resolver().getCertificatePem('pfx-cert'), CertificateFormatError);
    assert.match(err.message, /PKCS#12.*application\/x-pem-file/);
  });

  it('a wrong secret -> GraphAuthError naming the fix; Key Vault re-read once, the token request not repeated', async () => {
    kv.setSecret('wrong-secret', 'not-the-right-value');
    const c0 = counts();
    const kvStart = kv.requests.length;
    const logger = new MemoryLogger();
    const err = await rejects(provider({ tenantId: TENANT, clientId: CLIENT, secretName: 'wrong-secret' }, resolver(logger), logger).getToken(), GraphAuthError);
    assert.equal(err.reason, 'invalid-secret');
    assert.equal(err.aadstsCode, 'AADSTS7000215');
    assert.equal(err.message, `Invalid client secret for app ${CLIENT} in tenant ${TENANT}: Key Vault secret "wrong-secret" does not hold a valid secret value. Fix: create a new client secret on the app registration (Certificates & secrets) and store its Value, not its Secret ID, in Key Vault secret "wrong-secret". (AADSTS7000215)`);
    assert.ok(!err.message.includes('not-the-right-value'));
    assert.equal(delta(c0).token, 1, 'Key Vault still holds the same value: no second token request');
    assert.equal(kv.requests.slice(kvStart).filter((r) => r.authenticated && r.status === 200).length, 2);
    assert.ok(logger.entries.some((e) => e.level === 'warn' && /still holds the same value/.test(e.message)));
    assert.ok(!JSON.stringify(logger.entries).includes('not-the-right-value'));
  });

  it('a secret rotated in Key Vault after it was cached -> re-read once and the token succeeds', async () => {
    idp.registerApp({ tenantId: TENANT, clientId: '0f5b2d9e-6666-4a1b-8c3d-abcdefabcdef', secrets: ['rotated-new-value'] });
    kv.setSecret('rotating-secret', 'old-value');
    const logger = new MemoryLogger();
    const secrets = resolver(logger, { cacheTtlMs: 3_600_000 });
    assert.equal(await secrets.getSecret('rotating-secret'), 'old-value');
    kv.setSecret('rotating-secret', 'rotated-new-value');
    const c0 = counts();
    const token = await provider({ tenantId: TENANT, clientId: '0f5b2d9e-6666-4a1b-8c3d-abcdefabcdef', secretName: 'rotating-secret' }, secrets, logger).getToken();
    assert.ok(idp.verifyAccessToken(token, 'https://graph.microsoft.com'));
    assert.equal(delta(c0).token, 2);
    assert.deepEqual(idp.requests.filter((r) => r.endpoint === 'token').slice(-2).map((r) => r.errorCode ?? r.status), ['AADSTS7000215', 200]);
    assert.ok(logger.entries.some((e) => /rotation/.test(e.message)));
  });

  it('an expired secret, an unknown client id, missing consent and an unknown tenant each name their fix', async () => {
    idp.registerApp({ tenantId: TENANT, clientId: '0f5b2d9e-7777-4a1b-8c3d-abcdefabcdef', secrets: [], expiredSecrets: [SECRET] });
    const expired = await rejects(provider({ tenantId: TENANT, clientId: '0f5b2d9e-7777-4a1b-8c3d-abcdefabcdef', plainSecret: SECRET }, undefined).getToken(), GraphAuthError);
    assert.equal(expired.reason, 'expired-secret');
    assert.match(expired.message, /has expired\. Fix: create a new client secret.*GRAPH_CLIENT_SECRET/);

    const unknown = await rejects(provider({ tenantId: TENANT, clientId: '0f5b2d9e-9999-4a1b-8c3d-abcdefabcdef', plainSecret: SECRET }, undefined).getToken(), GraphAuthError);
    assert.equal(unknown.reason, 'unknown-client');
    assert.match(unknown.message, /^Unknown client id: app 0f5b2d9e-9999-4a1b-8c3d-abcdefabcdef was not found in tenant .*Fix: check GRAPH_CLIENT_ID/);

    const consent = await rejects(provider({ tenantId: TENANT, clientId: NO_CONSENT_CLIENT, secretName: 'graph-client-secret' }, resolver()).getToken(), GraphAuthError);
    assert.equal(consent.reason, 'consent-missing');
    assert.match(consent.message, /application permissions SecurityIncident\.Read\.All and SecurityAlert\.Read\.All and select "Grant admin consent"/);
    assert.equal(consent.aadstsCode, 'AADSTS65001');

    const c0 = counts();
    const noTenant = await rejects(provider({ tenantId: '00000000-dead-4bad-8bad-000000000000', clientId: CLIENT, plainSecret: SECRET }, undefined).getToken(), GraphAuthError);
    assert.equal(noTenant.reason, 'tenant-not-found');
    assert.match(noTenant.message, /^Tenant 00000000-dead-4bad-8bad-000000000000 not found.*Fix: check GRAPH_TENANT_ID/);
    assert.equal(delta(c0).openid, 3, 'authority resolution failures get two more tries, then stop');
    assert.equal(delta(c0).token, 0);
  });

  it('transient 503 and 500 (HTML) from the token endpoint -> retried and succeeds', async () => {
    idp.failNext('token', 503, 1);
    const c0 = counts();
    const logger = new MemoryLogger();
    const token = await provider({ tenantId: TENANT, clientId: CLIENT, plainSecret: SECRET }, undefined, logger).getToken();
    assert.ok(idp.verifyAccessToken(token, 'https://graph.microsoft.com'));
    assert.equal(delta(c0).token, 2, 'one failure, one success: no second retry layer inside the SDK');
    assert.ok(logger.entries.some((e) => e.level === 'warn' && /AADSTS90033/.test(String(e.properties?.['reason']))));

    idp.failNext('token', 500, 2, undefined, { html: true });
    const c1 = counts();
    assert.ok(idp.verifyAccessToken(await provider({ tenantId: TENANT, clientId: CLIENT, plainSecret: SECRET }, undefined).getToken(), 'https://graph.microsoft.com'));
    assert.equal(delta(c1).token, 3);
  });

  it('a token endpoint that stays down -> GraphAuthError unavailable once the budget is spent', async () => {
    idp.failNext('token', 503, 1000);
    const credential = createGraphCredential({ tenantId: TENANT, clientId: CLIENT, plainSecret: SECRET }, { authorityHost: idp.authorityHost, clientOptions: tls });
    const tokens = new GraphTokenProvider(credential, 'https://graph.microsoft.com', { retry: { baseDelayMs: 20, maxDelayMs: 20 }, retryBudgetMs: 200 });
    try {
      const err = await rejects(tokens.getToken(), GraphAuthError);
      assert.equal(err.reason, 'unavailable');
      assert.match(err.message, /still failing after \d+ attempt/);
    } finally {
      idp.failNext('token', 503, 0);
    }
  });

  it('transient 503 and 429 (Retry-After) from Key Vault -> retried and succeeds', async () => {
    kv.failNext(503, 1);
    const logger = new MemoryLogger();
    const kvStart = kv.requests.length;
    assert.equal(await resolver(logger).getSecret('graph-client-secret'), SECRET);
    assert.deepEqual(kv.requests.slice(kvStart).filter((r) => r.authenticated).map((r) => r.status), [503, 200]);
    assert.ok(logger.entries.some((e) => e.level === 'warn' && e.properties?.['reason'] === 'HTTP 503'));

    kv.failNext(429, 1, 1);
    const delays: number[] = [];
    const r2 = new KeyVaultSecretResolver({
      vaultUrl: kv.vaultUrl,
      credential: createAppCredential({ managedIdentityClientId: MI_CLIENT, clientOptions: tls }),
      logger: new MemoryLogger(),
      clientOptions: tls,
      retry: { ...FAST_RETRY, onRetry: (i) => delays.push(i.delayMs) },
    });
    assert.equal(await r2.getSecret('graph-client-secret'), SECRET);
    assert.deepEqual(delays, [1000], 'Retry-After: 1 is honoured');
  });

  it('Key Vault through a Graph credential: a 503 on the secret read is retried inside getToken', async () => {
    kv.failNext(503, 2);
    const token = await provider({ tenantId: TENANT2, clientId: CLIENT, secretName: 'tenant2-secret' }, (() => { kv.setSecret('tenant2-secret', 'tenant2-secret'); return resolver(); })()).getToken();
    assert.equal(idp.verifyAccessToken(token, 'https://graph.microsoft.com')!.tid, TENANT2);
  });

  it('a transient 503 from the managed identity endpoint does not fail the Key Vault read', async () => {
    // A second user-assigned identity: MSAL shares managed-identity tokens process-wide per identity.
    idp.addManagedIdentity({ clientId: MI_CLIENT_2 });
    idp.failNext('msi', 503, 1);
    const c0 = counts();
    const fresh = new KeyVaultSecretResolver({
      vaultUrl: kv.vaultUrl,
      credential: createAppCredential({ managedIdentityClientId: MI_CLIENT_2, clientOptions: { ...tls, retryOptions: { retryDelayInMs: 10, maxRetryDelayInMs: 20 } } }),
      logger: new MemoryLogger(),
      clientOptions: tls,
      retry: FAST_RETRY,
    });
    assert.equal(await fresh.getSecret('graph-client-secret'), SECRET);
    assert.equal(delta(c0).msi, 2);
  });

  it('token expiry mid-run: the expired token is rejected by Graph and a new one is fetched', async () => {
    // MSAL refreshes 300 s before expiry: a 302 s token is reused for ~2 s, then replaced.
    idp.tokenLifetimeSeconds = 302;
    try {
      const tokens = provider({ tenantId: TENANT, clientId: CLIENT, plainSecret: SECRET }, undefined);
      const c0 = counts();
      const first = await tokens.getToken();
      assert.equal((await graphGet(`${graph.baseUrl}/v1.0/security/incidents`, first, pki.caPem)).status, 200);
      assert.equal(await tokens.getToken(), first, 'still fresh: served from cache');
      assert.equal(delta(c0).token, 1);
      await new Promise((r) => setTimeout(r, 4_000));
      idp.clockOffsetMs = 310_000; // the identity provider's (and Graph's) clock passes the first token's exp
      const expired = await graphGet(`${graph.baseUrl}/v1.0/security/incidents`, first, pki.caPem);
      assert.deepEqual(expired, { status: 401, body: { error: { code: 'InvalidAuthenticationToken', message: 'Access token has expired or is not yet valid.' } } });
      const second = await tokens.getToken();
      assert.notEqual(second, first);
      assert.equal(delta(c0).token, 2);
      assert.equal((await graphGet(`${graph.baseUrl}/v1.0/security/incidents`, second, pki.caPem)).status, 200);
    } finally {
      idp.tokenLifetimeSeconds = 3599;
      idp.clockOffsetMs = 0;
    }
  });

  it('invalidate() makes the next getToken fetch a new token (after a 401 from Graph)', async () => {
    const tokens = provider({ tenantId: TENANT, clientId: CLIENT, plainSecret: SECRET }, undefined);
    const first = await tokens.getToken();
    assert.equal(await tokens.getToken(), first);
    const c0 = counts();
    tokens.invalidate();
    const second = await tokens.getToken();
    assert.notEqual(second, first);
    assert.equal(delta(c0).token, 1);
  });

  it('Graph rejects a token without the app role with 403', async () => {
    idp.registerApp({ tenantId: TENANT, clientId: '0f5b2d9e-8888-4a1b-8c3d-abcdefabcdef', secrets: [SECRET], roles: ['SecurityAlert.Read.All'] });
    const token = await provider({ tenantId: TENANT, clientId: '0f5b2d9e-8888-4a1b-8c3d-abcdefabcdef', plainSecret: SECRET }, undefined).getToken();
    assert.equal((await graphGet(`${graph.baseUrl}/v1.0/security/alerts_v2`, token, pki.caPem)).status, 200);
    assert.deepEqual(await graphGet(`${graph.baseUrl}/v1.0/security/incidents`, token, pki.caPem),
      { status: 403, body: { error: { code: 'Forbidden', message: 'Missing application permission SecurityIncident.Read.All.' } } });
  });

  it('many tenants share one resolver: a tenant whose secret is missing fails alone', async () => {
    kv.setSecret('tenant2-secret', 'tenant2-secret');
    const secrets = resolver();
    const results = await Promise.allSettled([
      provider({ tenantId: TENANT, clientId: CLIENT, secretName: 'graph-client-secret' }, secrets).getToken(),
      provider({ tenantId: TENANT2, clientId: CLIENT, secretName: 'no-such-tenant-secret' }, secrets).getToken(),
      provider({ tenantId: TENANT2, clientId: CLIENT, secretName: 'tenant2-secret' }, secrets).getToken(),
    ]);
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
    assert.ok((results[1] as PromiseRejectedResult).reason instanceof SecretNotFoundError);
  });

  it('a Key Vault secret name without a secret source is a configuration error naming KEY_VAULT_URL', () => {
    assert.throws(() => createGraphCredential({ tenantId: TENANT, clientId: CLIENT, secretName: 'graph-client-secret' }, { authorityHost: idp.authorityHost }),
      (e: unknown) => e instanceof ConfigError && e.setting === 'KEY_VAULT_URL');
  });

  it('the Key Vault double serves the certificate itself like Key Vault (cer = DER, x5t = SHA-1)', async () => {
    const mi = createAppCredential({ managedIdentityClientId: MI_CLIENT, clientOptions: tls });
    const token = (await mi.getToken('https://vault.azure.net/.default'))!.token;
    const res = await new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
      https.get(`${kv.vaultUrl}/certificates/graph-cert?api-version=7.5`, { ca: pki.caPem, headers: { Authorization: `Bearer ${token}` } }, (r) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => resolve({ status: r.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown> }));
      }).on('error', reject);
    });
    assert.equal(res.status, 200);
    const der = Buffer.from(appCert.certPem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    assert.equal(res.body['cer'], der.toString('base64'));
    assert.equal(res.body['x5t'], Buffer.from(appCert.thumbprintSha1, 'hex').toString('base64url'));
    assert.match(String(res.body['sid']), /\/secrets\/graph-cert\/[0-9a-f]{32}$/);
    const pem = await resolver().getCertificatePem('graph-cert');
    assert.ok(pem.includes(appCert.certPem.trim()) && pem.includes(appCert.keyPem.trim()));
  });
});
