/**
 * Generic HTTP collector sink (`https://...`, `http://...`): NDJSON (default) or a JSON array per
 * request, gzip by default, extra headers, bearer/basic/custom-header token.
 */
import { readEnum, type SettingsSource } from '../config/env';
import type { Logger } from '../observability/log';
import type { HttpAuth } from './http-auth';
import type { FramedItem } from './http-batch';
import { HttpClient, type HttpResponse } from './http-client';
import { HttpDeliveryEngine, statusOutcome, type AttemptOutcome, type HttpProtocol } from './http-engine';
import { encodesJson, parseAuth, parseDeliveryTuning, parseHeaders, parseTls, tokenSettingName, type Encode, type HttpCommonOptions, type HttpSinkSecrets } from './http-options';
import { openHttpDestination } from './http-destination';
import { requireWireProtocol } from './http-url';
import type { DeliveryReport, OutboundEvent, Sink } from './types';

export type BodyFormat = 'ndjson' | 'json-array';

export interface HttpSinkOptions extends HttpCommonOptions {
  /** Whether `encode` yields JSON text (json, raw). Text lines (cef, leef...) become JSON strings in arrays. Default true. */
  encodedIsJson?: boolean;
  bodyFormat: BodyFormat;
  auth?: HttpAuth;
}

/**
 * Reads HTTP_BODY_FORMAT, HTTP_COMPRESSION, DESTINATION_HEADERS, DESTINATION_AUTH/TOKEN, DELIVERY_*, TLS.
 * `secrets.clientCertificatePem` (DESTINATION_CLIENT_CERT_SECRET_NAME, read by the caller) enables mutual TLS.
 */
export function parseHttpSinkOptions(
  url: URL, env: SettingsSource, encode: Encode, getToken: (() => Promise<string>) | undefined, logger: Logger,
  secrets: HttpSinkSecrets = {},
): HttpSinkOptions {
  requireWireProtocol(url);
  return {
    url,
    encode,
    encodedIsJson: encodesJson(env),
    bodyFormat: readEnum(env, 'HTTP_BODY_FORMAT', ['ndjson', 'json-array'] as const, 'ndjson'),
    compression: readEnum(env, 'HTTP_COMPRESSION', ['gzip', 'none'] as const, 'gzip'),
    headers: parseHeaders(env),
    auth: parseAuth(url, env, getToken),
    ...parseDeliveryTuning(env),
    tls: parseTls(env, secrets.clientCertificatePem),
    logger,
    tokenSetting: tokenSettingName(env),
  };
}

/** Under NDJSON a raw CR or LF inside one event would start a forged line: they are escaped as \r, \n. */
function oneLine(text: string): string {
  return text.includes('\n') || text.includes('\r') ? text.replace(/\r/g, '\\r').replace(/\n/g, '\\n') : text;
}

export class HttpSink implements Sink {
  readonly name: string;
  private readonly client: HttpClient;
  private readonly engine: HttpDeliveryEngine;

  constructor(private readonly options: HttpSinkOptions) {
    ({ name: this.name, client: this.client } = openHttpDestination(options));
    this.engine = new HttpDeliveryEngine({ ...options, name: this.name, client: this.client, protocol: this.wire() });
  }

  send(batch: readonly OutboundEvent[]): Promise<DeliveryReport> {
    return this.engine.send(batch);
  }

  async close(): Promise<void> {
    this.client.close();
  }

  private wire(): HttpProtocol {
    const { encode, bodyFormat } = this.options;
    const isJson = this.options.encodedIsJson ?? true;
    const ndjson = bodyFormat === 'ndjson';
    return {
      path: this.options.url.pathname + this.options.url.search,
      contentType: ndjson ? 'application/x-ndjson' : 'application/json',
      prefix: ndjson ? '' : '[',
      separator: ndjson ? '\n' : ',',
      suffix: ndjson ? '\n' : ']',
      frame: ndjson
        ? (item) => oneLine(encode(item))
        : isJson ? encode : (item) => JSON.stringify(encode(item)),
      interpret: (res: HttpResponse, _batch: readonly FramedItem[]): AttemptOutcome => {
        if (res.status === 401 || res.status === 403) {
          this.options.logger.error('The HTTP collector refused the credentials: check the token', {
            destination: this.name, status: res.status, setting: this.options.tokenSetting ?? 'DESTINATION_TOKEN_SECRET_NAME',
          });
        }
        return statusOutcome(res);
      },
    };
  }
}
