/**
 * The app's own identity, for Key Vault and storage: in a Function App the managed identity
 * (IDENTITY_ENDPOINT + IDENTITY_HEADER, set by the platform), locally whatever DefaultAzureCredential
 * finds (az login, VS Code, environment). With AZURE_CLIENT_ID set, a user-assigned managed identity is
 * asked for directly: DefaultAzureCredential would otherwise try the other sources first and, with
 * several identities attached, could pick the wrong one.
 */
import {
  DefaultAzureCredential,
  ManagedIdentityCredential,
  type TokenCredential,
  type TokenCredentialOptions,
} from '@azure/identity';
import { ConfigError, readString, type SettingsSource } from '../config/env';

export interface AppCredentialSettings {
  /** AZURE_CLIENT_ID: client id of a user-assigned managed identity. */
  managedIdentityClientId?: string;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function parseAppCredentialSettings(env: SettingsSource): AppCredentialSettings {
  const clientId = readString(env, 'AZURE_CLIENT_ID');
  if (clientId === undefined) return {};
  if (!GUID.test(clientId)) {
    throw new ConfigError('AZURE_CLIENT_ID', `expected the client id GUID of the user-assigned managed identity, got a value of ${clientId.length} character(s)`);
  }
  return { managedIdentityClientId: clientId };
}

export interface AppCredentialOptions extends AppCredentialSettings {
  /** Extra identity client options (e.g. tlsOptions for a private CA in tests). */
  clientOptions?: TokenCredentialOptions;
}

export function createAppCredential(options: AppCredentialOptions = {}): TokenCredential {
  if (options.managedIdentityClientId) {
    return new ManagedIdentityCredential({ ...options.clientOptions, clientId: options.managedIdentityClientId });
  }
  return new DefaultAzureCredential({ ...options.clientOptions });
}
