/**
 * Test fixtures shared by the delivery and dead-letter tests: outbound events built from the documented
 * shapes, and an in-test Sink whose collector can be "down" (fails everything), "up", or fail chosen items.
 */
import type { DeadLetterEntry, DeadLetterStore } from '../../shared/deadletter/types';
import type { NormalizedEvent } from '../../shared/model/event';
import type { DeliveryReport, OutboundEvent, Sink } from '../../shared/sinks/types';

/** A DeviceProcessEvents streaming record (documented envelope) and the normalized event for it. */
export function outbound(i: number, origin: OutboundEvent['origin'] = 'streaming'): OutboundEvent {
  const original = {
    time: '2025-02-07T19:01:26.1234567Z',
    tenantId: '11111111-2222-3333-4444-555555555555',
    operationName: 'Publish',
    category: 'AdvancedHunting-DeviceProcessEvents',
    properties: {
      Timestamp: '2025-02-07T19:01:25.9876543Z', DeviceId: `d${i}`, DeviceName: `host${i}.contoso.com`,
      ActionType: 'ProcessCreated', FileName: 'cmd.exe', ProcessCommandLine: `cmd.exe /c whoami ${i}`,
      AccountName: `user${i}`, ReportId: i,
    },
  };
  const event: NormalizedEvent = {
    '@timestamp': '2025-02-07T19:01:25.987Z',
    event: { kind: 'event', category: ['process'], type: ['start'], action: 'ProcessCreated', dataset: 'm365_defender.deviceprocessevents', id: `evt-${i}`, provider: 'DeviceProcessEvents', module: 'm365_defender' },
    observer: { vendor: 'Microsoft', product: 'Defender XDR' },
    host: { name: `host${i}.contoso.com`, id: `d${i}` },
    user: { name: `user${i}` },
    process: { name: 'cmd.exe', command_line: `cmd.exe /c whoami ${i}` },
    m365_defender: { table: 'DeviceProcessEvents' },
    forwarder: { provenance: { source: 'eventhub', partition: '0', sequenceNumber: 1000 + i, offset: String(4096 * i), messageIndex: Math.floor(i / 10), recordIndex: i % 10 } },
  };
  return { event, original, origin };
}

export function events(n: number, from = 0): OutboundEvent[] {
  return Array.from({ length: n }, (_, k) => outbound(from + k));
}

export type CollectorState = 'up' | 'down';

/**
 * A destination double. `state` down: every item fails with a retryable reason after 3 attempts.
 * `failWhen` fails chosen items even when up. `received` holds what was accepted, in order.
 */
export class FakeSink implements Sink {
  state: CollectorState = 'up';
  failWhen?: (item: OutboundEvent) => boolean;
  /** When set, send() rejects (a sink breaking its contract). */
  throwOnSend?: Error;
  /** When set, the report claims only this many delivered and lists no failures (a buggy sink). */
  underReport?: number;
  readonly received: OutboundEvent[] = [];
  sends = 0;
  closed = false;

  constructor(readonly name: string) {}

  async send(batch: readonly OutboundEvent[]): Promise<DeliveryReport> {
    this.sends++;
    await new Promise((r) => setImmediate(r));
    if (this.throwOnSend) throw this.throwOnSend;
    if (this.underReport !== undefined) {
      this.received.push(...batch.slice(0, this.underReport));
      return { delivered: this.underReport, failed: [] };
    }
    const report: DeliveryReport = { delivered: 0, failed: [] };
    for (const item of batch) {
      if (this.state === 'down') {
        report.failed.push({ item, reason: 'connect ECONNREFUSED 127.0.0.1:9', attempts: 3, destination: this.name });
      } else if (this.failWhen?.(item)) {
        report.failed.push({ item, reason: 'HTTP 400 mapping error', attempts: 1, destination: this.name });
      } else {
        this.received.push(item);
        report.delivered++;
      }
    }
    return report;
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

/** An in-memory store; `failWith` makes put() throw like a store that cannot write. */
export class MemoryDeadLetterStore implements DeadLetterStore {
  readonly name = 'memory';
  readonly puts: DeadLetterEntry[][] = [];
  failWith?: Error;
  async put(entries: readonly DeadLetterEntry[]): Promise<void> {
    if (this.failWith) throw this.failWith;
    this.puts.push(JSON.parse(JSON.stringify(entries)) as DeadLetterEntry[]);
  }
}

export function ids(items: readonly OutboundEvent[]): string[] {
  return items.map((i) => i.event.event.id);
}
