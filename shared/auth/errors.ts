/**
 * What an Entra / @azure/identity failure means: transient (retry), or permanent with the likely
 * cause and the fix an operator can act on. @azure/identity surfaces token-endpoint errors in several
 * shapes (AuthenticationError with errorResponse, AuthenticationRequiredError or
 * CredentialUnavailableError carrying MSAL's message), so the classification reads the AADSTS code
 * and HTTP status from whichever is present.
 */
import { isRetryableStatus, isTransientNetworkError } from '../delivery/retry';

export type GraphAuthCause =
  | 'invalid-secret'
  | 'expired-secret'
  | 'unknown-client'
  | 'tenant-not-found'
  | 'consent-missing'
  | 'invalid-certificate'
  | 'wrong-cloud'
  | 'forbidden'
  /** Transient failures outlasted the retry budget: try again next run, not a configuration error. */
  | 'unavailable'
  | 'other';

/** A permanent authentication failure; `message` names the cause and the fix, never a secret. */
export class GraphAuthError extends Error {
  constructor(
    /** The classified cause (named `reason`: Error.cause holds the original error). */
    readonly reason: GraphAuthCause,
    message: string,
    readonly tenantId: string | undefined,
    readonly clientId: string | undefined,
    /** The AADSTS code when Entra gave one, e.g. "AADSTS7000215". */
    readonly aadstsCode?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'GraphAuthError';
  }
}

export interface IdentityErrorInfo {
  transient: boolean;
  /** First AADSTS code found, as a number. */
  aadsts?: number;
  statusCode?: number;
  /** A short description for logs (secret-free: Entra messages carry ids, never secret values). */
  summary: string;
}

/** AADSTS codes Entra documents as transient ("A transient error has occurred. Please try again."). */
const TRANSIENT_AADSTS = new Set([90033]);

function textOf(err: unknown): string {
  const parts: string[] = [];
  let e: unknown = err;
  for (let depth = 0; e && depth < 4; depth++) {
    if (e instanceof Error) parts.push(e.message);
    const resp = (e as { errorResponse?: { errorDescription?: unknown; error?: unknown } }).errorResponse;
    if (resp && typeof resp.errorDescription === 'string') parts.push(resp.errorDescription);
    const errors = (e as { errors?: unknown }).errors;
    if (Array.isArray(errors)) for (const inner of errors) parts.push(textOf(inner));
    e = (e as { cause?: unknown }).cause;
  }
  return parts.join('\n');
}

function statusOf(err: unknown): number | undefined {
  let e: unknown = err;
  for (let depth = 0; e && depth < 4; depth++) {
    const s = (e as { statusCode?: unknown; status?: unknown }).statusCode ?? (e as { status?: unknown }).status;
    if (typeof s === 'number') return s;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

function networkish(err: unknown): boolean {
  let e: unknown = err;
  for (let depth = 0; e && depth < 4; depth++) {
    if (isTransientNetworkError(e)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/** Reads the status, AADSTS code and transience of an error thrown by a TokenCredential. */
export function inspectIdentityError(err: unknown): IdentityErrorInfo {
  const text = textOf(err);
  const code = /AADSTS(\d+)/.exec(text)?.[1];
  const aadsts = code === undefined ? undefined : Number(code);
  let statusCode = statusOf(err);
  if (statusCode === undefined) {
    const m = /[Ss]tatus code:? (\d{3})/.exec(text);
    if (m) statusCode = Number(m[1]);
  }
  const transient =
    (aadsts !== undefined && TRANSIENT_AADSTS.has(aadsts)) ||
    (aadsts === undefined && statusCode !== undefined && isRetryableStatus(statusCode)) ||
    (aadsts === undefined && (networkish(err) || /network_error|ECONNREFUSED|ECONNRESET|ETIMEDOUT|socket hang up|temporarily_unavailable/i.test(text)));
  const firstLine = text.split('\n').find((l) => l.trim() !== '') ?? String(err);
  return { transient, ...(aadsts !== undefined ? { aadsts } : {}), ...(statusCode !== undefined ? { statusCode } : {}), summary: firstLine.slice(0, 300) };
}

/** True when the token endpoint rejected the client secret or certificate as wrong or expired: worth re-reading Key Vault once. */
export function isRejectedCredential(err: unknown): boolean {
  const { aadsts } = inspectIdentityError(err);
  return aadsts === 7000215 || aadsts === 7000222 || aadsts === 700027 || aadsts === 7000274;
}

export interface GraphAuthContext {
  tenantId?: string;
  clientId?: string;
  /** Where the secret/certificate came from, for the fix text (e.g. `Key Vault secret "graph-client-secret"`). */
  credentialSource?: string;
  authorityHost?: string;
  /** Which permissions the app needs (default both security read permissions). */
  permissions?: string[];
}

const DEFAULT_PERMISSIONS = ['SecurityIncident.Read.All', 'SecurityAlert.Read.All'];

/** Turns a permanent identity error into a GraphAuthError naming the cause and the fix. */
export function toGraphAuthError(err: unknown, ctx: GraphAuthContext): GraphAuthError {
  const info = inspectIdentityError(err);
  const tenant = ctx.tenantId ?? 'the tenant';
  const client = ctx.clientId ?? 'the app';
  const source = ctx.credentialSource ?? 'the configured client secret';
  const perms = (ctx.permissions ?? DEFAULT_PERMISSIONS).join(' and ');
  const code = info.aadsts !== undefined ? `AADSTS${info.aadsts}` : undefined;
  const make = (cause: GraphAuthCause, text: string): GraphAuthError =>
    new GraphAuthError(cause, `${text}${code ? ` (${code})` : ''}`, ctx.tenantId, ctx.clientId, code, { cause: err });
  switch (info.aadsts) {
    case 7000215:
      return make('invalid-secret', `Invalid client secret for app ${client} in tenant ${tenant}: ${source} does not hold a valid secret value. Fix: create a new client secret on the app registration (Certificates & secrets) and store its Value, not its Secret ID, in ${source}.`);
    case 7000222:
      return make('expired-secret', `The client secret of app ${client} has expired. Fix: create a new client secret on the app registration and store its Value in ${source}.`);
    case 700016:
      return make('unknown-client', `Unknown client id: app ${client} was not found in tenant ${tenant}. Fix: check GRAPH_CLIENT_ID (the Application (client) ID), that GRAPH_TENANT_ID is the tenant the app is registered or consented in, and for a multi-tenant app that an admin of ${tenant} has consented to it.`);
    case 90002: case 900023: case 90072:
      return make('tenant-not-found', `Tenant ${tenant} not found at ${ctx.authorityHost ?? 'the authority'}. Fix: check GRAPH_TENANT_ID (the Directory (tenant) ID) and that GRAPH_AUTHORITY_HOST is the login host of the tenant's cloud.`);
    case 65001: case 650052: case 7000112:
      return make('consent-missing', `Admin consent is missing for app ${client} in tenant ${tenant}. Fix: in Entra ID > App registrations > API permissions add the Microsoft Graph application permissions ${perms} and select "Grant admin consent".`);
    case 700027: case 700024: case 50027: case 7000274: case 700023: case 700212:
      return make('invalid-certificate', `The certificate assertion of app ${client} was rejected: ${info.summary}. Fix: upload the public certificate from ${source} to the app registration (Certificates & secrets > Certificates) and make sure it is current.`);
    default:
      break;
  }
  if (/endpoints_resolution_error|openid-configuration|Tenant .* not found/i.test(info.summary) || (info.statusCode === 400 && /tenant/i.test(info.summary))) {
    return make('tenant-not-found', `Tenant ${tenant} not found: the authority ${ctx.authorityHost ?? ''} could not resolve its OpenID configuration (the tenant id is wrong, belongs to another cloud, or the authority host is unreachable). Fix: check GRAPH_TENANT_ID (the Directory (tenant) ID) and GRAPH_AUTHORITY_HOST.`);
  }
  return make('other', `Authentication for app ${client} in tenant ${tenant} failed: ${info.summary}`);
}
