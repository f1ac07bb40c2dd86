/**
 * Picks the HTTP sink a DESTINATION URL names: `https:`/`http:` generic collector, `splunk+https:` /
 * `splunk+http:` HEC, `elastic+https:` / `elastic+http:` bulk. Undefined for any other scheme, so the
 * caller can try the syslog and stdout sinks.
 */
import type { SettingsSource } from '../config/env';
import type { Logger } from '../observability/log';
import { ElasticBulkSink, parseElasticBulkOptions } from './elastic-bulk';
import { HttpSink, parseHttpSinkOptions } from './http';
import type { Encode, HttpSinkSecrets } from './http-options';
import { SplunkHecSink, parseSplunkHecOptions } from './splunk-hec';
import type { Sink } from './types';

export function isHttpDestination(url: URL): boolean {
  return /^(splunk\+|elastic\+)?https?:$/i.test(url.protocol);
}

export function createHttpSink(
  url: URL, env: SettingsSource, encode: Encode, getToken: (() => Promise<string>) | undefined, logger: Logger,
  secrets: HttpSinkSecrets = {},
): Sink | undefined {
  const scheme = url.protocol.toLowerCase();
  if (scheme === 'https:' || scheme === 'http:') return new HttpSink(parseHttpSinkOptions(url, env, encode, getToken, logger, secrets));
  if (scheme === 'splunk+https:' || scheme === 'splunk+http:') return new SplunkHecSink(parseSplunkHecOptions(url, env, encode, getToken, logger, secrets));
  if (scheme === 'elastic+https:' || scheme === 'elastic+http:') return new ElasticBulkSink(parseElasticBulkOptions(url, env, encode, getToken, logger, secrets));
  return undefined;
}
