/**
 * The production wiring end to end in a child process: settings -> DefaultAzureCredential (or
 * ManagedIdentityCredential with AZURE_CLIENT_ID) through IDENTITY_ENDPOINT/IDENTITY_HEADER ->
 * SecretClient reads the Graph secret -> ClientSecretCredential -> token accepted by a fake Graph.
 * A child process because NODE_EXTRA_CA_CERTS is read only at process start and the CA is made by the
 * test; and because the managed-identity environment variables must not leak into other tests.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseAppCredentialSettings } from '../../shared/auth/app-credential';
import { ConfigError } from '../../shared/config/env';
import { parseKeyVaultSettings } from '../../shared/secrets/keyvault';
import { IdentityProviderDouble } from '../support/identity-provider';
import { KeyVaultDouble } from '../support/keyvault-double';
import { createTestPki, type TestPki } from '../support/tls-ca';
import { startFakeGraph, type FakeGraph } from './fake-graph';

const MI_TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const SYSTEM_MI = '5c1e6a4b-0000-4d2e-9a7b-3c4d5e6f7a8b';
const USER_MI = '5c1e6a4b-2222-4d2e-9a7b-3c4d5e6f7a8b';
const TENANT = '8d3f2c1a-1111-4c5e-9f00-0123456789ab';
const CLIENT = '0f5b2d9e-2222-4a1b-8c3d-abcdefabcdef';
const SECRET = 'Qx8~child.Secret-Value_0123456789';
const CHILD = path.join(__dirname, 'fixtures', 'app-identity-child.js');

let pki: TestPki;
let idp: IdentityProviderDouble;
let kv: KeyVaultDouble;
let graph: FakeGraph;

interface ChildResult {
  ok: boolean;
  name?: string;
  message?: string;
  disableInstanceDiscovery?: boolean;
  graph?: { status: number; body: unknown };
  logs: Array<{ level: string; message: string }>;
}

function runChild(extraEnv: Record<string, string>, withCa = true): Promise<ChildResult> {
  // A clean environment: nothing of this process's AZURE_* / IDENTITY_* settings leaks in.
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: pki.dir,
    DF_AUTH_CHILD: '1',
    IDENTITY_ENDPOINT: idp.identityEndpoint,
    IDENTITY_HEADER: idp.identityHeader,
    KEY_VAULT_URL: kv.vaultUrl,
    GRAPH_TENANT_ID: TENANT,
    GRAPH_CLIENT_ID: CLIENT,
    GRAPH_AUTHORITY_HOST: idp.authorityHost,
    GRAPH_BASE_URL: graph.baseUrl,
    ...(withCa ? { NODE_EXTRA_CA_CERTS: pki.caPath } : {}),
    ...extraEnv,
  };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stdout.on('data', (c: Buffer) => { out += c.toString('utf8'); });
    child.stderr.on('data', (c: Buffer) => { err += c.toString('utf8'); });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const line = out.trim().split('\n').at(-1);
      if (code !== 0 || !line) return reject(new Error(`child exited ${code}: ${err}`));
      resolve(JSON.parse(line) as ChildResult);
    });
  });
}

before(async () => {
  pki = createTestPki();
  idp = await IdentityProviderDouble.start({
    tls: pki.server,
    managedIdentityTenantId: MI_TENANT,
    managedIdentities: [{ clientId: SYSTEM_MI, systemAssigned: true }, { clientId: USER_MI }],
  });
  idp.registerApp({ tenantId: TENANT, clientId: CLIENT, secrets: [SECRET] });
  kv = await KeyVaultDouble.start({
    tls: pki.server,
    authority: `${idp.authorityHost}/${MI_TENANT}`,
    acceptToken: (t) => idp.verifyAccessToken(t, 'https://vault.azure.net') !== undefined,
  });
  kv.setSecret('graph-client-secret', SECRET);
  // GRAPH_BASE_URL points at the Graph double, so the token audience is the double's own origin.
  graph = await startFakeGraph(pki.server, idp, 'self');
});

after(async () => {
  await graph?.stop();
  await kv?.stop();
  await idp?.stop();
  pki?.cleanup();
});

describe('app identity in a Function App (child process, NODE_EXTRA_CA_CERTS)', () => {
  it('DefaultAzureCredential uses the system-assigned managed identity to read the Graph secret; Graph accepts the token', async () => {
    const msiBefore = idp.requests.filter((r) => r.endpoint === 'msi').length;
    const kvBefore = kv.requests.length;
    const result = await runChild({});
    assert.equal(result.ok, true, result.message);
    assert.equal(result.disableInstanceDiscovery, true);
    assert.deepEqual(result.graph, { status: 200, body: { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#security/incidents', value: [] } });
    const msi = idp.requests.filter((r) => r.endpoint === 'msi').slice(msiBefore);
    assert.deepEqual(msi.map((r) => [r.clientId, r.resource, r.status]), [[undefined, 'https://vault.azure.net', 200]]);
    assert.deepEqual(kv.requests.slice(kvBefore).map((r) => [r.path, r.status]), [['/secrets/graph-client-secret/', 401], ['/secrets/graph-client-secret/', 200]]);
    const tokenReq = idp.requests.filter((r) => r.endpoint === 'token').at(-1)!;
    assert.equal(tokenReq.resource, graph.baseUrl);
    assert.ok(!JSON.stringify(result.logs).includes(SECRET));
  });

  it('AZURE_CLIENT_ID selects the user-assigned managed identity', async () => {
    const msiBefore = idp.requests.filter((r) => r.endpoint === 'msi').length;
    const result = await runChild({ AZURE_CLIENT_ID: USER_MI });
    assert.equal(result.ok, true, result.message);
    const msi = idp.requests.filter((r) => r.endpoint === 'msi').slice(msiBefore);
    assert.deepEqual(msi.map((r) => [r.clientId, r.status]), [[USER_MI, 200]]);
  });

  it('a missing secret is reported as SecretNotFoundError with the fix', async () => {
    const result = await runChild({ GRAPH_CLIENT_SECRET_NAME: 'graph-secret-typo' });
    assert.equal(result.ok, false);
    assert.equal(result.name, 'SecretNotFoundError');
    assert.equal(result.message, `Key Vault ${kv.vaultUrl} has no secret named "graph-secret-typo". Fix: az keyvault secret set --vault-name ${kv.vaultUrl} --name graph-secret-typo --value <the secret value> (or correct the secret name setting)`);
  });

  it('without the CA the TLS connection is refused (verification is on)', async () => {
    const result = await runChild({}, false);
    assert.equal(result.ok, false);
    assert.equal(result.name, 'KeyVaultError');
    assert.match(result.message ?? '', /failed: unable to verify the first certificate.*not trusted/);
  });
});

describe('app identity settings', () => {
  it('AZURE_CLIENT_ID must be a GUID and is never echoed', () => {
    assert.deepEqual(parseAppCredentialSettings({}), {});
    assert.deepEqual(parseAppCredentialSettings({ AZURE_CLIENT_ID: USER_MI }), { managedIdentityClientId: USER_MI });
    assert.throws(() => parseAppCredentialSettings({ AZURE_CLIENT_ID: 'secretish-value' }),
      (e: unknown) => e instanceof ConfigError && e.setting === 'AZURE_CLIENT_ID' && !e.message.includes('secretish-value'));
  });

  it('KEY_VAULT_URL must be an https vault origin', () => {
    assert.deepEqual(parseKeyVaultSettings({}), {});
    assert.deepEqual(parseKeyVaultSettings({ KEY_VAULT_URL: 'https://contoso-kv.vault.azure.net/' }), { vaultUrl: 'https://contoso-kv.vault.azure.net' });
    for (const bad of ['http://contoso-kv.vault.azure.net', 'contoso-kv', 'https://contoso-kv.vault.azure.net/secrets/x']) {
      assert.throws(() => parseKeyVaultSettings({ KEY_VAULT_URL: bad }), (e: unknown) => e instanceof ConfigError && e.setting === 'KEY_VAULT_URL');
    }
  });
});
