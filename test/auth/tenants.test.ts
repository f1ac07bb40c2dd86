import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../shared/config/env';
import { MemoryLogger } from '../../shared/observability/log';
import { parseGraphTenants, tenantLabel } from '../../shared/auth/tenants';
import { graphScope, isPublicAuthorityHost, isPublicKeyVaultHost, KNOWN_CLOUDS, parseGraphCloud } from '../../shared/auth/clouds';

const T1 = '8d3f2c1a-1111-4c5e-9f00-0123456789ab';
const C1 = '0f5b2d9e-2222-4a1b-8c3d-abcdefabcdef';
const T2 = '8d3f2c1a-3333-4c5e-9f00-0123456789ab';
const C2 = '0f5b2d9e-4444-4a1b-8c3d-abcdefabcdef';
const SECRET = 'Zq8~Qx.SuperSecretValue_123456789abcDEF';

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a ConfigError');
}

describe('parseGraphTenants: single tenant', () => {
  it('returns [] when nothing is configured', () => {
    assert.deepEqual(parseGraphTenants({}), []);
  });

  it('uses the default Key Vault secret name graph-client-secret', () => {
    assert.deepEqual(parseGraphTenants({ GRAPH_TENANT_ID: T1, GRAPH_CLIENT_ID: C1 }), [{ tenantId: T1, clientId: C1, secretName: 'graph-client-secret' }]);
  });

  it('normalizes GUID case and trims', () => {
    assert.deepEqual(parseGraphTenants({ GRAPH_TENANT_ID: ` ${T1.toUpperCase()} `, GRAPH_CLIENT_ID: C1.toUpperCase(), GRAPH_CLIENT_SECRET_NAME: 'my-secret' }),
      [{ tenantId: T1, clientId: C1, secretName: 'my-secret' }]);
  });

  it('accepts a verified domain as tenant', () => {
    assert.equal(parseGraphTenants({ GRAPH_TENANT_ID: 'contoso.onmicrosoft.com', GRAPH_CLIENT_ID: C1 })[0]!.tenantId, 'contoso.onmicrosoft.com');
  });

  it('uses a Key Vault certificate instead of the secret', () => {
    assert.deepEqual(parseGraphTenants({ GRAPH_TENANT_ID: T1, GRAPH_CLIENT_ID: C1, GRAPH_CLIENT_CERTIFICATE_NAME: 'graph-cert' }),
      [{ tenantId: T1, clientId: C1, certificateName: 'graph-cert' }]);
  });

  it('takes a plain GRAPH_CLIENT_SECRET and warns that it is for local use, without logging it', () => {
    const logger = new MemoryLogger();
    const tenants = parseGraphTenants({ GRAPH_TENANT_ID: T1, GRAPH_CLIENT_ID: C1, GRAPH_CLIENT_SECRET: SECRET }, { logger });
    assert.deepEqual(tenants, [{ tenantId: T1, clientId: C1, plainSecret: SECRET }]);
    assert.equal(logger.entries.length, 1);
    assert.equal(logger.entries[0]!.level, 'warn');
    assert.match(logger.entries[0]!.message, /local development only/);
    assert.ok(!JSON.stringify(logger.entries).includes(SECRET));
    assert.equal(tenantLabel(tenants[0]!), `${T1}/${C1}`);
  });

  it('requires both ids', () => {
    assert.equal(configError(() => parseGraphTenants({ GRAPH_TENANT_ID: T1 })).setting, 'GRAPH_CLIENT_ID');
    assert.equal(configError(() => parseGraphTenants({ GRAPH_CLIENT_ID: C1 })).setting, 'GRAPH_TENANT_ID');
    assert.equal(configError(() => parseGraphTenants({ GRAPH_CLIENT_SECRET: SECRET })).setting, 'GRAPH_TENANT_ID');
  });

  it('rejects non-GUID ids without echoing the value (a secret pasted into the wrong field)', () => {
    const e1 = configError(() => parseGraphTenants({ GRAPH_TENANT_ID: T1, GRAPH_CLIENT_ID: SECRET }));
    assert.equal(e1.setting, 'GRAPH_CLIENT_ID');
    assert.ok(!e1.message.includes(SECRET), e1.message);
    assert.match(e1.message, /GUID/);
    const e2 = configError(() => parseGraphTenants({ GRAPH_TENANT_ID: SECRET, GRAPH_CLIENT_ID: C1 }));
    assert.equal(e2.setting, 'GRAPH_TENANT_ID');
    assert.ok(!e2.message.includes(SECRET));
    assert.equal(configError(() => parseGraphTenants({ GRAPH_TENANT_ID: 'common', GRAPH_CLIENT_ID: C1 })).setting, 'GRAPH_TENANT_ID');
  });

  it('refuses ambiguous credential settings and bad vault names', () => {
    const e = configError(() => parseGraphTenants({ GRAPH_TENANT_ID: T1, GRAPH_CLIENT_ID: C1, GRAPH_CLIENT_SECRET: SECRET, GRAPH_CLIENT_CERTIFICATE_NAME: 'c' }));
    assert.equal(e.setting, 'GRAPH_CLIENT_SECRET');
    assert.ok(!e.message.includes(SECRET));
    assert.equal(configError(() => parseGraphTenants({ GRAPH_TENANT_ID: T1, GRAPH_CLIENT_ID: C1, GRAPH_CLIENT_SECRET_NAME: 's', GRAPH_CLIENT_CERTIFICATE_NAME: 'c' })).setting, 'GRAPH_CLIENT_CERTIFICATE_NAME');
    assert.equal(configError(() => parseGraphTenants({ GRAPH_TENANT_ID: T1, GRAPH_CLIENT_ID: C1, GRAPH_CLIENT_SECRET_NAME: 'bad_name!' })).setting, 'GRAPH_CLIENT_SECRET_NAME');
  });
});

describe('parseGraphTenants: GRAPH_TENANTS', () => {
  it('parses many tenants, with secretName, certificateName, or the default secret name', () => {
    const env = {
      GRAPH_TENANTS: JSON.stringify([
        { tenantId: T1, clientId: C1, secretName: 'tenant1-secret' },
        { tenantId: T2, clientId: C2, certificateName: 'tenant2-cert' },
        { tenantId: T2, clientId: C1 },
      ]),
      GRAPH_CLIENT_SECRET_NAME: 'shared-secret',
    };
    assert.deepEqual(parseGraphTenants(env), [
      { tenantId: T1, clientId: C1, secretName: 'tenant1-secret' },
      { tenantId: T2, clientId: C2, certificateName: 'tenant2-cert' },
      { tenantId: T2, clientId: C1, secretName: 'shared-secret' },
    ]);
  });

  it('names the array index and field of a bad entry', () => {
    const env = (v: unknown): Record<string, string> => ({ GRAPH_TENANTS: JSON.stringify(v) });
    assert.equal(configError(() => parseGraphTenants(env([{ tenantId: T1, clientId: C1 }, { tenantId: T2, clientId: 'nope' }]))).setting, 'GRAPH_TENANTS[1].clientId');
    assert.equal(configError(() => parseGraphTenants(env([{ clientId: C1 }]))).setting, 'GRAPH_TENANTS[0].tenantId');
    assert.equal(configError(() => parseGraphTenants(env([{ tenantId: T1, clientId: 7 }]))).setting, 'GRAPH_TENANTS[0].clientId');
    assert.equal(configError(() => parseGraphTenants(env([{ tenantId: T1, clientId: C1, secretName: 'a', certificateName: 'b' }]))).setting, 'GRAPH_TENANTS[0].certificateName');
    assert.equal(configError(() => parseGraphTenants(env([{ tenantId: T1, clientId: C1, secretNme: 'a' }]))).setting, 'GRAPH_TENANTS[0].secretNme');
    assert.equal(configError(() => parseGraphTenants(env([{ tenantId: T1, clientId: C1 }, { tenantId: T1.toUpperCase(), clientId: C1 }]))).setting, 'GRAPH_TENANTS[1].tenantId');
    assert.equal(configError(() => parseGraphTenants(env(['x']))).setting, 'GRAPH_TENANTS[0]');
    assert.equal(configError(() => parseGraphTenants(env({ tenantId: T1 }))).setting, 'GRAPH_TENANTS');
    assert.equal(configError(() => parseGraphTenants(env([]))).setting, 'GRAPH_TENANTS');
  });

  it('refuses a secret value in GRAPH_TENANTS and never repeats it', () => {
    const e = configError(() => parseGraphTenants({ GRAPH_TENANTS: JSON.stringify([{ tenantId: T1, clientId: C1, clientSecret: SECRET }]) }));
    assert.equal(e.setting, 'GRAPH_TENANTS[0].clientSecret');
    assert.match(e.message, /Key Vault/);
    assert.ok(!e.message.includes(SECRET));
  });

  it('reports invalid JSON by position only, never quoting the text', () => {
    const text = `[{"tenantId":"${T1}","clientId":"${C1}","secret":${SECRET}}]`;
    const e = configError(() => parseGraphTenants({ GRAPH_TENANTS: text }));
    assert.equal(e.setting, 'GRAPH_TENANTS');
    assert.match(e.message, /not valid JSON/);
    assert.ok(!e.message.includes(SECRET.slice(0, 8)), e.message);
  });

  it('refuses GRAPH_TENANTS together with single-tenant settings', () => {
    const e = configError(() => parseGraphTenants({ GRAPH_TENANTS: JSON.stringify([{ tenantId: T1, clientId: C1 }]), GRAPH_TENANT_ID: T1 }));
    assert.equal(e.setting, 'GRAPH_TENANTS');
    assert.match(e.message, /GRAPH_TENANT_ID/);
  });
});

describe('clouds', () => {
  it('defaults to the global cloud with instance discovery on', () => {
    assert.deepEqual(parseGraphCloud({}), {
      graphBaseUrl: 'https://graph.microsoft.com',
      authorityHost: 'https://login.microsoftonline.com',
      cloud: 'global',
      disableInstanceDiscovery: false,
      scope: 'https://graph.microsoft.com/.default',
    });
  });

  it('derives the sovereign login host from GRAPH_BASE_URL when GRAPH_AUTHORITY_HOST is unset', () => {
    assert.equal(parseGraphCloud({ GRAPH_BASE_URL: 'https://graph.microsoft.us/' }).authorityHost, 'https://login.microsoftonline.us');
    const dod = parseGraphCloud({ GRAPH_BASE_URL: 'https://dod-graph.microsoft.us' });
    assert.equal(dod.cloud, 'dod');
    assert.equal(dod.authorityHost, 'https://login.microsoftonline.us');
    assert.equal(dod.scope, 'https://dod-graph.microsoft.us/.default');
    const cn = parseGraphCloud({ GRAPH_BASE_URL: 'https://microsoftgraph.chinacloudapi.cn', GRAPH_AUTHORITY_HOST: 'https://login.chinacloudapi.cn' });
    assert.equal(cn.cloud, 'china');
    assert.equal(cn.disableInstanceDiscovery, false);
  });

  it('refuses a login host of another cloud than the Graph endpoint', () => {
    const e = configError(() => parseGraphCloud({ GRAPH_BASE_URL: 'https://graph.microsoft.us', GRAPH_AUTHORITY_HOST: 'https://login.microsoftonline.com' }));
    assert.equal(e.setting, 'GRAPH_AUTHORITY_HOST');
    assert.match(e.message, /login\.microsoftonline\.us/);
  });

  it('disables instance discovery for custom authority hosts and accepts custom Graph hosts', () => {
    const c = parseGraphCloud({ GRAPH_BASE_URL: 'https://127.0.0.1:8443', GRAPH_AUTHORITY_HOST: 'https://127.0.0.1:9443' });
    assert.equal(c.cloud, undefined);
    assert.equal(c.disableInstanceDiscovery, true);
    assert.equal(c.graphBaseUrl, 'https://127.0.0.1:8443');
  });

  it('validates the URLs', () => {
    assert.equal(configError(() => parseGraphCloud({ GRAPH_BASE_URL: 'http://graph.microsoft.com' })).setting, 'GRAPH_BASE_URL');
    assert.equal(configError(() => parseGraphCloud({ GRAPH_BASE_URL: 'https://graph.microsoft.com/v1.0' })).setting, 'GRAPH_BASE_URL');
    assert.equal(configError(() => parseGraphCloud({ GRAPH_AUTHORITY_HOST: 'login.microsoftonline.com' })).setting, 'GRAPH_AUTHORITY_HOST');
  });

  it('knows the public hosts', () => {
    assert.equal(isPublicAuthorityHost('https://login.microsoftonline.us'), true);
    assert.equal(isPublicAuthorityHost('https://login.chinacloudapi.cn/'), true);
    assert.equal(isPublicAuthorityHost('https://login.contoso-proxy.com'), false);
    assert.equal(isPublicKeyVaultHost('https://contoso-kv.vault.azure.net'), true);
    assert.equal(isPublicKeyVaultHost('https://contoso-kv.vault.usgovcloudapi.net/'), true);
    assert.equal(isPublicKeyVaultHost('https://contoso-kv.vault.azure.cn'), true);
    assert.equal(isPublicKeyVaultHost('https://contoso-kv.privatelink.vaultcore.azure.net'), false);
    assert.equal(isPublicKeyVaultHost('https://vault.azure.net.evil.example'), false);
    assert.equal(isPublicKeyVaultHost('https://127.0.0.1:8443'), false);
    assert.equal(graphScope('https://graph.microsoft.us/'), 'https://graph.microsoft.us/.default');
    assert.deepEqual(KNOWN_CLOUDS.map((c) => c.graphBaseUrl), ['https://graph.microsoft.com', 'https://graph.microsoft.us', 'https://dod-graph.microsoft.us', 'https://microsoftgraph.chinacloudapi.cn']);
  });
});
