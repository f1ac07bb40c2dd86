/**
 * Picks the dead-letter store from settings: Blob Storage whenever a storage account is configured
 * (the Function App always has one), otherwise a local folder (CLI use on a laptop).
 */
import path from 'node:path';
import type { StoragePipelineOptions } from '@azure/storage-blob';
import { ConfigError, readString, type SettingsSource } from '../config/env';
import type { Logger } from '../observability/log';
import { blobServiceClient, resolveStorageTarget } from '../storage/account';
import { BlobDeadLetterStore, DEFAULT_DEADLETTER_CONTAINER } from './blob-store';
import { LocalDirDeadLetterStore } from './local-store';
import type { DeadLetterUnitStore } from './unit';

export const DEFAULT_DEADLETTER_DIR = './deadletter';

export interface DeadLetterSettings {
  container: string;
  dir: string;
}

/** DEADLETTER_CONTAINER (default `deadletter`) and DEADLETTER_DIR (default `./deadletter`). */
export function readDeadLetterSettings(env: SettingsSource): DeadLetterSettings {
  const container = readString(env, 'DEADLETTER_CONTAINER') ?? DEFAULT_DEADLETTER_CONTAINER;
  // Blob container naming rules; checked here so a typo fails at start, not at the first dead letter.
  if (!/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/.test(container)) {
    throw new ConfigError('DEADLETTER_CONTAINER', `"${container}" is not a valid container name (3-63 lowercase letters, digits and single hyphens)`);
  }
  return { container, dir: readString(env, 'DEADLETTER_DIR') ?? DEFAULT_DEADLETTER_DIR };
}

export interface CreateDeadLetterStoreOptions {
  /** Blob client pipeline options, e.g. shorter retries in tests. */
  blobPipeline?: StoragePipelineOptions;
  /** Base for a relative DEADLETTER_DIR; default the process working directory. */
  cwd?: string;
}

export function createDeadLetterStore(env: SettingsSource, logger: Logger, options: CreateDeadLetterStoreOptions = {}): DeadLetterUnitStore {
  const settings = readDeadLetterSettings(env);
  const target = resolveStorageTarget(env);
  const store: DeadLetterUnitStore = target
    ? new BlobDeadLetterStore({ service: blobServiceClient(target, options.blobPipeline), containerName: settings.container })
    : new LocalDirDeadLetterStore({ dir: path.resolve(options.cwd ?? process.cwd(), settings.dir) });
  logger.info('dead-letter store selected', { store: store.name });
  return store;
}
