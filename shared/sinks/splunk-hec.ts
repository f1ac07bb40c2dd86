/**
 * Splunk HTTP Event Collector sink (`splunk+https://host:8088`, `splunk+http://...`).
 *
 * POST /services/collector/event with `Authorization: Splunk <token>`; the body is concatenated event
 * objects `{"time","host","source","sourcetype","index","event"}`, gzip by default (HEC accepts it).
 * `time` is epoch seconds with a millisecond fraction, taken from the event's @timestamp (omitted,
 * so Splunk uses the arrival time, only when @timestamp cannot be read: never invented).
 *
 * Sourcetypes: Graph incidents `ms365:defender:incident` and alerts `ms365:defender:incident:alerts`,
 * the ones the Splunk Add-on for Microsoft Security parses. Streaming records all get ONE sourcetype,
 * `ms365:defender:streaming`, with the Advanced Hunting table in `source`
 * (`AdvancedHunting-DeviceProcessEvents`): props.conf cannot wildcard sourcetype stanzas, so one
 * sourcetype with KV_MODE=json covers every table, present and future, and `source` still splits them.
 *
 * HEC answers carry a JSON code: 503/9 "busy" (and 5xx) is retried, honouring Retry-After; 401/403
 * (2 token required, 3 invalid authorization, 4 invalid token, 1 token disabled) fails the batch and
 * logs an error naming the token setting; any 400 (6 invalid data format, 7 incorrect index, 12/13
 * event field...) fails that batch only and is never retried. 413 (a body over max_content_length)
 * splits the batch (see http-engine).
 */
import { randomUUID } from 'node:crypto';
import { ConfigError, readEnum, readString, type SettingsSource } from '../config/env';
import type { Logger } from '../observability/log';
import { HttpClient, type HttpResponse } from './http-client';
import { HttpDeliveryEngine, statusOutcome, describeStatus, type AttemptOutcome, type HttpProtocol } from './http-engine';
import { encodesJson, parseDeliveryTuning, parseHeaders, parseTls, tokenSettingName, type Encode, type HttpCommonOptions, type HttpSinkSecrets } from './http-options';
import { openHttpDestination } from './http-destination';
import { requireWireProtocol, urlCredentials } from './http-url';
import type { DeliveryReport, OutboundEvent, Sink } from './types';

export const HEC_PATH = '/services/collector/event';

export const SOURCETYPES: Readonly<Record<OutboundEvent['origin'], string>> = {
  streaming: 'ms365:defender:streaming',
  incident: 'ms365:defender:incident',
  alert: 'ms365:defender:incident:alerts',
};

const GRAPH_SOURCES: Readonly<Record<'incident' | 'alert', string>> = {
  incident: 'microsoft-graph:security/incidents',
  alert: 'microsoft-graph:security/alerts_v2',
};

export interface SplunkHecOptions extends HttpCommonOptions {
  /** Whether `encode` yields JSON (json, raw): embedded as an object; otherwise as a JSON string. Default true. */
  encodedIsJson?: boolean;
  /** SPLUNK_INDEX; unset = the token's default index. */
  index?: string;
  getToken: () => Promise<string>;
}

export function parseSplunkHecOptions(
  url: URL, env: SettingsSource, encode: Encode, getToken: (() => Promise<string>) | undefined, logger: Logger,
  secrets: HttpSinkSecrets = {},
): SplunkHecOptions {
  requireWireProtocol(url);
  if (urlCredentials(url) !== undefined) {
    throw new ConfigError('DESTINATION', 'credentials in a splunk+ URL are not used: put the HEC token in Key Vault (DESTINATION_TOKEN_SECRET_NAME)');
  }
  const plain = readString(env, 'DESTINATION_TOKEN');
  const token = getToken ?? (plain !== undefined ? () => Promise.resolve(plain) : undefined);
  if (!token) {
    throw new ConfigError('DESTINATION_TOKEN_SECRET_NAME', 'Splunk HEC needs a token: name its Key Vault secret (or set DESTINATION_TOKEN for local development)');
  }
  return {
    url,
    encode,
    encodedIsJson: encodesJson(env),
    index: readString(env, 'SPLUNK_INDEX'),
    compression: readEnum(env, 'HTTP_COMPRESSION', ['gzip', 'none'] as const, 'gzip'),
    headers: parseHeaders(env),
    getToken: token,
    ...parseDeliveryTuning(env),
    tls: parseTls(env, secrets.clientCertificatePem),
    logger,
    tokenSetting: tokenSettingName(env),
  };
}

/** Epoch seconds with a millisecond fraction (`1732374000.123`), or undefined when unreadable. */
export function hecTime(timestamp: string | undefined): string | undefined {
  if (typeof timestamp !== 'string') return undefined;
  const ms = Date.parse(timestamp);
  if (!Number.isFinite(ms)) return undefined;
  const sec = Math.floor(ms / 1000);
  return `${sec}.${String(ms - sec * 1000).padStart(3, '0')}`;
}

function hecSource(item: OutboundEvent): string {
  if (item.origin !== 'streaming') return GRAPH_SOURCES[item.origin];
  const category = (item.original as { category?: unknown } | null)?.category;
  return typeof category === 'string' && category ? category : item.event.event.dataset;
}

interface HecAnswer { text?: string; code?: number; 'invalid-event-number'?: number }

function readHecAnswer(res: HttpResponse): HecAnswer {
  try {
    const v: unknown = JSON.parse(res.body);
    return typeof v === 'object' && v !== null ? (v as HecAnswer) : {};
  } catch {
    return {};
  }
}

export class SplunkHecSink implements Sink {
  readonly name: string;
  private readonly client: HttpClient;
  private readonly engine: HttpDeliveryEngine;
  /** HEC wants a channel on every request when indexer acknowledgment is on; harmless when it is off. */
  private readonly channel = randomUUID();

  constructor(private readonly options: SplunkHecOptions) {
    ({ name: this.name, client: this.client } = openHttpDestination(options));
    this.engine = new HttpDeliveryEngine({
      ...options,
      name: this.name,
      client: this.client,
      protocol: this.wire(),
      headers: { ...options.headers, 'X-Splunk-Request-Channel': this.channel },
      auth: { kind: 'splunk', getToken: options.getToken },
    });
  }

  send(batch: readonly OutboundEvent[]): Promise<DeliveryReport> {
    return this.engine.send(batch);
  }

  async close(): Promise<void> {
    this.client.close();
  }

  private wire(): HttpProtocol {
    const { encode, url } = this.options;
    const isJson = this.options.encodedIsJson ?? true;
    const index = this.options.index !== undefined ? `,"index":${JSON.stringify(this.options.index)}` : '';
    const path = (url.pathname === '' || url.pathname === '/' ? HEC_PATH : url.pathname) + url.search;
    return {
      path,
      contentType: 'application/json',
      prefix: '',
      separator: '',
      suffix: '',
      frame: (item) => {
        const payload = encode(item);
        const time = hecTime(item.event['@timestamp']);
        const host = item.event.host?.name;
        return '{' + (time !== undefined ? `"time":${time},` : '')
          + (host ? `"host":${JSON.stringify(host)},` : '')
          + `"source":${JSON.stringify(hecSource(item))},"sourcetype":"${SOURCETYPES[item.origin]}"${index},`
          + `"event":${isJson ? payload : JSON.stringify(payload)}}`;
      },
      interpret: (res) => this.interpret(res),
    };
  }

  private interpret(res: HttpResponse): AttemptOutcome {
    if (res.status >= 200 && res.status < 300) return { kind: 'delivered' };
    const hec = readHecAnswer(res);
    const detail = hec.code !== undefined ? `HEC code ${hec.code}: ${hec.text ?? ''}`.trim() : describeStatus(res);
    if (res.status === 401 || res.status === 403) {
      const setting = this.options.tokenSetting ?? 'DESTINATION_TOKEN_SECRET_NAME';
      this.options.logger.error(`Splunk HEC refused the token: check ${setting}`, { destination: this.name, status: res.status, hecCode: hec.code, setting });
      return { kind: 'reject', reason: `HTTP ${res.status} ${detail} (check ${setting})` };
    }
    if (res.status === 400) {
      const at = hec['invalid-event-number'] !== undefined ? ` (event ${hec['invalid-event-number']} of the batch)` : '';
      return { kind: 'reject', reason: `HTTP 400 ${detail}${at}` };
    }
    const plain = statusOutcome(res);
    // A 413 often comes from a proxy in front of HEC (plain text, no HEC code): its own text is the reason.
    if (plain.kind === 'too-large' && hec.code === undefined) return plain;
    return plain.kind === 'retry' || plain.kind === 'reject' || plain.kind === 'too-large' ? { ...plain, reason: `HTTP ${res.status} ${detail}` } : plain;
  }
}
