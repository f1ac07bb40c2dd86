import { ConfigError, readString, type SettingsSource } from '../config/env';
import { createSyslogEncoder, parseFormatOptions, payloadEncoder } from '../formats';
import type { Counters, Logger } from '../observability/log';
import type { SecretSource } from '../secrets/keyvault';
import { DiscardSink } from '../sinks/discard';
import { ElasticBulkSink, parseElasticBulkOptions } from '../sinks/elastic-bulk';
import { HttpSink, parseHttpSinkOptions } from '../sinks/http';
import type { HttpSinkSecrets } from '../sinks/http-options';
import { parseSplunkHecOptions, SplunkHecSink } from '../sinks/splunk-hec';
import { StreamSink } from '../sinks/stdout';
import { parseSyslogSinkOptions, SyslogSink } from '../sinks/syslog';
import type { Sink } from '../sinks/types';

/**
 * DESTINATION: a comma-separated list of destination URLs; every event fans out to all of them.
 * The scheme picks the sink; each sink parses the settings it owns. Secrets (collector token, client
 * certificate) come from Key Vault when their *_SECRET_NAME setting is given.
 */

export interface DestinationDeps {
  env: SettingsSource;
  logger: Logger;
  /** Where `stdout` writes (the CLI's standard output). */
  stdout: NodeJS.WritableStream;
  /** Key Vault, when KEY_VAULT_URL is set. */
  secrets?: SecretSource;
  mode: 'function' | 'cli';
  /**
   * The runtime's counters, for what only a sink sees: HTTP sinks add `retried` and `split413` per
   * destination. Delivered and failed items are the DeliveryEngine's to count.
   */
  counters?: Counters;
}

export function parseDestinationList(env: SettingsSource, required: boolean): string[] {
  const raw = readString(env, 'DESTINATION');
  if (raw === undefined) {
    if (required) throw new ConfigError('DESTINATION', 'is required in the Function App (for example syslog+tls://siem.contoso.com:6514 or https://collector.contoso.com/ingest)');
    return ['stdout'];
  }
  const list = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (list.length === 0) throw new ConfigError('DESTINATION', 'lists no destination');
  return list;
}

/** A destination for logs: credentials and query strings removed. */
export function redactUrl(spec: string): string {
  try {
    const u = new URL(spec);
    if (u.username || u.password) { u.username = '***'; u.password = ''; }
    u.search = '';
    return u.toString();
  } catch {
    return spec.replace(/\/\/[^@/]*@/, '//***@');
  }
}

function secretGetter(deps: DestinationDeps, setting: string): (() => Promise<string>) | undefined {
  const name = readString(deps.env, setting);
  if (name === undefined) return undefined;
  const secrets = deps.secrets;
  if (!secrets) throw new ConfigError('KEY_VAULT_URL', `is required because ${setting} names a Key Vault secret ("${name}")`);
  return () => secrets.getSecret(name);
}

/** The client certificate (DESTINATION_CLIENT_CERT_SECRET_NAME) of an https sink; plaintext http has no handshake to present it in. */
async function httpSecrets(deps: DestinationDeps, scheme: string): Promise<HttpSinkSecrets> {
  if (!scheme.endsWith('https')) return {};
  const certSecret = secretGetter(deps, 'DESTINATION_CLIENT_CERT_SECRET_NAME');
  return certSecret ? { clientCertificatePem: await certSecret() } : {};
}

export async function createSink(spec: string, deps: DestinationDeps): Promise<Sink> {
  const { env, logger } = deps;
  if (spec === 'stdout') return new StreamSink(deps.stdout, payloadEncoder(parseFormatOptions(env).format));
  if (spec === 'discard') {
    if (deps.mode === 'function') throw new ConfigError('DESTINATION', '"discard" drops every event: it is for benchmarks and dry runs with the CLI, not the Function App');
    return new DiscardSink(payloadEncoder(parseFormatOptions(env).format));
  }
  let url: URL;
  try {
    url = new URL(spec);
  } catch {
    throw new ConfigError('DESTINATION', `"${redactUrl(spec)}" is not a URL`);
  }
  const scheme = url.protocol.replace(/:$/, '').toLowerCase();
  const formats = parseFormatOptions(env);
  if (scheme.startsWith('syslog+')) {
    const certSecret = secretGetter(deps, 'DESTINATION_CLIENT_CERT_SECRET_NAME');
    const clientCertificatePem = certSecret ? await certSecret() : undefined;
    return new SyslogSink(parseSyslogSinkOptions(url, env, createSyslogEncoder(formats), logger, { clientCertificatePem }));
  }
  const encode = payloadEncoder(formats.format);
  const getToken = secretGetter(deps, 'DESTINATION_TOKEN_SECRET_NAME');
  if (deps.mode === 'function' && !getToken && readString(env, 'DESTINATION_TOKEN') !== undefined) {
    logger.warn('DESTINATION_TOKEN holds a plain collector token: for local development only; use DESTINATION_TOKEN_SECRET_NAME with Key Vault in Azure');
  }
  if (scheme === 'http' || scheme === 'https') return new HttpSink({ ...parseHttpSinkOptions(url, env, encode, getToken, logger, await httpSecrets(deps, scheme)), counters: deps.counters });
  if (scheme === 'splunk+http' || scheme === 'splunk+https') return new SplunkHecSink({ ...parseSplunkHecOptions(url, env, encode, getToken, logger, await httpSecrets(deps, scheme)), counters: deps.counters });
  if (scheme === 'elastic+http' || scheme === 'elastic+https') return new ElasticBulkSink({ ...parseElasticBulkOptions(url, env, encode, getToken, logger, await httpSecrets(deps, scheme)), counters: deps.counters });
  throw new ConfigError('DESTINATION', `scheme "${scheme}" of ${redactUrl(spec)} is not supported (use syslog+udp, syslog+tcp, syslog+tls, http, https, splunk+http(s), elastic+http(s), stdout or discard)`);
}

export async function createSinks(deps: DestinationDeps, required: boolean): Promise<Sink[]> {
  const sinks: Sink[] = [];
  try {
    for (const spec of parseDestinationList(deps.env, required)) sinks.push(await createSink(spec, deps));
  } catch (err) {
    await Promise.all(sinks.map((s) => s.close().catch(() => undefined)));
    throw err;
  }
  return sinks;
}
