/**
 * Which tenants to poll and how each authenticates: GRAPH_TENANTS (managed security providers, a JSON
 * array) or the single-tenant settings GRAPH_TENANT_ID / GRAPH_CLIENT_ID with a Key Vault secret, a Key
 * Vault certificate, or (local development only) a plain GRAPH_CLIENT_SECRET.
 *
 * Error messages never quote values that might be secrets: a secret pasted into the wrong field or a
 * JSON snippet would otherwise end up in logs. They say which setting (and array index/field) is wrong.
 */
import { ConfigError, readString, type SettingsSource } from '../config/env';
import { silentLogger, type Logger } from '../observability/log';

export interface GraphTenantConfig {
  tenantId: string;
  clientId: string;
  /** Key Vault secret holding the client secret. */
  secretName?: string;
  /** Key Vault certificate (PEM content type) used with ClientCertificateCredential. */
  certificateName?: string;
  /** Client secret given in plain text (GRAPH_CLIENT_SECRET): local development only. */
  plainSecret?: string;
}

export const DEFAULT_SECRET_NAME = 'graph-client-secret';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A verified domain name, which Entra also accepts as tenant (contoso.onmicrosoft.com). */
const DOMAIN = /^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
/** Key Vault object names: 1-127 characters, letters, digits and dashes. */
const VAULT_NAME = /^[0-9a-zA-Z-]{1,127}$/;
/** Multi-tenant aliases cannot be used with client credentials: a token is always for one tenant. */
const TENANT_ALIASES = new Set(['common', 'organizations', 'consumers']);

const TENANT_FIELDS = ['tenantId', 'clientId', 'secretName', 'certificateName'] as const;
/** Field names that would carry a secret value: refused so that secrets stay in Key Vault. */
const SECRET_LIKE_FIELDS = /secret$|password|^clientSecret$|^secretValue$|^key$|^certificate$/i;

function describe(value: string): string {
  return `${value.length} character(s)`;
}

function checkTenantId(setting: string, value: string): string {
  if (TENANT_ALIASES.has(value.toLowerCase())) {
    throw new ConfigError(setting, `"${value}" is not a tenant: give the directory (tenant) id GUID of the tenant to poll`);
  }
  if (!GUID.test(value) && !DOMAIN.test(value)) {
    throw new ConfigError(setting, `expected a tenant id GUID like 00000000-0000-0000-0000-000000000000 or a verified domain, got a value of ${describe(value)}`);
  }
  return value.toLowerCase();
}

function checkClientId(setting: string, value: string): string {
  if (!GUID.test(value)) {
    throw new ConfigError(setting, `expected the application (client) id GUID like 00000000-0000-0000-0000-000000000000, got a value of ${describe(value)} (the secret value belongs in Key Vault, not here)`);
  }
  return value.toLowerCase();
}

function checkVaultName(setting: string, value: string): string {
  if (!VAULT_NAME.test(value)) {
    throw new ConfigError(setting, `a Key Vault name has 1-127 letters, digits and dashes; got a value of ${describe(value)}`);
  }
  return value;
}

export interface ParseGraphTenantsOptions {
  /** Receives the warning about a plain GRAPH_CLIENT_SECRET. */
  logger?: Logger;
}

/**
 * The tenants to poll, [] when Graph polling is not configured. Throws ConfigError naming the setting
 * (for GRAPH_TENANTS `GRAPH_TENANTS[i].field`).
 */
export function parseGraphTenants(env: SettingsSource, options: ParseGraphTenantsOptions = {}): GraphTenantConfig[] {
  const logger = options.logger ?? silentLogger;
  const many = readString(env, 'GRAPH_TENANTS');
  if (many !== undefined) {
    for (const single of ['GRAPH_TENANT_ID', 'GRAPH_CLIENT_ID', 'GRAPH_CLIENT_SECRET', 'GRAPH_CLIENT_CERTIFICATE_NAME']) {
      if (readString(env, single) !== undefined) {
        throw new ConfigError('GRAPH_TENANTS', `set either GRAPH_TENANTS or the single-tenant ${single}, not both`);
      }
    }
    const defaultSecretName = checkVaultName('GRAPH_CLIENT_SECRET_NAME', readString(env, 'GRAPH_CLIENT_SECRET_NAME') ?? DEFAULT_SECRET_NAME);
    return parseTenantArray(many, defaultSecretName);
  }
  return parseSingleTenant(env, logger);
}

function parseSingleTenant(env: SettingsSource, logger: Logger): GraphTenantConfig[] {
  const tenantRaw = readString(env, 'GRAPH_TENANT_ID');
  const clientRaw = readString(env, 'GRAPH_CLIENT_ID');
  const plainSecret = readString(env, 'GRAPH_CLIENT_SECRET');
  const secretNameRaw = readString(env, 'GRAPH_CLIENT_SECRET_NAME');
  const certificateRaw = readString(env, 'GRAPH_CLIENT_CERTIFICATE_NAME');
  if (tenantRaw === undefined && clientRaw === undefined) {
    if (plainSecret !== undefined || certificateRaw !== undefined) {
      throw new ConfigError('GRAPH_TENANT_ID', 'is required (with GRAPH_CLIENT_ID) when a Graph client secret or certificate is configured');
    }
    return [];
  }
  if (tenantRaw === undefined) throw new ConfigError('GRAPH_TENANT_ID', 'is required when GRAPH_CLIENT_ID is set');
  if (clientRaw === undefined) throw new ConfigError('GRAPH_CLIENT_ID', 'is required when GRAPH_TENANT_ID is set');
  const tenant: GraphTenantConfig = {
    tenantId: checkTenantId('GRAPH_TENANT_ID', tenantRaw),
    clientId: checkClientId('GRAPH_CLIENT_ID', clientRaw),
  };
  const chosen = [plainSecret !== undefined && 'GRAPH_CLIENT_SECRET', certificateRaw !== undefined && 'GRAPH_CLIENT_CERTIFICATE_NAME', secretNameRaw !== undefined && 'GRAPH_CLIENT_SECRET_NAME']
    .filter((x): x is string => typeof x === 'string');
  if (chosen.length > 1) {
    throw new ConfigError(chosen[0]!, `set only one of ${chosen.join(', ')}: they are alternative ways to authenticate`);
  }
  if (plainSecret !== undefined) {
    logger.warn('GRAPH_CLIENT_SECRET is a plain-text client secret for local development only; in Azure store it in Key Vault and set KEY_VAULT_URL + GRAPH_CLIENT_SECRET_NAME', { setting: 'GRAPH_CLIENT_SECRET' });
    tenant.plainSecret = plainSecret;
  } else if (certificateRaw !== undefined) {
    tenant.certificateName = checkVaultName('GRAPH_CLIENT_CERTIFICATE_NAME', certificateRaw);
  } else {
    tenant.secretName = checkVaultName('GRAPH_CLIENT_SECRET_NAME', secretNameRaw ?? DEFAULT_SECRET_NAME);
  }
  return [tenant];
}

function parseTenantArray(text: string, defaultSecretName: string): GraphTenantConfig[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    // V8's message quotes part of the input, which may hold a secret: keep only the position.
    const position = /position (\d+)/.exec(err instanceof Error ? err.message : '')?.[1];
    throw new ConfigError('GRAPH_TENANTS', `is not valid JSON${position ? ` (error at character ${position})` : ''}; expected an array like [{"tenantId":"...","clientId":"...","secretName":"..."}]`);
  }
  if (!Array.isArray(parsed)) throw new ConfigError('GRAPH_TENANTS', 'must be a JSON array of {tenantId, clientId, secretName} objects');
  if (parsed.length === 0) throw new ConfigError('GRAPH_TENANTS', 'is an empty array: list at least one tenant or unset it');
  const seen = new Map<string, number>();
  return parsed.map((entry: unknown, i): GraphTenantConfig => {
    const at = (field?: string): string => `GRAPH_TENANTS[${i}]${field ? `.${field}` : ''}`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      throw new ConfigError(at(), 'must be an object {tenantId, clientId, secretName}');
    }
    const obj = entry as Record<string, unknown>;
    for (const key of Object.keys(obj)) {
      if ((TENANT_FIELDS as readonly string[]).includes(key)) continue;
      if (SECRET_LIKE_FIELDS.test(key)) {
        throw new ConfigError(at(key), 'secret values must not be put in settings: store the secret in Key Vault and give its name as secretName');
      }
      throw new ConfigError(at(key), `unknown field; allowed fields are ${TENANT_FIELDS.join(', ')}`);
    }
    const str = (field: (typeof TENANT_FIELDS)[number], required: boolean): string | undefined => {
      const v = obj[field];
      if (v === undefined || v === null) {
        if (required) throw new ConfigError(at(field), 'is required');
        return undefined;
      }
      if (typeof v !== 'string' || v.trim() === '') throw new ConfigError(at(field), 'must be a non-empty string');
      return v.trim();
    };
    const tenantId = checkTenantId(at('tenantId'), str('tenantId', true)!);
    const clientId = checkClientId(at('clientId'), str('clientId', true)!);
    const secretName = str('secretName', false);
    const certificateName = str('certificateName', false);
    if (secretName !== undefined && certificateName !== undefined) {
      throw new ConfigError(at('certificateName'), 'give either secretName or certificateName, not both');
    }
    const key = `${tenantId}|${clientId}`;
    const previous = seen.get(key);
    if (previous !== undefined) throw new ConfigError(at('tenantId'), `duplicates GRAPH_TENANTS[${previous}] (same tenantId and clientId)`);
    seen.set(key, i);
    if (certificateName !== undefined) return { tenantId, clientId, certificateName: checkVaultName(at('certificateName'), certificateName) };
    return { tenantId, clientId, secretName: secretName === undefined ? defaultSecretName : checkVaultName(at('secretName'), secretName) };
  });
}

/** A short label for logs and cursor keys: never contains a secret. */
export function tenantLabel(t: GraphTenantConfig): string {
  return `${t.tenantId}/${t.clientId}`;
}
