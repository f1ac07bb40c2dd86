/**
 * Hand-built events in the shapes the normalizer produces (shared/model/event.ts), one per kind the
 * formats treat differently: a process event (IPv4 host address), a network event (IPv6 endpoints), an
 * AlertInfo streaming alert, and a Graph incident. Written from the documented Defender and Graph
 * shapes so the tests do not need /work/shared.
 */
import type { NormalizedEvent } from '../../shared/model/event';
import type { OutboundEvent } from '../../shared/sinks/types';

const TENANT = '3adb963c-8e61-48e8-a06d-6dbb0dacea39';

export const processOriginal = {
  time: '2026-11-23T15:00:00.1234567Z',
  tenantId: TENANT,
  operationName: 'Publish',
  category: 'AdvancedHunting-DeviceProcessEvents',
  properties: {
    DeviceId: 'd0a1b2c3',
    DeviceName: 'HOST7.contoso.com',
    ActionType: 'ProcessCreated',
    FileName: 'cmd.exe',
    FolderPath: 'C:\\Windows\\System32\\cmd.exe',
    SHA256: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
    ProcessCommandLine: 'cmd.exe /c whoami 7',
    ProcessId: 4242,
    InitiatingProcessFileName: 'explorer.exe',
    InitiatingProcessCommandLine: 'explorer.exe',
    AccountName: 'user7',
    AccountDomain: 'contoso',
    AccountSid: 'S-1-5-21-1-2-3-1007',
    ReportId: 7,
    Timestamp: '2026-11-23T15:00:00.1234567Z',
  },
};

export function processEvent(): OutboundEvent {
  const event: NormalizedEvent = {
    '@timestamp': '2026-11-23T15:00:00.123Z',
    message: 'ProcessCreated cmd.exe on host7.contoso.com',
    event: {
      kind: 'event',
      category: ['process'],
      type: ['start'],
      action: 'ProcessCreated',
      dataset: 'm365_defender.deviceprocessevents',
      id: '5f0c6e8a9b1d2e3f4a5b6c7d8e9f0a1b',
      provider: 'DeviceProcessEvents',
      module: 'm365_defender',
    },
    observer: { vendor: 'Microsoft', product: 'Defender XDR' },
    cloud: { account: { id: TENANT }, provider: 'azure' },
    host: { name: 'host7.contoso.com', id: 'd0a1b2c3', ip: ['fe80::1', '10.1.2.7'] },
    user: { name: 'user7', domain: 'contoso', id: 'S-1-5-21-1-2-3-1007' },
    process: {
      name: 'cmd.exe',
      executable: 'C:\\Windows\\System32\\cmd.exe',
      command_line: 'cmd.exe /c whoami 7',
      pid: 4242,
      hash: { sha256: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' },
      parent: { name: 'explorer.exe', command_line: 'explorer.exe' },
    },
    file: {
      name: 'cmd.exe',
      path: 'C:\\Windows\\System32\\cmd.exe',
      hash: { sha256: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' },
    },
    m365_defender: { category: 'AdvancedHunting-DeviceProcessEvents', ActionType: 'ProcessCreated' },
    forwarder: { provenance: { source: 'eventhub', partition: '0', sequenceNumber: 12, messageIndex: 0, recordIndex: 3 } },
  };
  return { event, original: processOriginal, origin: 'streaming' };
}

export const networkOriginal = {
  time: '2026-11-23T15:01:02.5Z',
  tenantId: TENANT,
  operationName: 'Publish',
  category: 'AdvancedHunting-DeviceNetworkEvents',
  properties: {
    DeviceId: 'd9',
    DeviceName: 'host9.contoso.com',
    ActionType: 'ConnectionSuccess',
    LocalIP: '2001:db8::10',
    LocalPort: 50123,
    RemoteIP: '2606:4700::1111',
    RemotePort: 443,
    RemoteUrl: 'https://example.org/path?q=1&x=a|b',
    Protocol: 'Tcp',
    InitiatingProcessFileName: 'chrome.exe',
    InitiatingProcessId: 900,
    Timestamp: '2026-11-23T15:01:02.5Z',
  },
};

export function networkEvent(): OutboundEvent {
  const event: NormalizedEvent = {
    '@timestamp': '2026-11-23T15:01:02.500Z',
    message: 'ConnectionSuccess chrome.exe to example.org',
    event: {
      kind: 'event',
      category: ['network'],
      type: ['connection'],
      action: 'ConnectionSuccess',
      dataset: 'm365_defender.devicenetworkevents',
      id: 'b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7',
      provider: 'DeviceNetworkEvents',
      module: 'm365_defender',
      outcome: 'success',
    },
    observer: { vendor: 'Microsoft', product: 'Defender XDR' },
    cloud: { account: { id: TENANT }, provider: 'azure' },
    host: { name: 'host9.contoso.com', id: 'd9' },
    process: { name: 'chrome.exe', pid: 900 },
    source: { ip: '2001:db8::10', port: 50123 },
    destination: { ip: '2606:4700::1111', port: 443, domain: 'example.org' },
    network: { transport: 'tcp' },
    url: { original: 'https://example.org/path?q=1&x=a|b', domain: 'example.org' },
    m365_defender: { category: 'AdvancedHunting-DeviceNetworkEvents', ActionType: 'ConnectionSuccess' },
    forwarder: { provenance: { source: 'eventhub', messageIndex: 1, recordIndex: 0 } },
  };
  return { event, original: networkOriginal, origin: 'streaming' };
}

export const alertOriginal = {
  time: '2026-11-23T15:02:03.0000000Z',
  tenantId: TENANT,
  operationName: 'Publish',
  category: 'AdvancedHunting-AlertInfo',
  properties: {
    AlertId: 'da637551227677560813_-961444813',
    Title: 'Suspicious PowerShell command line',
    Category: 'Execution',
    Severity: 'Medium',
    ServiceSource: 'Microsoft Defender for Endpoint',
    DetectionSource: 'EDR',
    AttackTechniques: '["PowerShell (T1059.001)"]',
    Timestamp: '2026-11-23T15:02:03Z',
  },
};

export function alertEvent(): OutboundEvent {
  const event: NormalizedEvent = {
    '@timestamp': '2026-11-23T15:02:03.000Z',
    message: 'Suspicious PowerShell command line',
    event: {
      kind: 'alert',
      category: ['threat'],
      dataset: 'm365_defender.alertinfo',
      id: 'da637551227677560813_-961444813',
      severity: 47,
      provider: 'AlertInfo',
      module: 'm365_defender',
    },
    observer: { vendor: 'Microsoft', product: 'Defender XDR' },
    cloud: { account: { id: TENANT }, provider: 'azure' },
    rule: { name: 'Suspicious PowerShell command line' },
    threat: { framework: 'MITRE ATT&CK', technique: { id: ['T1059.001'], name: ['PowerShell'] } },
    m365_defender: { category: 'AdvancedHunting-AlertInfo' },
    forwarder: { provenance: { source: 'eventhub', messageIndex: 2, recordIndex: 0 } },
  };
  return { event, original: alertOriginal, origin: 'streaming' };
}

export const incidentOriginal = {
  id: '2972395',
  incidentWebUrl: 'https://security.microsoft.com/incidents/2972395?tid=' + TENANT,
  redirectIncidentId: null,
  displayName: 'Multi-stage incident involving Initial access & Command and control on multiple endpoints reported by multiple sources',
  tenantId: TENANT,
  createdDateTime: '2026-11-23T14:00:01.7533333Z',
  lastUpdateDateTime: '2026-11-23T15:03:04.3433333Z',
  assignedTo: 'KaiC@contoso.onmicrosoft.com',
  classification: 'truePositive',
  determination: 'multiStagedAttack',
  status: 'active',
  severity: 'high',
  tags: ['Demo'],
  comments: [],
  systemTags: [],
  description: 'A "multi-stage" incident | with pipes = and \\ backslashes',
};

export function incidentEvent(): OutboundEvent {
  const event: NormalizedEvent = {
    '@timestamp': '2026-11-23T15:03:04.343Z',
    message: incidentOriginal.displayName,
    event: {
      kind: 'alert',
      category: ['threat'],
      dataset: 'm365_defender.incident',
      id: '2972395-2026-11-23T15:03:04.3433333Z',
      severity: 73,
      created: '2026-11-23T14:00:01.753Z',
      provider: 'incidents',
      module: 'm365_defender',
    },
    observer: { vendor: 'Microsoft', product: 'microsoft365Defender' },
    cloud: { account: { id: TENANT }, provider: 'azure' },
    rule: { name: incidentOriginal.displayName, description: incidentOriginal.description },
    m365_defender: { status: 'active', classification: 'truePositive' },
    forwarder: { provenance: { source: 'graph', messageIndex: 0, resource: 'incidents', tenantId: TENANT } },
  };
  return { event, original: incidentOriginal, origin: 'incident' };
}

export function graphAlertEvent(): OutboundEvent {
  const item = alertEvent();
  return {
    event: { ...item.event, observer: { vendor: 'Microsoft', product: 'microsoftDefenderForEndpoint' }, m365_defender: {}, event: { ...item.event.event, dataset: 'm365_defender.alert' } },
    original: { id: 'da637551227677560813_-961444813', title: 'Suspicious PowerShell command line', serviceSource: 'microsoftDefenderForEndpoint' },
    origin: 'alert',
  };
}

export function emailEvent(): OutboundEvent {
  const event: NormalizedEvent = {
    '@timestamp': '2026-11-23T15:04:05.006Z',
    message: 'EmailEvents Delivered from billing@fabrikam.example',
    event: {
      kind: 'event', category: ['email'], action: 'Delivered', dataset: 'm365_defender.emailevents',
      id: 'e1e2e3e4e5e6e7e8e9e0', provider: 'EmailEvents', module: 'm365_defender',
    },
    observer: { vendor: 'Microsoft', product: 'Defender XDR' },
    email: {
      subject: 'Invoice | due=now \\ "urgent"',
      from: { address: ['billing@fabrikam.example'] },
      to: { address: ['kai@contoso.example', 'ana@contoso.example'] },
      sender: { address: 'bounce@fabrikam.example' },
      direction: 'Inbound',
    },
    m365_defender: { category: 'AdvancedHunting-EmailEvents' },
    forwarder: { provenance: { source: 'eventhub', messageIndex: 3 } },
  };
  return { event, original: { category: 'AdvancedHunting-EmailEvents', properties: { Subject: event.email?.subject } }, origin: 'streaming' };
}
