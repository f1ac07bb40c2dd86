/**
 * The smallest Graph double that proves a token is usable: GET /v1.0/security/incidents and
 * /v1.0/security/alerts_v2 over HTTPS, checking the bearer token against the identity double
 * (signature, expiry, audience) and the app roles, answering like Graph does (401
 * InvalidAuthenticationToken, 403 Forbidden, 200 with an empty page). The full simulator is
 * another module's job.
 */
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { IdentityProviderDouble } from '../support/identity-provider';

export interface FakeGraph {
  baseUrl: string;
  /** Status of every request, in order. */
  statuses: number[];
  stop(): Promise<void>;
}

const ROLE_BY_PATH: Record<string, string> = {
  '/v1.0/security/incidents': 'SecurityIncident.Read.All',
  '/v1.0/security/alerts_v2': 'SecurityAlert.Read.All',
};

/** `audience` 'self' = the double's own origin (when GRAPH_BASE_URL points at it, the scope is `${origin}/.default`). */
export async function startFakeGraph(tls: { certPem: string; keyPem: string }, idp: IdentityProviderDouble, audience: string = 'https://graph.microsoft.com'): Promise<FakeGraph> {
  const statuses: number[] = [];
  let origin = '';
  const server = https.createServer({ cert: tls.certPem, key: tls.keyPem }, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    const reply = (status: number, body: unknown): void => {
      statuses.push(status);
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const role = ROLE_BY_PATH[url.pathname];
    if (!role) return reply(404, { error: { code: 'ResourceNotFound', message: 'Resource not found' } });
    const auth = req.headers.authorization ?? '';
    const claims = auth.startsWith('Bearer ') ? idp.verifyAccessToken(auth.slice(7), audience === 'self' ? origin : audience) : undefined;
    if (!claims) {
      return reply(401, { error: { code: 'InvalidAuthenticationToken', message: 'Access token has expired or is not yet valid.' } });
    }
    if (!claims.roles?.includes(role)) {
      return reply(403, { error: { code: 'Forbidden', message: `Missing application permission ${role}.` } });
    }
    reply(200, { '@odata.context': `https://graph.microsoft.com/v1.0/$metadata#security${url.pathname.slice('/v1.0/security'.length)}`, value: [] });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  origin = `https://127.0.0.1:${port}`;
  return {
    baseUrl: origin,
    statuses,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** GET with a bearer token, trusting `ca`; resolves with status and parsed body. */
export function graphGet(url: string, token: string, ca: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { ca, headers: { Authorization: `Bearer ${token}` } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown }));
    });
    req.on('error', reject);
  });
}
