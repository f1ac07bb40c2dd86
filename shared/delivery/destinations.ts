import { ConfigError, readString, type SettingsSource } from '../config/env';
import type { Logger } from '../observability/log';
import { StreamSink } from '../sinks/stdout';
import type { OutboundEvent, Sink } from '../sinks/types';

/**
 * DESTINATION: a comma-separated list of destination URLs; every event fans out to all of them.
 * Each scheme's sink parses its own options from the settings.
 */

export interface DestinationDeps {
  env: SettingsSource;
  logger: Logger;
  /** Payload encoder chosen by OUTPUT_FORMAT. */
  encode: (item: OutboundEvent) => string;
  stdout: NodeJS.WritableStream;
}

export function parseDestinationList(env: SettingsSource, required: boolean): string[] {
  const raw = readString(env, 'DESTINATION');
  if (raw === undefined) {
    if (required) throw new ConfigError('DESTINATION', 'is required in the Function App (for example syslog+tls://siem.contoso.com:6514 or https://collector/ingest)');
    return ['stdout'];
  }
  const list = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (list.length === 0) throw new ConfigError('DESTINATION', 'lists no destination');
  return list;
}

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

export function createSink(spec: string, deps: DestinationDeps): Sink {
  if (spec === 'stdout') return new StreamSink(deps.stdout, deps.encode);
  let url: URL;
  try {
    url = new URL(spec);
  } catch {
    throw new ConfigError('DESTINATION', `"${redactUrl(spec)}" is not a URL`);
  }
  throw new ConfigError('DESTINATION', `scheme "${url.protocol}" is not supported (use syslog+udp, syslog+tcp, syslog+tls, http, https, splunk+http(s), elastic+http(s) or stdout)`);
}

export function createSinks(deps: DestinationDeps, required: boolean): Sink[] {
  return parseDestinationList(deps.env, required).map((spec) => createSink(spec, deps));
}
