/**
 * Reads secrets (Graph client secret, collector tokens) and PEM certificates from Key Vault with the
 * real SecretClient and the app's own identity. Transient failures (429, 5xx, network, the identity
 * endpoint hiccuping) are retried here, inside a time budget, honouring Retry-After; the SDK's own
 * retry policy is switched off so that one 503 is not retried by two layers (peers make 12 requests
 * for one 503). Values are cached for a short TTL: many tenants and sinks share a handful of secrets.
 */
import type { TokenCredential } from '@azure/identity';
import { SecretClient, type SecretClientOptions } from '@azure/keyvault-secrets';
import { isPublicKeyVaultHost } from '../auth/clouds';
import { inspectIdentityError } from '../auth/errors';
import { ConfigError, readString, type SettingsSource } from '../config/env';
import { isRetryableStatus, isTransientNetworkError, parseRetryAfter, RetryExhaustedError, withRetry, type RetryDecision, type RetryOptions } from '../delivery/retry';
import type { Logger } from '../observability/log';

/** What consumers of secrets depend on (the Graph credential, HTTP sinks' DESTINATION_TOKEN_SECRET_NAME). */
export type SecretSource = {
  getSecret(name: string, options?: { bypassCache?: boolean }): Promise<string>;
};

export type SecretKind = 'secret' | 'certificate';

/** The secret (or certificate) does not exist in the vault. Names the vault and secret, never a value. */
export class SecretNotFoundError extends Error {
  constructor(readonly vaultUrl: string, readonly secretName: string, readonly kind: SecretKind = 'secret') {
    const vault = vaultName(vaultUrl);
    const fix = kind === 'secret'
      ? `az keyvault secret set --vault-name ${vault} --name ${secretName} --value <the secret value>`
      : `az keyvault certificate import --vault-name ${vault} --name ${secretName} --file <cert-and-key.pem> --policy '{"secretProperties":{"contentType":"application/x-pem-file"}}'`;
    super(`Key Vault ${vaultUrl} has no ${kind} named "${secretName}". Fix: ${fix} (or correct the ${kind} name setting)`);
    this.name = 'SecretNotFoundError';
  }
}

/** The vault refused the app identity (403): missing role, disabled secret, or firewall. */
export class KeyVaultAccessDeniedError extends Error {
  constructor(readonly vaultUrl: string, readonly secretName: string, readonly code: string | undefined, detail: string) {
    const hint = /firewall|ForbiddenByFirewall|network/i.test(`${code ?? ''} ${detail}`)
      ? 'allow the Function App\'s outbound network (VNet/private endpoint or firewall rule) on the vault'
      : /disabled/i.test(`${code ?? ''} ${detail}`)
        ? `enable the current version of "${secretName}"`
        : `grant the Function App's managed identity the "Key Vault Secrets User" role on the vault (az role assignment create --role "Key Vault Secrets User" --assignee <principal id> --scope <vault resource id>)`;
    super(`Key Vault ${vaultUrl} denied reading "${secretName}"${code ? ` (${code})` : ''}: ${detail}. Fix: ${hint}`);
    this.name = 'KeyVaultAccessDeniedError';
  }
}

/** Any other Key Vault failure; `transient` says whether it was still failing transiently when the budget ran out. */
export class KeyVaultError extends Error {
  constructor(readonly vaultUrl: string, readonly secretName: string, readonly transient: boolean, detail: string, options?: { cause?: unknown }) {
    super(`Reading "${secretName}" from Key Vault ${vaultUrl} failed${transient ? ' (still failing after retries)' : ''}: ${detail}`, options);
    this.name = 'KeyVaultError';
  }
}

/** The certificate's secret is not a PEM with a certificate and a private key. */
export class CertificateFormatError extends Error {
  constructor(readonly vaultUrl: string, readonly certificateName: string, problem: string) {
    super(`Key Vault certificate "${certificateName}" in ${vaultUrl} cannot be used: ${problem}. Fix: create or import it with content type PEM (policy secretProperties.contentType = application/x-pem-file) and an exportable key`);
    this.name = 'CertificateFormatError';
  }
}

export interface KeyVaultSecretResolverOptions {
  vaultUrl: string;
  /** The app's own identity (createAppCredential), with the Key Vault Secrets User role. */
  credential: TokenCredential;
  logger: Logger;
  /** Total time retries of one read may take. Default 30 s. */
  retryBudgetMs?: number;
  /** How long a value read is reused. Default 5 minutes; 0 disables caching. */
  cacheTtlMs?: number;
  /**
   * Extra SecretClient options, e.g. `tlsOptions: { ca }` for a private CA in tests, or a custom
   * httpClient. `retryOptions` is always forced to maxRetries 0 (retries are ours).
   */
  clientOptions?: SecretClientOptions;
  /** Backoff tuning and injectable sleep/random for tests. */
  retry?: Partial<Omit<RetryOptions, 'budgetMs'>>;
  now?: () => number;
}

interface CachedValue { value: string; contentType?: string; expiresAt: number }

/** The vault name as `az` wants it (first DNS label), or the URL itself for non-Azure hosts. */
function vaultName(vaultUrl: string): string {
  try {
    const host = new URL(vaultUrl).hostname;
    return /^\d+\.\d+\.\d+\.\d+$/.test(host) || host === 'localhost' ? vaultUrl : host.split('.')[0]!;
  } catch {
    return vaultUrl;
  }
}

function restStatus(err: unknown): number | undefined {
  const s = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof s === 'number' ? s : undefined;
}

function restCode(err: unknown): string | undefined {
  const c = (err as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : undefined;
}

function retryAfterOf(err: unknown): number | undefined {
  const headers = (err as { response?: { headers?: { get?(n: string): string | undefined } } } | null)?.response?.headers;
  return parseRetryAfter(headers?.get?.('retry-after'));
}

/** Key Vault error body message, e.g. "A secret with (name/id) x was not found in this key vault." */
function restMessage(err: unknown): string {
  const m = err instanceof Error ? err.message : String(err);
  return m.split('\n')[0]!.slice(0, 300);
}

export class KeyVaultSecretResolver implements SecretSource {
  readonly vaultUrl: string;
  private readonly client: SecretClient;
  private readonly cache = new Map<string, CachedValue>();
  private readonly inflight = new Map<string, Promise<CachedValue>>();
  private readonly now: () => number;
  private readonly ttl: number;
  private readonly budget: number;

  constructor(private readonly opts: KeyVaultSecretResolverOptions) {
    this.vaultUrl = opts.vaultUrl.replace(/\/+$/, '');
    this.now = opts.now ?? Date.now;
    this.ttl = opts.cacheTtlMs ?? 5 * 60_000;
    this.budget = opts.retryBudgetMs ?? 30_000;
    this.client = new SecretClient(this.vaultUrl, opts.credential, {
      ...opts.clientOptions,
      // Private endpoints, sovereign proxies and test doubles answer the challenge with a resource
      // that is not under the vault's own domain; the SDK would refuse it.
      disableChallengeResourceVerification: opts.clientOptions?.disableChallengeResourceVerification ?? !isPublicKeyVaultHost(this.vaultUrl),
      retryOptions: { maxRetries: 0 },
    });
  }

  async getSecret(name: string, options: { bypassCache?: boolean } = {}): Promise<string> {
    return (await this.read(name, 'secret', options.bypassCache ?? false)).value;
  }

  /**
   * The PEM (certificate + private key) of a Key Vault certificate, read from the secret of the same
   * name as Key Vault stores it. Requires the certificate's content type to be PEM.
   */
  async getCertificatePem(name: string, options: { bypassCache?: boolean } = {}): Promise<string> {
    const got = await this.read(name, 'certificate', options.bypassCache ?? false);
    if (got.contentType && /pkcs12/i.test(got.contentType)) {
      throw new CertificateFormatError(this.vaultUrl, name, 'it is stored as PKCS#12 (application/x-pkcs12), and the client needs PEM');
    }
    if (!/-----BEGIN CERTIFICATE-----/.test(got.value)) throw new CertificateFormatError(this.vaultUrl, name, 'the secret holds no PEM certificate');
    if (!/-----BEGIN (RSA |EC |ENCRYPTED )?PRIVATE KEY-----/.test(got.value)) {
      throw new CertificateFormatError(this.vaultUrl, name, 'the secret holds no private key (is the key exportable?)');
    }
    return got.value;
  }

  private async read(name: string, kind: SecretKind, bypassCache: boolean): Promise<CachedValue> {
    const key = `${kind}|${name.toLowerCase()}`;
    if (!bypassCache) {
      const cached = this.cache.get(key);
      if (cached && cached.expiresAt > this.now()) return cached;
      const pending = this.inflight.get(key);
      if (pending) return pending;
    }
    const p = this.fetch(name, kind).finally(() => {
      if (this.inflight.get(key) === p) this.inflight.delete(key);
    });
    this.inflight.set(key, p);
    const got = await p;
    if (this.ttl > 0) this.cache.set(key, got);
    return got;
  }

  private async fetch(name: string, kind: SecretKind): Promise<CachedValue> {
    const started = this.now();
    try {
      const secret = await withRetry(async () => this.client.getSecret(name), (err) => this.classify(err), {
        ...this.opts.retry,
        budgetMs: this.budget,
        onRetry: (info) => {
          this.opts.logger.warn('Key Vault read failed transiently; retrying', { vault: this.vaultUrl, name, attempt: info.attempt, delayMs: info.delayMs, reason: info.reason });
          this.opts.retry?.onRetry?.(info);
        },
      });
      if (secret.value === undefined) throw new KeyVaultError(this.vaultUrl, name, false, 'the secret has no value');
      this.opts.logger.info('Read from Key Vault', { vault: this.vaultUrl, name, kind, ms: this.now() - started });
      return { value: secret.value, ...(secret.properties.contentType ? { contentType: secret.properties.contentType } : {}), expiresAt: this.now() + this.ttl };
    } catch (err) {
      throw this.translate(err, name, kind);
    }
  }

  private classify(err: unknown): RetryDecision {
    const status = restStatus(err);
    if (status !== undefined) {
      if (isRetryableStatus(status)) {
        const retryAfterMs = retryAfterOf(err);
        return { retry: true, reason: `HTTP ${status}`, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
      }
      return { retry: false, reason: `HTTP ${status}` };
    }
    if (isTransientNetworkError(err)) return { retry: true, reason: restCode(err) ?? 'network error' };
    // Errors of the app's own credential (managed identity endpoint) come through getSecret too.
    const name = (err as { name?: unknown } | null)?.name;
    if (name === 'AuthenticationError' || name === 'AuthenticationRequiredError' || name === 'CredentialUnavailableError' || name === 'AggregateAuthenticationError') {
      const info = inspectIdentityError(err);
      return info.transient ? { retry: true, reason: `identity: ${info.summary}` } : { retry: false, reason: `identity: ${info.summary}` };
    }
    return { retry: false, reason: restMessage(err) };
  }

  private translate(err: unknown, name: string, kind: SecretKind): Error {
    if (err instanceof KeyVaultError) return err;
    const last = err instanceof RetryExhaustedError ? err.lastError : err;
    const status = restStatus(last);
    const code = restCode(last);
    if (status === 404 || code === 'SecretNotFound') return new SecretNotFoundError(this.vaultUrl, name, kind);
    if (status === 403) return new KeyVaultAccessDeniedError(this.vaultUrl, name, code, restMessage(last));
    const transient = err instanceof RetryExhaustedError ? !err.permanent : false;
    let detail = err instanceof RetryExhaustedError && err.attempts > 1 ? `${err.lastReason} after ${err.attempts} attempt(s)` : restMessage(last);
    if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|unable to verify|self[- ]signed/i.test(`${code ?? ''} ${detail}`)) {
      detail += ' (TLS: the vault\'s certificate is not trusted; behind a TLS-inspecting proxy or a private CA, add that CA with NODE_EXTRA_CA_CERTS)';
    }
    const identity = (last as { name?: unknown } | null)?.name;
    if (typeof identity === 'string' && /Authentication|Credential/.test(identity)) {
      return new KeyVaultError(this.vaultUrl, name, transient,
        `the app identity could not get a Key Vault token (${detail}). Fix: enable the Function App's managed identity (set AZURE_CLIENT_ID for a user-assigned one) or sign in with az login locally`, { cause: last });
    }
    return new KeyVaultError(this.vaultUrl, name, transient, detail, { cause: last });
  }
}

export interface KeyVaultSettings {
  vaultUrl?: string;
}

/** KEY_VAULT_URL: an https URL (the vault's DNS name); undefined when unset. */
export function parseKeyVaultSettings(env: SettingsSource): KeyVaultSettings {
  const raw = readString(env, 'KEY_VAULT_URL');
  if (raw === undefined) return {};
  let url: URL;
  try { url = new URL(raw); } catch { throw new ConfigError('KEY_VAULT_URL', `expected https://<vault-name>.vault.azure.net, got "${raw}"`); }
  if (url.protocol !== 'https:') throw new ConfigError('KEY_VAULT_URL', `must use https, got "${raw}"`);
  if (url.pathname !== '/' || url.search) throw new ConfigError('KEY_VAULT_URL', `must be the vault URL without a path (https://<vault-name>.vault.azure.net), got "${raw}"`);
  return { vaultUrl: url.origin };
}
