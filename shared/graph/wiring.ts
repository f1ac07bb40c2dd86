/**
 * What the Graph functions and the `poll` verb need, as one dependency object, and its production
 * wiring from settings: tenants and tokens (shared/auth, Key Vault), the cursor table and job queue
 * (shared/storage, AzureWebJobsStorage*), and delivery (the app runtime). Tests pass their own.
 */
import type { TableClient } from '@azure/data-tables';
import type { QueueClient } from '@azure/storage-queue';
import { createAppCredential, parseAppCredentialSettings } from '../auth/app-credential';
import { parseGraphCloud } from '../auth/clouds';
import { createGraphCredential, GraphTokenProvider } from '../auth/graph-credential';
import { parseGraphTenants, type GraphTenantConfig } from '../auth/tenants';
import { ConfigError, readString, type SettingsSource } from '../config/env';
import type { Logger } from '../observability/log';
import type { OutboundEvent } from '../sinks/types';
import { KeyVaultSecretResolver } from '../secrets/keyvault';
import { queueClient, resolveStorageTarget, tableClient } from '../storage/account';
import { readGraphPollSettings, type GraphPollSettings } from './settings';
import type { GraphTokenSource } from './types';

export interface GraphPollDeps {
  readonly env: SettingsSource;
  readonly settings: GraphPollSettings;
  /** GRAPH_BASE_URL as parsed by shared/auth (cloud-aware). */
  readonly graphBaseUrl: string;
  /** Configured tenant ids (GRAPH_TENANTS or GRAPH_TENANT_ID), in order. */
  tenants(): readonly string[];
  tokens(tenantId: string): GraphTokenSource;
  cursorTable(): TableClient;
  pollQueue(): QueueClient;
  /** Resolves when every item was delivered or durably dead-lettered; throws otherwise. */
  deliver(items: readonly OutboundEvent[], logger: Logger): Promise<void>;
  close?(): Promise<void>;
}

/** The delivery half of the app runtime (shared/app/runtime.ts `Runtime`). */
export interface DeliveryRuntime {
  deliver(items: readonly OutboundEvent[]): Promise<unknown>;
  close?(): Promise<void>;
}

export interface ProductionWiringOptions {
  env: SettingsSource;
  logger: Logger;
  /** The app runtime (getRuntime(env) in the Function App, createRuntime in the CLI). */
  runtime: () => Promise<DeliveryRuntime>;
}

export function createGraphPollDeps(options: ProductionWiringOptions): GraphPollDeps {
  const { env, logger } = options;
  const settings = readGraphPollSettings(env);
  const cloud = parseGraphCloud(env);
  const tenants: GraphTenantConfig[] = parseGraphTenants(env, { logger });
  const byId = new Map(tenants.map((t) => [t.tenantId, t]));
  const vaultUrl = readString(env, 'KEY_VAULT_URL');
  let secrets: KeyVaultSecretResolver | undefined;
  const providers = new Map<string, GraphTokenProvider>();
  let storage: ReturnType<typeof resolveStorageTarget>;
  let storageResolved = false;
  const target = () => {
    if (!storageResolved) {
      storage = resolveStorageTarget(env);
      storageResolved = true;
    }
    if (!storage) throw new ConfigError('AzureWebJobsStorage', 'is required for Graph polling: the poll cursors live in Table Storage (connection string, or AzureWebJobsStorage__accountName with a managed identity)');
    return storage;
  };
  let table: TableClient | undefined;
  let queue: QueueClient | undefined;
  let runtime: Promise<DeliveryRuntime> | undefined;
  return {
    env,
    settings,
    graphBaseUrl: cloud.graphBaseUrl,
    tenants: () => tenants.map((t) => t.tenantId),
    tokens(tenantId) {
      let p = providers.get(tenantId);
      if (!p) {
        const tenant = byId.get(tenantId);
        if (!tenant) throw new ConfigError('GRAPH_TENANTS', `tenant ${tenantId} is not configured`);
        if (vaultUrl && !secrets) {
          secrets = new KeyVaultSecretResolver({ vaultUrl, credential: createAppCredential(parseAppCredentialSettings(env)), logger });
        }
        const credential = createGraphCredential(tenant, { authorityHost: cloud.authorityHost, secrets, logger, disableInstanceDiscovery: cloud.disableInstanceDiscovery });
        p = new GraphTokenProvider(credential, cloud.graphBaseUrl, { tenant, authorityHost: cloud.authorityHost, logger });
        providers.set(tenantId, p);
      }
      return p;
    },
    cursorTable: () => (table ??= tableClient(target(), settings.cursorTable)),
    pollQueue: () => (queue ??= queueClient(target(), settings.pollQueue)),
    async deliver(items) {
      runtime ??= options.runtime();
      // The runtime logs delivery with its own logger; the poller logs the invocation's summary.
      await (await runtime).deliver(items);
    },
    async close() {
      if (runtime) await (await runtime).close?.();
    },
  };
}
