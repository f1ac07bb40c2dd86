/**
 * The syslog destinations: syslog+udp, syslog+tcp and syslog+tls.
 *
 * TCP/TLS: one persistent connection per sink. A batch is encoded, framed (octet counting or LF) and
 * joined into large chunks, written with backpressure. When the connection breaks, the sink reconnects
 * (with backoff, inside the retry budget) and writes again everything this send put on the broken
 * connection, plus what earlier sends wrote on it shortly before it broke (see replayWindowMs): plain
 * TCP syslog has no acknowledgement, so delivery is at-least-once and a receiver may see duplicates
 * (event.id identifies them) rather than miss events. TLS always verifies the server certificate and
 * name unless explicitly told not to; a failed verification is permanent and nothing is sent.
 *
 * UDP: one message per datagram. A message over udpMaxBytes is cut on a UTF-8 boundary and ends with
 * TRUNCATION_MARKER (counted and logged per send), never sent as an oversize datagram. UDP cannot tell
 * whether a datagram arrived; the only loss signal is ICMP unreachable (ECONNREFUSED), which is retried.
 *
 * `send` never rejects for delivery problems: after the budget the undelivered events are in `failed`.
 */
import { isTransientNetworkError, RetryExhaustedError, withRetry, type RetryDecision } from '../delivery/retry';
import type { Logger } from '../observability/log';
import { escapeNul, FrameChunker, truncateUtf8 } from './syslog-framing';
import { syslogEndpoint, type SyslogEndpoint, type SyslogSinkOptions } from './syslog-options';
import { SyslogDatagramSocket } from './syslog-datagram';
import { isTlsVerificationError, SyslogStream } from './syslog-stream';
import type { DeliveryFailure, DeliveryReport, OutboundEvent, Sink } from './types';

export { parseSyslogSinkOptions, isSyslogUrl, syslogEndpoint } from './syslog-options';
export type { SyslogSinkOptions, SyslogTlsOptions, SyslogTransport, SyslogEndpoint } from './syslog-options';
export { frameMessage, escapeForLf, escapeNul, truncateUtf8, TRUNCATION_MARKER } from './syslog-framing';
export type { SyslogFraming } from './syslog-framing';
export { SyslogConnectionError, isTlsVerificationError } from './syslog-stream';

const DEFAULT_CHUNK_BYTES = 256 * 1024;
const DEFAULT_REPLAY_MS = 5_000;
const DEFAULT_REPLAY_BYTES = 4 * 1024 * 1024;
/**
 * After a clean close (FIN) the peer had read all that reached it; only data still in flight at that
 * moment can be missing, so the replay looks back this far only (well above a WAN round trip).
 */
const CLEAN_CLOSE_REPLAY_MS = 1_000;
/** UDP datagrams handed to the kernel before waiting for their callbacks. */
const UDP_WINDOW = 64;

/** Frames joined for one write, and the events they carry. */
interface Chunk {
  buf: Buffer;
  items: OutboundEvent[];
  /** The connection that flushed it to the kernel, and when. */
  flushedOn?: SyslogStream;
  flushedAt?: number;
}

interface EncodedBatch {
  frames: Array<{ text: string; item: OutboundEvent }>;
  failed: DeliveryFailure[];
}

/** Why an error happened, for `failed[].reason` and logs (never contains secrets: only socket errors). */
function describe(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}

export class SyslogSink implements Sink {
  readonly name: string;
  private readonly endpoint: SyslogEndpoint;
  private readonly logger: Logger;
  private readonly chunkBytes: number;
  private readonly replayMs: number;
  private readonly replayBytes: number;
  private stream: SyslogStream | undefined;
  private datagram: SyslogDatagramSocket | undefined;
  /** Chunks recently flushed on `stream`, newest last, bounded by replayBytes. */
  private recent: Chunk[] = [];
  private recentBytes = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private retriedInSend = 0;
  private closed = false;

  constructor(private readonly options: SyslogSinkOptions) {
    this.endpoint = syslogEndpoint(options.url);
    const { transport, host, port } = this.endpoint;
    this.name = `syslog+${transport}://${host.includes(':') ? `[${host}]` : host}:${port}`;
    this.logger = options.logger;
    this.chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
    this.replayMs = options.replayWindowMs ?? DEFAULT_REPLAY_MS;
    this.replayBytes = options.replayWindowBytes ?? DEFAULT_REPLAY_BYTES;
    if (transport === 'tls' && options.tls?.insecure) {
      this.logger.warn('DESTINATION_TLS_INSECURE=true: the syslog server certificate is NOT verified; anyone on the path can read and alter events', { destination: this.name });
    }
  }

  send(batch: readonly OutboundEvent[]): Promise<DeliveryReport> {
    if (this.closed) {
      return Promise.resolve({ delivered: 0, failed: batch.map((item) => ({ item, reason: 'syslog sink is closed', attempts: 0, destination: this.name })) });
    }
    // One connection per sink: sends run one after another, in order.
    const run = this.queue.then(() => this.sendNow(batch));
    this.queue = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.queue;
    await this.confirmBeforeClose();
    const stream = this.stream;
    this.stream = undefined;
    this.recent = [];
    if (stream) await stream.end();
    const datagram = this.datagram;
    this.datagram = undefined;
    if (datagram) await datagram.close();
  }

  private async sendNow(batch: readonly OutboundEvent[]): Promise<DeliveryReport> {
    if (batch.length === 0) return { delivered: 0, failed: [] };
    // Sends run one at a time (the queue above), so one counter per sink is this send's own.
    this.retriedInSend = 0;
    try {
      const report = this.endpoint.transport === 'udp' ? await this.sendUdp(batch) : await this.sendStream(batch);
      return this.retriedInSend > 0 ? { ...report, retried: this.retriedInSend } : report;
    } catch (err) {
      // Only a bug gets here; the contract is still to report, not reject.
      return { delivered: 0, failed: batch.map((item) => ({ item, reason: `syslog sink error: ${describe(err)}`, attempts: 0, destination: this.name })) };
    }
  }

  /** One item's message; an encoder that throws fails that item only (added to `failed`, with the reason). */
  private encodeOne(item: OutboundEvent, failed: DeliveryFailure[]): string | undefined {
    try {
      return this.options.encode(item);
    } catch (err) {
      failed.push({ item, reason: `could not encode the event: ${describe(err)}`, attempts: 0, destination: this.name });
      return undefined;
    }
  }

  /** Encodes every item, see encodeOne. */
  private encode(batch: readonly OutboundEvent[], toText: (message: string) => string): EncodedBatch {
    const frames: EncodedBatch['frames'] = [];
    const failed: DeliveryFailure[] = [];
    for (const item of batch) {
      const message = this.encodeOne(item, failed);
      if (message !== undefined) frames.push({ text: toText(message), item });
    }
    return { frames, failed };
  }

  private classify = (err: unknown): RetryDecision => {
    if (isTlsVerificationError(err)) {
      return { retry: false, reason: `TLS server verification failed for ${this.name} (nothing was sent): ${describe(err)}` };
    }
    if (isTransientNetworkError(err)) return { retry: true, reason: describe(err) };
    // Handshake failures, unexpected socket errors: a restarting receiver produces these too.
    return { retry: true, reason: describe(err) };
  };

  private retryOptions(what: string) {
    return {
      budgetMs: this.options.retryBudgetMs,
      baseDelayMs: this.options.retryBaseDelayMs,
      maxDelayMs: this.options.retryMaxDelayMs,
      onRetry: (info: { attempt: number; delayMs: number; reason: string }) => {
        this.retriedInSend++;
        this.logger.warn(`syslog ${what} failed, retrying`, { destination: this.name, attempt: info.attempt, delayMs: info.delayMs, reason: info.reason });
      },
    };
  }

  // ---- TCP / TLS ----

  private async sendStream(batch: readonly OutboundEvent[]): Promise<DeliveryReport> {
    const chunker = new FrameChunker<OutboundEvent>(this.options.framing, this.chunkBytes);
    const failed: DeliveryFailure[] = [];
    let encoded = 0;
    for (const item of batch) {
      const message = this.encodeOne(item, failed);
      if (message === undefined) continue;
      chunker.add(message, item);
      encoded++;
    }
    const chunks: Chunk[] = chunker.finish();
    const mine = new Set(chunks);
    const carried: Chunk[] = [];
    let attempts = 0;
    try {
      await withRetry(async (attempt) => {
        attempts = attempt;
        for (const c of this.takeBrokenStream()) if (!mine.has(c) && !carried.includes(c)) carried.push(c);
        const stream = await this.connected();
        // Everything not flushed on a connection that is still healthy goes (again) on this one.
        const todo = [...carried, ...chunks].filter((c) => c.flushedOn === undefined || c.flushedOn.broken !== undefined);
        await this.writeChunks(stream, todo);
      }, this.classify, this.retryOptions('delivery'));
    } catch (err) {
      const reason = err instanceof RetryExhaustedError ? err.lastReason : describe(err);
      const n = err instanceof RetryExhaustedError ? err.attempts : attempts;
      for (const c of chunks) for (const item of c.items) failed.push({ item, reason, attempts: n, destination: this.name });
      // Events an earlier send wrote just before the connection broke: report them too rather than
      // lose them (the caller dead-letters them; a duplicate is better than a gap).
      for (const c of carried) {
        for (const item of c.items) failed.push({ item, reason: `written by an earlier send just before the connection broke, could not be re-sent: ${reason}`, attempts: n, destination: this.name });
      }
      // Every chunk was written on a connection that broke (or on none): none counts as delivered.
      return { delivered: 0, failed };
    }
    if (carried.length > 0) {
      this.logger.warn('syslog re-sent events written just before the connection broke', {
        destination: this.name, events: carried.reduce((a, c) => a + c.items.length, 0),
      });
    }
    return { delivered: encoded, failed };
  }

  /**
   * Plain TCP syslog has no acknowledgements, so a send resolves once the kernel took the data. Before
   * closing, make sure the receiver really read it: a connection that broke after the last send, or
   * that the receiver does not close cleanly after our FIN, gets its recent writes sent again on a new
   * connection (a duplicate is better than a gap). What still cannot be sent is logged with its count.
   */
  private async confirmBeforeClose(): Promise<void> {
    for (let round = 0; round < 3 && this.stream; round++) {
      let replay = this.takeBrokenStream();
      if (replay.length === 0 && this.stream) {
        const stream = this.stream;
        if (await stream.endConfirmed()) {
          this.stream = undefined;
          this.recent = [];
          return;
        }
        replay = this.takeBrokenStream();
      }
      if (replay.length === 0) return;
      try {
        await withRetry(async () => this.writeChunks(await this.connected(), replay), this.classify, this.retryOptions('re-send before close'));
        this.logger.warn('syslog re-sent events the receiver had not confirmed before close', { destination: this.name, events: replay.reduce((a, c) => a + c.items.length, 0) });
      } catch (err) {
        this.logger.error('syslog events may not have reached the receiver: the connection broke at close and they could not be re-sent', {
          destination: this.name, events: replay.reduce((a, c) => a + c.items.length, 0), reason: describe(err),
        });
        return;
      }
    }
  }

  /**
   * When the connection broke, drops it and returns the chunks it flushed shortly before breaking
   * (they may never have reached the receiver). Synchronous, so a failing reconnect cannot lose them.
   */
  private takeBrokenStream(): Chunk[] {
    const old = this.stream;
    if (!old || !old.broken) return [];
    const brokenAt = old.brokenAt ?? Date.now();
    const lookBack = old.closedByPeer ? Math.min(this.replayMs, CLEAN_CLOSE_REPLAY_MS) : this.replayMs;
    const replay = this.recent.filter((c) => c.flushedOn === old && (c.flushedAt ?? 0) >= brokenAt - lookBack);
    const lastFlush = this.recent.at(-1)?.flushedAt;
    this.recent = [];
    this.recentBytes = 0;
    this.stream = undefined;
    old.destroy();
    this.logger.warn('syslog connection broke, reconnecting', {
      destination: this.name,
      reason: describe(old.broken),
      closedByPeer: old.closedByPeer,
      msSinceLastWrite: lastFlush === undefined ? undefined : brokenAt - lastFlush,
      replayEvents: replay.reduce((a, c) => a + c.items.length, 0),
    });
    return replay;
  }

  /** The live connection, or a new one. */
  private async connected(): Promise<SyslogStream> {
    if (this.stream && !this.stream.broken) return this.stream;
    const { host, port, transport } = this.endpoint;
    this.stream = await SyslogStream.connect({
      host, port, timeoutMs: this.options.timeoutMs,
      ...(transport === 'tls' ? { tls: this.options.tls ?? {} } : {}),
    });
    return this.stream;
  }

  private remember(chunk: Chunk): void {
    this.recent.push(chunk);
    this.recentBytes += chunk.buf.length;
    while (this.recentBytes > this.replayBytes && this.recent.length > 1) {
      this.recentBytes -= this.recent.shift()!.buf.length;
    }
  }

  /** Writes chunks in order, waiting for 'drain' when the socket buffer is full, then for the flush. */
  private async writeChunks(stream: SyslogStream, todo: Chunk[]): Promise<void> {
    const flushes: Array<Promise<void>> = [];
    for (const chunk of todo) {
      chunk.flushedOn = undefined;
      const { accepted, flushed } = stream.write(chunk.buf);
      const done = flushed.then(() => {
        chunk.flushedOn = stream;
        chunk.flushedAt = Date.now();
        this.remember(chunk);
      });
      done.catch(() => {});
      flushes.push(done);
      await accepted;
    }
    await stream.flushedWithin(Promise.all(flushes));
    // Let a FIN or RST that is already queued surface before calling this batch delivered.
    await new Promise<void>((r) => setImmediate(r));
    if (stream.broken) throw stream.broken;
  }

  // ---- UDP ----

  private async sendUdp(batch: readonly OutboundEvent[]): Promise<DeliveryReport> {
    const max = this.options.udpMaxBytes;
    let truncated = 0;
    const { frames, failed } = this.encode(batch, (m) => {
      const cut = truncateUtf8(escapeNul(m), max);
      if (cut.truncated) truncated++;
      return cut.text;
    });
    if (truncated > 0) {
      this.logger.warn('syslog UDP messages over the size limit were truncated', { destination: this.name, truncated, udpMaxBytes: max });
    }
    let todo = frames.map((f) => ({ buf: Buffer.from(f.text, 'utf8'), item: f.item }));
    let attempts = 0;
    try {
      await withRetry(async (attempt) => {
        attempts = attempt;
        const socket = await this.udpSocket();
        const left: typeof todo = [];
        let firstError: unknown;
        for (let i = 0; i < todo.length; i += UDP_WINDOW) {
          const window = todo.slice(i, i + UDP_WINDOW);
          const results = await Promise.all(window.map((d) => socket.send(d.buf).then(() => undefined, (e: unknown) => e)));
          results.forEach((e, j) => { if (e !== undefined) { left.push(window[j]!); firstError ??= e; } });
        }
        todo = left;
        if (firstError !== undefined) {
          if (socket.broken) { this.datagram = undefined; await socket.close(); }
          throw firstError;
        }
      }, this.classify, this.retryOptions('UDP send'));
    } catch (err) {
      const reason = err instanceof RetryExhaustedError ? err.lastReason : describe(err);
      const n = err instanceof RetryExhaustedError ? err.attempts : attempts;
      for (const d of todo) failed.push({ item: d.item, reason, attempts: n, destination: this.name });
      return { delivered: frames.length - todo.length, failed };
    }
    return { delivered: frames.length, failed };
  }

  private async udpSocket(): Promise<SyslogDatagramSocket> {
    if (this.datagram && !this.datagram.broken) return this.datagram;
    if (this.datagram) { await this.datagram.close(); this.datagram = undefined; }
    this.datagram = await SyslogDatagramSocket.connect(this.endpoint.host, this.endpoint.port, this.options.timeoutMs);
    return this.datagram;
  }
}
