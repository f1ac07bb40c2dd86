/**
 * The identity double's own contract, with hand-made requests: client assertions are really verified
 * (signature against the registered certificate, aud, iss/sub, exp, algorithm), error bodies have
 * Entra's shape, the managed-identity endpoint checks its header, faults and delays apply. The SDK
 * tests rely on these checks being real, so they are pinned here.
 */
import assert from 'node:assert/strict';
import { createHash, createPrivateKey, randomUUID, sign, X509Certificate } from 'node:crypto';
import https from 'node:https';
import { after, before, describe, it } from 'node:test';
import { IdentityProviderDouble } from '../support/identity-provider';
import { createTestPki, type CertificateMaterial, type TestPki } from '../support/tls-ca';

const TENANT = '8d3f2c1a-1111-4c5e-9f00-0123456789ab';
const CLIENT = '0f5b2d9e-2222-4a1b-8c3d-abcdefabcdef';
const MI = '5c1e6a4b-0000-4d2e-9a7b-3c4d5e6f7a8b';

let pki: TestPki;
let idp: IdentityProviderDouble;
let cert: CertificateMaterial;
let intruder: CertificateMaterial;

function request(method: 'GET' | 'POST', url: string, body?: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method, ca: pki.caPem, headers: { ...(body ? { 'Content-Type': 'application/x-www-form-urlencoded' } : {}), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown> }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function tokenEndpoint(tenant = TENANT): string { return `${idp.authorityHost}/${tenant}/oauth2/v2.0/token`; }

function assertion(opts: { key?: string; certPem?: string; aud?: string; iss?: string; exp?: number; alg?: string } = {}): string {
  const der = new X509Certificate(opts.certPem ?? cert.certPem).raw;
  const now = Math.floor(Date.now() / 1000);
  const header = { alg: opts.alg ?? 'RS256', typ: 'JWT', x5t: createHash('sha1').update(der).digest('base64url') };
  const payload = { aud: opts.aud ?? tokenEndpoint(), iss: opts.iss ?? CLIENT, sub: opts.iss ?? CLIENT, jti: randomUUID(), nbf: now, exp: opts.exp ?? now + 600 };
  const data = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  const sig = sign('sha256', Buffer.from(data), createPrivateKey(opts.key ?? cert.keyPem));
  return `${data}.${sig.toString('base64url')}`;
}

function form(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}

function assertionForm(jwt: string): string {
  return form({ grant_type: 'client_credentials', client_id: CLIENT, scope: 'https://graph.microsoft.com/.default', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: jwt });
}

before(async () => {
  pki = createTestPki();
  cert = pki.createClientCertificate('app');
  intruder = pki.createClientCertificate('intruder');
  idp = await IdentityProviderDouble.start({ tls: pki.server, managedIdentities: [{ clientId: MI, systemAssigned: true }], tokenLifetimeSeconds: 1234 });
  idp.registerApp({ tenantId: TENANT, clientId: CLIENT, secrets: ['right'], certificates: [cert.certPem] });
});

after(async () => {
  await idp?.stop();
  pki?.cleanup();
});

describe('identity provider double', () => {
  it('serves the tenant OpenID configuration and 400 AADSTS90002 for an unknown tenant', async () => {
    const ok = await request('GET', `${idp.authorityHost}/${TENANT}/v2.0/.well-known/openid-configuration`);
    assert.equal(ok.status, 200);
    assert.equal(ok.json['token_endpoint'], tokenEndpoint());
    assert.equal(ok.json['issuer'], `${idp.authorityHost}/${TENANT}/v2.0`);
    const bad = await request('GET', `${idp.authorityHost}/00000000-0000-4000-8000-000000000000/v2.0/.well-known/openid-configuration`);
    assert.equal(bad.status, 400);
    assert.equal(bad.json['error'], 'invalid_request');
    assert.deepEqual(bad.json['error_codes'], [90002]);
  });

  it('issues a token for the right secret with the lifetime set, and errors shaped like Entra for a wrong one', async () => {
    const good = await request('POST', tokenEndpoint(), form({ grant_type: 'client_credentials', client_id: CLIENT, client_secret: 'right', scope: 'https://graph.microsoft.com/.default' }));
    assert.equal(good.status, 200);
    assert.deepEqual(Object.keys(good.json).sort(), ['access_token', 'expires_in', 'ext_expires_in', 'token_type']);
    assert.equal(good.json['token_type'], 'Bearer');
    assert.equal(good.json['expires_in'], 1234);
    const claims = idp.verifyAccessToken(String(good.json['access_token']), 'https://graph.microsoft.com')!;
    assert.deepEqual([claims.tid, claims.appid, claims.roles, claims.exp - claims.iat], [TENANT, CLIENT, ['SecurityIncident.Read.All', 'SecurityAlert.Read.All'], 1234]);
    assert.equal(idp.verifyAccessToken(String(good.json['access_token']), 'https://vault.azure.net'), undefined, 'audience is checked');

    const bad = await request('POST', tokenEndpoint(), form({ grant_type: 'client_credentials', client_id: CLIENT, client_secret: 'wrong', scope: 'https://graph.microsoft.com/.default' }));
    assert.equal(bad.status, 401);
    assert.equal(bad.json['error'], 'invalid_client');
    assert.match(String(bad.json['error_description']), /^AADSTS7000215: Invalid client secret provided\. .* Trace ID: [0-9a-f-]{36} Correlation ID: [0-9a-f-]{36} Timestamp: \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
    assert.deepEqual(bad.json['error_codes'], [7000215]);
    assert.equal(bad.json['error_uri'], `${idp.authorityHost}/error?code=7000215`);
    assert.match(String(bad.json['trace_id']), /^[0-9a-f-]{36}$/);

    const scope = await request('POST', tokenEndpoint(), form({ grant_type: 'client_credentials', client_id: CLIENT, client_secret: 'right', scope: 'https://graph.microsoft.com/SecurityIncident.Read.All' }));
    assert.deepEqual([scope.status, scope.json['error'], scope.json['error_codes']], [400, 'invalid_scope', [1002012]]);
  });

  it('verifies client assertions: signature, thumbprint, aud, iss/sub, exp, algorithm', async () => {
    const ok = await request('POST', tokenEndpoint(), assertionForm(assertion()));
    assert.equal(ok.status, 200);
    assert.equal(idp.verifyAccessToken(String(ok.json['access_token']), 'https://graph.microsoft.com')!.authMethod, 'client_assertion');

    const cases: Array<[string, string, number]> = [
      ['signed by another key under the registered thumbprint', assertion({ key: intruder.keyPem }), 700027],
      ['unregistered certificate', assertion({ key: intruder.keyPem, certPem: intruder.certPem }), 700027],
      ['wrong audience', assertion({ aud: 'https://login.microsoftonline.com/x/oauth2/v2.0/token' }), 700212],
      ['issuer is not the client id', assertion({ iss: '11111111-1111-4111-8111-111111111111' }), 700023],
      ['expired', assertion({ exp: Math.floor(Date.now() / 1000) - 5 }), 700024],
      ['alg none', assertion({ alg: 'none' }), 5002738],
      ['garbage', 'a.b', 50027],
    ];
    for (const [label, jwt, code] of cases) {
      const res = await request('POST', tokenEndpoint(), assertionForm(jwt));
      assert.equal(res.status, 401, label);
      assert.deepEqual(res.json['error_codes'], [code], label);
    }
  });

  it('managed identity endpoint: requires X-IDENTITY-HEADER, returns expires_on, refuses unknown identities', async () => {
    const url = `${idp.identityEndpoint}?api-version=2019-08-01&resource=${encodeURIComponent('https://vault.azure.net')}`;
    assert.equal((await request('GET', url)).status, 401);
    const ok = await request('GET', url, undefined, { 'X-IDENTITY-HEADER': idp.identityHeader });
    assert.equal(ok.status, 200);
    assert.equal(ok.json['client_id'], MI);
    assert.equal(ok.json['resource'], 'https://vault.azure.net');
    assert.match(String(ok.json['expires_on']), /^\d{10}$/);
    assert.equal(idp.verifyAccessToken(String(ok.json['access_token']), 'https://vault.azure.net')!.authMethod, 'managed_identity');
    const unknown = await request('GET', `${url}&client_id=22222222-2222-4222-8222-222222222222`, undefined, { 'X-IDENTITY-HEADER': idp.identityHeader });
    assert.equal(unknown.status, 400);
    assert.match(String(unknown.json['message']), /No User Assigned or Delegated Managed Identity found/);
  });

  it('fault injection fails exactly n requests (with Retry-After), delays apply, and requests are counted', async () => {
    const before = idp.counts.token;
    idp.failNext('token', 503, 2, 7);
    const body = form({ grant_type: 'client_credentials', client_id: CLIENT, client_secret: 'right', scope: 'https://graph.microsoft.com/.default' });
    const r1 = await request('POST', tokenEndpoint(), body);
    const r2 = await request('POST', tokenEndpoint(), body);
    const r3 = await request('POST', tokenEndpoint(), body);
    assert.deepEqual([r1.status, r2.status, r3.status], [503, 503, 200]);
    assert.equal(r1.headers['retry-after'], '7');
    assert.deepEqual(r1.json['error_codes'], [90033]);
    assert.equal(idp.counts.token - before, 3);
    idp.setDelay('token', 150);
    try {
      const started = Date.now();
      assert.equal((await request('POST', tokenEndpoint(), body)).status, 200);
      assert.ok(Date.now() - started >= 140, 'the slow endpoint answered after its delay');
    } finally {
      idp.setDelay('token', 0);
    }
  });
});
