/**
 * One TCP or TLS connection to a syslog receiver, as promises: connect (with a timeout covering the TLS
 * handshake and certificate check), write chunks respecting backpressure, end gracefully. It remembers
 * the first thing that broke it (error, peer close, timeout) so the sink can reconnect and re-send.
 */
import net from 'node:net';
import tls from 'node:tls';

export interface StreamTarget {
  host: string;
  port: number;
  /** Present for syslog+tls. */
  tls?: {
    ca?: string | Buffer;
    cert?: string | Buffer;
    key?: string | Buffer;
    insecure?: boolean;
    servername?: string;
  };
  timeoutMs: number;
}

/** A connection problem with a Node-style `code` so retry classification can read it. */
export class SyslogConnectionError extends Error {
  constructor(message: string, readonly code: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SyslogConnectionError';
  }
}

/** TLS verification failures: retrying cannot fix them, and they must never fall back to plaintext. */
const TLS_VERIFY_CODES = new Set([
  'ERR_TLS_CERT_ALTNAME_INVALID', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_UNTRUSTED', 'CERT_REJECTED', 'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_FORMAT', 'HOSTNAME_MISMATCH', 'INVALID_CA',
]);

export function isTlsVerificationError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && TLS_VERIFY_CODES.has(code);
}

/** Longest wait, after a TLS 1.3 handshake with a client certificate, for the server's verdict on it. */
const CLIENT_CERT_VERDICT_MS = 1_000;

export class SyslogStream {
  /** Set once the connection can no longer be trusted to carry data. */
  broken: Error | undefined;
  /** When `broken` was set (ms since epoch). */
  brokenAt: number | undefined;
  /**
   * The peer closed cleanly (FIN, no reset): it had read everything that had reached it. A peer that
   * closes with unread data resets the connection instead, which surfaces as an error.
   */
  closedByPeer = false;
  private closing = false;
  private readonly waiters = new Set<(err: Error) => void>();

  private constructor(private readonly socket: net.Socket, private readonly timeoutMs: number) {
    const fail = (err: Error) => {
      if (!this.broken) { this.broken = err; this.brokenAt = Date.now(); }
      for (const w of this.waiters) w(this.broken);
      this.waiters.clear();
    };
    socket.on('error', (err) => fail(err));
    socket.on('end', () => {
      if (!this.closing && !this.broken) {
        this.closedByPeer = true;
        fail(new SyslogConnectionError('syslog receiver closed the connection', 'ECONNRESET'));
      }
    });
    socket.on('close', () => {
      if (!this.closing) fail(new SyslogConnectionError('syslog connection closed', 'ECONNRESET'));
    });
    // Receivers do not talk back, but reading keeps 'end' (the peer's FIN) observable.
    socket.on('data', () => {});
    socket.resume();
  }

  /** Connects (and for TLS, handshakes and verifies the server) within `timeoutMs`. */
  static connect(target: StreamTarget): Promise<SyslogStream> {
    return new Promise((resolve, reject) => {
      let socket: net.Socket;
      const onError = (err: Error) => { clearTimeout(timer); socket.destroy(); reject(err); };
      const timer = setTimeout(() => {
        onError(new SyslogConnectionError(`connecting to ${target.host}:${target.port} timed out after ${target.timeoutMs} ms`, 'ETIMEDOUT'));
      }, target.timeoutMs);
      const ready = () => {
        if (socket instanceof tls.TLSSocket && socket.getProtocol() === 'TLSv1.3' && !ticketSeen) {
          // TLS 1.3: the client's handshake completes BEFORE the server has checked the client
          // certificate (ours, or the lack of one when the server requires it); a refusal arrives as an
          // alert afterwards, and data written in between would count as sent and be lost. The
          // server's session ticket (or its alert) is the verdict; a server that sends no ticket
          // costs at most CLIENT_CERT_VERDICT_MS once per connection.
          const verdict = setTimeout(proceed, Math.min(CLIENT_CERT_VERDICT_MS, target.timeoutMs));
          // 'session' is emitted from inside OpenSSL's read; writing before that returns corrupts the
          // record stream (bad record mac), so continue on the next turn of the event loop.
          socket.once('session', () => { clearTimeout(verdict); setImmediate(proceed); });
          socket.once('error', () => clearTimeout(verdict));
          return;
        }
        proceed();
      };
      let ticketSeen = false;
      let done = false;
      const proceed = () => {
        if (done || socket.destroyed) return;
        done = true;
        clearTimeout(timer);
        socket.removeListener('error', onError);
        socket.setNoDelay(true);
        // Detects receivers that vanished without a FIN (power loss, NAT timeout) between batches.
        socket.setKeepAlive(true, 30_000);
        resolve(new SyslogStream(socket, target.timeoutMs));
      };
      if (target.tls) {
        const t = target.tls;
        const servername = t.servername ?? (net.isIP(target.host) ? undefined : target.host);
        // rejectUnauthorized makes Node check the chain and the name (servername, else host) before
        // 'secureConnect': no byte of data is ever written on an unverified connection.
        const tlsSocket = tls.connect({
          host: target.host, port: target.port, servername,
          ca: t.ca, cert: t.cert, key: t.key,
          rejectUnauthorized: !t.insecure,
        }, ready);
        tlsSocket.once('session', () => { ticketSeen = true; });
        // Read from the start: session tickets and alerts are only processed while reading.
        tlsSocket.on('data', () => {});
        socket = tlsSocket;
      } else {
        socket = net.connect({ host: target.host, port: target.port }, ready);
      }
      socket.once('error', onError);
    });
  }

  /** Bytes Node holds that the kernel has not taken yet. */
  get pendingBytes(): number {
    return this.socket.writableLength;
  }

  /**
   * Writes one chunk. Resolves `true` when the kernel took it at once, otherwise after 'drain'; rejects
   * when the connection breaks or makes no progress for `timeoutMs`. `flushed` settles when this chunk
   * was handed to the kernel (its write callback).
   */
  write(chunk: Buffer): { accepted: Promise<void>; flushed: Promise<void> } {
    if (this.broken) {
      const b = this.broken;
      const rejected = Promise.reject(b);
      rejected.catch(() => {});
      return { accepted: rejected, flushed: rejected };
    }
    let flushedResolve!: () => void;
    let flushedReject!: (e: Error) => void;
    const flushed = new Promise<void>((res, rej) => { flushedResolve = res; flushedReject = rej; });
    flushed.catch(() => {});
    const onBroken = (err: Error) => flushedReject(err);
    this.waiters.add(onBroken);
    const ok = this.socket.write(chunk, (err) => {
      this.waiters.delete(onBroken);
      if (err) flushedReject(err);
      else if (this.broken) flushedReject(this.broken);
      else flushedResolve();
    });
    const accepted = ok ? Promise.resolve() : this.waitForDrain();
    accepted.catch(() => {});
    return { accepted, flushed };
  }

  private waitForDrain(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.broken) { reject(this.broken); return; }
      const done = (err?: Error) => {
        clearTimeout(timer);
        this.socket.removeListener('drain', onDrain);
        this.waiters.delete(onBroken);
        if (err) reject(err); else resolve();
      };
      const onDrain = () => done();
      const onBroken = (err: Error) => done(err);
      // No drain for timeoutMs means the receiver stopped reading: give up on this connection.
      const timer = setTimeout(() => {
        const err = new SyslogConnectionError(`syslog receiver accepted no data for ${this.timeoutMs} ms`, 'ETIMEDOUT');
        this.socket.destroy(err);
        done(err);
      }, this.timeoutMs);
      this.socket.on('drain', onDrain);
      this.waiters.add(onBroken);
    });
  }

  /**
   * Waits for `flushes` (write callbacks); if they do not all settle within timeoutMs the receiver has
   * stopped reading, and the connection is given up.
   */
  async flushedWithin(flushes: Promise<unknown>): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const err = new SyslogConnectionError(`syslog receiver took no data for ${this.timeoutMs} ms`, 'ETIMEDOUT');
        this.socket.destroy(err);
        reject(err);
      }, this.timeoutMs);
    });
    try {
      await Promise.race([flushes, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Ends the connection gracefully: everything written is flushed to the kernel (and, for TLS, the
   * close_notify sent) before this resolves. Falls back to destroy after `timeoutMs`.
   */
  end(): Promise<void> {
    this.closing = true;
    const socket = this.socket;
    if (socket.destroyed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => { socket.destroy(); resolve(); }, this.timeoutMs);
      socket.once('close', () => { clearTimeout(timer); resolve(); });
      socket.end();
    });
  }

  /**
   * Ends the connection and reports whether the receiver confirmed it: a receiver answers our FIN with
   * its own only after reading everything before it, so a clean close (no error, the peer's FIN seen
   * within timeoutMs) is the one delivery confirmation plain TCP syslog offers. `false` marks the
   * stream broken, so the caller can write its recent data again elsewhere.
   */
  endConfirmed(): Promise<boolean> {
    this.closing = true;
    const socket = this.socket;
    if (socket.destroyed) return Promise.resolve(this.broken === undefined || this.closedByPeer);
    return new Promise<boolean>((resolve) => {
      let peerEnded = false;
      let errored: Error | undefined;
      const settle = (ok: boolean) => {
        clearTimeout(timer);
        if (!ok && !this.broken) { this.broken = errored ?? new SyslogConnectionError('syslog receiver did not confirm the close', 'ETIMEDOUT'); this.brokenAt = Date.now(); }
        resolve(ok);
      };
      const timer = setTimeout(() => { socket.destroy(); settle(false); }, this.timeoutMs);
      socket.once('end', () => { peerEnded = true; });
      socket.once('error', (err) => { errored = err; });
      socket.once('close', () => settle(peerEnded && errored === undefined));
      // Reading is what lets Node see the peer's FIN (the data itself, if any, is ignored).
      socket.resume();
      socket.end();
    });
  }

  destroy(): void {
    this.closing = true;
    this.socket.destroy();
  }
}
