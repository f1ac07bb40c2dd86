import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** Well-known Azurite development account (public, documented by Microsoft; not a secret). */
export const DEV_ACCOUNT = 'devstoreaccount1';
export const DEV_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface AzuriteInstance {
  /** Explicit connection string with all three endpoints (UseDevelopmentStorage=true would force default ports). */
  connectionString: string;
  blobPort: number;
  queuePort: number;
  tablePort: number;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, deadline: number): Promise<void> {
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`Azurite did not listen on 127.0.0.1:${port} in time`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Starts a real Azurite (Blob, Queue, Table) on free loopback ports with its own workspace. */
export async function startAzurite(): Promise<AzuriteInstance> {
  const [blobPort, queuePort, tablePort] = [await freePort(), await freePort(), await freePort()];
  const workspace = mkdtempSync(path.join(os.tmpdir(), 'azurite-'));
  const bin = require.resolve('azurite/dist/src/azurite.js');
  const child: ChildProcess = spawn(process.execPath, [bin,
    '--silent', '--disableTelemetry', '--skipApiVersionCheck', '--loose',
    '--location', workspace,
    '--blobHost', '127.0.0.1', '--blobPort', String(blobPort),
    '--queueHost', '127.0.0.1', '--queuePort', String(queuePort),
    '--tableHost', '127.0.0.1', '--tablePort', String(tablePort),
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
  const deadline = Date.now() + 30_000;
  try {
    await Promise.all([waitForPort(blobPort, deadline), waitForPort(queuePort, deadline), waitForPort(tablePort, deadline)]);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${(err as Error).message}\n${stderr}`);
  }
  const base = 'http://127.0.0.1';
  const connectionString = [
    'DefaultEndpointsProtocol=http',
    `AccountName=${DEV_ACCOUNT}`,
    `AccountKey=${DEV_KEY}`,
    `BlobEndpoint=${base}:${blobPort}/${DEV_ACCOUNT}`,
    `QueueEndpoint=${base}:${queuePort}/${DEV_ACCOUNT}`,
    `TableEndpoint=${base}:${tablePort}/${DEV_ACCOUNT}`,
  ].join(';') + ';';
  return {
    connectionString, blobPort, queuePort, tablePort,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      rmSync(workspace, { recursive: true, force: true });
    },
  };
}
