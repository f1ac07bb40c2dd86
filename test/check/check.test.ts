/**
 * The `check` verb end to end: real Azurite, the real @azure/identity and Key Vault SDK clients against
 * the HTTPS identity and Key Vault doubles, the real Graph client against a Graph double, and real
 * sockets for the destinations (plain net/tls servers and the HTTP collector double on 127.0.0.1).
 * The private test CA is passed explicitly (CheckDeps.extraCaPem / DESTINATION_CA_FILE): this process
 * started before the CA existed, so NODE_EXTRA_CA_CERTS cannot be used here.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { createCheckCommand, formatResult, type CheckCommandDeps } from '../../cli/commands/check';
import type { CliIo } from '../../cli/command';
import { runChecks, SecretRedactor, summarize, type CheckResult } from '../../shared/app/check';
import { startFakeGraph, type FakeGraph } from '../auth/fake-graph';
import { startAzurite, freePort, type AzuriteInstance } from '../support/azurite';
import { GraphSimulator, makeAlert, makeIncident, instantAt } from '../support/graph-simulator';
import { HttpCollector } from '../support/http-collector';
import { IdentityProviderDouble } from '../support/identity-provider';
import { KeyVaultDouble } from '../support/keyvault-double';
import { createTestPki, type TestPki } from '../support/tls-ca';

const MI_TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const MI_CLIENT = '5c1e6a4b-0000-4d2e-9a7b-3c4d5e6f7a8b';
const TENANT = '8d3f2c1a-1111-4c5e-9f00-0123456789ab';
const CLIENT = '0f5b2d9e-2222-4a1b-8c3d-abcdefabcdef';
const SIM_TENANT = '6f1d3c2a-9b4e-4c1f-8a7d-2e5b9c0d1f34';
const SECRET = 'Qx8~good.Secret-Value_0123456789';
const HEC_TOKEN = 'hec-0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0';
const PLAIN_SECRET = 'plain~Dev.Secret_ZYXW9876';
const WRONG_SECRET = 'wrong~Secret.Value_11112222';

let pki: TestPki;
let idp: IdentityProviderDouble;
let kv: KeyVaultDouble;
let graph: FakeGraph;
let sim: GraphSimulator;
let azurite: AzuriteInstance;
let hec: HttpCollector;
let elastic: HttpCollector;
let tcpServer: net.Server;
let tlsServer: tls.Server;
let otherNameServer: tls.Server;
let stallServer: net.Server;
let tmp: string;
const sockets = new Set<net.Socket>();

function listen(server: net.Server): Promise<number> {
  server.on('connection', (s: net.Socket) => { sockets.add(s); s.on('close', () => sockets.delete(s)); s.on('error', () => undefined); });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port));
  });
}

function close(server: net.Server | undefined): Promise<void> {
  return new Promise((resolve) => (server ? server.close(() => resolve()) : resolve()));
}

/** A server certificate for `siem.contoso.com` only, signed by the test CA: a name mismatch on 127.0.0.1. */
function otherNameCertificate(): { certPem: string; keyPem: string } {
  const dir = pki.dir;
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  run(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=siem.contoso.com', '-keyout', 'other.key', '-out', 'other.csr']);
  writeFileSync(path.join(dir, 'other.ext'), 'basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:siem.contoso.com\n');
  run(['x509', '-req', '-in', 'other.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-sha256', '-extfile', 'other.ext', '-out', 'other.crt']);
  return { certPem: readFileSync(path.join(dir, 'other.crt'), 'utf8'), keyPem: readFileSync(path.join(dir, 'other.key'), 'utf8') };
}

let ports: { tcp: number; tls: number; otherName: number; stall: number };

before(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'df-check-'));
  pki = createTestPki();
  idp = await IdentityProviderDouble.start({
    tls: pki.server,
    managedIdentityTenantId: MI_TENANT,
    managedIdentities: [{ clientId: MI_CLIENT, principalId: '9a9a9a9a-0000-4000-8000-000000000001' }],
  });
  // The managed identity credential reads these from the process (the Functions platform sets them).
  process.env['IDENTITY_ENDPOINT'] = idp.identityEndpoint;
  process.env['IDENTITY_HEADER'] = idp.identityHeader;
  idp.registerApp({ tenantId: TENANT, clientId: CLIENT, secrets: [SECRET, PLAIN_SECRET] });
  kv = await KeyVaultDouble.start({
    tls: pki.server,
    authority: `${idp.authorityHost}/${MI_TENANT}`,
    acceptToken: (t) => idp.verifyAccessToken(t, 'https://vault.azure.net') !== undefined,
  });
  kv.setSecret('graph-client-secret', SECRET);
  kv.setSecret('hec-token', HEC_TOKEN);
  graph = await startFakeGraph(pki.server, idp, 'self');
  sim = await GraphSimulator.start({ tls: { key: pki.server.keyPem, cert: pki.server.certPem } });
  sim.addTenant(SIM_TENANT, { permissions: ['SecurityIncident.Read.All'] });
  sim.put(SIM_TENANT, 'incidents', [makeIncident(1, instantAt(1), SIM_TENANT), makeIncident(2, instantAt(2), SIM_TENANT)]);
  sim.put(SIM_TENANT, 'alerts_v2', [makeAlert(1, instantAt(1), SIM_TENANT)]);
  azurite = await startAzurite();
  hec = await HttpCollector.start({ kind: 'hec', hecToken: HEC_TOKEN });
  elastic = await HttpCollector.start({ kind: 'bulk' });
  tcpServer = net.createServer((s) => s.resume());
  tlsServer = tls.createServer({ cert: pki.server.certPem, key: pki.server.keyPem }, (s) => s.resume());
  tlsServer.on('tlsClientError', () => undefined);
  const other = otherNameCertificate();
  otherNameServer = tls.createServer({ cert: other.certPem, key: other.keyPem }, (s) => s.resume());
  otherNameServer.on('tlsClientError', () => undefined);
  // Accepts TCP and never answers: a TLS handshake to it can only time out.
  stallServer = net.createServer(() => undefined);
  ports = { tcp: await listen(tcpServer), tls: await listen(tlsServer), otherName: await listen(otherNameServer), stall: await listen(stallServer) };
});

after(async () => {
  for (const s of sockets) s.destroy();
  await Promise.all([close(tcpServer), close(tlsServer), close(otherNameServer), close(stallServer)]);
  await Promise.all([hec?.stop(), elastic?.stop(), sim?.stop(), graph?.stop(), kv?.stop(), idp?.stop()]);
  await azurite?.stop();
  delete process.env['IDENTITY_ENDPOINT'];
  delete process.env['IDENTITY_HEADER'];
  pki?.cleanup();
  rmSync(tmp, { recursive: true, force: true });
});

interface Run { code: number; out: string; err: string; lines: string[] }

async function runCli(env: Record<string, string>, args: string[] = [], deps: CheckCommandDeps = {}): Promise<Run> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c) => { out += c; });
  stderr.on('data', (c) => { err += c; });
  const io: CliIo = { stdin: new PassThrough(), stdout, stderr, env, isTTY: false };
  const code = await createCheckCommand({ extraCaPem: pki.caPem, cwd: tmp, ...deps }).run(args, io);
  return { code, out, err, lines: out.split('\n').filter((l) => l !== '') };
}

/** Asserts the PASS/FAIL/SKIP lines are, in order, `STATUS  item` followed by its detail. */
function assertOutline(run: Run, expected: string[]): void {
  const lines = run.lines.filter((l) => /^(PASS|FAIL|SKIP)  /.test(l));
  assert.equal(lines.length, expected.length, run.out);
  expected.forEach((e, i) => {
    const status = e.slice(0, 4);
    const item = e.slice(5);
    const head = status === 'SKIP' ? `SKIP  ${item} (` : `${status}  ${item}: `;
    assert.ok(lines[i]!.startsWith(head), `line ${i + 1} should start with "${head}":\n${run.out}`);
  });
}

function line(run: Run, prefix: string): string {
  const found = run.lines.find((l) => l.startsWith(prefix));
  assert.ok(found, `no line starting with "${prefix}" in:\n${run.out}`);
  return found;
}

function assertNoSecrets(text: string): void {
  for (const s of [SECRET, HEC_TOKEN, PLAIN_SECRET, WRONG_SECRET, 'collector-pass-9876']) {
    assert.ok(!text.includes(s), `output contains the secret ${s.slice(0, 6)}...`);
  }
}

function baseEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    AZURE_CLIENT_ID: MI_CLIENT,
    KEY_VAULT_URL: kv.vaultUrl,
    AzureWebJobsStorage: azurite.connectionString,
    GRAPH_BASE_URL: graph.baseUrl,
    GRAPH_AUTHORITY_HOST: idp.authorityHost,
    DELIVERY_TIMEOUT_SECONDS: '5',
    ...extra,
  };
}

describe('check: everything configured and healthy', () => {
  it('prints PASS for every item in order, exit 0, and sends no event anywhere', async () => {
    const healthy = JSON.stringify({ text: 'HEC is healthy', code: 17 });
    hec.fail({ kind: 'status', status: 200, body: healthy });
    elastic.fail({ kind: 'status', status: 200, body: JSON.stringify({ name: 'es01', version: { number: '8.15.0' }, tagline: 'You Know, for Search' }) });
    const hecBefore = hec.requests.length;
    const esBefore = elastic.requests.length;
    const env = baseEnv({
      GRAPH_TENANT_ID: TENANT,
      GRAPH_CLIENT_ID: CLIENT,
      DESTINATION: [
        `syslog+tcp://127.0.0.1:${ports.tcp}`,
        `syslog+tls://127.0.0.1:${ports.tls}`,
        'syslog+udp://localhost:5514',
        `splunk+http://127.0.0.1:${hec.boundPort}`,
        `elastic+http://127.0.0.1:${elastic.boundPort}/logs-m365_defender.event-default`,
        'stdout',
      ].join(','),
      DESTINATION_CA_FILE: pki.caPath,
      DESTINATION_TOKEN_SECRET_NAME: 'hec-token',
    });
    const run = await runCli(env);
    assert.equal(run.err, '');
    assertOutline(run, [
      'PASS Configuration: output format',
      'PASS Configuration: delivery tuning',
      'PASS Configuration: Key Vault',
      'PASS Configuration: app identity',
      'PASS Configuration: destinations',
      'PASS Configuration: storage account',
      'PASS Configuration: dead letters',
      'PASS Configuration: Graph cloud',
      'PASS Configuration: Graph tenants',
      'PASS Configuration: Graph polling',
      'PASS Storage: dead-letter container deadletter',
      'PASS Storage: cursor table graphcursors',
      'PASS Storage: poll queue graph-poll',
      `PASS Key Vault secret graph-client-secret (tenant ${TENANT})`,
      `PASS Graph token (tenant ${TENANT})`,
      `PASS Graph incidents (tenant ${TENANT})`,
      `PASS Graph alerts_v2 (tenant ${TENANT})`,
      'PASS Key Vault secret hec-token (collector token)',
      `PASS Destination syslog+tcp://127.0.0.1:${ports.tcp}`,
      `PASS Destination syslog+tls://127.0.0.1:${ports.tls}`,
      'PASS Destination syslog+udp://localhost:5514',
      `PASS Destination splunk+http://127.0.0.1:${hec.boundPort}`,
      `PASS Destination elastic+http://127.0.0.1:${elastic.boundPort}/logs-m365_defender.event-default`,
      'PASS Destination stdout',
    ]);
    assert.equal(run.code, 0);
    assert.equal(run.lines.at(-1), 'all checks passed: 24 passed, 0 failed, 0 skipped');
    assert.equal(line(run, `PASS  Graph alerts_v2 (tenant ${TENANT})`), `PASS  Graph alerts_v2 (tenant ${TENANT}): GET /v1.0/security/alerts_v2?$top=1 answered 200 with 0 item(s)`);
    assert.equal(line(run, `PASS  Destination syslog+tls`), `PASS  Destination syslog+tls://127.0.0.1:${ports.tls}: TLS handshake with 127.0.0.1:${ports.tls} verified (CN=127.0.0.1)`);
    assert.match(line(run, 'PASS  Destination syslog+udp'), /localhost resolves to (127\.0\.0\.1|::1)/);
    assert.equal(line(run, 'PASS  Destination splunk'), `PASS  Destination splunk+http://127.0.0.1:${hec.boundPort}: HEC health: HTTP 200 ${healthy}`);
    assert.match(line(run, 'PASS  Destination elastic'), /GET \/ answered HTTP 200, elasticsearch 8\.15\.0$/);

    // One lightweight request each, with the token from Key Vault; no event was delivered.
    const hecReq = hec.requests.slice(hecBefore);
    assert.deepEqual(hecReq.map((r) => `${r.method} ${r.path} ${String(r.headers.authorization)}`), [`GET /services/collector/health Splunk ${HEC_TOKEN}`]);
    assert.equal(hec.accepted.length, 0);
    const esReq = elastic.requests.slice(esBefore);
    assert.deepEqual(esReq.map((r) => `${r.method} ${r.path} ${String(r.headers.authorization)}`), [`GET / Bearer ${HEC_TOKEN}`]);
    assert.equal(elastic.docs.size, 0);
    // Graph was asked for one item of each collection.
    assertNoSecrets(run.out);
  });

  it('--json prints one document with the same results and no secret', async () => {
    const env = baseEnv({ GRAPH_TENANT_ID: TENANT, GRAPH_CLIENT_ID: CLIENT, DESTINATION: `syslog+tcp://127.0.0.1:${ports.tcp}` });
    const run = await runCli(env, ['--json']);
    assert.equal(run.code, 0);
    const doc = JSON.parse(run.out) as { ok: boolean; summary: { passed: number; failed: number; skipped: number }; results: CheckResult[] };
    assert.equal(doc.ok, true);
    assert.deepEqual(doc.summary, { passed: 18, failed: 0, skipped: 0 });
    assert.deepEqual(doc.results.find((r) => r.item === `Graph token (tenant ${TENANT})`), {
      item: `Graph token (tenant ${TENANT})`, ok: true, detail: `acquired from ${idp.authorityHost} for ${graph.baseUrl}/.default (token not shown)`,
    });
    assertNoSecrets(run.out);
  });
});

describe('check: failures name the cause and the fix', () => {
  it('Graph 403 on alerts_v2 -> FAIL naming SecurityAlert.Read.All and admin consent; incidents still PASS; exit 1', async () => {
    const env = baseEnv({
      GRAPH_BASE_URL: sim.baseUrl,
      GRAPH_TENANT_ID: SIM_TENANT,
      GRAPH_CLIENT_ID: CLIENT,
      GRAPH_CLIENT_SECRET: PLAIN_SECRET,
      DESTINATION: 'stdout',
    });
    const token = sim.issueToken(SIM_TENANT);
    const run = await runCli(env, [], { graphTokens: () => ({ getToken: async () => token }) });
    assert.equal(run.code, 1);
    assert.equal(line(run, 'SKIP  Key Vault secret'), `SKIP  Key Vault secret (tenant ${SIM_TENANT}) (not configured: GRAPH_CLIENT_SECRET holds the secret in plain text (local development only; use KEY_VAULT_URL + GRAPH_CLIENT_SECRET_NAME in Azure))`);
    assert.equal(line(run, 'PASS  Graph incidents'), `PASS  Graph incidents (tenant ${SIM_TENANT}): GET /v1.0/security/incidents?$top=1 answered 200 with 1 item(s)`);
    const fail = line(run, 'FAIL  Graph alerts_v2');
    assert.match(fail, new RegExp(`^FAIL  Graph alerts_v2 \\(tenant ${SIM_TENANT}\\): 403 Forbidden: the app lacks SecurityAlert\\.Read\\.All with admin consent \\(Graph said: Missing application roles\\..*\\) -> fix: grant the Microsoft Graph application permission SecurityAlert\\.Read\\.All to the app registration and admin consent for tenant ${SIM_TENANT} `));
    assert.equal(run.lines.at(-1), '1 check(s) FAILED: 16 passed, 1 failed, 1 skipped');
    // Exactly one $top=1 request per collection reached Graph.
    const tops = sim.collectionRequests({ tenantId: SIM_TENANT }).map((r) => `${r.resource} ${r.query.$top} ${r.status}`);
    assert.deepEqual(tops, ['incidents 1 200', 'alerts_v2 1 403']);
    assertNoSecrets(run.out);
  });

  it('secret missing from Key Vault -> FAIL with the az command; token and Graph items skipped', async () => {
    const env = baseEnv({ GRAPH_TENANT_ID: TENANT, GRAPH_CLIENT_ID: CLIENT, GRAPH_CLIENT_SECRET_NAME: 'graph-secret-typo', DESTINATION: 'stdout' });
    const run = await runCli(env);
    assert.equal(run.code, 1);
    assert.equal(line(run, 'FAIL  Key Vault'),
      `FAIL  Key Vault secret graph-secret-typo (tenant ${TENANT}): Key Vault ${kv.vaultUrl} has no secret named "graph-secret-typo". -> fix: az keyvault secret set --vault-name ${kv.vaultUrl} --name graph-secret-typo --value <the secret value> (or correct the secret name setting)`);
    assert.equal(line(run, 'SKIP  Graph token'), `SKIP  Graph token (tenant ${TENANT}) (not checked: the credential could not be read from Key Vault)`);
    assert.equal(line(run, 'SKIP  Graph incidents'), `SKIP  Graph incidents (tenant ${TENANT}) (not checked: no token)`);
    assert.equal(line(run, 'SKIP  Graph alerts_v2'), `SKIP  Graph alerts_v2 (tenant ${TENANT}) (not checked: no token)`);
  });

  it('a wrong client secret -> FAIL with the Entra fix, the value never printed', async () => {
    const env = baseEnv({ GRAPH_TENANT_ID: TENANT, GRAPH_CLIENT_ID: CLIENT, GRAPH_CLIENT_SECRET: WRONG_SECRET, KEY_VAULT_URL: '', DESTINATION: 'stdout' });
    const run = await runCli(env);
    assert.equal(run.code, 1);
    const fail = line(run, 'FAIL  Graph token');
    assert.match(fail, /^FAIL  Graph token \(tenant [0-9a-f-]+\): Invalid client secret for app .* GRAPH_CLIENT_SECRET does not hold a valid secret value\. -> fix: create a new client secret on the app registration .*\(AADSTS7000215\)$/);
    assertNoSecrets(run.out);
  });

  it('bad DESTINATION scheme -> FAIL naming DESTINATION, the destination itself skipped', async () => {
    const run = await runCli({ DESTINATION: 'ftp://user:collector-pass-9876@siem.contoso.com/logs', DEADLETTER_DIR: path.join(tmp, 'dl') });
    assert.equal(run.code, 1);
    assert.equal(line(run, 'FAIL  Configuration: destinations'),
      'FAIL  Configuration: destinations: Configuration error in DESTINATION: scheme "ftp" of ftp://***@siem.contoso.com/logs is not supported (use syslog+udp, syslog+tcp, syslog+tls, http, https, splunk+http(s), elastic+http(s), stdout or discard) -> fix: correct the DESTINATION setting (reference: docs/deployment.md)');
    assert.equal(line(run, 'SKIP  Destination'), 'SKIP  Destination ftp://***@siem.contoso.com/logs (not checked: its configuration is invalid (see above))');
    assertNoSecrets(run.out);
  });

  it('syslog+tls: untrusted CA -> FAIL naming DESTINATION_CA_FILE; name mismatch -> FAIL naming the certificate names; stall -> timeout', async () => {
    const env = {
      DESTINATION: `syslog+tls://127.0.0.1:${ports.tls},syslog+tls://127.0.0.1:${ports.otherName}`,
      DEADLETTER_DIR: path.join(tmp, 'dl'),
      DELIVERY_TIMEOUT_SECONDS: '5',
    };
    const untrusted = await runCli(env);
    assert.equal(untrusted.code, 1);
    assert.match(line(untrusted, `FAIL  Destination syslog+tls://127.0.0.1:${ports.tls}`),
      /: TLS: the server certificate is not trusted \((UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)\) -> fix: set DESTINATION_CA_FILE to a PEM file with the CA certificate that issued the receiver's certificate \(private CA\)$/);

    const trusted = await runCli({ ...env, DESTINATION_CA_FILE: pki.caPath });
    assert.match(line(trusted, `PASS  Destination syslog+tls://127.0.0.1:${ports.tls}`), /verified \(CN=127\.0\.0\.1\)$/);
    assert.equal(line(trusted, `FAIL  Destination syslog+tls://127.0.0.1:${ports.otherName}`),
      `FAIL  Destination syslog+tls://127.0.0.1:${ports.otherName}: TLS: the server certificate is not valid for "127.0.0.1" (ERR_TLS_CERT_ALTNAME_INVALID; it names siem.contoso.com) -> fix: use a host name the certificate names (siem.contoso.com) in DESTINATION, or reissue the receiver's certificate with "127.0.0.1" in its subjectAltName`);

    const stalled = await runCli({ DESTINATION: `syslog+tls://127.0.0.1:${ports.stall}`, DEADLETTER_DIR: path.join(tmp, 'dl'), DELIVERY_TIMEOUT_SECONDS: '1' });
    assert.match(line(stalled, 'FAIL  Destination'), new RegExp(`: 127\\.0\\.0\\.1:${ports.stall}: no answer within 1 s -> fix: nothing answered at 127\\.0\\.0\\.1:${ports.stall}: a firewall may be dropping the traffic`));
  });

  it('collector down -> FAIL (connection refused); 401 -> FAIL naming the token setting; storage down -> FAIL', async () => {
    const down = await HttpCollector.start({ kind: 'generic' });
    const downPort = down.boundPort;
    await down.down();
    const deny = await HttpCollector.start({ kind: 'generic' });
    deny.failAlways({ kind: 'status', status: 401, body: 'unauthorized' });
    const deadStorage = await freePort();
    try {
      const run = await runCli({
        DESTINATION: `http://127.0.0.1:${downPort}/ingest,http://127.0.0.1:${deny.boundPort}/ingest`,
        DESTINATION_TOKEN: 'collector-pass-9876',
        AzureWebJobsStorage: azurite.connectionString.replace(/BlobEndpoint=http:\/\/127\.0\.0\.1:\d+/, `BlobEndpoint=http://127.0.0.1:${deadStorage}`),
        DELIVERY_TIMEOUT_SECONDS: '5',
      });
      assert.equal(run.code, 1);
      assert.equal(line(run, `FAIL  Destination http://127.0.0.1:${downPort}`),
        `FAIL  Destination http://127.0.0.1:${downPort}/ingest: connection refused by 127.0.0.1:${downPort} -> fix: nothing listens at 127.0.0.1:${downPort}: check the host and port, that the service is running, and that the outbound network (NSG, firewall, private DNS) allows the connection`);
      assert.equal(line(run, `FAIL  Destination http://127.0.0.1:${deny.boundPort}`),
        `FAIL  Destination http://127.0.0.1:${deny.boundPort}/ingest: the collector refused the request: HTTP 401 -> fix: the collector refused the token: put a valid token in DESTINATION_TOKEN`);
      assert.deepEqual(deny.requests.map((r) => `${r.method} ${r.path} ${String(r.headers.authorization)}`), [`HEAD /ingest Bearer collector-pass-9876`]);
      assert.match(line(run, 'FAIL  Storage: dead-letter container deadletter'), new RegExp(`connection refused by http://127\\.0\\.0\\.1:${deadStorage}/devstoreaccount1`));
      assertNoSecrets(run.out);
    } finally {
      await deny.stop();
    }
  });
});

describe('check: more tenants and collector tokens', () => {
  const TENANT2 = '8d3f2c1a-5555-4c5e-9f00-0123456789ab';
  const CERT_CLIENT = '0f5b2d9e-3333-4a1b-8c3d-abcdefabcdef';

  it('GRAPH_TENANTS: a certificate tenant whose app lacks SecurityAlert.Read.All (real token path), next to a healthy one', async () => {
    const cert = pki.createClientCertificate('defender-forwarder check app');
    idp.registerApp({ tenantId: TENANT2, clientId: CERT_CLIENT, certificates: [cert.certPem], roles: ['SecurityIncident.Read.All'] });
    kv.importCertificate('graph-cert', cert.certPem, cert.keyPem);
    const env = baseEnv({
      GRAPH_TENANTS: JSON.stringify([{ tenantId: TENANT, clientId: CLIENT }, { tenantId: TENANT2, clientId: CERT_CLIENT, certificateName: 'graph-cert' }]),
      DESTINATION: 'stdout',
    });
    const run = await runCli(env);
    assert.equal(run.code, 1);
    assertOutline(run, [
      'PASS Configuration: output format', 'PASS Configuration: delivery tuning', 'PASS Configuration: Key Vault',
      'PASS Configuration: app identity', 'PASS Configuration: destinations', 'PASS Configuration: storage account',
      'PASS Configuration: dead letters', 'PASS Configuration: Graph cloud', 'PASS Configuration: Graph tenants',
      'PASS Configuration: Graph polling', 'PASS Storage: dead-letter container deadletter',
      'PASS Storage: cursor table graphcursors', 'PASS Storage: poll queue graph-poll',
      `PASS Key Vault secret graph-client-secret (tenant ${TENANT})`, `PASS Graph token (tenant ${TENANT})`,
      `PASS Graph incidents (tenant ${TENANT})`, `PASS Graph alerts_v2 (tenant ${TENANT})`,
      `PASS Key Vault certificate graph-cert (tenant ${TENANT2})`, `PASS Graph token (tenant ${TENANT2})`,
      `PASS Graph incidents (tenant ${TENANT2})`, `FAIL Graph alerts_v2 (tenant ${TENANT2})`,
      'PASS Destination stdout',
    ]);
    assert.match(line(run, 'FAIL  Graph alerts_v2'), /403 Forbidden: the app lacks SecurityAlert\.Read\.All with admin consent .* -> fix: grant the Microsoft Graph application permission SecurityAlert\.Read\.All/);
    assert.ok(!run.out.includes('PRIVATE KEY'), 'the certificate key must not be printed');
    assertNoSecrets(run.out);
  });

  it('a collector token from Key Vault refused by Splunk HEC -> FAIL naming DESTINATION_TOKEN_SECRET_NAME; Key Vault access denied -> the role fix', async () => {
    hec.fail({ kind: 'hec-invalid-token' });
    const refused = await runCli({
      DESTINATION: `splunk+http://127.0.0.1:${hec.boundPort}`, DESTINATION_TOKEN_SECRET_NAME: 'hec-token',
      KEY_VAULT_URL: kv.vaultUrl, AZURE_CLIENT_ID: MI_CLIENT, DEADLETTER_DIR: path.join(tmp, 'dl'), DELIVERY_TIMEOUT_SECONDS: '5',
    });
    assert.equal(refused.code, 1);
    assert.equal(line(refused, 'FAIL  Destination'),
      `FAIL  Destination splunk+http://127.0.0.1:${hec.boundPort}: HEC refused the token: HTTP 403 {"text":"Invalid token","code":4} -> fix: the collector refused the token: put a valid token in the Key Vault secret named by DESTINATION_TOKEN_SECRET_NAME`);

    kv.setSecret('denied-token', 'denied-token-value-0000');
    kv.denyAccess('denied-token');
    const before = hec.requests.length;
    const denied = await runCli({
      DESTINATION: `splunk+http://127.0.0.1:${hec.boundPort}`, DESTINATION_TOKEN_SECRET_NAME: 'denied-token',
      KEY_VAULT_URL: kv.vaultUrl, AZURE_CLIENT_ID: MI_CLIENT, DEADLETTER_DIR: path.join(tmp, 'dl'), DELIVERY_TIMEOUT_SECONDS: '5',
    });
    assert.equal(denied.code, 1);
    assert.match(line(denied, 'FAIL  Key Vault secret denied-token (collector token)'), / -> fix: grant the Function App's managed identity the "Key Vault Secrets User" role on the vault/);
    assert.equal(line(denied, 'SKIP  Destination'), `SKIP  Destination splunk+http://127.0.0.1:${hec.boundPort} (not checked: the collector token could not be read from Key Vault)`);
    assert.equal(hec.requests.length, before, 'no request without the token');
    assert.ok(!denied.out.includes('denied-token-value-0000'));
  });
});

describe('check: nothing optional configured', () => {
  it('no Graph, no storage -> SKIP lines, the local dead-letter folder checked, exit 0', async () => {
    const dir = path.join(tmp, 'not-yet');
    const run = await runCli({ DEADLETTER_DIR: dir });
    assert.equal(run.code, 0);
    assert.equal(line(run, 'PASS  Dead-letter folder'), `PASS  Dead-letter folder ${dir}: does not exist yet; ${tmp} is writable, so it can be created at the first dead letter`);
    assert.equal(line(run, 'SKIP  Storage'), 'SKIP  Storage (not configured: AzureWebJobsStorage is unset, so there is no container, cursor table or poll queue to check)');
    assert.equal(line(run, 'SKIP  Graph'), 'SKIP  Graph (not configured: set GRAPH_TENANT_ID and GRAPH_CLIENT_ID, or GRAPH_TENANTS, to poll incidents and alerts)');
    assert.equal(line(run, 'PASS  Destination stdout'), 'PASS  Destination stdout: writes to standard output (nothing to connect to)');
    assert.equal(run.lines.at(-1), 'all checks passed: 12 passed, 0 failed, 2 skipped');
  });

  it('--function-app requires DESTINATION; usage errors exit 2; --help exits 0', async () => {
    const run = await runCli({ DEADLETTER_DIR: path.join(tmp, 'dl') }, ['--function-app']);
    assert.equal(run.code, 1);
    assert.match(line(run, 'FAIL  Configuration: destinations'), /Configuration error in DESTINATION: is required in the Function App/);
    const bad = await runCli({}, ['--bogus']);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /^defender-forwarder check: unknown option --bogus\n\nUsage: defender-forwarder check/);
    const help = await runCli({}, ['--help']);
    assert.equal(help.code, 0);
    assert.match(help.out, /^Usage: defender-forwarder check \[--json\] \[--function-app\]/);
  });
});

describe('check: units', () => {
  it('configuration errors name the setting and never quote the connection-string key', async () => {
    const results = await runChecks({
      OUTPUT_FORMAT: 'xml',
      DELIVERY_CONCURRENCY: '0',
      AzureWebJobsStorage: 'AccountName=acct;AccountKey=c2VjcmV0LWFjY291bnQta2V5LXZhbHVl;EndpointSuffix=core.windows.net',
      AzureWebJobsStorage__accountName: 'acct',
      GRAPH_TENANT_ID: 'common',
      GRAPH_CLIENT_ID: CLIENT,
      GRAPH_CURSOR_TABLE: 'bad-name',
    }, { cwd: tmp });
    const fails = results.filter((r) => !r.ok).map((r) => `${r.item} | ${/Configuration error in (\S+):/.exec(r.detail)?.[1]}`);
    assert.deepEqual(fails, [
      'Configuration: output format | OUTPUT_FORMAT',
      'Configuration: delivery tuning | DELIVERY_CONCURRENCY',
      // The stdout destination encodes with OUTPUT_FORMAT, so it fails on it too.
      'Configuration: destinations | OUTPUT_FORMAT',
      'Configuration: storage account | AzureWebJobsStorage__accountName',
      'Configuration: Graph tenants | GRAPH_TENANT_ID',
      'Configuration: Graph polling | GRAPH_CURSOR_TABLE',
    ]);
    assert.ok(results.every((r) => !JSON.stringify(r).includes('c2VjcmV0LWFjY291bnQta2V5LXZhbHVl')));
    assert.deepEqual(results.filter((r) => r.skipped).map((r) => r.item), ['Storage', 'Graph', 'Destination stdout']);
    assert.deepEqual(summarize(results), { passed: results.length - 9, failed: 6, skipped: 3 });
  });

  it('the redactor removes secret values, their URL and base64 forms', () => {
    const r = new SecretRedactor();
    r.add('s3cr3t/value+x');
    r.add('abc'); // too short to redact safely
    assert.equal(r.apply(`a s3cr3t/value+x b ${encodeURIComponent('s3cr3t/value+x')} c ${Buffer.from('s3cr3t/value+x').toString('base64')} abc`), 'a *** b *** c *** abc');
  });

  it('formatResult renders the three kinds of line', () => {
    assert.equal(formatResult({ item: 'X', ok: true, detail: 'fine' }), 'PASS  X: fine');
    assert.equal(formatResult({ item: 'X', ok: false, detail: 'broken', fix: 'mend it' }), 'FAIL  X: broken -> fix: mend it');
    assert.equal(formatResult({ item: 'X', ok: false, detail: 'broken' }), 'FAIL  X: broken');
    assert.equal(formatResult({ item: 'X', ok: true, detail: 'not configured', skipped: true }), 'SKIP  X (not configured)');
  });
});

describe('check: https destination with mutual TLS', () => {
  it('presents the client certificate from Key Vault, as the sink does; without it the handshake FAILs', async () => {
    const client = pki.createClientCertificate('check-mtls-client');
    kv.setSecret('collector-client-cert', client.certPem + client.keyPem);
    // Trusts only that (self-signed) client certificate.
    const server = https.createServer({ cert: pki.server.certPem, key: pki.server.keyPem, ca: client.certPem, requestCert: true, rejectUnauthorized: true }, (_req, res) => res.end());
    server.on('tlsClientError', () => undefined);
    const port = await new Promise<number>((r) => server.listen(0, '127.0.0.1', () => r((server.address() as net.AddressInfo).port)));
    try {
      const dest = `https://127.0.0.1:${port}/ingest`;
      const env = { DESTINATION: dest, DESTINATION_CA_FILE: pki.caPath, DEADLETTER_DIR: path.join(tmp, 'dl') };
      const withCert = await runCli(baseEnv({ ...env, DESTINATION_CLIENT_CERT_SECRET_NAME: 'collector-client-cert' }));
      assert.match(line(withCert, `PASS  Destination ${dest}`), /PASS/);
      const without = await runCli(baseEnv(env));
      assert.match(line(without, `FAIL  Destination ${dest}`), /TLS|certificate|handshake|socket/i);
      assert.ok(!withCert.out.includes('PRIVATE KEY') && !without.out.includes('PRIVATE KEY'), 'the key never reaches the output');
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
