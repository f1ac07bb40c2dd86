/**
 * Graph alerts_v2 -> NormalizedEvent. Follows Elastic's m365_defender alert data stream: event.kind
 * alert, rule.* from title/description/detectorId, threat.* from mitreTechniques and category, evidence
 * onto host/user/process/file/url/email/related. The alert is linked to its incident by
 * m365_defender.incident.id. Timestamps in ECS fields have milliseconds; m365_defender.alert keeps
 * Graph's values (7 fraction digits) as strings.
 */
import type { NormalizedEvent } from '../../model/event';
import {
  compact, detail, enumValue, graphEventId, identity, ms, relate, severityScore, str, tacticName, techniqueIds,
  type GraphNormalizeContext, type GraphObject,
} from './common';
import { applyEvidence } from './evidence';

export const ALERT_RESOURCE = 'alerts_v2';

export function normalizeAlert(alert: GraphObject, ctx: GraphNormalizeContext): NormalizedEvent {
  const { id, lastUpdateDateTime } = identity(alert, ALERT_RESOURCE);
  const tenantId = str(alert.tenantId) ?? ctx.tenantId;
  const serviceSource = str(alert.serviceSource);
  const title = str(alert.title);
  const incidentId = str(alert.incidentId);

  const ev: NormalizedEvent = {
    '@timestamp': ms(lastUpdateDateTime) as string,
    message: title,
    event: {
      kind: 'alert',
      type: ['info'],
      action: enumValue(alert.status) ?? 'updated',
      dataset: 'm365_defender.alert',
      id: graphEventId(ALERT_RESOURCE, id, lastUpdateDateTime),
      severity: severityScore(alert.severity),
      created: ms(alert.createdDateTime),
      provider: serviceSource ?? 'microsoftDefenderXdr',
      module: 'm365_defender',
    },
    observer: { vendor: 'Microsoft', product: serviceSource ?? 'Defender XDR', type: 'xdr' },
    cloud: { account: { id: tenantId }, provider: 'azure' },
    rule: compact({ name: title, id: str(alert.detectorId), description: str(alert.description) }),
    m365_defender: {
      alert: detail(alert, ['evidence']),
      ...(incidentId ? { incident: { id: incidentId } } : {}),
    },
    forwarder: { provenance: { source: 'graph', resource: ALERT_RESOURCE, tenantId, messageIndex: ctx.messageIndex } },
  };
  if (ev.event.severity === undefined) delete ev.event.severity;
  if (ev.event.created === undefined) delete ev.event.created;
  if (ev.message === undefined) delete ev.message;
  if (ev.rule === undefined) delete ev.rule;

  const categories = applyEvidence(alert.evidence, ev);
  if (categories.length) ev.event.category = categories;

  const ids = techniqueIds(alert.mitreTechniques);
  const tactic = tacticName(alert.category);
  if (ids.length || tactic) {
    ev.threat = compact({
      framework: 'MITRE ATT&CK',
      technique: ids.length ? { id: ids } : undefined,
      tactic: tactic ? { name: [tactic] } : undefined,
    });
  }
  relate(ev, 'user', str(alert.assignedTo));
  return ev;
}
