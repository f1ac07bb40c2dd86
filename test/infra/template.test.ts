// The compiled ARM template (bicep build infra/main.bicep) checked for what a security review and the
// app need: resources, Listen-only SAS, the consumer group (and $Default on Basic), role assignments,
// secure settings, and exactly the app settings the deployed app reads (shared/config/catalog.ts)
// with their defaults.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SETTINGS } from '../../shared/config/catalog';
import { ArmContext, Runtime, type ArmResource, type ArmTemplate, type ArmValue } from './support/arm';
import { bicepOrSkip, compileBicep, infraDir } from './support/bicep';

const { bin, skip } = bicepOrSkip();

// Built-in role definition GUIDs (Azure docs; also /work/shared/reference/role-definition-ids.json).
const ROLE = {
  'Storage Blob Data Owner': 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
  'Storage Blob Data Contributor': 'ba92f5b4-2d11-453d-a403-e96b0029c9fe',
  'Storage Queue Data Contributor': '974c5e8b-45b9-4653-ba55-5f855dd0fb88',
  'Storage Table Data Contributor': '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
  'Monitoring Metrics Publisher': '3913510d-42f4-4e42-8a64-420c390055eb',
  'Azure Event Hubs Data Receiver': 'a638d3c7-ab3a-418d-83e6-5f17a39d4fde',
  'Azure Event Hubs Data Sender': '2b629674-e913-4c01-ae53-ef4638d8f975',
  'Key Vault Secrets User': '4633458b-17de-408a-b874-0445c86b69e6',
  'Key Vault Secrets Officer': 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7',
} as const;
const ROLE_NAME = new Map<string, string>(Object.entries(ROLE).map(([n, id]) => [id, n]));

/** Settings only the Functions host reads (not app code, so not in the catalog). */
const HOST_SETTINGS = ['APPLICATIONINSIGHTS_AUTHENTICATION_STRING', 'APPLICATIONINSIGHTS_CONNECTION_STRING'];
/** Settings Flex Consumption rejects or that would carry a storage key. */
const FORBIDDEN_SETTINGS = [
  'FUNCTIONS_WORKER_RUNTIME',
  'FUNCTIONS_EXTENSION_VERSION',
  'WEBSITE_RUN_FROM_PACKAGE',
  'WEBSITE_NODE_DEFAULT_VERSION',
  'WEBSITE_CONTENTAZUREFILECONNECTIONSTRING',
  'AzureWebJobsStorage',
  'APPINSIGHTS_INSTRUMENTATIONKEY',
];

const OPERATOR = '11111111-2222-3333-4444-555555555555';
const BASE_PARAMS = { environmentName: 'test', location: 'westeurope', principalId: OPERATOR };

let main: ArmTemplate;

function deployment(template: ArmTemplate, name: string): ArmResource {
  const d = template.resources.find((r) => r.type === 'Microsoft.Resources/deployments' && r.name === name);
  assert.ok(d, `module deployment ${name}`);
  return d;
}

function resourcesOf(template: ArmTemplate, type: string): ArmResource[] {
  return template.resources.filter((r) => r.type === type);
}

/** Every resource of every template, with the module it is declared in. */
function allResources(template: ArmTemplate, module = 'main'): Array<{ module: string; resource: ArmResource }> {
  const out: Array<{ module: string; resource: ArmResource }> = [];
  for (const r of template.resources) {
    out.push({ module, resource: r });
    if (r.type === 'Microsoft.Resources/deployments' && r.properties?.template) {
      out.push(...allResources(r.properties.template, r.name));
    }
  }
  return out;
}

function rootContext(params: Record<string, ArmValue> = {}): ArmContext {
  return new ArmContext(main, { ...BASE_PARAMS, ...params });
}

/** The app settings as the functionapp module receives them: plain settings and Key Vault references. */
function appSettings(params: Record<string, ArmValue> = {}): {
  plain: Record<string, ArmValue>;
  keyVault: Record<string, ArmValue>;
} {
  const fa = deployment(main, 'functionapp');
  const ctx = rootContext(params);
  const plain = ctx.deploymentParameter(fa, 'appSettings') as Record<string, ArmValue>;
  const keyVault = ctx.deploymentParameter(fa, 'keyVaultReferenceSettings') as Record<string, ArmValue>;
  return { plain, keyVault };
}

function runtimeFrom(value: ArmValue, module: string, output: string): void {
  assert.ok(value instanceof Runtime, `expected a deployment-time value, got ${String(value)}`);
  assert.match(value.expression, new RegExp(`'Microsoft\\.Resources/deployments', '${module}'\\)`), value.expression);
  assert.match(value.expression, new RegExp(`\\.outputs\\.${output}\\.value`), value.expression);
}

before(() => {
  if (bin) main = compileBicep(bin, path.join(infraDir, 'main.bicep'));
});

describe('app settings', { skip }, () => {
  test('exactly the app-scope settings of the catalog plus the host telemetry settings', () => {
    const { plain, keyVault } = appSettings();
    const expected = [...SETTINGS.filter((s) => s.scope === 'app').map((s) => s.name), ...HOST_SETTINGS].sort();
    assert.deepEqual(Object.keys(plain).sort(), expected);
    assert.deepEqual(keyVault, {}, 'no Key Vault references in managed identity mode');
  });

  test('no local-development setting and nothing Flex Consumption rejects', () => {
    const { plain } = appSettings({ eventHubConnectionMode: 'connectionString' });
    const local = SETTINGS.filter((s) => s.scope === 'local').map((s) => s.name);
    assert.ok(local.includes('GRAPH_CLIENT_SECRET') && local.includes('DESTINATION_TOKEN'));
    for (const name of [...local, ...FORBIDDEN_SETTINGS]) assert.equal(name in plain, false, name);
  });

  test('every catalog default is the template default; settings without one are blank or deployment-time', () => {
    const { plain } = appSettings();
    for (const spec of SETTINGS.filter((s) => s.scope === 'app')) {
      const value = plain[spec.name];
      if (spec.default !== undefined) assert.equal(value, spec.default, spec.name);
      else assert.ok(value === '' || value instanceof Runtime, `${spec.name} = ${String(value)}`);
    }
  });

  test('identity-based connections point at the resources created here', () => {
    const { plain } = appSettings();
    runtimeFrom(plain.EventHubConnection__fullyQualifiedNamespace, 'eventhubs', 'fullyQualifiedNamespace');
    runtimeFrom(plain.EventHubConnection__clientId, 'identity', 'clientId');
    runtimeFrom(plain.AzureWebJobsStorage__accountName, 'storage', 'name');
    runtimeFrom(plain.AzureWebJobsStorage__clientId, 'identity', 'clientId');
    runtimeFrom(plain.AZURE_CLIENT_ID, 'identity', 'clientId');
    runtimeFrom(plain.KEY_VAULT_URL, 'keyvault', 'uri');
    runtimeFrom(plain.APPLICATIONINSIGHTS_CONNECTION_STRING, 'monitoring', 'connectionString');
    assert.equal(plain.EventHubConnection__credential, 'managedidentity');
    assert.equal(plain.AzureWebJobsStorage__credential, 'managedidentity');
    assert.match(String(plain.APPLICATIONINSIGHTS_AUTHENTICATION_STRING), /^ClientId=<runtime:.*outputs\.clientId\.value>;Authorization=AAD$/);
  });

  test('parameters override the defaults (what azd env values turn into)', () => {
    const { plain } = appSettings({ destination: 'syslog+tls://siem.contoso.com:6514', outputFormat: 'cef', eventHubName: 'xdr' });
    assert.equal(plain.DESTINATION, 'syslog+tls://siem.contoso.com:6514');
    assert.equal(plain.OUTPUT_FORMAT, 'cef');
    assert.equal(plain.EVENTHUB_NAME, 'xdr');
  });

  test('the Basic tier reads $Default; other tiers the forwarder consumer group', () => {
    assert.equal(appSettings({ eventHubNamespaceSku: 'Basic' }).plain.EVENTHUB_CONSUMER_GROUP, '$Default');
    assert.equal(appSettings({ eventHubNamespaceSku: 'Premium' }).plain.EVENTHUB_CONSUMER_GROUP, 'defender-forwarder');
  });

  test('connectionString mode: EventHubConnection is a versionless Key Vault reference, never a value', () => {
    const { keyVault } = appSettings({ eventHubConnectionMode: 'connectionString' });
    assert.deepEqual(Object.keys(keyVault), ['EventHubConnection']);
    assert.match(
      String(keyVault.EventHubConnection),
      /^@Microsoft\.KeyVault\(VaultName=<runtime:.*'keyvault'.*outputs\.name\.value>;SecretName=eventhub-listen-connection-string\)$/,
    );
  });

  test('the site applies plain settings and Key Vault references, resolved with the user-assigned identity', () => {
    const fa = deployment(main, 'functionapp');
    const ctx = new ArmContext(fa.properties!.template!, {
      ...Object.fromEntries(Object.keys(fa.properties!.template!.parameters!).map((k) => [k, `<${k}>`])),
      appSettings: { B: '2', A: '1' },
      keyVaultReferenceSettings: { EventHubConnection: '@Microsoft.KeyVault(VaultName=v;SecretName=s)' },
      maximumInstanceCount: 40,
      instanceMemoryMB: 2048,
    });
    const [site] = resourcesOf(fa.properties!.template!, 'Microsoft.Web/sites');
    const props = ctx.evaluate(site.properties) as { keyVaultReferenceIdentity: string; siteConfig: { appSettings: unknown } };
    assert.deepEqual(props.siteConfig.appSettings, [
      { name: 'A', value: '1' },
      { name: 'B', value: '2' },
      { name: 'EventHubConnection', value: '@Microsoft.KeyVault(VaultName=v;SecretName=s)' },
    ]);
    assert.equal(props.keyVaultReferenceIdentity, '<identityId>');
  });

  test('no setting value carries a key, a SAS signature or a list*() call', () => {
    for (const mode of ['managedIdentity', 'connectionString']) {
      const { plain, keyVault } = appSettings({ eventHubConnectionMode: mode });
      for (const [name, value] of Object.entries({ ...plain, ...keyVault })) {
        const v = value instanceof Runtime ? value.expression : JSON.stringify(value);
        assert.doesNotMatch(v, /AccountKey=|SharedAccessKey=|SharedAccessSignature|\blist\w*\(/i, name);
      }
    }
  });
});

describe('Event Hubs', { skip }, () => {
  const ehTemplate = (): ArmTemplate => deployment(main, 'eventhubs').properties!.template!;
  const ehContext = (params: Record<string, ArmValue> = {}): ArmContext => rootContext(params).module(deployment(main, 'eventhubs'));

  test('namespace: Standard x1 by default, TLS 1.2, created only when no existing one is given', () => {
    const ctx = ehContext();
    const [ns] = resourcesOf(ehTemplate(), 'Microsoft.EventHub/namespaces');
    assert.equal(ctx.condition(ns), true);
    assert.deepEqual(ctx.evaluate(ns.sku), { name: 'Standard', tier: 'Standard', capacity: 1 });
    const props = ctx.evaluate(ns.properties) as Record<string, ArmValue>;
    assert.equal(props.minimumTlsVersion, '1.2');
    assert.equal(props.disableLocalAuth, false);
  });

  test('an existing namespace is used in its own subscription and resource group, not created', () => {
    const id = '/subscriptions/0000-sub/resourceGroups/rg-shared/providers/Microsoft.EventHub/namespaces/ns-shared';
    const root = rootContext({ existingEventHubNamespaceId: id });
    const d = deployment(main, 'eventhubs');
    assert.equal(root.evaluate(d.subscriptionId), '0000-sub');
    assert.equal(root.evaluate(d.resourceGroup), 'rg-shared');
    const ctx = root.module(d);
    assert.equal(ctx.parameter('namespaceName'), 'ns-shared');
    const [ns] = resourcesOf(ehTemplate(), 'Microsoft.EventHub/namespaces');
    assert.equal(ctx.condition(ns), false);
    const hubs = resourcesOf(ehTemplate(), 'Microsoft.EventHub/namespaces/eventhubs');
    assert.equal(hubs.length, 1);
    assert.equal(ctx.evaluate(hubs[0].name), 'ns-shared/defender-export');
  });

  test('hub: name, partitions and retention from parameters', () => {
    const ctx = ehContext();
    const [hub] = resourcesOf(ehTemplate(), 'Microsoft.EventHub/namespaces/eventhubs');
    assert.match(String(ctx.evaluate(hub.name)), /^evhns-<runtime:.*>\/defender-export$/);
    assert.deepEqual(ctx.evaluate(hub.properties), { partitionCount: 4, messageRetentionInDays: 1 });
  });

  test('consumer group defender-forwarder is created, except on Basic where $Default is used', () => {
    const [cg] = resourcesOf(ehTemplate(), 'Microsoft.EventHub/namespaces/eventhubs/consumergroups');
    const standard = ehContext();
    assert.equal(standard.condition(cg), true);
    assert.match(String(standard.evaluate(cg.name)), /\/defender-export\/defender-forwarder$/);
    const basic = ehContext({ eventHubNamespaceSku: 'Basic' });
    assert.equal(basic.condition(cg), false);
    assert.equal(basic.parameter('consumerGroupName'), '$Default');
  });

  test('the only SAS rule is hub-level with Listen rights only', () => {
    const rules = allResources(main).filter(({ resource }) => /authorizationRules$/i.test(resource.type));
    const created = rules.filter(({ resource }) => !('existing' in resource));
    assert.equal(created.length, 1);
    const [{ module, resource }] = created;
    assert.equal(module, 'eventhubs');
    assert.equal(resource.type, 'Microsoft.EventHub/namespaces/eventhubs/authorizationRules');
    assert.deepEqual(resource.properties, { rights: ['Listen'] });
    assert.match(String(ehContext().evaluate(resource.name)), /\/defender-export\/collector-listen$/);
    assert.doesNotMatch(JSON.stringify(main), /RootManageSharedAccessKey/);
  });

  test('the listen connection string goes only into Key Vault, and only in connectionString mode', () => {
    const d = deployment(main, 'eventhub-connection-secret');
    assert.equal(rootContext().condition(d), false);
    assert.equal(rootContext({ eventHubConnectionMode: 'connectionString' }).condition(d), true);
    const template = d.properties!.template!;
    const [secret] = resourcesOf(template, 'Microsoft.KeyVault/vaults/secrets');
    assert.match(String((secret.properties as { value: string }).value), /^\[listKeys\(.*authorizationRules.*\)\.primaryConnectionString\]$/);
    // listKeys appears nowhere else in the whole deployment.
    const listCalls = JSON.stringify(main).match(/\blist\w*\(/gi) ?? [];
    assert.equal(listCalls.length, 1, listCalls.join(', '));
  });

  test('outputs give the Defender portal what it asks for', () => {
    assert.match(String(main.outputs!.EVENTHUB_NAMESPACE_RESOURCE_ID.value), /'eventhubs'.*outputs\.namespaceId\.value/);
    assert.match(String(main.outputs!.EVENTHUB_NAME.value), /'eventhubs'.*outputs\.eventHubName\.value/);
    const nsId = ehTemplate().outputs!.namespaceId.value as string;
    assert.equal(nsId, "[resourceId('Microsoft.EventHub/namespaces', parameters('namespaceName'))]");
  });
});

describe('role assignments', { skip }, () => {
  interface Grant {
    module: string;
    role: string;
    principal: 'app' | 'operator';
    scope: string;
    principalType: ArmValue;
  }

  function grants(params: Record<string, ArmValue> = {}): Grant[] {
    const out: Grant[] = [];
    const root = rootContext(params);
    for (const d of resourcesOf(main, 'Microsoft.Resources/deployments')) {
      if (root.condition(d) !== true) continue;
      const ctx = root.module(d);
      for (const ra of resourcesOf(d.properties!.template!, 'Microsoft.Authorization/roleAssignments')) {
        const count = ra.copy ? (ctx.evaluate(ra.copy.count) as number) : 1;
        for (let i = 0; i < count; i++) {
          const c = ra.copy ? ctx.withCopyIndex(i) : ctx;
          if (c.condition(ra) !== true) continue;
          const props = c.evaluate(ra.properties) as { roleDefinitionId: string; principalId: ArmValue; principalType: ArmValue };
          const roleId = props.roleDefinitionId.split('/').pop()!;
          const role = ROLE_NAME.get(roleId);
          assert.ok(role, `unexpected role ${roleId} in ${d.name}`);
          const principal =
            props.principalId === OPERATOR
              ? 'operator'
              : props.principalId instanceof Runtime && /'identity'.*outputs\.principalId\.value/.test(props.principalId.expression)
                ? 'app'
                : assert.fail(`unknown principal ${String(props.principalId)}`);
          out.push({ module: d.name, role, principal, scope: String(ra.scope), principalType: props.principalType });
        }
      }
    }
    return out;
  }

  const summary = (g: Grant[]): string[] => g.map((x) => `${x.principal} | ${x.role} | ${x.module}`).sort();

  test('the app identity and the operator get exactly the data roles they need', () => {
    assert.deepEqual(summary(grants()), [
      'app | Azure Event Hubs Data Receiver | eventhubs',
      'app | Key Vault Secrets User | keyvault',
      'app | Monitoring Metrics Publisher | monitoring',
      'app | Storage Blob Data Owner | storage',
      'app | Storage Queue Data Contributor | storage',
      'app | Storage Table Data Contributor | storage',
      'operator | Azure Event Hubs Data Sender | eventhubs',
      'operator | Key Vault Secrets Officer | keyvault',
      'operator | Storage Blob Data Contributor | storage',
      'operator | Storage Queue Data Contributor | storage',
      'operator | Storage Table Data Contributor | storage',
    ]);
  });

  test('scopes are the resources themselves (the hub, not the namespace) and principal types are right', () => {
    for (const g of grants({ principalType: 'ServicePrincipal' })) {
      const expectedScope = {
        eventhubs: /^\[resourceId\('Microsoft\.EventHub\/namespaces\/eventhubs'/,
        keyvault: /^\[resourceId\('Microsoft\.KeyVault\/vaults'/,
        monitoring: /^\[resourceId\('Microsoft\.Insights\/components'/,
        storage: /^\[resourceId\('Microsoft\.Storage\/storageAccounts'/,
      }[g.module];
      assert.ok(expectedScope, g.module);
      assert.match(g.scope, expectedScope, `${g.role} in ${g.module}`);
      assert.equal(g.principalType, 'ServicePrincipal');
    }
    for (const g of grants()) assert.equal(g.principalType, g.principal === 'app' ? 'ServicePrincipal' : 'User');
  });

  test('no operator roles without a principalId; infra/roles.json holds the built-in GUIDs', () => {
    assert.deepEqual(
      summary(grants({ principalId: '' })).filter((s) => s.startsWith('operator')),
      [],
    );
    const roles = JSON.parse(readFileSync(path.join(infraDir, 'roles.json'), 'utf8')) as Record<string, string>;
    for (const id of Object.values(roles)) assert.ok(ROLE_NAME.has(id), id);
  });
});

describe('storage, Key Vault, monitoring and the Function App', { skip }, () => {
  const moduleContext = (name: string, params: Record<string, ArmValue> = {}): [ArmTemplate, ArmContext] => {
    const d = deployment(main, name);
    return [d.properties!.template!, rootContext(params).module(d)];
  };

  test('storage: TLS 1.2, no public blobs, no shared keys; deadletter and package containers, cursor table, poll queue', () => {
    const [t, ctx] = moduleContext('storage');
    const [account] = resourcesOf(t, 'Microsoft.Storage/storageAccounts');
    const p = ctx.evaluate(account.properties) as Record<string, ArmValue>;
    assert.equal(p.minimumTlsVersion, 'TLS1_2');
    assert.equal(p.allowBlobPublicAccess, false);
    assert.equal(p.allowSharedKeyAccess, false);
    assert.equal(p.supportsHttpsTrafficOnly, true);
    assert.equal(p.defaultToOAuthAuthentication, true);
    const names = (type: string): string[] =>
      resourcesOf(t, type).map((r) => String(ctx.evaluate(r.name)).split('/').pop()!).sort();
    assert.deepEqual(names('Microsoft.Storage/storageAccounts/blobServices/containers'), [
      'deadletter',
      String(ctx.parameter('deploymentContainerName')).split('/').pop()!,
    ].sort());
    assert.match(String(ctx.parameter('deploymentContainerName')), /^app-package-/);
    assert.deepEqual(names('Microsoft.Storage/storageAccounts/tableServices/tables'), ['graphcursors']);
    assert.deepEqual(names('Microsoft.Storage/storageAccounts/queueServices/queues'), ['graph-poll']);
    for (const c of resourcesOf(t, 'Microsoft.Storage/storageAccounts/blobServices/containers')) {
      assert.deepEqual(c.properties, { publicAccess: 'None' });
    }
  });

  test('Key Vault: RBAC mode, soft delete, purge protection as a parameter; no secret values in the template', () => {
    const [t, ctx] = moduleContext('keyvault');
    const [vault] = resourcesOf(t, 'Microsoft.KeyVault/vaults');
    const p = ctx.evaluate(vault.properties) as Record<string, ArmValue>;
    assert.equal(p.enableRbacAuthorization, true);
    assert.equal(p.enableSoftDelete, true);
    assert.equal(p.enablePurgeProtection, true);
    assert.equal(p.softDeleteRetentionInDays, 90);
    const [, off] = moduleContext('keyvault', { keyVaultEnablePurgeProtection: false });
    assert.equal((off.evaluate(vault.properties) as Record<string, ArmValue>).enablePurgeProtection, null);
    const secrets = allResources(main).filter(({ resource }) => resource.type === 'Microsoft.KeyVault/vaults/secrets');
    assert.deepEqual(secrets.map((s) => s.module), ['eventhub-connection-secret']);
  });

  test('Application Insights: workspace-based with Entra ID authentication only', () => {
    const [t, ctx] = moduleContext('monitoring');
    const [ai] = resourcesOf(t, 'Microsoft.Insights/components');
    const p = ctx.evaluate(ai.properties) as Record<string, ArmValue>;
    assert.equal(p.DisableLocalAuth, true);
    assert.ok(p.WorkspaceResourceId instanceof Runtime);
    assert.equal(resourcesOf(t, 'Microsoft.OperationalInsights/workspaces').length, 1);
  });

  test('Function App: Flex Consumption FC1, Node 22 by default, user-assigned identity everywhere, no basic auth', () => {
    const [t, ctx] = moduleContext('functionapp');
    const [plan] = resourcesOf(t, 'Microsoft.Web/serverfarms');
    assert.deepEqual(plan.sku, { name: 'FC1', tier: 'FlexConsumption' });
    const [site] = resourcesOf(t, 'Microsoft.Web/sites');
    assert.equal(site.kind, 'functionapp,linux');
    assert.equal((site.identity as { type: string }).type, 'UserAssigned');
    const tags = ctx.evaluate(site.tags) as Record<string, ArmValue>;
    assert.equal(tags['azd-service-name'], 'forwarder');
    const p = site.properties as Record<string, unknown>;
    assert.equal(p.httpsOnly, true);
    const config = ctx.evaluate(p.functionAppConfig) as {
      runtime: { name: string; version: string };
      deployment: { storage: { type: string; authentication: { type: string; userAssignedIdentityResourceId: ArmValue } } };
    };
    assert.deepEqual(config.runtime, { name: 'node', version: '22' });
    assert.equal(config.deployment.storage.type, 'blobContainer');
    assert.equal(config.deployment.storage.authentication.type, 'UserAssignedIdentity');
    runtimeFrom(config.deployment.storage.authentication.userAssignedIdentityResourceId, 'identity', 'id');
    const [, node20] = moduleContext('functionapp', { nodeVersion: '20' });
    assert.equal((node20.evaluate(p.functionAppConfig) as typeof config).runtime.version, '20');
    const [scm] = resourcesOf(t, 'Microsoft.Web/sites/basicPublishingCredentialsPolicies');
    assert.deepEqual(scm.properties, { allow: false });
  });

  test('nothing secret in any output or parameter default', () => {
    const templates: Array<[string, ArmTemplate]> = [['main', main]];
    for (const d of resourcesOf(main, 'Microsoft.Resources/deployments')) templates.push([d.name, d.properties!.template!]);
    for (const [name, t] of templates) {
      for (const [out, o] of Object.entries(t.outputs ?? {})) {
        assert.doesNotMatch(JSON.stringify(o.value), /\blist\w*\(/i, `${name}.${out}`);
        // The Application Insights connection string is an identifier (local auth is off), not a key.
        if (!(name === 'monitoring' && out === 'connectionString')) {
          assert.doesNotMatch(out, /password|secret(?!name)|connectionstring|sas|accountkey|primarykey|token/i, `${name}.${out}`);
        }
        assert.notEqual(o.type.toLowerCase(), 'securestring', `${name}.${out}`);
      }
      for (const [param, p] of Object.entries(t.parameters ?? {})) {
        if (p.type.toLowerCase().startsWith('secure')) assert.equal(p.defaultValue, undefined, `${name}.${param}`);
      }
    }
  });
});

describe('main.parameters.json', { skip }, () => {
  interface ParametersFile {
    parameters: Record<string, { value: unknown }>;
  }
  const file = (): ParametersFile =>
    JSON.parse(readFileSync(path.join(infraDir, 'main.parameters.json'), 'utf8')) as ParametersFile;

  test('every entry is a template parameter; azd env defaults equal the template defaults', () => {
    for (const [name, { value }] of Object.entries(file().parameters)) {
      const declared = main.parameters![name];
      assert.ok(declared, `${name} is not a parameter of main.bicep`);
      const m = /^\$\{([A-Za-z_][A-Za-z0-9_]*)(?:=(.*))?\}$/.exec(String(value));
      assert.ok(m, `${name}: expected \${ENV} or \${ENV=default}, got ${String(value)}`);
      if (declared.defaultValue !== undefined) {
        assert.equal(m[2] ?? '', String(declared.defaultValue), `${name} default`);
      } else {
        assert.equal(m[2], undefined, `${name} has no template default`);
      }
    }
  });

  test('each setting filled from a parameter is read from the azd env variable of the same name', () => {
    const fa = deployment(main, 'functionapp');
    const settings = fa.properties!.parameters!.appSettings.value as Record<string, string>;
    const byParam = new Map(Object.entries(file().parameters).map(([p, { value }]) => [p, String(value)]));
    let checked = 0;
    for (const [setting, expr] of Object.entries(settings)) {
      const m = /^\[parameters\('(\w+)'\)\]$/.exec(expr);
      if (!m) continue;
      checked++;
      const mapped = byParam.get(m[1]);
      assert.ok(mapped, `${setting}: parameter ${m[1]} is not in main.parameters.json`);
      assert.match(mapped, new RegExp(`^\\$\\{${setting}(=|\\})`), `${setting} <- ${mapped}`);
    }
    assert.ok(checked >= 40, `only ${checked} settings come from parameters`);
    assert.equal(byParam.get('environmentName'), '${AZURE_ENV_NAME}');
    assert.equal(byParam.get('location'), '${AZURE_LOCATION}');
    assert.equal(byParam.get('principalId'), '${AZURE_PRINCIPAL_ID}');
  });
});
