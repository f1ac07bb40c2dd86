/**
 * Graph incidents -> NormalizedEvent, after Elastic's m365_defender incident data stream: message =
 * displayName, event.kind alert, severity on Elastic's scale, category malware when Defender determined
 * malware. With `$expand=alerts` the incident links its alerts (m365_defender.incident.alert_ids) and
 * gathers their MITRE techniques; the alerts themselves are polled (and forwarded) from alerts_v2.
 */
import type { NormalizedEvent } from '../../model/event';
import {
  arr, compact, detail, enumValue, graphEventId, identity, ms, obj, relate, severityScore, str, techniqueIds,
  type GraphNormalizeContext, type GraphObject,
} from './common';

export const INCIDENT_RESOURCE = 'incidents';

export function normalizeIncident(incident: GraphObject, ctx: GraphNormalizeContext): NormalizedEvent {
  const { id, lastUpdateDateTime } = identity(incident, INCIDENT_RESOURCE);
  const tenantId = str(incident.tenantId) ?? ctx.tenantId;
  const displayName = str(incident.displayName);
  const determination = enumValue(incident.determination);

  // `alerts` is an array when expanded; Elastic's split samples also show a single object.
  const alertsRaw = incident.alerts;
  const alerts = (Array.isArray(alertsRaw) ? alertsRaw : alertsRaw ? [alertsRaw] : []).map(obj).filter((a): a is GraphObject => !!a);
  const alertIds = alerts.map((a) => str(a.id)).filter((x): x is string => !!x);

  const incidentDetail = detail(incident, ['alerts']);
  if (alertIds.length) incidentDetail.alert_ids = alertIds;

  const ev: NormalizedEvent = {
    '@timestamp': ms(lastUpdateDateTime) as string,
    message: displayName,
    event: {
      kind: 'alert',
      type: ['info'],
      action: enumValue(incident.status) ?? 'updated',
      dataset: 'm365_defender.incident',
      id: graphEventId(INCIDENT_RESOURCE, id, lastUpdateDateTime),
      severity: severityScore(incident.severity),
      created: ms(incident.createdDateTime),
      provider: 'microsoftDefenderXdr',
      module: 'm365_defender',
    },
    observer: { vendor: 'Microsoft', product: 'Defender XDR', type: 'xdr' },
    cloud: { account: { id: tenantId }, provider: 'azure' },
    m365_defender: { incident: incidentDetail },
    forwarder: { provenance: { source: 'graph', resource: INCIDENT_RESOURCE, tenantId, messageIndex: ctx.messageIndex } },
  };
  if (ev.event.severity === undefined) delete ev.event.severity;
  if (ev.event.created === undefined) delete ev.event.created;
  if (ev.message === undefined) delete ev.message;
  if (determination === 'malware') ev.event.category = ['malware'];

  const techniques: string[] = [];
  for (const a of alerts) for (const t of techniqueIds(a.mitreTechniques)) if (!techniques.includes(t)) techniques.push(t);
  if (techniques.length) ev.threat = compact({ framework: 'MITRE ATT&CK', technique: { id: techniques } });

  relate(ev, 'user', str(incident.assignedTo));
  for (const c of arr(incident.comments)) relate(ev, 'user', str(obj(c)?.createdBy));
  return ev;
}
