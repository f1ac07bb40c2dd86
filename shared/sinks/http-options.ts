/**
 * The settings every HTTP sink shares, parsed once: batching, concurrency, timeouts, the retry budget,
 * TLS trust, extra headers and how the collector token is sent. Bad values throw ConfigError naming
 * the setting. Token values are never read into error messages.
 */
import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import { ConfigError, readBoolean, readEnum, readInteger, readString, type SettingsSource } from '../config/env';
import { PAYLOAD_FORMATS, type PayloadFormat } from '../formats/types';
import type { Counters, Logger } from '../observability/log';
import type { RetryTuning } from './http-engine';
import type { Compression } from './http-gzip';
import type { AuthKind, HttpAuth } from './http-auth';
import type { HttpTlsOptions } from './http-client';
import { urlCredentials } from './http-url';
import type { OutboundEvent } from './types';

export type Encode = (item: OutboundEvent) => string;

/** The default payload (OUTPUT_FORMAT=json); the lead passes payloadEncoder(format) from shared/formats. */
export const encodeEventJson: Encode = (item) => JSON.stringify(item.event);


/** Whether OUTPUT_FORMAT yields JSON text (json, raw) or a text line (fortisiem, cef, leef). */
export function encodesJson(env: SettingsSource): boolean {
  const f = readEnum(env, 'OUTPUT_FORMAT', PAYLOAD_FORMATS, 'json');
  return f === 'json' || f === 'raw';
}

export function outputFormat(env: SettingsSource): PayloadFormat {
  return readEnum(env, 'OUTPUT_FORMAT', PAYLOAD_FORMATS, 'json');
}

export interface DeliveryTuning {
  batchMaxEvents: number;
  batchMaxBytes: number;
  concurrency: number;
  timeoutMs: number;
  retryBudgetMs: number;
}

/** What every HTTP sink (generic, Splunk HEC, Elastic bulk) is configured with. */
export interface HttpCommonOptions extends DeliveryTuning {
  url: URL;
  encode: Encode;
  compression: Compression;
  headers: Record<string, string>;
  tls?: HttpTlsOptions;
  logger: Logger;
  counters?: Counters;
  retry?: RetryTuning;
  /** The setting named when the collector refuses the token (default DESTINATION_TOKEN_SECRET_NAME). */
  tokenSetting?: string;
}

export function parseDeliveryTuning(env: SettingsSource): DeliveryTuning {
  return {
    batchMaxEvents: readInteger(env, 'DELIVERY_BATCH_MAX_EVENTS', 500, 1, 100_000),
    batchMaxBytes: readInteger(env, 'DELIVERY_BATCH_MAX_BYTES', 1_048_576, 1024, 512 * 1024 * 1024),
    concurrency: readInteger(env, 'DELIVERY_CONCURRENCY', 4, 1, 64),
    timeoutMs: readInteger(env, 'DELIVERY_TIMEOUT_SECONDS', 30, 1, 600) * 1000,
    retryBudgetMs: readInteger(env, 'DELIVERY_RETRY_BUDGET_SECONDS', 120, 0, 3600) * 1000,
  };
}

/** What the caller read from Key Vault for an HTTP sink (the token is read lazily, per request). */
export interface HttpSinkSecrets {
  /** PEM with certificate and key, from the secret named by DESTINATION_CLIENT_CERT_SECRET_NAME: enables mutual TLS. */
  clientCertificatePem?: string;
}

/**
 * Checks the client certificate PEM now, so a wrong secret fails at start naming the setting instead
 * of every handshake failing later. The messages never quote the secret's text.
 */
export function clientCertificate(pem: string): { cert: string; key: string } {
  const setting = 'DESTINATION_CLIENT_CERT_SECRET_NAME';
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new ConfigError(setting, 'the secret holds no PEM certificate (expected the certificate and its private key, PEM)');
  if (!/-----BEGIN (?:RSA |EC |ENCRYPTED )?PRIVATE KEY-----/.test(pem)) throw new ConfigError(setting, 'the secret holds a certificate but no PEM private key (expected both in one PEM)');
  try {
    // The same check the handshake would make: parseable, unencrypted, and the key matches the certificate.
    tls.createSecureContext({ cert: pem, key: pem });
  } catch (err) {
    throw new ConfigError(setting, `the certificate and key in the secret are not usable: ${(err as Error).message.split('\n')[0]}`);
  }
  return { cert: pem, key: pem };
}

/**
 * DESTINATION_CA_FILE (read now, so a wrong path fails at start), DESTINATION_TLS_INSECURE, and the
 * client certificate for mutual TLS when the caller read one.
 */
export function parseTls(env: SettingsSource, clientCertificatePem?: string): HttpTlsOptions {
  const caFile = readString(env, 'DESTINATION_CA_FILE');
  let ca: Buffer | undefined;
  if (caFile) {
    try {
      ca = readFileSync(caFile);
    } catch (err) {
      throw new ConfigError('DESTINATION_CA_FILE', `cannot read ${caFile}: ${(err as Error).message}`);
    }
    if (!ca.toString('latin1').includes('-----BEGIN CERTIFICATE-----')) {
      throw new ConfigError('DESTINATION_CA_FILE', `${caFile} holds no PEM certificate`);
    }
  }
  // Empty means none, as for syslog+tls (and `check` resolves secret names to empty stubs).
  const client = clientCertificatePem ? clientCertificate(clientCertificatePem) : {};
  return { ca, insecure: readBoolean(env, 'DESTINATION_TLS_INSECURE', false), ...client };
}

/** Called by every HTTPS sink at creation: the opt-out must stay visible in every invocation's log. */
export function warnIfInsecure(tls: HttpTlsOptions | undefined, destination: string, logger: Logger): void {
  if (tls?.insecure) {
    logger.warn('TLS server verification is OFF for this destination (DESTINATION_TLS_INSECURE=true): anyone on the path can read and alter the events. Use DESTINATION_CA_FILE instead.', { destination });
  }
}

/** An explicit http:// destination is allowed (local collectors, a TLS-terminating sidecar) but never quietly. */
export function warnIfPlaintext(url: URL, destination: string, logger: Logger): void {
  const host = bareHostname(url);
  if (host === 'localhost' || host === '::1' || host.startsWith('127.')) return;
  logger.warn('This HTTP destination is plaintext: events and the token cross the network unencrypted. Use https unless a local proxy encrypts them.', { destination });
}

/** Called by each HTTP sink at creation. */
export function warnAboutTransport(url: URL, protocol: 'http:' | 'https:', tls: HttpTlsOptions | undefined, destination: string, logger: Logger): void {
  if (protocol === 'https:') warnIfInsecure(tls, destination, logger);
  else warnIfPlaintext(url, destination, logger);
}

/** DESTINATION_HEADERS: a JSON object of string values. Header names are checked, values kept as is. */
export function parseHeaders(env: SettingsSource): Record<string, string> {
  const raw = readString(env, 'DESTINATION_HEADERS');
  if (!raw) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError('DESTINATION_HEADERS', 'expected a JSON object such as {"X-Source":"defender"}');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError('DESTINATION_HEADERS', 'expected a JSON object of header names to string values');
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(parsed)) {
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(k)) throw new ConfigError('DESTINATION_HEADERS', `"${k}" is not a valid header name`);
    if (typeof v !== 'string' || /[\r\n\0]/.test(v)) throw new ConfigError('DESTINATION_HEADERS', `the value of "${k}" must be a string without CR, LF or NUL`);
    if (/^(content-length|content-encoding|content-type|host|transfer-encoding)$/i.test(k)) {
      throw new ConfigError('DESTINATION_HEADERS', `"${k}" is set by the sink and cannot be overridden`);
    }
    out[k] = v;
  }
  return out;
}

/** DESTINATION_AUTH: `bearer` (default), `basic` or `header:<Name>`. */
export function parseAuthMode(env: SettingsSource): { kind: Exclude<AuthKind, 'splunk'>; headerName?: string } {
  const raw = readString(env, 'DESTINATION_AUTH') ?? 'bearer';
  const l = raw.toLowerCase();
  if (l === 'bearer' || l === 'basic') return { kind: l };
  const m = /^header:([!#$%&'*+.^_`|~0-9A-Za-z-]+)$/i.exec(raw);
  if (m) return { kind: 'header', headerName: m[1] };
  throw new ConfigError('DESTINATION_AUTH', `expected bearer, basic or header:<Name>, got "${raw}"`);
}

/**
 * Where the token comes from, in order: the caller's getToken (Key Vault via
 * DESTINATION_TOKEN_SECRET_NAME), DESTINATION_TOKEN (plain, local development), `user:pass@` in the URL
 * (sent as basic auth). Undefined when there is none.
 */
export function resolveToken(url: URL, env: SettingsSource, getToken: (() => Promise<string>) | undefined): { getToken: () => Promise<string>; fromUrl: boolean } | undefined {
  if (getToken) return { getToken, fromUrl: false };
  const plain = readString(env, 'DESTINATION_TOKEN');
  if (plain !== undefined) return { getToken: () => Promise.resolve(plain), fromUrl: false };
  const creds = urlCredentials(url);
  if (creds !== undefined) return { getToken: () => Promise.resolve(creds), fromUrl: true };
  return undefined;
}

/** The auth of a generic or Elastic collector: URL credentials are always basic. */
export function parseAuth(url: URL, env: SettingsSource, getToken: (() => Promise<string>) | undefined): HttpAuth | undefined {
  const mode = parseAuthMode(env); // validated even when there is no token yet
  const token = resolveToken(url, env, getToken);
  if (!token) return undefined;
  if (token.fromUrl) return { kind: 'basic', getToken: token.getToken };
  return { ...mode, getToken: token.getToken };
}

/** The setting an operator must fix when the collector refuses the token. */
export function tokenSettingName(env: SettingsSource): string {
  if (readString(env, 'DESTINATION_TOKEN_SECRET_NAME')) return 'DESTINATION_TOKEN_SECRET_NAME';
  if (readString(env, 'DESTINATION_TOKEN')) return 'DESTINATION_TOKEN';
  return 'DESTINATION_TOKEN_SECRET_NAME';
}

/** URL.hostname keeps IPv6 brackets; sockets want the bare address. */
export function bareHostname(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

export function defaultPort(protocol: 'http:' | 'https:', url: URL): number {
  return url.port ? Number(url.port) : protocol === 'https:' ? 443 : 80;
}
