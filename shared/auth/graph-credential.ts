/**
 * The Graph app's credential per tenant and the token provider the Graph client uses.
 *
 * - Key Vault secret: ClientSecretCredential, built lazily at the first getToken (no Key Vault call
 *   at startup), and rebuilt once from a fresh Key Vault read when Entra says the secret is invalid or
 *   expired: the operator rotated it in Key Vault while the instance held the old value.
 * - Key Vault certificate: ClientCertificateCredential from the PEM (cert + key) Key Vault stores.
 * - Plain secret (GRAPH_CLIENT_SECRET, local development): ClientSecretCredential directly.
 *
 * The SDK (MSAL) caches tokens and fetches a new one shortly before expiry; GraphTokenProvider adds
 * retries of transient identity errors and turns permanent ones into GraphAuthError with the fix.
 */
import { createHash } from 'node:crypto';
import {
  ClientCertificateCredential,
  ClientSecretCredential,
  type AccessToken,
  type GetTokenOptions,
  type TokenCredential,
  type TokenCredentialOptions,
} from '@azure/identity';
import { ConfigError } from '../config/env';
import { withRetry, RetryExhaustedError, type RetryOptions } from '../delivery/retry';
import { silentLogger, type Logger } from '../observability/log';
import type { SecretSource } from '../secrets/keyvault';
import { graphScope, isPublicAuthorityHost } from './clouds';
import { GraphAuthError, inspectIdentityError, isRejectedCredential, toGraphAuthError } from './errors';
import { tenantLabel, type GraphTenantConfig } from './tenants';

export type GraphSecretSource = SecretSource & {
  getCertificatePem?(name: string, options?: { bypassCache?: boolean }): Promise<string>;
};

export interface GraphCredentialOptions {
  /** GRAPH_AUTHORITY_HOST, e.g. https://login.microsoftonline.us */
  authorityHost: string;
  /** Key Vault (KeyVaultSecretResolver); required unless the tenant has a plain secret. */
  secrets?: GraphSecretSource;
  logger?: Logger;
  /**
   * Extra identity client options: `tlsOptions: { ca }` for a private CA in tests, a custom httpClient.
   * `retryOptions` defaults to maxRetries 0 because GraphTokenProvider owns retries.
   */
  clientOptions?: TokenCredentialOptions;
  /** Default: true when authorityHost is not a public Entra login host. */
  disableInstanceDiscovery?: boolean;
  /** Shortest time between two "secret rejected, re-read Key Vault" attempts. Default 60 s. */
  rotationRecheckMs?: number;
  now?: () => number;
}

/** Where the credential material comes from, for error messages (names only, never values). */
export function describeCredentialSource(tenant: GraphTenantConfig): string {
  if (tenant.certificateName) return `Key Vault certificate "${tenant.certificateName}"`;
  if (tenant.plainSecret !== undefined) return 'GRAPH_CLIENT_SECRET';
  return `Key Vault secret "${tenant.secretName}"`;
}

/** Credential material: a fingerprint (to notice rotation without keeping values around) and a factory of SDK credentials. */
interface Material { fingerprint: string; build: () => TokenCredential }

/**
 * A TokenCredential whose secret/certificate is loaded on first use, reloaded (bypassing the Key
 * Vault cache) at most once per `rotationRecheckMs` when Entra rejects it, and whose SDK credential is
 * rebuilt after a transient failure. The rebuild is needed because MSAL remembers a 5xx/429 from the
 * token endpoint per client+scope and answers every further request from that memory for 60 s (also
 * after `Retry-After: 0`) without touching the network: the caller's backoff, not that fixed minute,
 * should decide when to try again.
 */
class ReloadableGraphCredential implements TokenCredential {
  private material: Promise<Material> | undefined;
  private credential: { fingerprint: string; sdk: TokenCredential } | undefined;
  private lastReload = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly load: (bypassCache: boolean) => Promise<Material>,
    private readonly label: string,
    private readonly logger: Logger,
    private readonly recheckMs: number,
    private readonly now: () => number,
  ) {}

  async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
    const current = await this.current();
    try {
      return await current.sdk.getToken(scopes, options);
    } catch (err) {
      if (inspectIdentityError(err).transient) {
        this.credential = undefined; // next attempt: a fresh SDK credential, same material
        throw err;
      }
      if (!isRejectedCredential(err) || this.now() - this.lastReload < this.recheckMs) throw err;
      this.lastReload = this.now();
      this.material = undefined;
      this.credential = undefined;
      const fresh = await this.current(true);
      if (fresh.fingerprint === current.fingerprint) {
        this.logger.warn('Entra rejected the Graph credential and Key Vault still holds the same value', { tenant: this.label });
        throw err;
      }
      this.logger.info('Graph credential changed in Key Vault (rotation); retrying with the new value', { tenant: this.label });
      return fresh.sdk.getToken(scopes, options);
    }
  }

  /** Drops the SDK credential and with it MSAL's token cache: the next getToken asks Entra again. */
  invalidate(): void {
    this.credential = undefined;
  }

  private async current(bypassCache = false): Promise<{ fingerprint: string; sdk: TokenCredential }> {
    if (!this.material) {
      const p = this.load(bypassCache);
      this.material = p;
      // A failed load (Key Vault down, secret missing) must not stick: the next getToken tries again.
      p.catch(() => { if (this.material === p) this.material = undefined; });
    }
    const material = await this.material;
    if (!this.credential || this.credential.fingerprint !== material.fingerprint) {
      this.credential = { fingerprint: material.fingerprint, sdk: material.build() };
    }
    return this.credential;
  }
}

function fingerprint(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/** The credential for one tenant's Graph app registration. */
export function createGraphCredential(tenant: GraphTenantConfig, opts: GraphCredentialOptions): TokenCredential {
  const logger = opts.logger ?? silentLogger;
  const identityOptions = {
    retryOptions: { maxRetries: 0 },
    ...opts.clientOptions,
    authorityHost: opts.authorityHost,
    disableInstanceDiscovery: opts.disableInstanceDiscovery ?? !isPublicAuthorityHost(opts.authorityHost),
  };
  const now = opts.now ?? Date.now;
  const recheck = opts.rotationRecheckMs ?? 60_000;
  const label = tenantLabel(tenant);
  const plain = tenant.plainSecret;
  if (plain !== undefined) {
    const material: Material = {
      fingerprint: fingerprint(plain),
      build: () => new ClientSecretCredential(tenant.tenantId, tenant.clientId, plain, identityOptions),
    };
    return new ReloadableGraphCredential(async () => material, label, logger, Number.POSITIVE_INFINITY, now);
  }
  const secrets = opts.secrets;
  const source = describeCredentialSource(tenant);
  if (!secrets) {
    throw new ConfigError('KEY_VAULT_URL', `is required to read the Graph ${source} for tenant ${tenant.tenantId} (or set GRAPH_CLIENT_SECRET for local development)`);
  }
  if (tenant.certificateName) {
    const name = tenant.certificateName;
    if (!secrets.getCertificatePem) throw new ConfigError('KEY_VAULT_URL', `the secret source cannot read certificates (needed for ${source})`);
    const getPem = secrets.getCertificatePem.bind(secrets);
    return new ReloadableGraphCredential(async (bypassCache) => {
      const pem = await getPem(name, { bypassCache });
      return {
        fingerprint: fingerprint(pem),
        build: () => new ClientCertificateCredential(tenant.tenantId, tenant.clientId, { certificate: pem }, identityOptions),
      };
    }, label, logger, recheck, now);
  }
  const name = tenant.secretName;
  if (!name) throw new ConfigError('GRAPH_CLIENT_SECRET_NAME', `no secret name for tenant ${tenant.tenantId}`);
  return new ReloadableGraphCredential(async (bypassCache) => {
    const secret = await secrets.getSecret(name, { bypassCache });
    return {
      fingerprint: fingerprint(secret),
      build: () => new ClientSecretCredential(tenant.tenantId, tenant.clientId, secret, identityOptions),
    };
  }, label, logger, recheck, now);
}

export interface GraphTokenProviderOptions {
  /** The tenant, for error messages and logs. */
  tenant?: GraphTenantConfig;
  authorityHost?: string;
  logger?: Logger;
  /** Total time retries of one getToken may take. Default 60 s. */
  retryBudgetMs?: number;
  retry?: Partial<Omit<RetryOptions, 'budgetMs'>>;
}

/**
 * Bearer tokens for Graph calls (`${graphBaseUrl}/.default`). Call getToken before every request:
 * the SDK returns its cached token until shortly before expiry, then fetches a new one.
 */
export class GraphTokenProvider {
  readonly scope: string;

  constructor(private readonly credential: TokenCredential, graphBaseUrl: string, private readonly options: GraphTokenProviderOptions = {}) {
    this.scope = graphScope(graphBaseUrl);
  }

  /**
   * Forget the cached token, e.g. after Graph answered 401 InvalidAuthenticationToken for a token the
   * SDK still considers valid (revoked, clock skew). Only credentials made by createGraphCredential
   * support it; for others it does nothing.
   */
  invalidate(): void {
    const c = this.credential as Partial<{ invalidate(): void }>;
    if (typeof c.invalidate === 'function') c.invalidate();
  }

  /** `forceRefresh` (the Graph client passes it after a 401) drops the cached token first. */
  async getToken(options?: { forceRefresh?: boolean }): Promise<string> {
    if (options?.forceRefresh) this.invalidate();
    const logger = this.options.logger ?? silentLogger;
    const tenant = this.options.tenant;
    let resolutionFailures = 0;
    try {
      const token = await withRetry(async () => {
        const t = await this.credential.getToken(this.scope);
        if (!t) throw new Error('the credential returned no token');
        return t.token;
      }, (err) => {
        // Key Vault problems (missing secret, access denied) are already final and explained.
        if (err instanceof Error && /^(SecretNotFoundError|KeyVaultAccessDeniedError|CertificateFormatError|KeyVaultError|ConfigError)$/.test(err.name)) {
          return { retry: false, reason: err.message };
        }
        const info = inspectIdentityError(err);
        if (info.transient) return { retry: true, reason: info.summary };
        // MSAL reports an unknown tenant and an authority metadata endpoint in trouble alike
        // (endpoints_resolution_error): give it two more tries before calling it permanent.
        if (/endpoints_resolution_error/.test(info.summary) && ++resolutionFailures <= 2) return { retry: true, reason: info.summary };
        return { retry: false, reason: info.summary };
      }, {
        baseDelayMs: 500,
        ...this.options.retry,
        budgetMs: this.options.retryBudgetMs ?? 60_000,
        onRetry: (info) => {
          logger.warn('Token request failed transiently; retrying', { tenant: tenant ? tenantLabel(tenant) : undefined, attempt: info.attempt, delayMs: info.delayMs, reason: info.reason });
          this.options.retry?.onRetry?.(info);
        },
      });
      return token;
    } catch (err) {
      const last = err instanceof RetryExhaustedError ? err.lastError : err;
      if (last instanceof Error && /^(SecretNotFoundError|KeyVaultAccessDeniedError|CertificateFormatError|KeyVaultError|ConfigError)$/.test(last.name)) throw last;
      if (err instanceof RetryExhaustedError && !err.permanent) {
        throw new GraphAuthError('unavailable', `Token endpoint for tenant ${tenant?.tenantId ?? '?'} still failing after ${err.attempts} attempt(s): ${err.lastReason}`, tenant?.tenantId, tenant?.clientId, undefined, { cause: last });
      }
      throw toGraphAuthError(last, {
        tenantId: tenant?.tenantId,
        clientId: tenant?.clientId,
        credentialSource: tenant ? describeCredentialSource(tenant) : undefined,
        authorityHost: this.options.authorityHost,
      });
    }
  }
}
