/**
 * `defender-forwarder check`, as a library: validates every setting with the parser of the component
 * that owns it, then tests each dependency the way the app will use it (storage, Key Vault, Entra
 * token, one-item Graph reads, each destination) and reports one result per item with the fix for each
 * failure, like a SIEM's "Test Connectivity" button.
 *
 * Rules kept here on purpose:
 * - Nothing is sent to a destination: a TCP/TLS connect, a DNS lookup or one lightweight request.
 * - Every check is bounded by DELIVERY_TIMEOUT_SECONDS (default 30): a black-holed firewall must not
 *   make the verb hang.
 * - No secret value reaches a result: error texts are passed through a redactor that knows every
 *   secret value the check read or was given (plain tokens, client secrets, account keys, URL passwords).
 * - An item whose settings are absent is skipped, not failed; an item whose prerequisite failed is
 *   skipped with that reason (the prerequisite's own FAIL already makes the run fail).
 */
import dns from 'node:dns/promises';
import { accessSync, constants as fsConstants, existsSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import tls from 'node:tls';
import type { TokenCredentialOptions } from '@azure/identity';
import { createAppCredential, parseAppCredentialSettings } from '../auth/app-credential';
import { parseGraphCloud, type GraphCloudOptions } from '../auth/clouds';
import { GraphAuthError as EntraAuthError } from '../auth/errors';
import { createGraphCredential, describeCredentialSource, GraphTokenProvider, type GraphSecretSource } from '../auth/graph-credential';
import { parseGraphTenants, type GraphTenantConfig } from '../auth/tenants';
import { ConfigError, readInteger, readString, type SettingsSource } from '../config/env';
import { readDeadLetterSettings, type DeadLetterSettings } from '../deadletter/create';
import { createSink, parseDestinationList, redactUrl } from '../delivery/destinations';
import { parseFormatOptions } from '../formats';
import { GraphClient } from '../graph/client';
import { GraphAuthError, GraphError, GraphHttpError, GraphPermissionError, GraphTokenError } from '../graph/errors';
import { collectionUrl } from '../graph/pager';
import { readGraphPollSettings, type GraphPollSettings } from '../graph/settings';
import { GRAPH_RESOURCES, REQUIRED_PERMISSION, type GraphResource, type GraphTokenSource } from '../graph/types';
import { silentLogger, type Logger } from '../observability/log';
import { KeyVaultSecretResolver, parseKeyVaultSettings } from '../secrets/keyvault';
import { authHeader } from '../sinks/http-auth';
import { parseAuth, parseDeliveryTuning, parseHeaders, parseTls, tokenSettingName } from '../sinks/http-options';
import { elasticTarget } from '../sinks/elastic-bulk';
import { wireProtocol } from '../sinks/http-url';
import { syslogEndpoint } from '../sinks/syslog-options';
import { blobServiceClient, describeStorageTarget, queueClient, resolveStorageTarget, tableClient, type StorageTarget } from '../storage/account';

export interface CheckResult {
  /** What was checked, e.g. `Graph alerts_v2 (tenant 1234...)`. */
  item: string;
  /** True for a pass and for a skip. */
  ok: boolean;
  /** What was found (never a secret value). */
  detail: string;
  /** What to change, for a failure. */
  fix?: string;
  /** Not checked: not configured, or a prerequisite failed. Not a failure. */
  skipped?: boolean;
}

export interface CheckDeps {
  logger?: Logger;
  /** `function`: DESTINATION is required, as in the Function App. Default `cli` (unset DESTINATION = stdout). */
  mode?: 'function' | 'cli';
  /**
   * Extra CA (PEM) trusted by the identity, Key Vault and Graph clients: private endpoints behind a
   * TLS-inspecting proxy in production are better served by NODE_EXTRA_CA_CERTS; tests pass their CA.
   */
  extraCaPem?: string;
  /** Key Vault access for a vault URL (default: KeyVaultSecretResolver with the app's own identity). */
  secrets?: (vaultUrl: string) => GraphSecretSource;
  /** Graph tokens for one tenant (default: GraphTokenProvider over createGraphCredential). */
  graphTokens?: (tenant: GraphTenantConfig, secrets: GraphSecretSource | undefined, cloud: GraphCloudOptions) => GraphTokenSource;
  /** Host name resolution for syslog+udp (default dns.lookup). */
  lookup?: (host: string) => Promise<string>;
  /** Base of a relative DEADLETTER_DIR (default the working directory). */
  cwd?: string;
  /** Overrides DELIVERY_TIMEOUT_SECONDS, in ms. */
  timeoutMs?: number;
  /** Receives each result as soon as it is known (the CLI prints progressively). */
  onResult?: (result: CheckResult) => void;
  now?: () => number;
}

/** A check that did not finish in time. */
export class CheckTimeoutError extends Error {
  constructor(readonly what: string, readonly timeoutMs: number) {
    super(`${what}: no answer within ${formatSeconds(timeoutMs)}`);
    this.name = 'CheckTimeoutError';
  }
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

/** Rejects with CheckTimeoutError after `ms`; `onTimeout` lets the caller abort the underlying work. */
export function withTimeout<T>(work: Promise<T>, ms: number, what: string, onTimeout?: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout?.();
      reject(new CheckTimeoutError(what, ms));
    }, ms);
  });
  // The loser may still reject later; nobody listens to it any more.
  work.catch(() => undefined);
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** Replaces every known secret value in a text by `***`. */
export class SecretRedactor {
  private readonly values = new Set<string>();

  add(value: string | undefined): void {
    // Very short values would blank out ordinary words; real secrets are longer.
    if (value === undefined || value.length < 4) return;
    this.values.add(value);
    this.values.add(encodeURIComponent(value));
    this.values.add(Buffer.from(value, 'utf8').toString('base64'));
  }

  apply(text: string): string {
    let out = text;
    for (const v of [...this.values].sort((a, b) => b.length - a.length)) {
      if (out.includes(v)) out = out.split(v).join('***');
    }
    return out;
  }
}

/** Secret values present in the settings themselves. */
function collectSettingSecrets(env: SettingsSource, redactor: SecretRedactor): void {
  redactor.add(readString(env, 'GRAPH_CLIENT_SECRET'));
  redactor.add(readString(env, 'DESTINATION_TOKEN'));
  for (const name of ['AzureWebJobsStorage', 'EVENTHUB_SEND_CONNECTION_STRING']) {
    const cs = readString(env, name);
    if (!cs) continue;
    for (const piece of cs.split(';')) {
      const eq = piece.indexOf('=');
      if (eq <= 0) continue;
      const key = piece.slice(0, eq).trim().toLowerCase();
      if (key === 'accountkey' || key === 'sharedaccesssignature' || key === 'sharedaccesskey') redactor.add(piece.slice(eq + 1).trim());
    }
  }
  for (const spec of (readString(env, 'DESTINATION') ?? '').split(',')) {
    try {
      const u = new URL(spec.trim());
      if (u.password) {
        redactor.add(u.password);
        redactor.add(decodeURIComponent(u.password));
      }
      for (const v of u.searchParams.values()) redactor.add(v);
    } catch {
      // Not a URL: the configuration check reports it (without quoting credentials).
    }
  }
  const headers = readString(env, 'DESTINATION_HEADERS');
  if (headers) {
    try {
      const parsed = JSON.parse(headers) as unknown;
      if (parsed && typeof parsed === 'object') for (const v of Object.values(parsed as Record<string, unknown>)) if (typeof v === 'string') redactor.add(v);
    } catch {
      // Reported by the configuration check.
    }
  }
}

/** Splits an error text of the form `problem. Fix: what to do` (the project's error classes use it). */
function splitFix(message: string): { detail: string; fix?: string } {
  const i = message.indexOf(' Fix: ');
  if (i < 0) return { detail: message };
  return { detail: message.slice(0, i).trim(), fix: message.slice(i + ' Fix: '.length).trim() };
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function codeOf(err: unknown): string | undefined {
  const c = (err as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : undefined;
}

function statusOf(err: unknown): number | undefined {
  const s = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof s === 'number' ? s : undefined;
}

const NETWORK_FIX = 'check the host and port, that the service is running, and that the outbound network (NSG, firewall, private DNS) allows the connection';

/** Failure text and fix for socket-level errors. */
function describeNetworkError(err: unknown, where: string): { detail: string; fix: string } {
  if (err instanceof CheckTimeoutError) {
    return { detail: err.message, fix: `nothing answered at ${where}: a firewall may be dropping the traffic; ${NETWORK_FIX}` };
  }
  const code = codeOf(err);
  switch (code) {
    case 'ECONNREFUSED': return { detail: `connection refused by ${where}`, fix: `nothing listens at ${where}: ${NETWORK_FIX}` };
    case 'ENOTFOUND': case 'EAI_AGAIN': return { detail: `${where}: the host name does not resolve (${code})`, fix: 'check the host name (and private DNS zone, for a private endpoint)' };
    case 'ECONNRESET': case 'EPIPE': return { detail: `${where} closed the connection (${code})`, fix: NETWORK_FIX };
    case 'EHOSTUNREACH': case 'ENETUNREACH': case 'ETIMEDOUT': return { detail: `${where} is unreachable (${code})`, fix: NETWORK_FIX };
    default: return { detail: `${where}: ${messageOf(err)}`, fix: NETWORK_FIX };
  }
}

const UNTRUSTED_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_GET_ISSUER_CERT', 'CERT_UNTRUSTED', 'INVALID_CA', 'CERT_SIGNATURE_FAILURE',
]);

interface TlsContext {
  host: string;
  /** DESTINATION_CA_FILE, when set. */
  caFile?: string;
}

/** Failure text and fix for TLS handshake errors; undefined when the error is not a TLS one. */
function describeTlsError(err: unknown, ctx: TlsContext): { detail: string; fix: string } | undefined {
  const code = codeOf(err) ?? '';
  const msg = messageOf(err);
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID' || code === 'HOSTNAME_MISMATCH') {
    const names = altNames(err);
    return {
      detail: `TLS: the server certificate is not valid for "${ctx.host}" (${code}${names ? `; it names ${names}` : ''})`,
      fix: names
        ? `use a host name the certificate names (${names}) in DESTINATION, or reissue the receiver's certificate with "${ctx.host}" in its subjectAltName`
        : `reissue the receiver's certificate with "${ctx.host}" in its subjectAltName, or use the name the certificate carries in DESTINATION`,
    };
  }
  if (UNTRUSTED_CODES.has(code)) {
    return {
      detail: `TLS: the server certificate is not trusted (${code})`,
      fix: ctx.caFile
        ? `DESTINATION_CA_FILE (${ctx.caFile}) does not hold the CA that issued the receiver's certificate: put that CA's PEM certificate in it`
        : 'set DESTINATION_CA_FILE to a PEM file with the CA certificate that issued the receiver\'s certificate (private CA)',
    };
  }
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
    return { detail: `TLS: the server certificate is not within its validity period (${code})`, fix: 'renew the receiver\'s certificate (or fix the clock of the receiver)' };
  }
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || /wrong version number|packet length too long|unknown protocol/i.test(msg)) {
    return { detail: `TLS: the server does not speak TLS on this port (${code || msg})`, fix: 'point DESTINATION at the TLS port of the receiver (6514 for syslog), or use syslog+tcp:// / http:// if the receiver is plaintext' };
  }
  if (/certificate required|handshake failure|alert bad certificate|unknown ca/i.test(msg) || code === 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED') {
    return { detail: `TLS: the server refused the handshake (${code || msg})`, fix: 'the receiver may require a client certificate: store a PEM certificate + key in Key Vault and set DESTINATION_CLIENT_CERT_SECRET_NAME (mutual TLS), or check that the receiver trusts that certificate' };
  }
  return undefined;
}

function altNames(err: unknown): string | undefined {
  const cert = (err as { cert?: { subjectaltname?: unknown; subject?: { CN?: unknown } } } | null)?.cert;
  if (typeof cert?.subjectaltname === 'string' && cert.subjectaltname) return cert.subjectaltname.replace(/(DNS|IP Address):/g, '');
  if (typeof cert?.subject?.CN === 'string') return cert.subject.CN;
  return undefined;
}

/** Collects results, redacts them and hands each to the listener. */
class Report {
  readonly results: CheckResult[] = [];
  constructor(private readonly redactor: SecretRedactor, private readonly listener?: (r: CheckResult) => void) {}

  pass(item: string, detail: string): void { this.add({ item, ok: true, detail }); }
  skip(item: string, detail: string): void { this.add({ item, ok: true, detail, skipped: true }); }
  fail(item: string, detail: string, fix?: string): void { this.add({ item, ok: false, detail, ...(fix ? { fix } : {}) }); }

  private add(r: CheckResult): void {
    const clean: CheckResult = { ...r, item: this.redactor.apply(r.item), detail: this.redactor.apply(r.detail) };
    if (r.fix !== undefined) clean.fix = this.redactor.apply(r.fix);
    this.results.push(clean);
    this.listener?.(clean);
  }
}

function configFailure(err: unknown): { detail: string; fix: string } {
  if (err instanceof ConfigError) {
    return { detail: err.message, fix: `correct the ${err.setting} setting (reference: docs/deployment.md)` };
  }
  return { detail: messageOf(err), fix: 'correct the setting named above (reference: docs/deployment.md)' };
}

/** What the configuration checks parsed; undefined members failed to parse. */
interface Parsed {
  timeoutMs: number;
  destinations: Array<{ spec: string; name: string; error?: unknown }>;
  storage: { ok: boolean; target?: StorageTarget };
  deadLetters?: DeadLetterSettings;
  vault: { ok: boolean; url?: string };
  cloud?: GraphCloudOptions;
  tenants?: GraphTenantConfig[];
  graph?: GraphPollSettings;
}

/** Key Vault reads shared by the Graph and destination checks: one read (and one result) per name. */
class VaultReads {
  private readonly reads = new Map<string, Promise<{ ok: true; value: string } | { ok: false; error: unknown }>>();
  constructor(private readonly source: GraphSecretSource | undefined, private readonly redactor: SecretRedactor, private readonly timeoutMs: number) {}

  get available(): boolean { return this.source !== undefined; }

  read(kind: 'secret' | 'certificate', name: string): Promise<{ ok: true; value: string } | { ok: false; error: unknown }> {
    const key = `${kind}|${name.toLowerCase()}`;
    let p = this.reads.get(key);
    if (!p) {
      const source = this.source;
      const work = (async () => {
        if (!source) throw new ConfigError('KEY_VAULT_URL', `is required to read the Key Vault ${kind} "${name}"`);
        if (kind === 'certificate') {
          if (!source.getCertificatePem) throw new ConfigError('KEY_VAULT_URL', 'the secret source cannot read certificates');
          return source.getCertificatePem(name);
        }
        return source.getSecret(name);
      })();
      p = withTimeout(work, this.timeoutMs, `Key Vault read of "${name}"`).then(
        (value) => { this.redactor.add(value); return { ok: true as const, value }; },
        (error: unknown) => ({ ok: false as const, error }),
      );
      this.reads.set(key, p);
    }
    return p;
  }
}

/** Runs every check in order and returns one result per item. Never throws for a failing dependency. */
export async function runChecks(env: SettingsSource, deps: CheckDeps = {}): Promise<CheckResult[]> {
  const logger = deps.logger ?? silentLogger;
  const redactor = new SecretRedactor();
  collectSettingSecrets(env, redactor);
  const report = new Report(redactor, deps.onResult);

  const parsed = await checkConfiguration(env, deps, report, logger);
  const clientOptions: TokenCredentialOptions | undefined = deps.extraCaPem ? { tlsOptions: { ca: deps.extraCaPem } } : undefined;
  let source: GraphSecretSource | undefined;
  if (parsed.vault.ok && parsed.vault.url) {
    try {
      source = deps.secrets
        ? deps.secrets(parsed.vault.url)
        : new KeyVaultSecretResolver({
          vaultUrl: parsed.vault.url,
          credential: createAppCredential({ ...parseAppCredentialSettings(env), ...(clientOptions ? { clientOptions } : {}) }),
          logger,
          retryBudgetMs: parsed.timeoutMs,
          ...(clientOptions ? { clientOptions } : {}),
        });
    } catch {
      // AZURE_CLIENT_ID is invalid: the configuration check already failed it; reads report KEY_VAULT_URL.
      source = undefined;
    }
  }
  const vault = new VaultReads(source, redactor, parsed.timeoutMs);

  await checkStorage(env, deps, parsed, report);
  await checkGraph(deps, parsed, vault, report, logger, clientOptions);
  await checkDestinations(env, parsed, vault, report, deps);
  return report.results;
}

// ---------------------------------------------------------------------------------------------------
// 1. Configuration

async function checkConfiguration(env: SettingsSource, deps: CheckDeps, report: Report, logger: Logger): Promise<Parsed> {
  const item = (name: string, run: () => string): boolean => {
    try {
      report.pass(`Configuration: ${name}`, run());
      return true;
    } catch (err) {
      const f = configFailure(err);
      report.fail(`Configuration: ${name}`, f.detail, f.fix);
      return false;
    }
  };
  const parsed: Parsed = { timeoutMs: deps.timeoutMs ?? 30_000, destinations: [], storage: { ok: false }, vault: { ok: false } };

  item('output format', () => {
    const f = parseFormatOptions(env);
    return `OUTPUT_FORMAT=${f.format}, SYSLOG_FORMAT=${f.syslog.format}, APP-NAME ${f.syslog.appName}, facility ${f.syslog.facility}`;
  });
  item('delivery tuning', () => {
    const t = parseDeliveryTuning(env);
    // The syslog sink accepts longer timeouts than the HTTP sinks; the check uses the common reading.
    parsed.timeoutMs = deps.timeoutMs ?? readInteger(env, 'DELIVERY_TIMEOUT_SECONDS', 30, 1, 3600) * 1000;
    return `batches of at most ${t.batchMaxEvents} events / ${t.batchMaxBytes} bytes, concurrency ${t.concurrency}, timeout ${t.timeoutMs / 1000} s, retry budget ${t.retryBudgetMs / 1000} s`;
  });
  item('Key Vault', () => {
    const v = parseKeyVaultSettings(env);
    parsed.vault = { ok: true, ...(v.vaultUrl ? { url: v.vaultUrl } : {}) };
    return v.vaultUrl ? `KEY_VAULT_URL ${v.vaultUrl}` : 'KEY_VAULT_URL not set (no secrets are read from Key Vault)';
  });
  item('app identity', () => {
    const a = parseAppCredentialSettings(env);
    return a.managedIdentityClientId ? `user-assigned managed identity ${a.managedIdentityClientId}` : 'system-assigned managed identity or developer sign-in (DefaultAzureCredential)';
  });

  // Destinations: each is built with the real sink factory (no I/O happens at construction), so the
  // check applies exactly the validation the app applies. Key Vault names are resolved to a stub.
  let list: string[] | undefined;
  try {
    list = parseDestinationList(env, deps.mode === 'function');
  } catch (err) {
    const f = configFailure(err);
    report.fail('Configuration: destinations', f.detail, f.fix);
  }
  if (list) {
    const stub: GraphSecretSource | undefined = parsed.vault.url ? { getSecret: async () => '' } : undefined;
    for (const spec of list) {
      let name = spec === 'stdout' ? 'stdout' : redactUrl(spec);
      try {
        const sink = await createSink(spec, { env, logger: silentLogger, stdout: new PassThrough(), ...(stub ? { secrets: stub } : {}), mode: deps.mode ?? 'cli' });
        name = sink.name;
        await sink.close().catch(() => undefined);
        parsed.destinations.push({ spec, name });
      } catch (error) {
        parsed.destinations.push({ spec, name, error });
      }
    }
    const bad = parsed.destinations.filter((d) => d.error !== undefined);
    if (bad.length > 0) {
      report.fail('Configuration: destinations', bad.map((d) => messageOf(d.error)).join('; '), configFailure(bad[0]!.error).fix);
    } else {
      report.pass('Configuration: destinations', `${list.length} destination(s): ${parsed.destinations.map((d) => d.name).join(', ')}`);
    }
  }

  item('storage account', () => {
    const target = resolveStorageTarget(env);
    parsed.storage = { ok: true, ...(target ? { target } : {}) };
    if (!target) return 'AzureWebJobsStorage not set (dead letters go to the local DEADLETTER_DIR)';
    return `${target.kind === 'identity' ? 'identity-based' : 'connection string'}: blob ${describeStorageTarget(target, 'blob')}`;
  });
  item('dead letters', () => {
    parsed.deadLetters = readDeadLetterSettings(env);
    return parsed.storage.target ? `container ${parsed.deadLetters.container}` : `local folder ${parsed.deadLetters.dir}`;
  });
  item('Graph cloud', () => {
    parsed.cloud = parseGraphCloud(env);
    return `Graph ${parsed.cloud.graphBaseUrl}, login ${parsed.cloud.authorityHost}${parsed.cloud.cloud ? ` (${parsed.cloud.cloud})` : ''}`;
  });
  item('Graph tenants', () => {
    const tenants = parseGraphTenants(env, { logger });
    const needsVault = tenants.find((t) => t.plainSecret === undefined);
    if (needsVault && parsed.vault.ok && !parsed.vault.url) {
      throw new ConfigError('KEY_VAULT_URL', `is required to read the Graph ${describeCredentialSource(needsVault)} for tenant ${needsVault.tenantId} (or set GRAPH_CLIENT_SECRET for local development)`);
    }
    parsed.tenants = tenants;
    if (tenants.length === 0) return 'none configured (Graph polling is off)';
    return `${tenants.length} tenant(s): ${tenants.map((t) => `${t.tenantId} with ${describeCredentialSource(t)}`).join(', ')}`;
  });
  item('Graph polling', () => {
    const g = readGraphPollSettings(env);
    parsed.graph = g;
    if (parsed.tenants && parsed.tenants.length > 0 && parsed.storage.ok && !parsed.storage.target) {
      throw new ConfigError('AzureWebJobsStorage', 'is required for Graph polling: the poll cursors live in Table Storage (connection string, or AzureWebJobsStorage__accountName with a managed identity)');
    }
    return `cursor table ${g.cursorTable}, poll queue ${g.pollQueue}, alerts page size ${g.alertsPageSize}, first-run lookback ${g.initialLookback}`;
  });
  return parsed;
}

// ---------------------------------------------------------------------------------------------------
// 2. Storage

function storageFailure(err: unknown, service: 'blob' | 'table' | 'queue', target: StorageTarget, where: string): { detail: string; fix: string } {
  const status = statusOf(err);
  const code = codeOf(err);
  const role = service === 'blob' ? 'Storage Blob Data Owner' : service === 'table' ? 'Storage Table Data Contributor' : 'Storage Queue Data Contributor';
  const name = (err as { name?: unknown } | null)?.name;
  if (typeof name === 'string' && /Credential|Authentication/.test(name)) {
    return { detail: `the app identity could not get a storage token: ${messageOf(err).split('\n')[0]}`, fix: 'enable the Function App\'s managed identity (set AzureWebJobsStorage__clientId for a user-assigned one), or sign in with az login locally' };
  }
  if (status === 403 || status === 401) {
    if (target.kind === 'connection-string') {
      return { detail: `${where} refused the request (HTTP ${status}${code ? ` ${code}` : ''})`, fix: 'the account key or SAS in AzureWebJobsStorage is wrong, expired or lacks permissions: copy a current connection string from the storage account' };
    }
    return { detail: `${where} refused the request (HTTP ${status}${code ? ` ${code}` : ''})`, fix: `grant the Function App's managed identity the "${role}" role on the storage account (and allow its network, if the account has a firewall)` };
  }
  if (status !== undefined) return { detail: `${where} answered HTTP ${status}${code ? ` ${code}` : ''}: ${messageOf(err).split('\n')[0]}`, fix: 'check the storage account settings (AzureWebJobsStorage*)' };
  const net = describeNetworkError(err, where);
  return { detail: net.detail, fix: `${net.fix} (storage endpoint from AzureWebJobsStorage*)` };
}

async function checkStorage(env: SettingsSource, deps: CheckDeps, parsed: Parsed, report: Report): Promise<void> {
  const graphOn = (parsed.tenants?.length ?? 0) > 0;
  if (!parsed.storage.ok || !parsed.deadLetters) {
    report.skip('Storage', 'not checked: the storage or dead-letter configuration is invalid (see above)');
    return;
  }
  const target = parsed.storage.target;
  const timeoutMs = parsed.timeoutMs;
  if (!target) {
    const dir = path.resolve(deps.cwd ?? process.cwd(), parsed.deadLetters.dir);
    const item = `Dead-letter folder ${dir}`;
    try {
      if (existsSync(dir)) {
        // A real write: access() says yes on read-only mounts and for root.
        const probe = path.join(dir, `.check-${process.pid}-${Date.now()}`);
        writeFileSync(probe, 'defender-forwarder check\n');
        rmSync(probe, { force: true });
        report.pass(item, 'writable');
      } else {
        // Not created by the check: the store creates it at the first dead letter.
        let parent = path.dirname(dir);
        while (!existsSync(parent) && path.dirname(parent) !== parent) parent = path.dirname(parent);
        accessSync(parent, fsConstants.W_OK);
        report.pass(item, `does not exist yet; ${parent} is writable, so it can be created at the first dead letter`);
      }
    } catch (err) {
      report.fail(item, `not writable: ${codeOf(err) ?? messageOf(err)}`, 'set DEADLETTER_DIR to a folder this user can write, or configure AzureWebJobsStorage to keep dead letters in Blob Storage');
    }
    report.skip('Storage', 'not configured: AzureWebJobsStorage is unset, so there is no container, cursor table or poll queue to check');
    return;
  }

  const container = parsed.deadLetters.container;
  const blobItem = `Storage: dead-letter container ${container}`;
  const controller = new AbortController();
  try {
    const client = blobServiceClient(target, { retryOptions: { maxTries: 1 } }).getContainerClient(container);
    const created = await withTimeout(client.createIfNotExists({ abortSignal: controller.signal }), timeoutMs, describeStorageTarget(target, 'blob'), () => controller.abort());
    report.pass(blobItem, created.succeeded ? 'created (it did not exist yet)' : 'exists and is reachable');
  } catch (err) {
    const f = storageFailure(err, 'blob', target, describeStorageTarget(target, 'blob'));
    report.fail(blobItem, f.detail, f.fix);
  }

  const tableName = parsed.graph?.cursorTable;
  const queueName = parsed.graph?.pollQueue;
  if (!graphOn || !tableName || !queueName) {
    report.skip('Storage: cursor table and poll queue', graphOn ? 'not checked: the Graph polling configuration is invalid' : 'not configured: Graph polling is off');
    return;
  }
  const tableItem = `Storage: cursor table ${tableName}`;
  const tableAbort = new AbortController();
  try {
    const table = tableClient(target, tableName, { retryOptions: { maxRetries: 0 } });
    await withTimeout((async () => {
      // createTable ignores "already exists"; the one-row read proves the identity may read cursors.
      await table.createTable({ abortSignal: tableAbort.signal });
      await table.listEntities({ abortSignal: tableAbort.signal }).byPage({ maxPageSize: 1 }).next();
    })(), timeoutMs, describeStorageTarget(target, 'table'), () => tableAbort.abort());
    report.pass(tableItem, 'exists (or was created) and is readable');
  } catch (err) {
    const f = storageFailure(err, 'table', target, describeStorageTarget(target, 'table'));
    report.fail(tableItem, f.detail, f.fix);
  }

  const queueItem = `Storage: poll queue ${queueName}`;
  const queueAbort = new AbortController();
  try {
    const queue = queueClient(target, queueName, { retryOptions: { maxTries: 1 } });
    await withTimeout((async () => {
      await queue.createIfNotExists({ abortSignal: queueAbort.signal });
      await queue.getProperties({ abortSignal: queueAbort.signal });
    })(), timeoutMs, describeStorageTarget(target, 'queue'), () => queueAbort.abort());
    report.pass(queueItem, 'exists (or was created) and is reachable');
  } catch (err) {
    const f = storageFailure(err, 'queue', target, describeStorageTarget(target, 'queue'));
    report.fail(queueItem, f.detail, f.fix);
  }
}

// ---------------------------------------------------------------------------------------------------
// 3. Graph, per tenant

function vaultFailure(err: unknown): { detail: string; fix?: string } {
  if (err instanceof ConfigError) return configFailure(err);
  if (err instanceof CheckTimeoutError) return { detail: err.message, fix: 'check KEY_VAULT_URL and that the Function App can reach the vault (private endpoint, firewall)' };
  const split = splitFix(messageOf(err));
  if (split.fix) return split;
  return { detail: split.detail, fix: 'check KEY_VAULT_URL, the app identity\'s "Key Vault Secrets User" role and the vault\'s network rules' };
}

function tokenFailure(err: unknown, tenant: GraphTenantConfig): { detail: string; fix?: string } {
  if (err instanceof CheckTimeoutError) return { detail: err.message, fix: 'check GRAPH_AUTHORITY_HOST and that the login endpoint is reachable from the Function App' };
  if (err instanceof EntraAuthError && err.reason === 'unavailable') {
    return { detail: err.message, fix: 'the token endpoint kept failing transiently: try again later, and check the network path to GRAPH_AUTHORITY_HOST' };
  }
  const split = splitFix(messageOf(err));
  if (split.fix) return split;
  return { detail: split.detail, fix: `check GRAPH_TENANT_ID / GRAPH_CLIENT_ID and the ${describeCredentialSource(tenant)} of tenant ${tenant.tenantId}` };
}

function graphFailure(err: unknown, resource: GraphResource, tenantId: string): { detail: string; fix?: string } {
  const permission = REQUIRED_PERMISSION[resource];
  const consentFix = `grant the Microsoft Graph application permission ${permission} to the app registration and admin consent for tenant ${tenantId} (Entra ID > App registrations > API permissions > add ${permission} > Grant admin consent)`;
  if (err instanceof GraphPermissionError) {
    const said = / Graph said: (.*)$/.exec(err.message)?.[1];
    return { detail: `403 Forbidden: the app lacks ${permission} with admin consent${said ? ` (Graph said: ${said})` : ''}`, fix: consentFix };
  }
  if (err instanceof GraphAuthError) {
    const said = / Graph said: (.*)$/.exec(err.message)?.[1];
    return { detail: `401: Graph rejected the access token even after a refresh${said ? ` (Graph said: ${said})` : ''}`, fix: 'check that GRAPH_BASE_URL and GRAPH_AUTHORITY_HOST name the same cloud and that GRAPH_TENANT_ID is the tenant the app is consented in' };
  }
  if (err instanceof GraphTokenError) {
    const under = err.underlying;
    const split = splitFix(messageOf(under));
    return { detail: `no token: ${split.detail}`, ...(split.fix ? { fix: split.fix } : {}) };
  }
  if (err instanceof GraphHttpError) {
    if (err.status === 0) {
      const tlsLike = /certificate|self[- ]signed|UNABLE_TO_VERIFY|CERT_/i.test(`${err.code ?? ''} ${err.graphMessage ?? ''}`);
      return {
        detail: err.message,
        fix: tlsLike
          ? 'the Graph endpoint\'s certificate is not trusted: behind a TLS-inspecting proxy add its CA with NODE_EXTRA_CA_CERTS'
          : 'check GRAPH_BASE_URL and that the Function App can reach it (outbound network, proxy)',
      };
    }
    if (err.status === 400) return { detail: err.message, fix: 'Graph refused the query: check GRAPH_BASE_URL names a Graph endpoint (https://graph.microsoft.com or a sovereign cloud)' };
    if (err.status === 404) return { detail: err.message, fix: `GRAPH_BASE_URL does not serve /v1.0/security/${resource}: check the cloud (incidents are not available in the China cloud)` };
    return { detail: err.message, fix: err.transient ? 'Graph is failing or throttling right now: try again later' : 'see the Graph message above' };
  }
  if (err instanceof CheckTimeoutError) return { detail: err.message, fix: 'check GRAPH_BASE_URL and the outbound network to it' };
  if (err instanceof GraphError) return { detail: err.message };
  return { detail: messageOf(err) };
}

async function checkGraph(
  deps: CheckDeps, parsed: Parsed, vault: VaultReads, report: Report, logger: Logger, clientOptions: TokenCredentialOptions | undefined,
): Promise<void> {
  const { cloud, tenants } = parsed;
  if (!cloud || !tenants) {
    report.skip('Graph', 'not checked: the Graph configuration is invalid (see above)');
    return;
  }
  if (tenants.length === 0) {
    report.skip('Graph', 'not configured: set GRAPH_TENANT_ID and GRAPH_CLIENT_ID, or GRAPH_TENANTS, to poll incidents and alerts');
    return;
  }
  const timeoutMs = parsed.timeoutMs;
  const now = deps.now ?? Date.now;
  const sameTenant = (t: GraphTenantConfig) => tenants.filter((o) => o.tenantId === t.tenantId).length > 1;
  for (const tenant of tenants) {
    const label = sameTenant(tenant) ? `tenant ${tenant.tenantId}, app ${tenant.clientId}` : `tenant ${tenant.tenantId}`;

    // 3a. The credential material in Key Vault.
    let materialOk = true;
    if (tenant.plainSecret !== undefined) {
      report.skip(`Key Vault secret (${label})`, 'not configured: GRAPH_CLIENT_SECRET holds the secret in plain text (local development only; use KEY_VAULT_URL + GRAPH_CLIENT_SECRET_NAME in Azure)');
    } else {
      const kind = tenant.certificateName ? 'certificate' : 'secret';
      const name = (tenant.certificateName ?? tenant.secretName)!;
      const item = `Key Vault ${kind} ${name} (${label})`;
      const got = await vault.read(kind, name);
      if (got.ok) {
        report.pass(item, `read from ${parsed.vault.url ?? 'Key Vault'} (value not shown)`);
      } else {
        materialOk = false;
        const f = vaultFailure(got.error);
        report.fail(item, f.detail, f.fix);
      }
    }

    // 3b. A token.
    const tokenItem = `Graph token (${label})`;
    let tokens: GraphTokenSource | undefined;
    if (!materialOk) {
      report.skip(tokenItem, 'not checked: the credential could not be read from Key Vault');
    } else {
      try {
        tokens = deps.graphTokens
          ? deps.graphTokens(tenant, vaultSource(vault), cloud)
          : new GraphTokenProvider(createGraphCredential(tenant, {
            authorityHost: cloud.authorityHost,
            ...(vault.available ? { secrets: vaultSource(vault) } : {}),
            logger,
            disableInstanceDiscovery: cloud.disableInstanceDiscovery,
            ...(clientOptions ? { clientOptions } : {}),
          }), cloud.graphBaseUrl, { tenant, authorityHost: cloud.authorityHost, logger, retryBudgetMs: timeoutMs });
        const source = tokens;
        await withTimeout(source.getToken(), timeoutMs, `token request to ${cloud.authorityHost}`);
        report.pass(tokenItem, `acquired from ${cloud.authorityHost} for ${cloud.graphBaseUrl}/.default (token not shown)`);
      } catch (err) {
        tokens = undefined;
        const f = tokenFailure(err, tenant);
        report.fail(tokenItem, f.detail, f.fix);
      }
    }

    // 3c. One item of each collection.
    for (const resource of GRAPH_RESOURCES) {
      const item = `Graph ${resource} (${label})`;
      if (!tokens) {
        report.skip(item, 'not checked: no token');
        continue;
      }
      if (resource === 'incidents' && cloud.cloud === 'china') {
        report.skip(item, 'not available in the China cloud (only alerts_v2 is polled there)');
        continue;
      }
      const client = new GraphClient({
        resource, tenantId: tenant.tenantId, tokens, logger, requestTimeoutMs: timeoutMs,
        ...(deps.extraCaPem ? { ca: deps.extraCaPem } : {}),
      });
      const url = `${collectionUrl(cloud.graphBaseUrl, resource)}?$top=1`;
      try {
        const page = await withTimeout(client.getPage(url, { deadline: now() + timeoutMs, maxAttempts: 2 }), timeoutMs, `GET ${collectionUrl(cloud.graphBaseUrl, resource)}`);
        report.pass(item, `GET /v1.0/security/${resource}?$top=1 answered 200 with ${page.value.length} item(s)`);
      } catch (err) {
        const f = graphFailure(err, resource, tenant.tenantId);
        report.fail(item, f.detail, f.fix);
      }
    }
  }
}

/** The secret source behind VaultReads, reusing its (already made) reads so each name is read once. */
function vaultSource(vault: VaultReads): GraphSecretSource {
  const unwrap = async (kind: 'secret' | 'certificate', name: string): Promise<string> => {
    const got = await vault.read(kind, name);
    if (!got.ok) throw got.error;
    return got.value;
  };
  return {
    getSecret: (name) => unwrap('secret', name),
    getCertificatePem: (name) => unwrap('certificate', name),
  };
}

// ---------------------------------------------------------------------------------------------------
// 4. Destinations

interface HttpProbeResult { status: number; body: string }

function httpProbe(url: URL, method: 'GET' | 'HEAD', pathAndQuery: string, headers: Record<string, string>, tlsOpts: { ca?: string | Buffer; insecure?: boolean; cert?: string | Buffer; key?: string | Buffer }, timeoutMs: number): Promise<HttpProbeResult> {
  const protocol = wireProtocol(url) ?? 'https:';
  const lib = protocol === 'https:' ? https : http;
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = url.port ? Number(url.port) : protocol === 'https:' ? 443 : 80;
  return new Promise((resolve, reject) => {
    const options: https.RequestOptions = {
      host, port, method, path: pathAndQuery, agent: false,
      headers: { 'User-Agent': 'defender-forwarder check', ...headers },
    };
    if (protocol === 'https:') {
      // Same trust as the HTTP sinks: a private CA is added to the public roots.
      if (tlsOpts.ca) options.ca = [...tls.rootCertificates, tlsOpts.ca.toString()];
      options.rejectUnauthorized = !tlsOpts.insecure;
      if (!net.isIP(host)) options.servername = host;
      // Mutual TLS: the same client certificate the sink would present.
      if (tlsOpts.cert && tlsOpts.key) { options.cert = tlsOpts.cert; options.key = tlsOpts.key; }
    }
    const req = lib.request(options, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => { if (size < 65536) { chunks.push(c); size += c.length; } });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new CheckTimeoutError(`${protocol}//${url.host}`, timeoutMs)));
    req.on('error', reject);
    req.end();
  });
}

function tcpProbe(host: string, port: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    socket.setTimeout(timeoutMs, () => socket.destroy(new CheckTimeoutError(`${host}:${port}`, timeoutMs)));
    socket.once('connect', () => { socket.end(); socket.destroy(); resolve(); });
    socket.once('error', reject);
  });
}

interface TlsProbeOptions { ca?: string | Buffer; cert?: string | Buffer; key?: string | Buffer; insecure?: boolean }

function tlsProbe(host: string, port: number, o: TlsProbeOptions, timeoutMs: number): Promise<{ subject: string; authorized: boolean }> {
  return new Promise((resolve, reject) => {
    // As the syslog sink connects: rejectUnauthorized checks the chain and the name before we proceed.
    const socket = tls.connect({
      host, port, ...(net.isIP(host) ? {} : { servername: host }),
      ...(o.ca ? { ca: o.ca } : {}), ...(o.cert ? { cert: o.cert, key: o.key } : {}),
      rejectUnauthorized: !o.insecure,
    });
    socket.setTimeout(timeoutMs, () => socket.destroy(new CheckTimeoutError(`${host}:${port}`, timeoutMs)));
    socket.once('secureConnect', () => {
      const peer = socket.getPeerCertificate();
      const subject = typeof peer?.subject?.CN === 'string' ? `CN=${peer.subject.CN}` : 'certificate without CN';
      const authorized = socket.authorized;
      socket.end();
      socket.destroy();
      resolve({ subject, authorized });
    });
    socket.once('error', reject);
  });
}

function bodySnippet(body: string): string {
  const t = body.replace(/\s+/g, ' ').trim();
  return t.length > 160 ? `${t.slice(0, 160)}...` : t;
}

function tokenFix(env: SettingsSource, hasAuth: boolean): string {
  if (!hasAuth) return 'the collector wants credentials: store its token in Key Vault and set DESTINATION_TOKEN_SECRET_NAME (DESTINATION_TOKEN for local development)';
  const setting = tokenSettingName(env);
  return `the collector refused the token: put a valid token in ${setting === 'DESTINATION_TOKEN_SECRET_NAME' ? `the Key Vault secret named by DESTINATION_TOKEN_SECRET_NAME` : setting}${readString(env, 'DESTINATION_AUTH') ? ' and check DESTINATION_AUTH' : ''}`;
}

async function checkDestinations(env: SettingsSource, parsed: Parsed, vault: VaultReads, report: Report, deps: CheckDeps): Promise<void> {
  if (parsed.destinations.length === 0) {
    report.skip('Destinations', 'not checked: the DESTINATION setting is invalid (see above)');
    return;
  }
  const timeoutMs = parsed.timeoutMs;
  const lookup = deps.lookup ?? (async (host: string) => (await dns.lookup(host)).address);
  const secretItem = async (setting: string, purpose: string): Promise<{ needed: boolean; value?: string }> => {
    const name = readString(env, setting);
    if (name === undefined) return { needed: false };
    const item = `Key Vault secret ${name} (${purpose})`;
    const first = !readCache.has(setting);
    const got = await vault.read('secret', name);
    readCache.add(setting);
    if (got.ok) {
      if (first) report.pass(item, `read from ${parsed.vault.url ?? 'Key Vault'} (value not shown)`);
      return { needed: true, value: got.value };
    }
    if (first) {
      const f = vaultFailure(got.error);
      report.fail(item, f.detail, f.fix);
    }
    return { needed: true };
  };
  const readCache = new Set<string>();

  // Key Vault reads first, so their lines come before the destinations that use them.
  const valid = parsed.destinations.filter((d) => d.error === undefined && d.spec !== 'stdout').map((d) => new URL(d.spec).protocol.toLowerCase());
  if (valid.some((p) => p === 'syslog+tls:' || /^(splunk\+|elastic\+)?https:$/.test(p))) await secretItem('DESTINATION_CLIENT_CERT_SECRET_NAME', 'client certificate');
  if (valid.some((p) => !p.startsWith('syslog+'))) await secretItem('DESTINATION_TOKEN_SECRET_NAME', 'collector token');

  for (const d of parsed.destinations) {
    const item = `Destination ${d.name}`;
    if (d.error !== undefined) {
      report.skip(item, 'not checked: its configuration is invalid (see above)');
      continue;
    }
    if (d.spec === 'stdout') {
      report.pass(item, 'writes to standard output (nothing to connect to)');
      continue;
    }
    const url = new URL(d.spec);
    const scheme = url.protocol.replace(/:$/, '').toLowerCase();
    try {
      if (scheme.startsWith('syslog+')) {
        const { transport, host, port } = syslogEndpoint(url);
        if (transport === 'udp') {
          const address = net.isIP(host) ? host : await withTimeout(lookup(host), timeoutMs, `DNS lookup of ${host}`);
          report.pass(item, `${host} resolves to ${address} (UDP has no connection to test; datagrams to port ${port} are not acknowledged)`);
        } else if (transport === 'tcp') {
          await tcpProbe(host, port, timeoutMs);
          report.pass(item, `TCP connection to ${host}:${port} accepted`);
        } else {
          const cert = await secretItem('DESTINATION_CLIENT_CERT_SECRET_NAME', 'client certificate');
          if (cert.needed && cert.value === undefined) {
            report.skip(item, 'not checked: the client certificate could not be read from Key Vault');
            continue;
          }
          const tlsOpts = parseTlsForSyslog(env);
          const caFile = readString(env, 'DESTINATION_CA_FILE');
          try {
            const r = await tlsProbe(host, port, { ...tlsOpts, ...(cert.value ? { cert: cert.value, key: cert.value } : {}) }, timeoutMs);
            report.pass(item, tlsOpts.insecure && !r.authorized
              ? `TLS handshake with ${host}:${port} completed WITHOUT verification (DESTINATION_TLS_INSECURE=true; ${r.subject})`
              : `TLS handshake with ${host}:${port} verified (${r.subject})`);
          } catch (err) {
            const t = describeTlsError(err, { host, ...(caFile ? { caFile } : {}) });
            if (t) report.fail(item, t.detail, t.fix);
            else throw err;
          }
        }
        continue;
      }
      await probeHttpDestination(env, url, scheme, item, report, timeoutMs, secretItem);
    } catch (err) {
      const where = `${url.hostname}:${url.port || (scheme.startsWith('syslog+') ? '' : wireProtocol(url) === 'http:' ? '80' : '443')}`.replace(/:$/, '');
      const t = describeTlsError(err, { host: url.hostname, ...(readString(env, 'DESTINATION_CA_FILE') ? { caFile: readString(env, 'DESTINATION_CA_FILE') } : {}) });
      const f = t ?? describeNetworkError(err, where);
      report.fail(item, f.detail, f.fix);
    }
  }
}

/** The syslog sink's TLS trust (DESTINATION_CA_FILE replaces the roots there, as tls.connect does). */
function parseTlsForSyslog(env: SettingsSource): { ca?: string; insecure: boolean } {
  const t = parseTls(env);
  return { ...(t.ca ? { ca: t.ca.toString('utf8') } : {}), insecure: t.insecure ?? false };
}

async function probeHttpDestination(
  env: SettingsSource, url: URL, scheme: string, item: string, report: Report, timeoutMs: number,
  secretItem: (setting: string, purpose: string) => Promise<{ needed: boolean; value?: string }>,
): Promise<void> {
  const token = await secretItem('DESTINATION_TOKEN_SECRET_NAME', 'collector token');
  if (token.needed && token.value === undefined) {
    report.skip(item, 'not checked: the collector token could not be read from Key Vault');
    return;
  }
  const getToken = token.value !== undefined ? () => Promise.resolve(token.value!) : undefined;
  const cert = wireProtocol(url) !== 'http:' ? await secretItem('DESTINATION_CLIENT_CERT_SECRET_NAME', 'client certificate') : { needed: false };
  if (cert.needed && cert.value === undefined) {
    report.skip(item, 'not checked: the client certificate could not be read from Key Vault');
    return;
  }
  const tlsOpts = parseTls(env, cert.value || undefined);
  const headers = parseHeaders(env);
  if (scheme.startsWith('splunk+')) {
    const plain = readString(env, 'DESTINATION_TOKEN');
    const value = token.value ?? plain;
    if (value !== undefined) headers['Authorization'] = `Splunk ${value}`;
    const idx = url.pathname.indexOf('/services/collector');
    const prefix = idx > 0 ? url.pathname.slice(0, idx) : '';
    const res = await httpProbe(url, 'GET', `${prefix}/services/collector/health`, headers, tlsOpts, timeoutMs);
    const hecCode = (() => { try { return (JSON.parse(res.body) as { code?: unknown }).code; } catch { return undefined; } })();
    if (res.status === 401 || res.status === 403 || (res.status === 400 && (hecCode === 1 || hecCode === 2 || hecCode === 3 || hecCode === 4))) {
      report.fail(item, `HEC refused the token: HTTP ${res.status} ${bodySnippet(res.body)}`, tokenFix(env, value !== undefined));
    } else if (res.status >= 200 && res.status < 300) {
      report.pass(item, `HEC health: HTTP ${res.status} ${bodySnippet(res.body)}`);
    } else if (res.status === 503) {
      report.fail(item, `HEC is unhealthy or busy: HTTP 503 ${bodySnippet(res.body)}`, 'Splunk reports its HEC queues are full or the indexers are down: check the Splunk deployment (the forwarder retries and dead-letters meanwhile)');
    } else if (res.status === 404) {
      report.fail(item, `no HEC health endpoint at this URL: HTTP 404 ${bodySnippet(res.body)}`, 'check the host and port in DESTINATION (HEC listens on 8088 by default) and that HEC is enabled (Settings > Data inputs > HTTP Event Collector > Global Settings)');
    } else {
      report.fail(item, `HEC health answered HTTP ${res.status} ${bodySnippet(res.body)}`, 'check the HEC URL and Splunk\'s HEC settings');
    }
    return;
  }
  const auth = parseAuth(url, env, getToken);
  if (auth) {
    const [name, value] = await authHeader(auth);
    headers[name] = value;
  }
  if (scheme.startsWith('elastic+')) {
    const bulk = elasticTarget(url).path;
    const root = bulk.slice(0, -'_bulk'.length) || '/';
    const res = await httpProbe(url, 'GET', root, headers, tlsOpts, timeoutMs);
    if (res.status === 401 || res.status === 403) {
      report.fail(item, `Elasticsearch refused the credentials: HTTP ${res.status} ${bodySnippet(res.body)}`, tokenFix(env, auth !== undefined));
    } else if (res.status >= 500) {
      report.fail(item, `Elasticsearch answered HTTP ${res.status} ${bodySnippet(res.body)}`, 'the cluster is reachable but failing: check its health (GET _cluster/health)');
    } else {
      let version = '';
      try {
        const info = JSON.parse(res.body) as { version?: { number?: unknown; distribution?: unknown } };
        if (typeof info.version?.number === 'string') version = `, ${typeof info.version.distribution === 'string' ? info.version.distribution : 'elasticsearch'} ${info.version.number}`;
      } catch {
        // Not JSON: a proxy in front; reachability is what counts.
      }
      report.pass(item, `GET ${root} answered HTTP ${res.status}${version}`);
    }
    return;
  }
  const res = await httpProbe(url, 'HEAD', `${url.pathname || '/'}${url.search}`, headers, tlsOpts, timeoutMs);
  if (res.status === 401 || res.status === 403 || res.status === 407) {
    report.fail(item, `the collector refused the request: HTTP ${res.status}`, tokenFix(env, auth !== undefined));
  } else if (res.status === 502 || res.status === 503 || res.status === 504) {
    report.fail(item, `the collector answered HTTP ${res.status} (unavailable behind its proxy or load balancer)`, 'the collector service behind the URL is down or overloaded: check it');
  } else {
    // Collectors accept POST; a 400/404/405 to HEAD still proves the URL is reachable and TLS is right.
    report.pass(item, `reachable: HEAD answered HTTP ${res.status}`);
  }
}

/** Counts for the summary line. */
export function summarize(results: readonly CheckResult[]): { passed: number; failed: number; skipped: number } {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for (const r of results) {
    if (r.skipped) skipped++;
    else if (r.ok) passed++;
    else failed++;
  }
  return { passed, failed, skipped };
}
