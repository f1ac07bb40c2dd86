/**
 * Events for the syslog sink tests, written from the documented shapes (field guide sections 1 and 8):
 * a DeviceProcessEvents streaming record and its normalized form, with values the caller can make hostile.
 */
import type { NormalizedEvent } from '../../shared/model/event';
import type { OutboundEvent } from '../../shared/sinks/types';

export interface FixtureValues {
  commandLine?: string;
  accountName?: string;
  fileName?: string;
  deviceName?: string;
}

/** A peer-load-like record (samples/bench/peer-load-record.json shape) and its normalized event. */
export function processEvent(i: number, values: FixtureValues = {}): OutboundEvent {
  const deviceName = values.deviceName ?? `host${i}.contoso.com`;
  const commandLine = values.commandLine ?? `cmd.exe /c whoami ${i}`;
  const accountName = values.accountName ?? `user${i}`;
  const fileName = values.fileName ?? 'cmd.exe';
  const timestamp = '2026-11-23T15:00:00.1234567Z';
  const original = {
    time: '2026-11-23T15:00:01.0000000Z',
    tenantId: '11111111-2222-3333-4444-555555555555',
    operationName: 'Publish',
    category: 'AdvancedHunting-DeviceProcessEvents',
    _TimeReceivedBySvc: '2026-11-23T15:00:00.9000000Z',
    properties: {
      DeviceId: `d${i}`,
      DeviceName: deviceName,
      ActionType: 'ProcessCreated',
      FileName: fileName,
      FolderPath: 'C:\\Windows\\System32',
      SHA256: 'a'.repeat(64),
      ProcessCommandLine: commandLine,
      InitiatingProcessFileName: 'explorer.exe',
      AccountName: accountName,
      ReportId: i,
      Timestamp: timestamp,
    },
  };
  const event: NormalizedEvent = {
    '@timestamp': '2026-11-23T15:00:00.123Z',
    message: `ProcessCreated ${fileName} on ${deviceName}`,
    event: {
      kind: 'event',
      category: ['process'],
      type: ['start'],
      action: 'ProcessCreated',
      dataset: 'm365_defender.deviceprocessevents',
      id: `evt-${i}-0123456789abcdef`,
      severity: 21,
      provider: 'DeviceProcessEvents',
      module: 'm365_defender',
    },
    observer: { vendor: 'Microsoft', product: 'Defender XDR' },
    cloud: { account: { id: original.tenantId }, provider: 'azure' },
    host: { name: deviceName.toLowerCase(), id: `d${i}` },
    user: { name: accountName },
    process: {
      name: fileName,
      executable: `C:\\Windows\\System32\\${fileName}`,
      command_line: commandLine,
      hash: { sha256: 'a'.repeat(64) },
      parent: { name: 'explorer.exe' },
    },
    m365_defender: { table: 'DeviceProcessEvents', action_type: 'ProcessCreated', timestamp },
    forwarder: { provenance: { source: 'file', messageIndex: 0, recordIndex: i, file: 'fixture.ndjson', line: i + 1 } },
  };
  return { event, original, origin: 'streaming' };
}

/** Values an attacker controls in command lines, subjects, URLs and file names. */
export const HOSTILE: Readonly<Record<string, string>> = {
  fakeHeaderLf: 'x\n<13>1 2026-01-01T00:00:00Z evil forged - - - FORGED MESSAGE',
  fakeHeaderCrLf: 'x\r\n<13>Jan  1 00:00:00 evil forged: FORGED MESSAGE\r\n',
  octetForge: 'x\n57 <13>1 2026-01-01T00:00:00Z evil forged - - - FORGED',
  pipesAndEquals: 'a|b|c=d\\e=|f',
  sdBreak: 'a] [evil@1 x="y"] "quoted" \\',
  nul: 'before\u0000after',
  tabs: 'col1\tcol2\t\tcol3',
  control: 'bell\u0007 esc\u001b[31m del\u007f',
  unicode: 'Azure\u00c2\u00ae \u20ac \u{1F600} \u0627\u0644',
  big: 'A'.repeat(52_000) + '\u20ac'.repeat(16_000) + '\n<13>1 - evil - - - FORGED-AFTER-BIG',
};

/** One event per hostile value, the value in the command line, account and file name. */
export function hostileEvents(): OutboundEvent[] {
  return Object.values(HOSTILE).map((v, i) => processEvent(i, { commandLine: v, accountName: v.slice(0, 200), fileName: v.slice(0, 100) }));
}
