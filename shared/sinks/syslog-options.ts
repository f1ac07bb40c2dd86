/**
 * Settings of the syslog destinations, parsed once into SyslogSinkOptions. Bad values throw ConfigError
 * naming the setting.
 */
import { readFileSync } from 'node:fs';
import { ConfigError, readBoolean, readEnum, readInteger, readString, type SettingsSource } from '../config/env';
import type { Logger } from '../observability/log';
import type { OutboundEvent } from './types';
import type { SyslogFraming } from './syslog-framing';

export type SyslogTransport = 'udp' | 'tcp' | 'tls';

export interface SyslogTlsOptions {
  /** Extra trusted CA(s), PEM. Without it the Node/OS default roots are trusted. */
  ca?: string | Buffer;
  /** Client certificate and key, PEM, for mutual TLS. */
  cert?: string | Buffer;
  key?: string | Buffer;
  /** Skip server verification. Logs a warning at every start. */
  insecure?: boolean;
  /** Name checked against the certificate (and sent as SNI); default the URL host. */
  servername?: string;
}

export interface SyslogSinkOptions {
  /** syslog+udp://host:port | syslog+tcp://host:port | syslog+tls://host:port */
  url: URL;
  /** A whole syslog message (header + payload), no framing; promised free of CR, LF and NUL. */
  encode: (item: OutboundEvent) => string;
  /** TCP/TLS only. */
  framing: SyslogFraming;
  /** Largest UDP datagram; longer messages are cut on a UTF-8 boundary and end with a marker. */
  udpMaxBytes: number;
  tls?: SyslogTlsOptions;
  /** One connection attempt (incl. TLS handshake), and the longest a write may make no progress. */
  timeoutMs: number;
  /** Total time one `send` may spend retrying before it reports the rest as failed. */
  retryBudgetMs: number;
  logger: Logger;
  /** Bytes joined into one socket write. Default 256 KiB. */
  chunkBytes?: number;
  /**
   * After a connection breaks, data written on it in the last `replayWindowMs` before the break (at
   * most `replayWindowBytes`) is written again on the new connection: plain TCP syslog has no
   * acknowledgement, and that data may still have been sitting in kernel buffers. Defaults 5 s, 4 MiB.
   * After a clean close by the peer (FIN) the look-back is at most 1 s: such a peer read all that had
   * reached it. Idle connections closed by a load balancer therefore cause no duplicates.
   */
  replayWindowMs?: number;
  replayWindowBytes?: number;
  /** First backoff delay (default 500 ms) and cap (default 30 s); injected in tests. */
  retryBaseDelayMs?: number;
  retryMaxDelayMs?: number;
}

export interface SyslogEndpoint {
  transport: SyslogTransport;
  host: string;
  port: number;
}

const SCHEMES: Record<string, SyslogTransport> = { 'syslog+udp:': 'udp', 'syslog+tcp:': 'tcp', 'syslog+tls:': 'tls' };
const DEFAULT_PORTS: Record<SyslogTransport, number> = { udp: 514, tcp: 514, tls: 6514 };

export function isSyslogUrl(url: URL): boolean {
  return url.protocol in SCHEMES;
}

/** Transport, host (IPv6 brackets removed) and port (514, or 6514 for TLS, when absent). */
export function syslogEndpoint(url: URL): SyslogEndpoint {
  const transport = SCHEMES[url.protocol];
  if (!transport) throw new ConfigError('DESTINATION', `${url.protocol}// is not a syslog scheme (syslog+udp, syslog+tcp, syslog+tls)`);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) throw new ConfigError('DESTINATION', `${url.protocol}// needs a host`);
  const port = url.port ? Number(url.port) : DEFAULT_PORTS[transport];
  return { transport, host, port };
}

function readPemFile(env: SettingsSource, setting: string): string | undefined {
  const file = readString(env, setting);
  if (file === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(setting, `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) throw new ConfigError(setting, `${file} holds no PEM certificate`);
  return text;
}

/**
 * Reads SYSLOG_FRAMING (default lf for tcp, octet-counting for tls as RFC 5425 requires),
 * SYSLOG_UDP_MAX_BYTES (default 1472, or 1024 when SYSLOG_FORMAT=rfc3164 since RFC 3164 caps a
 * message at 1024 bytes; an explicit value wins), DESTINATION_CA_FILE (TLS only), DESTINATION_TLS_INSECURE
 * (false), DELIVERY_TIMEOUT_SECONDS (30) and DELIVERY_RETRY_BUDGET_SECONDS (120).
 * `clientCertificatePem` (a PEM with certificate and key, e.g. from the Key Vault secret named by
 * DESTINATION_CLIENT_CERT_SECRET_NAME) enables mutual TLS.
 */
export function parseSyslogSinkOptions(
  url: URL,
  env: SettingsSource,
  encode: (item: OutboundEvent) => string,
  logger: Logger,
  secrets: { clientCertificatePem?: string } = {},
): SyslogSinkOptions {
  const { transport } = syslogEndpoint(url);
  const framing = readEnum<SyslogFraming>(env, 'SYSLOG_FRAMING', ['octet-counting', 'lf'], transport === 'tls' ? 'octet-counting' : 'lf');
  const header = readEnum(env, 'SYSLOG_FORMAT', ['rfc5424', 'rfc3164'], 'rfc5424');
  // 480 is what every IPv4 receiver must accept (RFC 5426); 65507 the largest IPv4 UDP payload.
  const udpMaxBytes = readInteger(env, 'SYSLOG_UDP_MAX_BYTES', header === 'rfc3164' ? 1024 : 1472, 480, 65507);
  const timeoutMs = readInteger(env, 'DELIVERY_TIMEOUT_SECONDS', 30, 1, 3600) * 1000;
  const retryBudgetMs = readInteger(env, 'DELIVERY_RETRY_BUDGET_SECONDS', 120, 0, 86_400) * 1000;
  const options: SyslogSinkOptions = { url, encode, framing, udpMaxBytes, timeoutMs, retryBudgetMs, logger };
  if (transport === 'tls') {
    const insecure = readBoolean(env, 'DESTINATION_TLS_INSECURE', false);
    const ca = readPemFile(env, 'DESTINATION_CA_FILE');
    const pem = secrets.clientCertificatePem;
    options.tls = { insecure, ...(ca ? { ca } : {}), ...(pem ? { cert: pem, key: pem } : {}) };
  }
  return options;
}
