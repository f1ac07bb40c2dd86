/**
 * Which storage account the app uses (dead letters, Graph cursor table, poll queue), read from the same
 * settings the Functions host reads for `AzureWebJobsStorage`: a connection string, or identity-based
 * `__accountName` / `__blobServiceUri` / `__queueServiceUri` / `__tableServiceUri` with
 * `__credential=managedidentity` and `__clientId`. One resolution, shared, so every component talks to
 * the same account with the same credential.
 */
import { BlobServiceClient, type StoragePipelineOptions } from '@azure/storage-blob';
import { TableClient, type TableServiceClientOptions } from '@azure/data-tables';
import { QueueClient, QueueServiceClient, type StoragePipelineOptions as QueuePipelineOptions } from '@azure/storage-queue';
import { DefaultAzureCredential, ManagedIdentityCredential, type TokenCredential } from '@azure/identity';
import { ConfigError, readString, type SettingsSource } from '../config/env';

export type StorageTarget =
  | { kind: 'connection-string'; connectionString: string }
  | { kind: 'identity'; blobServiceUrl: string; queueServiceUrl: string; tableServiceUrl: string; credential: TokenCredential };

/** The public Azurite/emulator development account (documented by Microsoft; not a secret). */
const DEV_ACCOUNT = 'devstoreaccount1';
const DEV_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

/**
 * `UseDevelopmentStorage=true` expanded to explicit endpoints on the emulator's default ports.
 * Blob and Queue SDKs understand the shorthand, the Tables SDK does not, so it is expanded once here.
 */
export const DEVELOPMENT_STORAGE_CONNECTION_STRING = [
  'DefaultEndpointsProtocol=http',
  `AccountName=${DEV_ACCOUNT}`,
  `AccountKey=${DEV_KEY}`,
  `BlobEndpoint=http://127.0.0.1:10000/${DEV_ACCOUNT}`,
  `QueueEndpoint=http://127.0.0.1:10001/${DEV_ACCOUNT}`,
  `TableEndpoint=http://127.0.0.1:10002/${DEV_ACCOUNT}`,
].join(';') + ';';

/** Parses `Key=Value;Key=Value` (values may contain `=`, as account keys and SAS tokens do). */
function parseConnectionString(setting: string, value: string): Map<string, string> {
  const parts = new Map<string, string>();
  for (const piece of value.split(';')) {
    if (piece.trim() === '') continue;
    const eq = piece.indexOf('=');
    if (eq <= 0) throw new ConfigError(setting, 'is not a storage connection string (expected Key=Value pairs separated by ";")');
    parts.set(piece.slice(0, eq).trim().toLowerCase(), piece.slice(eq + 1).trim());
  }
  return parts;
}

function validateConnectionString(setting: string, value: string): string {
  if (/^UseDevelopmentStorage=true;?$/i.test(value.replace(/\s+/g, ''))) return DEVELOPMENT_STORAGE_CONNECTION_STRING;
  const parts = parseConnectionString(setting, value);
  const hasAccount = parts.has('accountname') || parts.has('blobendpoint');
  const hasSecret = parts.has('accountkey') || parts.has('sharedaccesssignature');
  // Never echo the value: it holds the account key.
  if (!hasAccount) throw new ConfigError(setting, 'storage connection string has neither AccountName nor BlobEndpoint');
  if (!hasSecret) throw new ConfigError(setting, 'storage connection string has neither AccountKey nor SharedAccessSignature (for a managed identity use the __accountName settings instead)');
  return value;
}

function isLoopback(host: string): boolean {
  return host === '127.0.0.1' || host === 'localhost' || host === '[::1]';
}

/** A service endpoint: https anywhere, http only on loopback (a bearer token must never cross a network in clear). */
function readServiceUrl(env: SettingsSource, setting: string): string | undefined {
  const raw = readString(env, setting);
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(setting, `is not a URL: "${raw}"`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url.hostname))) {
    throw new ConfigError(setting, `must be an https:// URL (http:// only for a loopback emulator), got "${raw}"`);
  }
  if (url.search !== '' || url.username !== '' || url.password !== '') {
    throw new ConfigError(setting, 'must be a bare service URL without query string or credentials (identity-based connections use no SAS)');
  }
  return raw.replace(/\/+$/, '');
}

/** `https://acct.blob.core.windows.net` -> `https://acct.queue.core.windows.net`, when the URL has that shape. */
function siblingServiceUrl(blobUrl: string, service: 'queue' | 'table'): string | undefined {
  const url = new URL(blobUrl);
  const labels = url.hostname.split('.');
  if (labels.length < 3 || labels[1] !== 'blob') return undefined;
  labels[1] = service;
  url.hostname = labels.join('.');
  return url.toString().replace(/\/+$/, '');
}

/**
 * Resolves the storage settings under `prefix` (default `AzureWebJobsStorage`), the way the Functions
 * host does. Returns undefined when nothing is configured (local CLI use: callers fall back to local
 * files). Throws ConfigError naming the setting when the settings contradict each other.
 */
export function resolveStorageTarget(env: SettingsSource, prefix = 'AzureWebJobsStorage'): StorageTarget | undefined {
  const s = (suffix: string) => `${prefix}__${suffix}`;
  const connectionString = readString(env, prefix);
  const accountName = readString(env, s('accountName'));
  const explicit = {
    blob: readServiceUrl(env, s('blobServiceUri')) ?? readServiceUrl(env, s('serviceUri')),
    queue: readServiceUrl(env, s('queueServiceUri')),
    table: readServiceUrl(env, s('tableServiceUri')),
  };
  const credentialKind = readString(env, s('credential'));
  const clientId = readString(env, s('clientId'));
  const identityConfigured = accountName !== undefined || explicit.blob !== undefined || explicit.queue !== undefined || explicit.table !== undefined;

  if (connectionString !== undefined) {
    // Two ways of naming the account at once is a mistake that would silently pick one of them.
    if (identityConfigured) {
      const other = accountName !== undefined ? s('accountName') : explicit.blob !== undefined ? s('blobServiceUri') : explicit.queue !== undefined ? s('queueServiceUri') : s('tableServiceUri');
      throw new ConfigError(other, `is set together with the connection string in ${prefix}: set one or the other`);
    }
    return { kind: 'connection-string', connectionString: validateConnectionString(prefix, connectionString) };
  }
  if (!identityConfigured) {
    if (credentialKind !== undefined || clientId !== undefined) {
      throw new ConfigError(s('accountName'), `is required when ${s(credentialKind !== undefined ? 'credential' : 'clientId')} is set (or set ${s('blobServiceUri')}, ${s('queueServiceUri')} and ${s('tableServiceUri')})`);
    }
    return undefined;
  }

  let derived: { blob?: string; queue?: string; table?: string } = {};
  if (accountName !== undefined) {
    if (!/^[a-z0-9]{3,24}$/.test(accountName)) {
      throw new ConfigError(s('accountName'), `must be 3-24 lowercase letters and digits, got "${accountName}"`);
    }
    derived = {
      blob: `https://${accountName}.blob.core.windows.net`,
      queue: `https://${accountName}.queue.core.windows.net`,
      table: `https://${accountName}.table.core.windows.net`,
    };
  }
  const blobServiceUrl = explicit.blob ?? derived.blob;
  if (blobServiceUrl === undefined) {
    throw new ConfigError(s('blobServiceUri'), `is required with ${explicit.queue !== undefined ? s('queueServiceUri') : s('tableServiceUri')} (or set ${s('accountName')})`);
  }
  const queueServiceUrl = explicit.queue ?? derived.queue ?? siblingServiceUrl(blobServiceUrl, 'queue');
  if (queueServiceUrl === undefined) {
    throw new ConfigError(s('queueServiceUri'), `cannot be derived from ${s('blobServiceUri')} "${blobServiceUrl}": set it`);
  }
  const tableServiceUrl = explicit.table ?? derived.table ?? siblingServiceUrl(blobServiceUrl, 'table');
  if (tableServiceUrl === undefined) {
    throw new ConfigError(s('tableServiceUri'), `cannot be derived from ${s('blobServiceUri')} "${blobServiceUrl}": set it`);
  }

  let credential: TokenCredential;
  if (credentialKind !== undefined) {
    if (credentialKind.toLowerCase() !== 'managedidentity') {
      throw new ConfigError(s('credential'), `the only supported value is managedidentity, got "${credentialKind}"`);
    }
    credential = clientId !== undefined ? new ManagedIdentityCredential({ clientId }) : new ManagedIdentityCredential();
  } else {
    credential = clientId !== undefined ? new DefaultAzureCredential({ managedIdentityClientId: clientId }) : new DefaultAzureCredential();
  }
  return { kind: 'identity', blobServiceUrl, queueServiceUrl, tableServiceUrl, credential };
}

/** Endpoint of one service from a connection string, for logs and for the insecure-connection decision. */
function connectionStringEndpoint(connectionString: string, service: 'blob' | 'queue' | 'table'): string | undefined {
  const parts = parseConnectionString('connection string', connectionString);
  const explicit = parts.get(`${service}endpoint`);
  if (explicit) return explicit.replace(/\/+$/, '');
  const account = parts.get('accountname');
  if (!account) return undefined;
  const protocol = parts.get('defaultendpointsprotocol') ?? 'https';
  const suffix = parts.get('endpointsuffix') ?? 'core.windows.net';
  return `${protocol}://${account}.${service}.${suffix}`;
}

/** Service URL without secrets, for log lines and store names. */
export function describeStorageTarget(t: StorageTarget, service: 'blob' | 'queue' | 'table' = 'blob'): string {
  if (t.kind === 'identity') {
    return service === 'blob' ? t.blobServiceUrl : service === 'queue' ? t.queueServiceUrl : t.tableServiceUrl;
  }
  return connectionStringEndpoint(t.connectionString, service) ?? '(connection string)';
}

export function blobServiceClient(t: StorageTarget, options?: StoragePipelineOptions): BlobServiceClient {
  return t.kind === 'connection-string'
    ? BlobServiceClient.fromConnectionString(t.connectionString, options)
    : new BlobServiceClient(t.blobServiceUrl, t.credential, options);
}

export function tableClient(t: StorageTarget, tableName: string, options?: TableServiceClientOptions): TableClient {
  // The Tables SDK refuses http:// unless told; that is only ever a loopback emulator here.
  const endpoint = describeStorageTarget(t, 'table');
  const allowInsecureConnection = endpoint.startsWith('http://');
  const opts: TableServiceClientOptions = { ...options, allowInsecureConnection };
  return t.kind === 'connection-string'
    ? TableClient.fromConnectionString(t.connectionString, tableName, opts)
    : new TableClient(t.tableServiceUrl, tableName, t.credential, opts);
}

export function queueClient(t: StorageTarget, queueName: string, options?: QueuePipelineOptions): QueueClient {
  return t.kind === 'connection-string'
    ? QueueServiceClient.fromConnectionString(t.connectionString, options).getQueueClient(queueName)
    : new QueueClient(`${t.queueServiceUrl}/${queueName}`, t.credential, options);
}
