import { HttpClient } from './http-client';
import { bareHostname, defaultPort, warnAboutTransport, type HttpCommonOptions } from './http-options';
import { redactUrl, requireWireProtocol } from './http-url';

/**
 * What every HTTP sink does first: check the scheme, name the destination without credentials, warn
 * about insecure transport (at every start), and open one keep-alive client sized to the concurrency.
 */
export function openHttpDestination(options: HttpCommonOptions): { name: string; client: HttpClient } {
  const protocol = requireWireProtocol(options.url);
  const name = redactUrl(options.url);
  warnAboutTransport(options.url, protocol, options.tls, name, options.logger);
  const client = new HttpClient({
    protocol, hostname: bareHostname(options.url), port: defaultPort(protocol, options.url), maxSockets: options.concurrency, tls: options.tls,
  });
  return { name, client };
}
