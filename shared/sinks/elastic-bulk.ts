/**
 * Elasticsearch / OpenSearch `_bulk` sink (`elastic+https://host:9200/<index or data stream>`).
 *
 * Every event is a `create` with `_id` = event.id (deterministic, content-derived), so a redelivery
 * after a timeout or a redrive is recognised by Elastic (409 version_conflict on create) instead of
 * indexed twice; `create` is also the only op a data stream accepts. A 200 can carry `"errors":true`:
 * each item is checked. 409 on create = already there (delivered); 429 and 5xx items are retried alone,
 * in a smaller bulk; any other item error fails that item with Elastic's reason.
 *
 * With OUTPUT_FORMAT=json each document is the normalized event. With any other format each document
 * is `{"message": <payload text>}`: for raw that is the original record's JSON, which Elastic's own
 * m365_defender ingest pipelines parse (data stream `logs-m365_defender.event-default`).
 */
import { ConfigError, readEnum, type SettingsSource } from '../config/env';
import type { Logger } from '../observability/log';
import type { HttpAuth } from './http-auth';
import type { FramedItem } from './http-batch';
import { HttpClient, type HttpResponse } from './http-client';
import { HttpDeliveryEngine, statusOutcome, type AttemptOutcome, type HttpProtocol } from './http-engine';
import { outputFormat, parseAuth, parseDeliveryTuning, parseHeaders, parseTls, tokenSettingName, type Encode, type HttpCommonOptions, type HttpSinkSecrets } from './http-options';
import { openHttpDestination } from './http-destination';
import { requireWireProtocol } from './http-url';
import type { DeliveryReport, OutboundEvent, Sink } from './types';

export type ElasticDocument = 'event' | 'message';

export interface ElasticBulkOptions extends HttpCommonOptions {
  /** `event`: the encoded text is the document (JSON). `message`: the document is {"message": text}. */
  document: ElasticDocument;
  /** Elastic API keys: DESTINATION_AUTH=header:Authorization with a token of `ApiKey <base64>`. */
  auth?: HttpAuth;
}

export function parseElasticBulkOptions(
  url: URL, env: SettingsSource, encode: Encode, getToken: (() => Promise<string>) | undefined, logger: Logger,
  secrets: HttpSinkSecrets = {},
): ElasticBulkOptions {
  requireWireProtocol(url);
  elasticTarget(url);
  return {
    url,
    encode,
    document: outputFormat(env) === 'json' ? 'event' : 'message',
    compression: readEnum(env, 'HTTP_COMPRESSION', ['gzip', 'none'] as const, 'gzip'),
    headers: parseHeaders(env),
    auth: parseAuth(url, env, getToken),
    ...parseDeliveryTuning(env),
    tls: parseTls(env, secrets.clientCertificatePem),
    logger,
    tokenSetting: tokenSettingName(env),
  };
}

/** The index (last path segment) and the `_bulk` path under any proxy prefix before it. */
export function elasticTarget(url: URL): { index: string; path: string } {
  const segments = url.pathname.split('/').filter((s) => s !== '');
  const index = segments.pop();
  if (!index) throw new ConfigError('DESTINATION', 'an elastic+ URL must name the index or data stream, e.g. elastic+https://es:9200/logs-m365_defender.event-default');
  const name = decodeURIComponent(index);
  if (name !== name.toLowerCase() || /[\\/*?"<>| ,#:]/.test(name) || /^[-_+]/.test(name)) {
    throw new ConfigError('DESTINATION', `"${name}" is not a valid Elasticsearch index name (lowercase, no \\ / * ? " < > | space , # :)`);
  }
  return { index: name, path: `/${segments.map((s) => s + '/').join('')}_bulk` };
}

interface BulkItemResult { status?: number; error?: { type?: string; reason?: string } | string }

function itemReason(r: BulkItemResult): string {
  const e = r.error;
  const text = typeof e === 'string' ? e : e ? `${e.type ?? 'error'}: ${e.reason ?? ''}` : 'no error detail';
  return `Elastic rejected the document: ${r.status ?? '?'} ${text}`.trim().slice(0, 500);
}

export class ElasticBulkSink implements Sink {
  readonly name: string;
  private readonly client: HttpClient;
  private readonly engine: HttpDeliveryEngine;
  private readonly target: { index: string; path: string };

  constructor(private readonly options: ElasticBulkOptions) {
    ({ name: this.name, client: this.client } = openHttpDestination(options));
    this.target = elasticTarget(options.url);
    this.engine = new HttpDeliveryEngine({ ...options, name: this.name, client: this.client, protocol: this.wire() });
  }

  send(batch: readonly OutboundEvent[]): Promise<DeliveryReport> {
    return this.engine.send(batch);
  }

  async close(): Promise<void> {
    this.client.close();
  }

  private wire(): HttpProtocol {
    const { encode } = this.options;
    const indexJson = JSON.stringify(this.target.index);
    const asMessage = this.options.document === 'message';
    return {
      path: this.target.path + this.options.url.search,
      contentType: 'application/x-ndjson',
      // Each framed item ends with "\n": the body ends with the newline _bulk requires.
      prefix: '',
      separator: '',
      suffix: '',
      frame: (item) => {
        const payload = encode(item);
        const id = item.event.event.id;
        const action = id !== undefined ? `{"create":{"_index":${indexJson},"_id":${JSON.stringify(id)}}}` : `{"create":{"_index":${indexJson}}}`;
        return `${action}\n${asMessage ? `{"message":${JSON.stringify(payload)}}` : payload}\n`;
      },
      interpret: (res, batch) => this.interpret(res, batch),
    };
  }

  private interpret(res: HttpResponse, batch: readonly FramedItem[]): AttemptOutcome {
    if (res.status < 200 || res.status >= 300) {
      if (res.status === 401 || res.status === 403) {
        this.options.logger.error('Elasticsearch refused the credentials: check the token', {
          destination: this.name, status: res.status, setting: this.options.tokenSetting ?? 'DESTINATION_TOKEN_SECRET_NAME',
        });
      }
      return statusOutcome(res);
    }
    let parsed: { errors?: unknown; items?: unknown };
    try {
      parsed = JSON.parse(res.body) as { errors?: unknown; items?: unknown };
    } catch {
      // We cannot tell what was indexed; create + _id makes sending again safe.
      return { kind: 'retry', reason: `HTTP ${res.status} with an unreadable _bulk response` };
    }
    if (parsed.errors === false) return { kind: 'delivered' };
    const items = parsed.items;
    if (!Array.isArray(items) || items.length !== batch.length) {
      return { kind: 'retry', reason: `_bulk response has ${Array.isArray(items) ? items.length : 'no'} items for ${batch.length} documents` };
    }
    const failed: Array<{ position: number; reason: string }> = [];
    const retry: number[] = [];
    let retryReason = '';
    let already = 0;
    items.forEach((entry: unknown, position) => {
      const r = (entry && typeof entry === 'object' ? Object.values(entry)[0] : undefined) as BulkItemResult | undefined;
      const status = r?.status ?? 0;
      if (status >= 200 && status < 300) return;
      if (status === 409) {
        already++;
        return;
      }
      if (status === 429 || status >= 500) {
        retry.push(position);
        retryReason ||= itemReason(r ?? {});
        return;
      }
      failed.push({ position, reason: itemReason(r ?? {}) });
    });
    if (already > 0) {
      this.options.logger.info('Elastic already had some documents (redelivery recognised by _id)', { destination: this.name, documents: already });
      this.options.counters?.add('redelivered', already, this.name);
    }
    if (retry.length > 0) retryReason = `${retry.length} of ${batch.length} documents: ${retryReason}`;
    return { kind: 'items', failed, retry, retryReason };
  }
}
