/** Shared set-up for the Graph tests: simulator, Azurite table, a recording deliver(). */
import { TableClient } from '@azure/data-tables';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { TableCursorStore } from '../../shared/graph/cursor-store';
import type { GraphTokenSource } from '../../shared/graph/types';
import { MemoryLogger } from '../../shared/observability/log';
import type { OutboundEvent } from '../../shared/sinks/types';
import type { AzuriteInstance } from '../support/azurite';
import type { GraphSimulator, SimObject } from '../support/graph-simulator';

export const TENANT = '6f1d3c2a-9b4e-4c1f-8a7d-2e5b9c0d1f34';
/** The simulated objects live around 2025-03-01; the poller's clock is shifted there. */
export const SIM_NOW = Date.UTC(2025, 2, 1, 23, 0, 0);
export const simClock = (): (() => number) => {
  const offset = Date.now() - SIM_NOW;
  return () => Date.now() - offset;
};

let tableCounter = 0;
export function cursorTable(azurite: AzuriteInstance, name?: string): TableClient {
  return TableClient.fromConnectionString(azurite.connectionString, name ?? `cursors${process.pid}x${++tableCounter}`, { allowInsecureConnection: true });
}

export function tableStore(table: TableClient): TableCursorStore {
  return new TableCursorStore(table, { logger: new MemoryLogger() });
}

/** Tokens straight from the simulator; counts calls and forced refreshes. */
export class SimTokens implements GraphTokenSource {
  calls = 0;
  refreshes = 0;
  token: string;
  constructor(private readonly sim: GraphSimulator, private readonly tenantId: string) {
    this.token = sim.issueToken(tenantId);
  }
  async getToken(options?: { forceRefresh?: boolean }): Promise<string> {
    this.calls++;
    if (options?.forceRefresh) this.refreshes++;
    return this.token;
  }
  /** The identity provider hands out a new token from now on (the old one is revoked at Graph). */
  rotate(): void {
    this.sim.revokeToken(this.token);
    this.token = this.sim.issueToken(this.tenantId);
  }
}

/** Records delivered batches; can fail on a given call. */
export class Recorder {
  readonly batches: OutboundEvent[][] = [];
  calls = 0;
  failOnCall?: number;
  delay?: () => Promise<void>;
  readonly deliver = async (items: readonly OutboundEvent[]): Promise<void> => {
    this.calls++;
    if (this.delay) await this.delay();
    if (this.failOnCall !== undefined && this.calls === this.failOnCall) throw new Error(`simulated delivery failure on batch ${this.calls}`);
    this.batches.push([...items]);
  };
  get items(): OutboundEvent[] {
    return this.batches.flat();
  }
  /** `id|lastUpdateDateTime` of every delivered item, in order. */
  versions(): string[] {
    return this.items.map((i) => {
      const o = i.original as SimObject;
      return `${o.id}|${o.lastUpdateDateTime}`;
    });
  }
}

export function countDuplicates(keys: readonly string[]): number {
  return keys.length - new Set(keys).size;
}

/** Repo root from dist/test/graph or test/graph. */
export function repoRoot(): string {
  let dir = __dirname;
  while (!existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('package.json not found above ' + __dirname);
    dir = up;
  }
  return dir;
}

export function fixture(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path.join(repoRoot(), 'test', 'fixtures', 'graph', name), 'utf8')) as Record<string, unknown>;
}

export const noSleep = async (): Promise<void> => {};
