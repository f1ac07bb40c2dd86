/**
 * Events for the HTTP sink tests, written from the documented shapes (field guide sections 1 and 6):
 * a Defender streaming record and the ECS-shaped NormalizedEvent made from it.
 */
import type { NormalizedEvent } from '../../shared/model/event';
import { MemoryLogger } from '../../shared/observability/log';
import type { OutboundEvent } from '../../shared/sinks/types';

export function streamingRecord(i: number): Record<string, unknown> {
  return {
    time: '2026-11-23T15:00:00.1234567Z',
    tenantId: 'tenant-1',
    operationName: 'Publish',
    category: 'AdvancedHunting-DeviceProcessEvents',
    properties: {
      DeviceId: `d${i}`, DeviceName: `host${i}.contoso.com`, ActionType: 'ProcessCreated', FileName: 'cmd.exe',
      ProcessCommandLine: `cmd.exe /c whoami ${i}`, AccountName: `user${i}`, ReportId: i, Timestamp: '2026-11-23T15:00:00.1234567Z',
    },
  };
}

export function outbound(i: number, origin: OutboundEvent['origin'] = 'streaming'): OutboundEvent {
  const original = streamingRecord(i);
  const ms = Date.UTC(2026, 10, 23, 15, 0, 0) + i;
  const event: NormalizedEvent = {
    '@timestamp': new Date(ms).toISOString(),
    message: `event ${i}`,
    event: { kind: 'event', action: 'ProcessCreated', dataset: 'm365_defender.deviceprocessevents', id: `id-${i}`, provider: 'microsoft_defender_endpoint', module: 'm365_defender' },
    observer: { vendor: 'Microsoft', product: 'Defender XDR' },
    host: { name: `host${i}.contoso.com`, id: `d${i}` },
    user: { name: `user${i}` },
    process: { name: 'cmd.exe', command_line: `cmd.exe /c whoami ${i}` },
    m365_defender: { table: 'DeviceProcessEvents' },
    forwarder: { provenance: { source: 'eventhub', messageIndex: 0, recordIndex: i, partition: '0' } },
  };
  return { event, original, origin };
}

export function outbounds(n: number, from = 0): OutboundEvent[] {
  return Array.from({ length: n }, (_, k) => outbound(from + k));
}

/** Fast retries for tests: first backoff 20 ms, capped at 100 ms, no jitter randomness. */
export const FAST_RETRY = { baseDelayMs: 20, maxDelayMs: 100, random: () => 0.5 };

/** Every string a logger received, for "never logs a secret" checks. */
export function loggedText(logger: MemoryLogger): string {
  return JSON.stringify(logger.entries);
}
