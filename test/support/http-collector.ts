/**
 * An HTTP(S) log collector double on 127.0.0.1 for the HTTP sinks' tests and bench. It decodes gzip,
 * records every request, understands the generic (NDJSON / JSON array), Splunk HEC and Elastic _bulk
 * protocols as their servers document them, and fails on demand from a script: down (not listening),
 * any status (500, 503, 429 with Retry-After...), slow (no answer in time), reset, partial bulk
 * errors, HEC busy and HEC invalid token. It can also cap the body size (413, like Splunk's
 * max_content_length or nginx's client_max_body_size) and require a client certificate (mutual TLS).
 *
 * No real Splunk, Elastic or Vector runs on this machine kind (field guide section 4), hence a double.
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import zlib from 'node:zlib';

export type CollectorKind = 'generic' | 'hec' | 'bulk';

export interface BulkAction {
  op: string;
  index: string | undefined;
  id: string | undefined;
  doc: unknown;
}

export type Fault =
  /** Answer with this status (and body/headers), accept nothing. */
  | { kind: 'status'; status: number; body?: string; headers?: Record<string, string> }
  /** Hold the request this long before handling it normally (longer than the client's timeout = "slow"). */
  | { kind: 'slow'; delayMs: number }
  /** Close the connection without an answer. */
  | { kind: 'reset' }
  /** Splunk HEC: 503 {"text":"Server is busy","code":9}. */
  | { kind: 'hec-busy' }
  /** Splunk HEC: 403 {"text":"Invalid token","code":4}, whatever token came. */
  | { kind: 'hec-invalid-token' }
  /** Elastic _bulk: a 200 with "errors":true; `status` picks the items that fail and how (undefined = normal). */
  | { kind: 'bulk-items'; status: (action: BulkAction, position: number) => number | undefined };

export interface RecordedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  /** Bytes as received (compressed when Content-Encoding says so). */
  rawBytes: number;
  /** Decoded body text (empty in count-only mode). */
  body: string;
  /** What the collector answered; -1 when it answered nothing (reset, or a slow request the client gave up on). */
  status: number;
  fault?: Fault['kind'];
  /** Mutual TLS: the CN of the client certificate the request came with. */
  clientCertCN?: string;
}

export interface CollectorOptions {
  kind: CollectorKind;
  /**
   * Serve HTTPS with this key and certificate (PEM). With `clientCa`, mutual TLS: a client must present
   * a certificate signed by that CA or the handshake fails (no certificate: the server's TLS alert
   * "certificate required"), so nothing it sent is ever handled.
   */
  tls?: { key: string | Buffer; cert: string | Buffer; clientCa?: string | Buffer };
  /** HEC token the collector accepts (default `test-token`). */
  hecToken?: string;
  /** Listen on this port (default: any free one). */
  port?: number;
  /** Bench mode: count NDJSON lines without keeping bodies or parsing them. */
  countOnly?: boolean;
  /**
   * Largest request body accepted; a larger one gets 413 and nothing of it is accepted. Measured on the
   * wire, before gunzip (the Content-Length), as nginx's client_max_body_size does: with gzip on, the
   * sink's DELIVERY_BATCH_MAX_BYTES (uncompressed) and this limit measure different bytes.
   */
  maxBodyBytes?: number;
}

const BULK_ERRORS: Record<number, { type: string; reason: string }> = {
  400: { type: 'mapper_parsing_exception', reason: 'failed to parse field [source.port] of type [long]' },
  429: { type: 'es_rejected_execution_exception', reason: 'rejected execution of coordinating operation' },
  500: { type: 'illegal_state_exception', reason: 'shard failure' },
  503: { type: 'unavailable_shards_exception', reason: 'primary shard is not active' },
};

export class HttpCollector {
  readonly requests: RecordedRequest[] = [];
  /** Generic: each NDJSON line or array element (parsed when JSON, else the text); HEC: each event object. */
  readonly accepted: unknown[] = [];
  /** Bulk: stored documents by `<index>/<id>`; a second create of one id gets a 409 like Elastic's. */
  readonly docs = new Map<string, unknown>();
  /** Count-only mode: lines received. */
  lineCount = 0;
  /** TCP connections accepted (keep-alive reuses them). */
  connections = 0;
  /** Most requests being handled at once (bounded concurrency shows here). */
  maxInFlight = 0;
  private inFlight = 0;
  private readonly script: Fault[] = [];
  private always: Fault | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private server: http.Server;
  private listening = false;
  private waiters: Array<{ n: number; resolve: () => void }> = [];

  private constructor(readonly options: CollectorOptions, readonly port: number) {
    this.server = this.createServer();
  }

  static async start(options: CollectorOptions): Promise<HttpCollector> {
    const c = new HttpCollector(options, options.port ?? 0);
    await c.up();
    return c;
  }

  /** `http://127.0.0.1:<port>` (or https, or a `splunk+`/`elastic+` prefix) plus `path`. */
  url(path = '', prefix = ''): URL {
    return new URL(`${prefix}${this.options.tls ? 'https' : 'http'}://127.0.0.1:${this.boundPort}${path}`);
  }

  get boundPort(): number {
    return this.currentPort;
  }
  private currentPort = 0;

  /** Queue faults: each next request consumes one; when the script is empty, requests succeed. */
  fail(...faults: Fault[]): void {
    this.script.push(...faults);
  }

  /** Every request gets `fault` until `recover()`. */
  failAlways(fault: Fault): void {
    this.always = fault;
  }

  recover(): void {
    this.always = undefined;
    this.script.length = 0;
  }

  /** Resolves once `n` events (generic/HEC lines, bulk docs, or counted lines) have been accepted. */
  waitForAccepted(n: number): Promise<void> {
    if (this.acceptedCount() >= n) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ n, resolve }));
  }

  acceptedCount(): number {
    return this.options.countOnly ? this.lineCount : this.options.kind === 'bulk' ? this.docs.size : this.accepted.length;
  }

  /** Stop listening and cut every open connection: the collector is "down". */
  async down(): Promise<void> {
    if (!this.listening) return;
    this.listening = false;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const closed = new Promise<void>((r) => this.server.close(() => r()));
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  /** Listen again on the same port. */
  async up(): Promise<void> {
    if (this.listening) return;
    this.server = this.createServer();
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.currentPort || this.port, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.currentPort = (this.server.address() as AddressInfo).port;
    this.listening = true;
  }

  async stop(): Promise<void> {
    await this.down();
  }

  private createServer(): http.Server {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => this.onRequest(req, res);
    const t = this.options.tls;
    const server = t
      ? https.createServer({ key: t.key, cert: t.cert, ...(t.clientCa ? { ca: t.clientCa, requestCert: true, rejectUnauthorized: true } : {}) }, handler)
      : http.createServer(handler);
    server.keepAliveTimeout = 5000;
    const track = (s: Socket) => {
      if (!this.sockets.has(s)) this.connections++;
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    };
    server.on(this.options.tls ? 'secureConnection' : 'connection', track);
    if (this.options.tls) server.on('connection', track);
    // A failed TLS handshake is the client's business (a test asserts on its error): stay quiet.
    server.on('tlsClientError', () => {});
    return server;
  }

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    res.on('close', () => { this.inFlight--; });
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const fault = this.always ?? this.script.shift();
      if (fault?.kind === 'slow') {
        const t = setTimeout(() => {
          this.timers.delete(t);
          // A client that gave up has closed its socket: like a proxy in front of a real collector,
          // the double then drops the request (tests stay independent of late, leaked handling).
          if (!res.destroyed && !req.socket.destroyed) this.handle(req, res, raw, undefined, 'slow');
          else this.requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, rawBytes: raw.length, body: '', status: -1, fault: 'slow' });
        }, fault.delayMs);
        this.timers.add(t);
        return;
      }
      this.handle(req, res, raw, fault, fault?.kind);
    });
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse, raw: Buffer, fault: Fault | undefined, faultKind: Fault['kind'] | undefined): void {
    const record: RecordedRequest = {
      method: req.method ?? '', path: req.url ?? '', headers: req.headers, rawBytes: raw.length, body: '', status: 0, fault: faultKind,
    };
    if (this.options.tls?.clientCa) {
      const peer = (req.socket as TLSSocket).getPeerCertificate();
      record.clientCertCN = typeof peer.subject?.CN === 'string' ? peer.subject.CN : undefined;
    }
    this.requests.push(record);
    const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      record.status = status;
      const text = typeof body === 'string' ? body : JSON.stringify(body);
      res.writeHead(status, { 'Content-Type': typeof body === 'string' ? 'text/plain' : 'application/json', ...headers });
      res.end(text);
      this.wake();
    };
    if (fault?.kind === 'reset') {
      record.status = -1;
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'status') return answer(fault.status, fault.body ?? `injected ${fault.status}`, fault.headers);
    if (fault?.kind === 'hec-busy') return answer(503, { text: 'Server is busy', code: 9 });
    if (fault?.kind === 'hec-invalid-token') return answer(403, { text: 'Invalid token', code: 4 });
    const max = this.options.maxBodyBytes;
    if (max !== undefined && raw.length > max) return answer(413, `Request Entity Too Large: a body of ${raw.length} bytes is over the limit of ${max}`);

    let body: string;
    try {
      const bytes = req.headers['content-encoding'] === 'gzip' ? zlib.gunzipSync(raw) : raw;
      body = bytes.toString('utf8');
    } catch {
      return answer(400, 'body is not valid gzip');
    }
    if (this.options.countOnly) {
      let n = 0;
      for (let i = body.indexOf('\n'); i !== -1; i = body.indexOf('\n', i + 1)) n++;
      this.lineCount += n;
      return answer(200, 'ok');
    }
    record.body = body;
    switch (this.options.kind) {
      case 'generic': return this.generic(req, body, answer);
      case 'hec': return this.hec(req, body, answer);
      case 'bulk': return this.bulk(req, body, fault, answer);
    }
  }

  private generic(req: http.IncomingMessage, body: string, answer: (s: number, b: unknown) => void): void {
    const type = String(req.headers['content-type'] ?? '');
    if (type.startsWith('application/json')) {
      let arr: unknown;
      try { arr = JSON.parse(body); } catch { return answer(400, 'invalid JSON'); }
      if (!Array.isArray(arr)) return answer(400, 'expected a JSON array');
      this.accepted.push(...arr);
      return answer(200, { accepted: arr.length });
    }
    if (!body.endsWith('\n')) return answer(400, 'NDJSON body must end with a newline');
    const lines = body.slice(0, -1).split('\n');
    for (const line of lines) {
      try { this.accepted.push(JSON.parse(line)); } catch { this.accepted.push(line); }
    }
    return answer(200, { accepted: lines.length });
  }

  private hec(req: http.IncomingMessage, body: string, answer: (s: number, b: unknown) => void): void {
    if (req.url?.split('?')[0] !== '/services/collector/event') return answer(404, { text: 'The requested URL was not found on this server.', code: 404 });
    const auth = String(req.headers.authorization ?? '');
    if (!auth) return answer(401, { text: 'Token is required', code: 2 });
    if (auth !== `Splunk ${this.options.hecToken ?? 'test-token'}`) return answer(403, { text: 'Invalid token', code: 4 });
    let events: unknown[];
    try { events = splitConcatenatedJson(body); } catch { return answer(400, { text: 'Invalid data format', code: 6 }); }
    for (let i = 0; i < events.length; i++) {
      const e = events[i] as { event?: unknown } | null;
      if (typeof e !== 'object' || e === null) return answer(400, { text: 'Invalid data format', code: 6, 'invalid-event-number': i });
      if (e.event === undefined || e.event === '') return answer(400, { text: 'Event field is required', code: 12, 'invalid-event-number': i });
    }
    this.accepted.push(...events);
    return answer(200, { text: 'Success', code: 0 });
  }

  private bulk(req: http.IncomingMessage, body: string, fault: Fault | undefined, answer: (s: number, b: unknown) => void): void {
    if (req.url?.split('?')[0] !== '/_bulk') return answer(404, { error: 'no handler', status: 404 });
    const type = String(req.headers['content-type'] ?? '');
    if (!type.startsWith('application/x-ndjson') && !type.startsWith('application/json')) {
      return answer(406, { error: `Content-Type header [${type}] is not supported`, status: 406 });
    }
    if (!body.endsWith('\n')) {
      return answer(400, { error: { type: 'illegal_argument_exception', reason: 'The bulk request must be terminated by a newline [\\n]' }, status: 400 });
    }
    const lines = body.slice(0, -1).split('\n');
    if (lines.length % 2 !== 0) return answer(400, { error: { type: 'illegal_argument_exception', reason: 'odd number of lines' }, status: 400 });
    const items: unknown[] = [];
    let errors = false;
    for (let i = 0; i < lines.length; i += 2) {
      let action: Record<string, { _index?: string; _id?: string }>;
      let doc: unknown;
      try {
        action = JSON.parse(lines[i]);
        doc = JSON.parse(lines[i + 1]);
      } catch {
        return answer(400, { error: { type: 'x_content_parse_exception', reason: `malformed line ${i + 1}` }, status: 400 });
      }
      const op = Object.keys(action)[0];
      const meta = action[op] ?? {};
      const a: BulkAction = { op, index: meta._index, id: meta._id, doc };
      const injected = fault?.kind === 'bulk-items' ? fault.status(a, i / 2) : undefined;
      const key = `${meta._index}/${meta._id}`;
      let status: number;
      let error: { type: string; reason: string } | undefined;
      if (injected !== undefined) {
        status = injected;
        error = BULK_ERRORS[injected] ?? { type: 'injected_exception', reason: `injected ${injected}` };
      } else if (op === 'create' && meta._id !== undefined && this.docs.has(key)) {
        status = 409;
        error = { type: 'version_conflict_engine_exception', reason: `[${meta._id}]: version conflict, document already exists (current version [1])` };
      } else {
        status = 201;
        this.docs.set(meta._id !== undefined ? key : `${meta._index}/auto-${this.docs.size}`, doc);
      }
      if (error) errors = true;
      items.push({ [op]: { _index: meta._index, _id: meta._id, status, ...(error ? { error } : {}) } });
    }
    return answer(200, { took: 1, errors, items });
  }

  private wake(): void {
    const n = this.acceptedCount();
    this.waiters = this.waiters.filter((w) => (n >= w.n ? (w.resolve(), false) : true));
  }
}

/** Splits a HEC body of concatenated JSON objects (`{...}{...}`, whitespace allowed between). */
export function splitConcatenatedJson(body: string): unknown[] {
  const out: unknown[] = [];
  let depth = 0;
  let inString = false;
  let start = -1;
  for (let i = 0; i < body.length; i++) {
    const ch = body[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    else if (ch === '{') {
      if (depth === 0) start = i;
      depth++;
    } else if (ch === '}') {
      depth--;
      if (depth === 0) out.push(JSON.parse(body.slice(start, i + 1)));
      if (depth < 0) throw new Error('unbalanced');
    } else if (depth === 0 && !/\s/.test(ch)) throw new Error(`unexpected ${ch} at ${i}`);
  }
  if (depth !== 0 || inString) throw new Error('truncated');
  return out;
}
