/**
 * One HTTP(S) connection pool per destination: keep-alive agent, a total per-request timeout, TLS
 * verified by default (a private CA is added to the public roots, not substituted for them), a client
 * certificate presented when the collector requires mutual TLS, and failures turned into errors the
 * retry classification understands.
 */
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import type { WireProtocol } from './http-url';

export interface HttpTlsOptions {
  /** Extra trusted CA (PEM), e.g. the contents of DESTINATION_CA_FILE. */
  ca?: string | Buffer;
  /** Skip server verification. The sink logs a warning whenever it is created with this. */
  insecure?: boolean;
  /**
   * Client certificate (chain) and private key, PEM, for collectors that require mutual TLS. Both may be
   * the same text: the Key Vault secret named by DESTINATION_CLIENT_CERT_SECRET_NAME holds them together.
   */
  cert?: string | Buffer;
  key?: string | Buffer;
}

export interface HttpClientOptions {
  protocol: WireProtocol;
  hostname: string;
  port: number;
  /** Sockets kept per destination; the sinks pass their concurrency. */
  maxSockets: number;
  tls?: HttpTlsOptions;
}

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A request that produced no HTTP response: refused, reset, timed out, or TLS failed (`tlsFailure`). */
export class HttpTransportError extends Error {
  constructor(message: string, readonly code: string | undefined, readonly tlsFailure: boolean) {
    super(message);
    this.name = 'HttpTransportError';
  }
}

/** OpenSSL/Node codes meaning "the server is not who it should be": never retried, never bypassed. */
const TLS_VERIFY_CODES = new Set([
  'ERR_TLS_CERT_ALTNAME_INVALID', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'CERT_UNTRUSTED', 'CERT_REJECTED', 'CERT_SIGNATURE_FAILURE',
  'INVALID_CA', 'HOSTNAME_MISMATCH', 'ERR_SSL_WRONG_VERSION_NUMBER',
]);

/** Response bodies are read for error text and bulk item results; anything larger is cut off. */
const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

export class HttpClient {
  private readonly agent: http.Agent;
  private readonly request: typeof http.request;

  constructor(private readonly options: HttpClientOptions) {
    const common = { keepAlive: true, maxSockets: options.maxSockets, scheduling: 'lifo' as const };
    if (options.protocol === 'https:') {
      const ca = options.tls?.ca ? [...tls.rootCertificates, options.tls.ca.toString()] : undefined;
      const clientCert = options.tls?.cert !== undefined && options.tls.key !== undefined ? { cert: options.tls.cert, key: options.tls.key } : {};
      this.agent = new https.Agent({ ...common, ca, rejectUnauthorized: !options.tls?.insecure, ...clientCert });
      this.request = https.request;
    } else {
      this.agent = new http.Agent(common);
      this.request = http.request;
    }
  }

  /** POSTs `body` to `path`; resolves with any HTTP status, rejects with HttpTransportError. */
  post(path: string, headers: Record<string, string>, body: Buffer, timeoutMs: number): Promise<HttpResponse> {
    return new Promise<HttpResponse>((resolve, reject) => {
      let settled = false;
      const fail = (err: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(toTransportError(err, this.options.hostname));
      };
      const req = this.request({
        agent: this.agent,
        method: 'POST',
        hostname: this.options.hostname,
        port: this.options.port,
        path,
        // servername drives SNI and the certificate name check; an IP literal gets no SNI (RFC 6066).
        servername: /^[\d.]+$|:/.test(this.options.hostname) ? undefined : this.options.hostname,
        headers: { ...headers, 'Content-Length': String(body.length) },
      } as https.RequestOptions, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size <= MAX_RESPONSE_BYTES) chunks.push(c);
        });
        res.on('error', fail);
        res.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
        });
      });
      // A total deadline, not a socket idle timeout: a collector trickling bytes must not hold us forever.
      const timer = setTimeout(() => {
        const err = Object.assign(new Error(`no complete response within ${timeoutMs} ms`), { code: 'ETIMEDOUT' });
        req.destroy(err);
        fail(err);
      }, timeoutMs);
      req.on('error', fail);
      req.end(body);
    });
  }

  /** Closes idle keep-alive sockets and refuses new requests on this pool. */
  close(): void {
    this.agent.destroy();
  }
}

function toTransportError(err: unknown, host: string): HttpTransportError {
  if (err instanceof HttpTransportError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  const c = typeof code === 'string' ? code : undefined;
  const message = err instanceof Error ? err.message : String(err);
  if (c === 'EPROTO' && /wrong version number|packet length too long|unknown protocol/i.test(message)) {
    return new HttpTransportError(`TLS handshake with ${host} failed: the server did not answer in TLS (is this a plaintext port?): ${message.split('\n')[0]} [EPROTO]`, c, true);
  }
  // A TLS alert from the server ("certificate required", "handshake failure", "unknown ca"...): it
  // refused our side of the handshake, typically the client certificate. Sending again cannot fix it.
  const alert = /(?:sslv3|tlsv1[0-9]*) alert ([a-z ]+)/i.exec(message);
  if (alert && (c === 'EPROTO' || c?.startsWith('ERR_SSL_'))) {
    return new HttpTransportError(`TLS handshake with ${host} failed: the server refused it (alert "${alert[1].trim()}"): `
      + 'it may require a client certificate (DESTINATION_CLIENT_CERT_SECRET_NAME) or not trust the one presented'
      + ` [${c}]`, c, true);
  }
  if (c && TLS_VERIFY_CODES.has(c)) {
    const hint = c === 'ERR_TLS_CERT_ALTNAME_INVALID' ? 'the certificate does not name this host'
      : c === 'ERR_SSL_WRONG_VERSION_NUMBER' ? 'the server did not answer in TLS'
      : 'the certificate is not trusted (set DESTINATION_CA_FILE to trust a private CA)';
    return new HttpTransportError(`TLS verification of ${host} failed: ${hint}: ${message} [${c}]`, c, true);
  }
  return new HttpTransportError(`${message}${c && !message.includes(c) ? ` [${c}]` : ''}`, c, false);
}
