/**
 * Severity mappings from NormalizedEvent.event.severity (0-100, Elastic's scale: informational 1-20,
 * low 21, medium 47, high 73, critical 99) to the scales of the output formats.
 *
 * | event.severity        | CEF (0-10)      | LEEF sev (1-10) | syslog severity            |
 * |-----------------------|-----------------|-----------------|----------------------------|
 * | absent / not a number | 0               | 1               | 6 informational            |
 * | 0-4                   | 0               | 1               | 6 informational            |
 * | 5-20 informational    | round(s/10) 1-2 | 1-2             | 6 informational            |
 * | 21 low                | 2               | 2               | 5 notice     (21-46)       |
 * | 47 medium             | 5               | 5               | 4 warning    (47-72)       |
 * | 73 high               | 7               | 7               | 3 error      (73-98)       |
 * | 99 critical           | 10              | 10              | 2 critical   (99-100)      |
 *
 * CEF = round(severity / 10), clamped to 0-10, which lands each Defender level in ArcSight's bands
 * (Low 0-3, Medium 4-6, High 7-8, Very-High 9-10). LEEF = the same, at least 1 (LEEF has no 0).
 */

function score(severity: number | undefined): number | undefined {
  return typeof severity === 'number' && Number.isFinite(severity) ? severity : undefined;
}

export function cefSeverity(severity: number | undefined): number {
  const s = score(severity);
  if (s === undefined || s <= 0) return 0;
  if (s >= 100) return 10;
  return Math.round(s / 10);
}

export function leefSeverity(severity: number | undefined): number {
  const c = cefSeverity(severity);
  return c < 1 ? 1 : c;
}

/** RFC 5424 severity (0 emergency .. 7 debug); never below 2: an alert about a host is not a syslog emergency. */
export function syslogSeverity(severity: number | undefined): number {
  const s = score(severity);
  if (s === undefined || s < 21) return 6;
  if (s < 47) return 5;
  if (s < 73) return 4;
  if (s < 99) return 3;
  return 2;
}
