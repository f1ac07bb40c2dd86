/**
 * A minimal Graph GET client for the security collections: bearer token, `Prefer:
 * include-unknown-enum-members`, gzip, keep-alive, and the retry rules of the field guide: 429/503 honour
 * Retry-After, other 5xx and network errors back off, 401 refreshes the token once, 403 names the missing
 * permission, other 4xx fail at once. Retries never wait past the caller's deadline, so a poll stops
 * inside the function's time budget and the next run resumes from the cursor.
 */
import http from 'node:http';
import https from 'node:https';
import { createHash, randomUUID } from 'node:crypto';
import zlib from 'node:zlib';
import { isRetryableStatus, isTransientNetworkError, parseRetryAfter, RetryExhaustedError, withRetry, type RetryDecision } from '../delivery/retry';
import type { Logger } from '../observability/log';
import {
  GraphAuthError, GraphError, GraphHttpError, GraphPermissionError, GraphProtocolError, GraphTokenError,
  isConsentError, isPermanentTokenError,
} from './errors';
import type { GraphPage, GraphResource, GraphTokenSource } from './types';

export interface GraphClientOptions {
  resource: GraphResource;
  tenantId: string;
  tokens: GraphTokenSource;
  logger: Logger;
  /** Extra CA certificates (PEM) to trust, for private endpoints and test doubles. */
  ca?: string | Buffer;
  /** One request's socket inactivity timeout. Default 100 s (Graph's own gateway timeout). */
  requestTimeoutMs?: number;
  /** First backoff delay for 5xx/network errors. Default 1 s. */
  baseDelayMs?: number;
  /** Longest backoff delay. Default 30 s. */
  maxDelayMs?: number;
  /** Injected for tests: waits (Retry-After and backoff) go through it. */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  random?: () => number;
}

export interface GetOptions {
  /** Absolute time (ms since epoch) that no retry wait may pass. */
  deadline: number;
  /** Most attempts for this request (e.g. 2 for `$expand` requests, whose 500 triggers a fallback). */
  maxAttempts?: number;
}

/** Counters the poller reports. */
export interface GraphClientStats {
  /** HTTP requests sent, retries included. */
  requests: number;
  /** 429/503 answers. */
  throttled: number;
  /** Time spent waiting for Retry-After/backoff, in ms. */
  waitedMs: number;
  tokenRefreshes: number;
}

/** Internal: a non-2xx answer, classified by the retry policy. */
class StatusError extends Error {
  constructor(readonly status: number, readonly code: string | undefined, readonly graphMessage: string | undefined, readonly retryAfter: string | undefined) {
    super(`HTTP ${status}${code ? ` ${code}` : ''}${graphMessage ? `: ${graphMessage}` : ''}`);
  }
}

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

const agents = new Map<string, http.Agent>();

function agentFor(url: URL, ca: string | Buffer | undefined): http.Agent {
  const key = `${url.protocol}|${ca ? createHash('sha256').update(ca).digest('hex') : ''}`;
  let agent = agents.get(key);
  if (!agent) {
    agent = url.protocol === 'https:'
      ? new https.Agent({ keepAlive: true, maxSockets: 4, ...(ca ? { ca } : {}) })
      : new http.Agent({ keepAlive: true, maxSockets: 4 });
    agents.set(key, agent);
  }
  return agent;
}

/** Graph error bodies: `{"error":{"code":"...","message":"..."}}`. */
function graphErrorOf(body: string): { code?: string; message?: string } {
  try {
    const parsed = JSON.parse(body) as { error?: { code?: unknown; message?: unknown } };
    const code = typeof parsed.error?.code === 'string' ? parsed.error.code : undefined;
    const message = typeof parsed.error?.message === 'string' ? parsed.error.message : undefined;
    return { code, message };
  } catch {
    return { message: body.length > 300 ? `${body.slice(0, 300)}...` : body || undefined };
  }
}

export class GraphClient {
  readonly stats: GraphClientStats = { requests: 0, throttled: 0, waitedMs: 0, tokenRefreshes: 0 };
  private token: string | undefined;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: GraphClientOptions) {
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  /** GETs one page (absolute URL) and checks it is a collection page. */
  async getPage(url: string, get: GetOptions): Promise<GraphPage> {
    const res = await this.get(url, get);
    let parsed: unknown;
    try {
      parsed = JSON.parse(res.body);
    } catch {
      throw new GraphProtocolError(`Graph ${this.options.resource} answered HTTP ${res.status} with a body that is not JSON`);
    }
    const value = (parsed as { value?: unknown }).value;
    if (!Array.isArray(value)) throw new GraphProtocolError(`Graph ${this.options.resource} page has no "value" array`);
    const next = (parsed as { '@odata.nextLink'?: unknown })['@odata.nextLink'];
    return { value, nextLink: typeof next === 'string' && next !== '' ? next : undefined, bytes: Buffer.byteLength(res.body) };
  }

  /** GET with the retry/refresh/permission rules; resolves only with a 2xx. */
  async get(url: string, get: GetOptions): Promise<RawResponse> {
    const { resource, tenantId, logger } = this.options;
    let refreshedForThisRequest = false;
    const op = async (): Promise<RawResponse> => {
      for (;;) {
        const token = await this.currentToken(false);
        const res = await this.send(url, token);
        if (res.status >= 200 && res.status < 300) return res;
        const err = graphErrorOf(res.body);
        if (res.status === 401) {
          // An expired or revoked token: refresh once per request, then it is a credential problem.
          if (!refreshedForThisRequest) {
            refreshedForThisRequest = true;
            logger.info('graph token refused, refreshing', { resource, tenantId, code: err.code });
            await this.currentToken(true);
            continue;
          }
          throw new GraphAuthError(resource, tenantId, err.message);
        }
        if (res.status === 403) throw new GraphPermissionError(resource, tenantId, err.message);
        throw new StatusError(res.status, err.code, err.message, headerValue(res.headers['retry-after']));
      }
    };
    try {
      return await withRetry(op, (e) => this.classify(e), {
        budgetMs: Math.max(0, get.deadline - this.now()),
        baseDelayMs: this.options.baseDelayMs ?? 1000,
        maxDelayMs: this.options.maxDelayMs ?? 30_000,
        maxAttempts: get.maxAttempts,
        sleep: async (ms) => { this.stats.waitedMs += ms; await this.sleep(ms); },
        now: this.now,
        random: this.options.random,
        onRetry: ({ attempt, delayMs, reason }) => logger.warn('graph request will be retried', { resource, tenantId, attempt, delayMs, reason }),
      });
    } catch (e) {
      if (!(e instanceof RetryExhaustedError)) throw e;
      const last = e.lastError;
      if (last instanceof GraphError) throw last;
      if (last instanceof StatusError) {
        throw new GraphHttpError(last.status, last.code, last.graphMessage, resource, e.attempts, isRetryableStatus(last.status));
      }
      // Network-level: transient when the network may recover (refused, reset, timeout), not for TLS trust failures.
      throw new GraphHttpError(0, (last as { code?: string } | null)?.code, last instanceof Error ? last.message : String(last), resource, e.attempts, isTransientNetworkError(last));
    }
  }

  private classify(err: unknown): RetryDecision {
    if (err instanceof StatusError) {
      if (err.status === 429 || err.status === 503) {
        this.stats.throttled++;
        return { retry: true, reason: `HTTP ${err.status}`, retryAfterMs: parseRetryAfter(err.retryAfter, this.now()) };
      }
      if (isRetryableStatus(err.status)) return { retry: true, reason: `HTTP ${err.status}` };
      return { retry: false, reason: err.message };
    }
    if (err instanceof GraphTokenError) return err.transient ? { retry: true, reason: err.message } : { retry: false, reason: err.message };
    if (err instanceof GraphError) return { retry: false, reason: err.message };
    if (isTransientNetworkError(err)) return { retry: true, reason: (err as Error).message };
    return { retry: false, reason: err instanceof Error ? err.message : String(err) };
  }

  private async currentToken(forceRefresh: boolean): Promise<string> {
    if (this.token !== undefined && !forceRefresh) return this.token;
    const { tokens, resource, tenantId } = this.options;
    try {
      this.token = await tokens.getToken(forceRefresh ? { forceRefresh: true } : undefined);
      if (forceRefresh) this.stats.tokenRefreshes++;
      return this.token;
    } catch (e) {
      throw classifyTokenFailure(e, resource, tenantId);
    }
  }

  private send(url: string, token: string): Promise<RawResponse> {
    this.stats.requests++;
    const target = new URL(url);
    const lib = target.protocol === 'https:' ? https : http;
    const timeout = this.options.requestTimeoutMs ?? 100_000;
    return new Promise<RawResponse>((resolve, reject) => {
      const req = lib.request(target, {
        method: 'GET',
        agent: agentFor(target, this.options.ca),
        headers: {
          Authorization: `Bearer ${token}`,
          Accept: 'application/json',
          'Accept-Encoding': 'gzip, deflate',
          Prefer: 'include-unknown-enum-members',
          'User-Agent': 'defender-forwarder',
          'client-request-id': randomUUID(),
        },
      }, (res) => {
        const enc = String(res.headers['content-encoding'] ?? '').toLowerCase();
        const stream: NodeJS.ReadableStream = enc === 'gzip' ? res.pipe(zlib.createGunzip()) : enc === 'deflate' ? res.pipe(zlib.createInflate()) : res;
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('error', reject);
        stream.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      });
      req.setTimeout(timeout, () => {
        const e = new Error(`Graph request timed out after ${timeout} ms`) as Error & { code: string };
        e.code = 'ETIMEDOUT';
        req.destroy(e);
      });
      req.on('error', reject);
      req.end();
    });
  }
}

/**
 * Token failures: shared/auth's GraphAuthError carries a classified `reason`; Key Vault errors are
 * final for this run; anything else is judged by its AADSTS code.
 */
function classifyTokenFailure(e: unknown, resource: GraphResource, tenantId: string): GraphError {
  const message = e instanceof Error ? e.message : String(e);
  const name = e instanceof Error ? e.name : '';
  const reason = (e as { reason?: unknown } | null)?.reason;
  if (name === 'GraphAuthError' && typeof reason === 'string') {
    if (reason === 'consent-missing' || reason === 'forbidden') return new GraphPermissionError(resource, tenantId, message);
    return new GraphTokenError(tenantId, e, reason === 'unavailable');
  }
  if (/^(SecretNotFoundError|KeyVaultAccessDeniedError|CertificateFormatError|ConfigError)$/.test(name)) return new GraphTokenError(tenantId, e, false);
  if (name === 'KeyVaultError') return new GraphTokenError(tenantId, e, true);
  if (isConsentError(e)) return new GraphPermissionError(resource, tenantId, message);
  return new GraphTokenError(tenantId, e, !isPermanentTokenError(e));
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
