/**
 * The Authorization (or custom) header for a collector token. The token comes from `getToken` (Key
 * Vault in the Function App, DESTINATION_TOKEN or URL credentials locally) and is asked for at every
 * request, so a rotated secret is picked up by the caller's cache without restarting the sink.
 * The header value is a secret: it never goes into an error message or a log line.
 */
export type AuthKind = 'bearer' | 'basic' | 'header' | 'splunk';

export interface HttpAuth {
  kind: AuthKind;
  /** Header name for `header` (e.g. `X-Api-Key`, or `Authorization` with a token of `ApiKey <key>`). */
  headerName?: string;
  getToken: () => Promise<string>;
}

export async function authHeader(auth: HttpAuth): Promise<[string, string]> {
  const token = await auth.getToken();
  switch (auth.kind) {
    case 'bearer': return ['Authorization', `Bearer ${token}`];
    // The basic token is `user:password`, as stored in the secret or taken from the URL.
    case 'basic': return ['Authorization', `Basic ${Buffer.from(token, 'utf8').toString('base64')}`];
    case 'splunk': return ['Authorization', `Splunk ${token}`];
    case 'header': return [auth.headerName ?? 'Authorization', token];
  }
}
