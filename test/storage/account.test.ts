import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DefaultAzureCredential, ManagedIdentityCredential } from '@azure/identity';
import { ConfigError } from '../../shared/config/env';
import {
  DEVELOPMENT_STORAGE_CONNECTION_STRING, blobServiceClient, describeStorageTarget, queueClient, resolveStorageTarget, tableClient,
  type StorageTarget,
} from '../../shared/storage/account';
import { startAzurite } from '../support/azurite';

const KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
const CS = `DefaultEndpointsProtocol=https;AccountName=contosofwd;AccountKey=${KEY};EndpointSuffix=core.windows.net`;

function identity(t: StorageTarget | undefined): Extract<StorageTarget, { kind: 'identity' }> {
  assert.ok(t && t.kind === 'identity', 'identity target expected');
  return t;
}

function configError(fn: () => unknown, setting: string, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ConfigError, `ConfigError expected, got ${String(err)}`);
    assert.equal(err.setting, setting);
    assert.match(err.message, pattern);
    return true;
  });
}

test('nothing configured: undefined (callers use local files)', () => {
  assert.equal(resolveStorageTarget({}), undefined);
  assert.equal(resolveStorageTarget({ AzureWebJobsStorage: '  ' }), undefined);
});

test('connection string is passed through; UseDevelopmentStorage=true is expanded to explicit endpoints', () => {
  assert.deepEqual(resolveStorageTarget({ AzureWebJobsStorage: CS }), { kind: 'connection-string', connectionString: CS });
  const dev = resolveStorageTarget({ AzureWebJobsStorage: 'UseDevelopmentStorage=true' });
  assert.deepEqual(dev, { kind: 'connection-string', connectionString: DEVELOPMENT_STORAGE_CONNECTION_STRING });
  assert.match(DEVELOPMENT_STORAGE_CONNECTION_STRING, /TableEndpoint=http:\/\/127\.0\.0\.1:10002\/devstoreaccount1;/);
  const sas = 'BlobEndpoint=https://contosofwd.blob.core.windows.net;SharedAccessSignature=sv=2022-11-02&sig=abc%3D';
  assert.deepEqual(resolveStorageTarget({ AzureWebJobsStorage: sas }), { kind: 'connection-string', connectionString: sas });
});

test('a malformed connection string is a ConfigError that never echoes the value', () => {
  configError(() => resolveStorageTarget({ AzureWebJobsStorage: 'not a connection string' }), 'AzureWebJobsStorage', /Key=Value/);
  configError(() => resolveStorageTarget({ AzureWebJobsStorage: `AccountName=a;DefaultEndpointsProtocol=https` }), 'AzureWebJobsStorage', /neither AccountKey nor SharedAccessSignature/);
  configError(() => resolveStorageTarget({ AzureWebJobsStorage: `AccountKey=${KEY}` }), 'AzureWebJobsStorage', /neither AccountName nor BlobEndpoint/);
  try {
    resolveStorageTarget({ AzureWebJobsStorage: `AccountKey=${KEY}` });
  } catch (err) {
    assert.doesNotMatch((err as Error).message, /Eby8/);
  }
});

test('identity-based with __accountName: public endpoints and DefaultAzureCredential', () => {
  const t = identity(resolveStorageTarget({ AzureWebJobsStorage__accountName: 'contosofwd' }));
  assert.equal(t.blobServiceUrl, 'https://contosofwd.blob.core.windows.net');
  assert.equal(t.queueServiceUrl, 'https://contosofwd.queue.core.windows.net');
  assert.equal(t.tableServiceUrl, 'https://contosofwd.table.core.windows.net');
  assert.ok(t.credential instanceof DefaultAzureCredential);
});

test('identity-based with __credential=managedidentity and __clientId: ManagedIdentityCredential', () => {
  const t = identity(resolveStorageTarget({
    AzureWebJobsStorage__accountName: 'contosofwd',
    AzureWebJobsStorage__credential: 'managedidentity',
    AzureWebJobsStorage__clientId: '00000000-0000-0000-0000-000000000001',
  }));
  assert.ok(t.credential instanceof ManagedIdentityCredential);
  const sys = identity(resolveStorageTarget({ AzureWebJobsStorage__accountName: 'contosofwd', AzureWebJobsStorage__credential: 'ManagedIdentity' }));
  assert.ok(sys.credential instanceof ManagedIdentityCredential);
});

test('explicit service URIs (sovereign cloud, private endpoints) win over the account name; siblings derived from blob', () => {
  const t = identity(resolveStorageTarget({
    AzureWebJobsStorage__blobServiceUri: 'https://gov1.blob.core.usgovcloudapi.net/',
  }));
  assert.equal(t.blobServiceUrl, 'https://gov1.blob.core.usgovcloudapi.net');
  assert.equal(t.queueServiceUrl, 'https://gov1.queue.core.usgovcloudapi.net');
  assert.equal(t.tableServiceUrl, 'https://gov1.table.core.usgovcloudapi.net');
  const all = identity(resolveStorageTarget({
    AzureWebJobsStorage__accountName: 'contosofwd',
    AzureWebJobsStorage__blobServiceUri: 'https://blob.internal.contoso.com',
    AzureWebJobsStorage__queueServiceUri: 'https://queue.internal.contoso.com',
    AzureWebJobsStorage__tableServiceUri: 'https://table.internal.contoso.com',
  }));
  assert.deepEqual([all.blobServiceUrl, all.queueServiceUrl, all.tableServiceUrl], ['https://blob.internal.contoso.com', 'https://queue.internal.contoso.com', 'https://table.internal.contoso.com']);
  const loopback = identity(resolveStorageTarget({ AzureWebJobsStorage__serviceUri: 'http://127.0.0.1:10000/devstoreaccount1', AzureWebJobsStorage__queueServiceUri: 'http://127.0.0.1:10001/devstoreaccount1', AzureWebJobsStorage__tableServiceUri: 'http://127.0.0.1:10002/devstoreaccount1' }));
  assert.equal(loopback.blobServiceUrl, 'http://127.0.0.1:10000/devstoreaccount1');
});

test('a different prefix reads its own settings', () => {
  const t = identity(resolveStorageTarget({ AzureWebJobsStorage__accountName: 'one', Cursors__accountName: 'twocursors' }, 'Cursors'));
  assert.equal(t.tableServiceUrl, 'https://twocursors.table.core.windows.net');
  assert.equal(resolveStorageTarget({ AzureWebJobsStorage: CS }, 'Cursors'), undefined);
});

test('inconsistent settings are ConfigErrors naming the setting', () => {
  configError(() => resolveStorageTarget({ AzureWebJobsStorage: CS, AzureWebJobsStorage__accountName: 'contosofwd' }), 'AzureWebJobsStorage__accountName', /together with the connection string/);
  configError(() => resolveStorageTarget({ AzureWebJobsStorage__accountName: 'Contoso_Fwd' }), 'AzureWebJobsStorage__accountName', /3-24 lowercase/);
  configError(() => resolveStorageTarget({ AzureWebJobsStorage__accountName: 'contosofwd', AzureWebJobsStorage__credential: 'clientsecret' }), 'AzureWebJobsStorage__credential', /only supported value is managedidentity/);
  configError(() => resolveStorageTarget({ AzureWebJobsStorage__clientId: 'abc' }), 'AzureWebJobsStorage__accountName', /required when AzureWebJobsStorage__clientId/);
  configError(() => resolveStorageTarget({ AzureWebJobsStorage__queueServiceUri: 'https://q.example.com' }), 'AzureWebJobsStorage__blobServiceUri', /required/);
  configError(() => resolveStorageTarget({ AzureWebJobsStorage__blobServiceUri: 'https://storage.example.com' }), 'AzureWebJobsStorage__queueServiceUri', /cannot be derived/);
  configError(() => resolveStorageTarget({ AzureWebJobsStorage__blobServiceUri: 'http://contosofwd.blob.core.windows.net' }), 'AzureWebJobsStorage__blobServiceUri', /https:\/\//);
  configError(() => resolveStorageTarget({ AzureWebJobsStorage__blobServiceUri: 'https://a.blob.core.windows.net?sv=1&sig=x' }), 'AzureWebJobsStorage__blobServiceUri', /without query string/);
  configError(() => resolveStorageTarget({ AzureWebJobsStorage__blobServiceUri: 'not a url' }), 'AzureWebJobsStorage__blobServiceUri', /is not a URL/);
});

test('factories point at the resolved endpoints (no network)', () => {
  const t = resolveStorageTarget({ AzureWebJobsStorage__accountName: 'contosofwd' }) as StorageTarget;
  assert.equal(blobServiceClient(t).url, 'https://contosofwd.blob.core.windows.net/');
  assert.equal(queueClient(t, 'graph-poll').url, 'https://contosofwd.queue.core.windows.net/graph-poll');
  assert.equal(tableClient(t, 'graphcursors').url, 'https://contosofwd.table.core.windows.net');
  assert.equal(tableClient(t, 'graphcursors').tableName, 'graphcursors');
  const cs = resolveStorageTarget({ AzureWebJobsStorage: CS }) as StorageTarget;
  assert.equal(blobServiceClient(cs).url, 'https://contosofwd.blob.core.windows.net/');
  assert.equal(describeStorageTarget(cs, 'table'), 'https://contosofwd.table.core.windows.net');
  assert.equal(describeStorageTarget(cs), 'https://contosofwd.blob.core.windows.net');
});

test('against Azurite: blob, table (http loopback) and queue clients all work from one connection string', async (t) => {
  const azurite = await startAzurite();
  t.after(() => azurite.stop());
  const target = resolveStorageTarget({ AzureWebJobsStorage: azurite.connectionString }) as StorageTarget;
  assert.equal(describeStorageTarget(target, 'queue'), `http://127.0.0.1:${azurite.queuePort}/devstoreaccount1`);

  const container = blobServiceClient(target).getContainerClient('probe');
  await container.create();
  await container.getBlockBlobClient('a.txt').uploadData(Buffer.from('hello'));
  assert.equal((await container.getBlobClient('a.txt').downloadToBuffer()).toString(), 'hello');

  const table = tableClient(target, 'graphcursors');
  await table.createTable();
  await table.upsertEntity({ partitionKey: 'tenant', rowKey: 'incidents', cursor: '2025-02-07T19:01:26Z' });
  const entity = await table.getEntity<{ cursor: string }>('tenant', 'incidents');
  assert.equal(entity.cursor, '2025-02-07T19:01:26Z');

  const queue = queueClient(target, 'graph-poll');
  await queue.create();
  await queue.sendMessage('job-1');
  const got = await queue.receiveMessages();
  assert.equal(got.receivedMessageItems[0]?.messageText, 'job-1');
});
