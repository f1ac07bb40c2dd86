/**
 * The LEEF 2.0 attributes the LEEF format emits. Predefined keys and their limits come from IBM's
 * "Predefined LEEF event attributes" (copied from ../shared/reference/leef-attributes.yaml, which is
 * not available in CI); `custom: true` keys are our own, for data no predefined key fits (QRadar
 * auto-detects custom properties from them since 7.3.2).
 */
export interface LeefKeySpec {
  type: 'string' | 'integer' | 'ip_address' | 'date';
  /** Maximum length in characters, where IBM gives one. */
  maxLength?: number;
  /** Predefined attributes QRadar normalizes into its own event fields. */
  normalized: boolean;
  custom?: true;
}

export const LEEF_KEYS = {
  devTime: { type: 'date', normalized: true },
  devTimeFormat: { type: 'string', normalized: false },
  cat: { type: 'string', normalized: true },
  sev: { type: 'integer', normalized: true },
  src: { type: 'ip_address', normalized: true },
  dst: { type: 'ip_address', normalized: true },
  srcPort: { type: 'integer', normalized: true },
  dstPort: { type: 'integer', normalized: true },
  proto: { type: 'string', normalized: true },
  usrName: { type: 'string', maxLength: 255, normalized: true },
  domain: { type: 'string', normalized: false },
  resource: { type: 'string', normalized: false },
  url: { type: 'string', normalized: false },
  // Custom keys.
  externalId: { type: 'string', normalized: false, custom: true },
  action: { type: 'string', normalized: false, custom: true },
  msg: { type: 'string', normalized: false, custom: true },
  outcome: { type: 'string', normalized: false, custom: true },
  deviceId: { type: 'string', normalized: false, custom: true },
  userId: { type: 'string', normalized: false, custom: true },
  sender: { type: 'string', normalized: false, custom: true },
  recipients: { type: 'string', normalized: false, custom: true },
  subject: { type: 'string', normalized: false, custom: true },
  processName: { type: 'string', normalized: false, custom: true },
  processId: { type: 'integer', normalized: false, custom: true },
  commandLine: { type: 'string', normalized: false, custom: true },
  parentProcessName: { type: 'string', normalized: false, custom: true },
  parentCommandLine: { type: 'string', normalized: false, custom: true },
  fileName: { type: 'string', normalized: false, custom: true },
  filePath: { type: 'string', normalized: false, custom: true },
  fileHash: { type: 'string', normalized: false, custom: true },
  tenantId: { type: 'string', normalized: false, custom: true },
  mitreTechniques: { type: 'string', normalized: false, custom: true },
} as const satisfies Record<string, LeefKeySpec>;

export type LeefKey = keyof typeof LEEF_KEYS;
