/**
 * The delivery engine shared by the generic HTTP, Splunk HEC and Elastic bulk sinks: batches by count
 * and bytes, a bounded number of requests in flight, gzip off the main thread, and retries (exponential
 * backoff with jitter, Retry-After honoured) for network errors, 408, 429 and 5xx, never for other 4xx.
 * A protocol says how events are framed and how a response is read (HEC JSON codes, bulk items).
 *
 * The retry budget is one clock per send() call that starts at the first failure: a slow but healthy
 * collector never spends it, a dead one spends it once for the whole call (not once per batch), and
 * when it is spent the batches not yet sent fail at once with the last error instead of each waiting
 * for a budget of their own.
 *
 * A 413 (Payload Too Large: Splunk max_content_length, Elasticsearch http.max_content_length, nginx
 * client_max_body_size) is not the events' fault, so it is neither retried as is nor a rejection: the
 * batch is split in halves and each half sent again, recursively, while the retry budget lasts. Only
 * an event refused on its own is failed. One warning per send() tells the operator to lower
 * DELIVERY_BATCH_MAX_BYTES, since every split costs a refused request.
 */
import type { Counters, Logger } from '../observability/log';
import { RetryExhaustedError, isRetryableStatus, isTransientNetworkError, parseRetryAfter, withRetry, type RetryDecision } from '../delivery/retry';
import { authHeader, type HttpAuth } from './http-auth';
import { BatchCutter, type FramedItem } from './http-batch';
import { HttpTransportError, type HttpClient, type HttpResponse } from './http-client';
import { compressBody, type Compression } from './http-gzip';
import type { DeliveryFailure, DeliveryReport, OutboundEvent } from './types';

/** What one response means for the batch that was sent. */
export type AttemptOutcome =
  | { kind: 'delivered' }
  /** The whole batch may succeed later (busy, 5xx, 429...). */
  | { kind: 'retry'; reason: string; retryAfterMs?: number }
  /** The whole batch will never succeed as sent (4xx, bad token...). */
  | { kind: 'reject'; reason: string }
  /** The collector refused the body as too large (413): the engine splits the batch and sends the halves. */
  | { kind: 'too-large'; reason: string }
  /** Per-item results (Elastic bulk): positions not listed were delivered. */
  | { kind: 'items'; failed: Array<{ position: number; reason: string }>; retry: number[]; retryReason: string; retryAfterMs?: number };

export interface HttpProtocol {
  /** Request path including any query string. */
  readonly path: string;
  readonly contentType: string;
  /** The body is prefix + item (separator item)* + suffix; all three ASCII. */
  readonly prefix: string;
  readonly separator: string;
  readonly suffix: string;
  /** The wire text of one event (envelope included). May throw: the event is then reported failed. */
  frame(item: OutboundEvent): string;
  interpret(response: HttpResponse, batch: readonly FramedItem[]): AttemptOutcome;
}

export interface RetryTuning {
  /** First backoff delay; default 500 ms. Tests shorten it. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  random?: () => number;
}

export interface EngineOptions {
  /** Redacted destination, used in logs, counters and failures. */
  name: string;
  client: HttpClient;
  protocol: HttpProtocol;
  compression: Compression;
  headers: Record<string, string>;
  auth?: HttpAuth;
  batchMaxEvents: number;
  batchMaxBytes: number;
  concurrency: number;
  timeoutMs: number;
  retryBudgetMs: number;
  logger: Logger;
  /**
   * Optional, per destination: `retried` (requests sent again after a wait) and `split413` (batches
   * split after a 413). Delivered and failed items are counted by the DeliveryEngine from the report:
   * counting them here as well would double them in the runtime's counters.
   */
  counters?: Counters;
  retry?: RetryTuning;
}

/** Lets collector operators see who is posting (DESTINATION_HEADERS may override it). */
export const USER_AGENT = 'defender-forwarder';

/** Longest text of a collector's answer quoted in a failure reason. */
const REASON_BODY_CHARS = 300;

/** A response meaning "try again" or "give up", thrown inside withRetry and classified below. */
class AttemptFailed extends Error {
  constructor(readonly reason: string, readonly retryable: boolean, readonly retryAfterMs?: number) {
    super(reason);
  }
}

/** What one send() call saw of HTTP 413, for its single warning. */
interface TooLargeNotes {
  /** Refused requests, and the smallest refused body on the wire and before compression. */
  refused: number;
  smallestWireBytes: number;
  smallestRawBytes: number;
  /** Batches split in halves, and events failed because they were refused on their own. */
  splits: number;
  oversizedEvents: number;
}

/** The per-call retry clock (see the module comment). Its time is "ms since the first failure". */
class RetryClock {
  private firstFailureAt: number | undefined;
  spentReason: string | undefined;
  now = (): number => (this.firstFailureAt === undefined ? 0 : Date.now() - this.firstFailureAt);
  markFailure(): void {
    this.firstFailureAt ??= Date.now();
  }
}

export function describeStatus(res: HttpResponse): string {
  const text = res.body.replace(/\s+/g, ' ').trim().slice(0, REASON_BODY_CHARS);
  return `HTTP ${res.status}${text ? `: ${text}` : ''}`;
}

/** Plain status handling: 2xx delivered; 408/429/5xx retried (Retry-After honoured); 413 split; others rejected. */
export function statusOutcome(res: HttpResponse): AttemptOutcome {
  if (res.status >= 200 && res.status < 300) return { kind: 'delivered' };
  if (res.status === 413) return { kind: 'too-large', reason: describeStatus(res) };
  if (isRetryableStatus(res.status)) {
    return { kind: 'retry', reason: describeStatus(res), retryAfterMs: parseRetryAfter(headerValue(res, 'retry-after')) };
  }
  if (res.status >= 300 && res.status < 400) {
    // Following a redirect could carry the token, or the data, to another host or to plaintext.
    return { kind: 'reject', reason: `HTTP ${res.status} redirect to ${headerValue(res, 'location') ?? '?'} not followed: point DESTINATION at the final URL` };
  }
  return { kind: 'reject', reason: describeStatus(res) };
}

export function headerValue(res: HttpResponse, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function classify(clock: RetryClock, err: unknown): RetryDecision {
  clock.markFailure();
  if (err instanceof AttemptFailed) {
    return err.retryable ? { retry: true, reason: err.reason, retryAfterMs: err.retryAfterMs } : { retry: false, reason: err.reason };
  }
  if (err instanceof HttpTransportError) {
    if (err.tlsFailure) return { retry: false, reason: err.message };
    return isTransientNetworkError(err) ? { retry: true, reason: err.message } : { retry: false, reason: err.message };
  }
  return { retry: false, reason: err instanceof Error ? err.message : String(err) };
}

/**
 * Writes the framed texts straight into one buffer of the exact size (the cutter already measured
 * each text): about twice as fast as joining them into a string and encoding that.
 */
export function buildBody(protocol: Pick<HttpProtocol, 'prefix' | 'separator' | 'suffix'>, items: readonly FramedItem[]): Buffer {
  const { prefix, separator, suffix } = protocol;
  let size = prefix.length + suffix.length + separator.length * Math.max(0, items.length - 1);
  for (const it of items) size += it.bytes;
  const buf = Buffer.allocUnsafe(size);
  let offset = buf.write(prefix, 0, 'latin1');
  for (let i = 0; i < items.length; i++) {
    if (i > 0 && separator) offset += buf.write(separator, offset, 'latin1');
    offset += buf.write(items[i].text, offset, 'utf8');
  }
  offset += buf.write(suffix, offset, 'latin1');
  if (offset !== size) throw new Error(`body size mismatch: wrote ${offset} of ${size} bytes`);
  return buf;
}

/** The state one send() call shares between its workers and their batches. */
interface SendCall {
  clock: RetryClock;
  /** Requests sent again after a wait, in this send() call. */
  retried: number;
  tooLarge?: TooLargeNotes;
}

export class HttpDeliveryEngine {
  constructor(private readonly o: EngineOptions) {}

  async send(items: readonly OutboundEvent[]): Promise<DeliveryReport> {
    const failed: DeliveryFailure[] = [];
    let delivered = 0;
    const call: SendCall = { clock: new RetryClock(), retried: 0 };
    const cutter = new BatchCutter(items, (item) => this.o.protocol.frame(item), {
      maxEvents: this.o.batchMaxEvents,
      maxBytes: this.o.batchMaxBytes,
      separatorBytes: this.o.protocol.separator.length,
    }, (f) => failed.push({ item: f.item, reason: f.reason, attempts: 0, destination: this.o.name }));

    const worker = async () => {
      for (let batch = cutter.take(); batch; batch = cutter.take()) {
        const r = await this.deliverBatch(batch, call);
        delivered += r.delivered;
        failed.push(...r.failed);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, this.o.concurrency) }, worker));

    if (call.tooLarge) this.warnTooLarge(call.tooLarge);
    return call.retried > 0 ? { delivered, failed, retried: call.retried } : { delivered, failed };
  }

  private warnTooLarge(t: TooLargeNotes): void {
    const outcome = [
      t.splits > 0 ? `${t.splits} batch(es) were split in halves and sent again` : '',
      t.oversizedEvents > 0 ? `${t.oversizedEvents} event(s) refused even alone were failed` : '',
    ].filter((x) => x !== '').join('; ');
    this.o.logger.warn(`The collector refused ${t.smallestWireBytes} bytes with HTTP 413 (Payload Too Large): ${outcome}. `
      + `Lower DELIVERY_BATCH_MAX_BYTES (now ${this.o.batchMaxBytes}, measured before compression) below the collector's body limit `
      + '(Splunk max_content_length, Elasticsearch http.max_content_length, nginx client_max_body_size): every split costs a refused request', {
      destination: this.o.name,
      refusedRequests: t.refused,
      smallestRefusedBytes: t.smallestWireBytes,
      smallestRefusedUncompressedBytes: t.smallestRawBytes,
      splits: t.splits,
      oversizedEvents: t.oversizedEvents,
      batchMaxBytes: this.o.batchMaxBytes,
    });
  }

  /**
   * A batch the collector refused as too large: its two halves are sent one after the other (each may
   * be split again), as long as the retry budget lasts; past it, the rest fails and is dead-lettered.
   */
  private async split(refused: FramedItem[], attempts: number, wireBytes: number, call: SendCall, notes: TooLargeNotes): Promise<DeliveryReport> {
    if (call.clock.now() >= this.o.retryBudgetMs) {
      const reason = `not sent: the collector refused ${wireBytes} bytes with HTTP 413 and the retry budget of ${this.o.retryBudgetMs / 1000} s ran out before the batch could be split further (lower DELIVERY_BATCH_MAX_BYTES)`;
      this.o.logger.error('HTTP delivery failed', { destination: this.o.name, events: refused.length, attempts, reason });
      return { delivered: 0, failed: refused.map((p) => ({ item: p.item, reason, attempts, destination: this.o.name })) };
    }
    notes.splits++;
    this.o.counters?.add('split413', 1, this.o.name);
    const half = Math.ceil(refused.length / 2);
    const first = await this.deliverBatch(refused.slice(0, half), call);
    const second = await this.deliverBatch(refused.slice(half), call);
    return { delivered: first.delivered + second.delivered, failed: [...first.failed, ...second.failed] };
  }

  private async deliverBatch(batch: FramedItem[], call: SendCall): Promise<DeliveryReport> {
    const name = this.o.name;
    const { clock } = call;
    if (clock.spentReason !== undefined) {
      return {
        delivered: 0,
        failed: batch.map((b) => ({ item: b.item, attempts: 0, destination: name, reason: `not sent: the retry budget of ${this.o.retryBudgetMs / 1000} s was spent on earlier batches; last error: ${clock.spentReason}` })),
      };
    }
    const failed: DeliveryFailure[] = [];
    let delivered = 0;
    let pending = batch;
    let body: { for: FramedItem[]; bytes: Buffer; rawBytes: number; headers: Record<string, string> } | undefined;
    let attempts = 0;
    /** Set when the collector answered 413 for more than one event: they go to split() instead. */
    let tooLarge: { items: FramedItem[]; wireBytes: number; notes: TooLargeNotes } | undefined;
    try {
      await withRetry(async (attempt) => {
        attempts = attempt;
        if (body?.for !== pending) {
          const raw = buildBody(this.o.protocol, pending);
          body = { for: pending, rawBytes: raw.length, ...(await compressBody(raw, this.o.compression)) };
        }
        const headers: Record<string, string> = { 'User-Agent': USER_AGENT, ...this.o.headers, ...body.headers, 'Content-Type': this.o.protocol.contentType };
        if (this.o.auth) {
          let header: [string, string];
          try {
            header = await authHeader(this.o.auth);
          } catch (err) {
            // Key Vault (or whatever holds the token) may be briefly unreachable: worth another try.
            throw new AttemptFailed(`could not get the collector token: ${err instanceof Error ? err.message : String(err)}`, true);
          }
          headers[header[0]] = header[1];
        }
        // Retries after a wait must not run past the budget by a whole timeout.
        const timeout = attempt === 1 ? this.o.timeoutMs : Math.min(this.o.timeoutMs, Math.max(1000, this.o.retryBudgetMs - clock.now()));
        const res = await this.o.client.post(this.o.protocol.path, headers, body.bytes, timeout);
        const outcome = this.o.protocol.interpret(res, pending);
        switch (outcome.kind) {
          case 'delivered':
            delivered += pending.length;
            pending = [];
            return;
          case 'retry': throw new AttemptFailed(outcome.reason, true, outcome.retryAfterMs);
          case 'reject': throw new AttemptFailed(outcome.reason, false);
          case 'too-large': {
            // The budget clock starts here too: splitting must not run past it any more than retries.
            clock.markFailure();
            const t = (call.tooLarge ??= { refused: 0, smallestWireBytes: Infinity, smallestRawBytes: Infinity, splits: 0, oversizedEvents: 0 });
            t.refused++;
            t.smallestWireBytes = Math.min(t.smallestWireBytes, body.bytes.length);
            t.smallestRawBytes = Math.min(t.smallestRawBytes, body.rawBytes);
            if (pending.length === 1) {
              t.oversizedEvents++;
              const sent = this.o.compression === 'none' ? '' : `, ${body.bytes.length} bytes as sent`;
              throw new AttemptFailed(`${outcome.reason} (refused even alone: the event is ${pending[0].bytes} bytes encoded${sent}; `
                + 'the collector\'s body limit must be raised to deliver it)', false);
            }
            tooLarge = { items: pending, wireBytes: body.bytes.length, notes: t };
            pending = [];
            return;
          }
          case 'items': {
            const settled = new Set<number>();
            for (const f of outcome.failed) {
              settled.add(f.position);
              failed.push({ item: pending[f.position].item, reason: f.reason, attempts: attempt, destination: name });
            }
            const retry = outcome.retry.filter((p) => !settled.has(p));
            for (const p of retry) settled.add(p);
            delivered += pending.length - settled.size;
            pending = retry.map((p) => pending[p]);
            if (pending.length > 0) throw new AttemptFailed(outcome.retryReason, true, outcome.retryAfterMs);
            return;
          }
        }
      }, (err) => classify(clock, err), {
        budgetMs: this.o.retryBudgetMs - clock.now(),
        now: clock.now,
        baseDelayMs: this.o.retry?.baseDelayMs,
        maxDelayMs: this.o.retry?.maxDelayMs,
        random: this.o.retry?.random,
        onRetry: ({ attempt, delayMs, reason }) => {
          call.retried++;
          this.o.counters?.add('retried', 1, name);
          this.o.logger.warn('HTTP delivery will be retried', { destination: name, attempt, delayMs, events: pending.length, reason });
        },
      });
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      if (err instanceof RetryExhaustedError && !err.permanent) clock.spentReason = err.lastReason;
      this.o.logger.error('HTTP delivery failed', { destination: name, events: pending.length, attempts, reason });
      for (const p of pending) failed.push({ item: p.item, reason, attempts, destination: name });
    }
    if (tooLarge) {
      const r = await this.split(tooLarge.items, attempts, tooLarge.wireBytes, call, tooLarge.notes);
      delivered += r.delivered;
      failed.push(...r.failed);
    }
    return { delivered, failed };
  }
}
