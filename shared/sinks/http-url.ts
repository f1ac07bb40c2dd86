/**
 * Destination URLs for the HTTP sinks: which wire scheme a `splunk+https:` or `elastic+http:` URL means,
 * and a redacted rendering for `Sink.name`, logs and dead letters. Credentials (`user:pass@`) and query
 * values may be secrets: they never appear in the rendering.
 */
import { ConfigError } from '../config/env';

export type WireProtocol = 'http:' | 'https:';

/** `https://`, `splunk+https://`, `elastic+https://` -> `https:` (and the same for http); else undefined. */
export function wireProtocol(url: URL): WireProtocol | undefined {
  const scheme = url.protocol.replace(/:$/, '').toLowerCase();
  const tail = scheme.includes('+') ? scheme.slice(scheme.indexOf('+') + 1) : scheme;
  if (tail === 'https') return 'https:';
  if (tail === 'http') return 'http:';
  return undefined;
}

/** The wire protocol, or a ConfigError on DESTINATION (there is no silent fallback to plaintext). */
export function requireWireProtocol(url: URL): WireProtocol {
  const p = wireProtocol(url);
  if (!p) throw new ConfigError('DESTINATION', `unsupported HTTP scheme "${url.protocol}" (use https: or http:)`);
  return p;
}

/** `scheme://host:port/path`, with credentials dropped and query values replaced by `…`. */
export function redactUrl(url: URL): string {
  const port = url.port ? `:${url.port}` : '';
  const path = url.pathname === '/' ? '' : url.pathname;
  const query = url.search ? '?' + [...url.searchParams.keys()].map((k) => `${k}=…`).join('&') : '';
  return `${url.protocol}//${url.hostname}${port}${path}${query}`;
}

/** `user:password` from the URL's userinfo, percent-decoded; undefined when the URL carries none. */
export function urlCredentials(url: URL): string | undefined {
  if (!url.username && !url.password) return undefined;
  return `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
}
