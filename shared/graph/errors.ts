import { REQUIRED_PERMISSION, type GraphResource } from './types';

/** Base class: anything the Graph path reports as a failure of one poll. */
export class GraphError extends Error {
  /** True when retrying later (next run) can help; false for configuration/permission problems. */
  readonly transient: boolean;
  constructor(message: string, transient: boolean) {
    super(message);
    this.name = 'GraphError';
    this.transient = transient;
  }
}

/** A non-2xx answer from Graph after retries (or a status that is never retried). */
export class GraphHttpError extends GraphError {
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    readonly graphMessage: string | undefined,
    readonly resource: GraphResource,
    readonly attempts: number,
    transient: boolean,
  ) {
    super(`Graph ${resource} request failed with HTTP ${status}${code ? ` ${code}` : ''}${graphMessage ? `: ${graphMessage}` : ''}${attempts > 1 ? ` (after ${attempts} attempts)` : ''}`, transient);
    this.name = 'GraphHttpError';
  }
}

/**
 * 403, or a token request refused for missing consent: names the permission and the fix, because
 * "Forbidden" alone sends people looking in the wrong place.
 */
export class GraphPermissionError extends GraphError {
  readonly permission: string;
  constructor(readonly resource: GraphResource, readonly tenantId: string, detail: string | undefined) {
    const permission = REQUIRED_PERMISSION[resource];
    super(
      `Graph denied access to /security/${resource} in tenant ${tenantId}: the app registration needs the ` +
      `Microsoft Graph application permission ${permission} with admin consent. Fix: in Entra ID > App registrations > ` +
      `API permissions, add Microsoft Graph > Application permissions > ${permission}, then "Grant admin consent" ` +
      `for the tenant (a managed tenant's admin must consent in that tenant).${detail ? ` Graph said: ${detail}` : ''}`,
      false,
    );
    this.name = 'GraphPermissionError';
    this.permission = permission;
  }
}

/** 401 after a refreshed token: the credential is not accepted by Graph (wrong cloud, wrong tenant...). */
export class GraphAuthError extends GraphError {
  constructor(readonly resource: GraphResource, readonly tenantId: string, detail: string | undefined) {
    super(
      `Graph rejected the access token for /security/${resource} in tenant ${tenantId} even after a refresh. ` +
      `Check that GRAPH_BASE_URL and GRAPH_AUTHORITY_HOST name the same cloud and that the token is for that tenant.` +
      `${detail ? ` Graph said: ${detail}` : ''}`,
      false,
    );
    this.name = 'GraphAuthError';
  }
}

/** The token provider failed. Consent errors (AADSTS65001 and friends) become GraphPermissionError. */
export class GraphTokenError extends GraphError {
  constructor(readonly tenantId: string, readonly underlying: unknown, transient: boolean) {
    super(`Could not get a Graph token for tenant ${tenantId}: ${describe(underlying)}`, transient);
    this.name = 'GraphTokenError';
  }
}

/** A body Graph should never send (not JSON, no `value` array, item without id/lastUpdateDateTime). */
export class GraphProtocolError extends GraphError {
  constructor(message: string) {
    super(message, true);
    this.name = 'GraphProtocolError';
  }
}

function describe(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

const CONSENT_CODES = /AADSTS(65001|650051|650052|500011|7000112|700016|90094|90008)\b/;

/** True when a token error means "not consented / not provisioned in that tenant" (permanent). */
export function isConsentError(err: unknown): boolean {
  const msg = err instanceof Error ? err.message : String(err);
  return CONSENT_CODES.test(msg) || /consent/i.test(msg);
}

/** Token errors that are permanent: bad secret, unknown client, bad tenant. Others are retried next run. */
export function isPermanentTokenError(err: unknown): boolean {
  const msg = err instanceof Error ? err.message : String(err);
  return /AADSTS(7000215|7000222|700016|90002|90023|50034|500011|53003|7000112|65001)\b/.test(msg) || /invalid_client|unauthorized_client/.test(msg);
}
