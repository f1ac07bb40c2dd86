/**
 * A real rsyslogd for tests: started in the foreground (`-n`) with a config of our own, on free loopback
 * ports, in a temp dir, with a private CA + server certificate made by the openssl CLI. Every message is
 * captured as `%rawmsg:::json%` (one JSON line per message), so tests can compare the received bytes
 * EXACTLY, control characters included (escaping on receive is turned off; the json encoding keeps
 * CR/LF/TAB visible instead of rsyslog's `#012` substitutions).
 *
 * When rsyslogd is not installed, `rsyslogSkipReason()` says why tests should skip; with CI=true a missing
 * rsyslogd is a failure instead (CI installs `rsyslog rsyslog-gnutls openssl`).
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './azurite';

const CANDIDATES = ['/usr/sbin/rsyslogd', '/sbin/rsyslogd', '/usr/local/sbin/rsyslogd'];

/** Path of rsyslogd, or undefined when it is not installed. */
export function findRsyslogd(): string | undefined {
  // RSYSLOGD names the binary explicitly (a missing path means "not installed": how the skip is tested).
  const fromEnv = process.env.RSYSLOGD;
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : undefined;
  return CANDIDATES.find((c) => existsSync(c));
}

function hasGtls(): boolean {
  return ['/usr/lib/x86_64-linux-gnu/rsyslog/lmnsd_gtls.so', '/usr/lib/aarch64-linux-gnu/rsyslog/lmnsd_gtls.so', '/usr/lib/rsyslog/lmnsd_gtls.so']
    .some((p) => existsSync(p));
}

/**
 * Why rsyslog tests cannot run here (undefined when they can). Throws under CI=true, where a missing
 * receiver must fail the build rather than silently skip the suite.
 */
export function rsyslogSkipReason(opts: { tls?: boolean } = {}): string | undefined {
  let reason: string | undefined;
  if (!findRsyslogd()) reason = 'rsyslogd not installed (apt-get install rsyslog rsyslog-gnutls openssl)';
  else if (opts.tls && !hasGtls()) reason = 'rsyslog-gnutls not installed (apt-get install rsyslog-gnutls)';
  else {
    try { execFileSync('openssl', ['version'], { stdio: 'ignore' }); } catch { reason = 'openssl CLI not installed'; }
  }
  if (reason && process.env.CI === 'true') throw new Error(`CI=true but ${reason}`);
  return reason;
}

/** One received message: which input took it and its raw bytes as text. */
export interface ReceivedMessage {
  input: 'tcp' | 'tls' | 'udp';
  raw: string;
}

export interface TlsMaterial {
  dir: string;
  caFile: string;
  caPem: string;
  certFile: string;
  keyFile: string;
}

export interface RsyslogInstance {
  dir: string;
  /** Plain TCP (octet-counted and LF framing on one port). */
  tcpPort: number;
  udpPort: number;
  tlsPort: number;
  tls: TlsMaterial;
  /** Everything received so far, in arrival order. */
  messages(): ReceivedMessage[];
  /** Waits until at least `count` messages arrived, then `settleMs` more to catch extra (forged) ones. */
  waitForMessages(count: number, opts?: { timeoutMs?: number; settleMs?: number }): Promise<ReceivedMessage[]>;
  /** Forgets what was received so far (truncates the capture file). */
  clear(): void;
  /** SIGTERM and wait for the exit; the ports stay reserved for `start()`. */
  stopProcess(): Promise<void>;
  /** Starts rsyslogd again with the same config and ports (after stopProcess). */
  start(): Promise<void>;
  /** Stops rsyslogd and removes the temp dir. */
  stop(): Promise<void>;
}

let sharedTls: TlsMaterial | undefined;

/** A private CA and a server certificate for localhost / 127.0.0.1, made once per test process. */
export function makeTlsMaterial(): TlsMaterial {
  if (sharedTls) return sharedTls;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'syslog-tls-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const f = (n: string) => path.join(dir, n);
  const run = (args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '30', '-subj', '/CN=Test Syslog CA',
    '-keyout', f('ca.key'), '-out', f('ca.pem'),
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  run(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-keyout', f('server.key'), '-out', f('server.csr')]);
  writeFileSync(f('server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n');
  run(['x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '30',
    '-sha256', '-extfile', f('server.ext'), '-out', f('server.pem')]);
  sharedTls = { dir, caFile: f('ca.pem'), caPem: readFileSync(f('ca.pem'), 'utf8'), certFile: f('server.pem'), keyFile: f('server.key') };
  return sharedTls;
}

/** A UDP port that is free now (bind 0, read, release). */
export async function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function tcpListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

/** A UDP port is taken by rsyslog when we cannot bind it ourselves. */
async function udpTaken(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    s.once('error', () => { s.close(); resolve(true); });
    s.bind(port, '127.0.0.1', () => s.close(() => resolve(false)));
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function config(dir: string, tls: TlsMaterial, tcpPort: number, udpPort: number, tlsPort: number): string {
  const out = path.join(dir, 'out');
  // maxMessageSize must precede the inputs; discardTruncatedMsg keeps an oversize frame from turning
  // into a bogus extra message; escaping on receive is off so %rawmsg% holds the exact bytes.
  return `global(workDirectory="${dir}/work" maxMessageSize="1m" net.enableDNS="off"
  parser.escapeControlCharactersOnReceive="off"
  defaultNetstreamDriverCAFile="${tls.caFile}" defaultNetstreamDriverCertFile="${tls.certFile}"
  defaultNetstreamDriverKeyFile="${tls.keyFile}")
module(load="imtcp" maxSessions="200")
input(type="imtcp" address="127.0.0.1" port="${tcpPort}" name="tcp" ruleset="capture" discardTruncatedMsg="on" maxFrameSize="2000000")
input(type="imtcp" address="127.0.0.1" port="${tlsPort}" name="tls" streamDriver.name="gtls" streamDriver.mode="1"
      streamDriver.authMode="anon" ruleset="capture" discardTruncatedMsg="on" maxFrameSize="2000000")
module(load="imudp")
input(type="imudp" address="127.0.0.1" port="${udpPort}" name="udp" ruleset="capture")
template(name="Json" type="string" string="{\\"input\\":\\"%inputname%\\",\\"raw\\":\\"%rawmsg:::json%\\"}\\n")
ruleset(name="capture") {
  action(type="omfile" file="${out}/raw.jsonl" template="Json")
}
`;
}

/** Starts a real rsyslogd on free loopback ports. Call rsyslogSkipReason() first. */
export async function startRsyslog(): Promise<RsyslogInstance> {
  const bin = findRsyslogd();
  if (!bin) throw new Error('rsyslogd not installed');
  const tls = makeTlsMaterial();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rsyslog-'));
  mkdirSync(path.join(dir, 'work'));
  mkdirSync(path.join(dir, 'out'));
  // rsyslog reads the key as its own user; a private copy keeps the shared material untouched.
  copyFileSync(tls.keyFile, path.join(dir, 'server.key'));
  const ownTls = { ...tls, keyFile: path.join(dir, 'server.key') };
  const [tcpPort, tlsPort] = [await freePort(), await freePort()];
  const udpPort = await freeUdpPort();
  const confFile = path.join(dir, 'rsyslog.conf');
  const outFile = path.join(dir, 'out', 'raw.jsonl');
  writeFileSync(confFile, config(dir, ownTls, tcpPort, udpPort, tlsPort));
  let child: ChildProcess | undefined;
  let log = '';

  async function start(): Promise<void> {
    log = '';
    const c = spawn(bin!, ['-n', '-f', confFile, '-i', path.join(dir, 'rsyslogd.pid')], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    c.stdout?.on('data', (d: Buffer) => { log += d.toString(); });
    c.stderr?.on('data', (d: Buffer) => { log += d.toString(); });
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (c.exitCode !== null || c.signalCode !== null) throw new Error(`rsyslogd exited at start (${c.exitCode ?? c.signalCode}):\n${log}`);
      if (await tcpListening(tcpPort) && await tcpListening(tlsPort) && await udpTaken(udpPort)) return;
      if (Date.now() > deadline) {
        c.kill('SIGKILL');
        throw new Error(`rsyslogd did not listen on 127.0.0.1:${tcpPort}/${tlsPort}/udp ${udpPort} in time:\n${log}`);
      }
      await sleep(50);
    }
  }

  async function stopProcess(): Promise<void> {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    const done = await Promise.race([exited.then(() => true), sleep(10_000).then(() => false)]);
    if (!done) { c.kill('SIGKILL'); await exited; }
  }

  function messages(): ReceivedMessage[] {
    if (!existsSync(outFile)) return [];
    const text = readFileSync(outFile, 'utf8');
    const lines = text.split('\n');
    lines.pop(); // the part after the last LF is empty or still being written
    return lines.map((l) => JSON.parse(l) as ReceivedMessage);
  }

  await start();
  return {
    dir, tcpPort, udpPort, tlsPort, tls: ownTls,
    messages,
    async waitForMessages(count, opts = {}) {
      const deadline = Date.now() + (opts.timeoutMs ?? 15_000);
      let got = messages();
      while (got.length < count) {
        if (Date.now() > deadline) throw new Error(`rsyslog received ${got.length} of ${count} messages in time`);
        await sleep(25);
        got = messages();
      }
      if (opts.settleMs) { await sleep(opts.settleMs); got = messages(); }
      return got;
    },
    clear() { if (existsSync(outFile)) writeFileSync(outFile, ''); },
    stopProcess,
    start,
    async stop() {
      await stopProcess();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
