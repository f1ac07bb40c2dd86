/**
 * The part of the ArcSight CEF extension dictionary (CEF implementation standard, document version 27;
 * copied from ../shared/reference/cef-extensions.yaml, which is not available in CI) that the CEF
 * format uses: key, ArcSight field name, type and maximum length in characters.
 *
 * c6a2 / c6a2Label are not in the shipped dictionary file (it lists c6a1, c6a3 and c6a4); they are the
 * same kind of field as c6a3 and are what ArcSight's own connectors use for the source IPv6 address,
 * so they are added here with the same shape as c6a3.
 */
export type CefValueType = 'string' | 'integer' | 'long' | 'timestamp' | 'ipv4_address' | 'ipv6_address';

export interface CefKeySpec {
  fullName: string;
  type: CefValueType;
  /** Maximum length in characters, for strings. */
  maxLength?: number;
}

export const CEF_KEYS = {
  rt: { fullName: 'deviceReceiptTime', type: 'timestamp' },
  externalId: { fullName: 'externalId', type: 'string', maxLength: 40 },
  act: { fullName: 'deviceAction', type: 'string', maxLength: 63 },
  cat: { fullName: 'deviceEventCategory', type: 'string', maxLength: 1023 },
  msg: { fullName: 'message', type: 'string', maxLength: 1023 },
  outcome: { fullName: 'eventOutcome', type: 'string', maxLength: 63 },
  reason: { fullName: 'reason', type: 'string', maxLength: 1023 },
  deviceExternalId: { fullName: 'deviceExternalId', type: 'string', maxLength: 255 },
  dvc: { fullName: 'deviceAddress', type: 'ipv4_address' },
  shost: { fullName: 'sourceHostName', type: 'string', maxLength: 1023 },
  suser: { fullName: 'sourceUserName', type: 'string', maxLength: 1023 },
  suid: { fullName: 'sourceUserId', type: 'string', maxLength: 1023 },
  sntdom: { fullName: 'sourceNtDomain', type: 'string', maxLength: 255 },
  duser: { fullName: 'destinationUserName', type: 'string', maxLength: 1023 },
  src: { fullName: 'sourceAddress', type: 'ipv4_address' },
  spt: { fullName: 'sourcePort', type: 'integer' },
  dst: { fullName: 'destinationAddress', type: 'ipv4_address' },
  dpt: { fullName: 'destinationPort', type: 'integer' },
  dhost: { fullName: 'destinationHostName', type: 'string', maxLength: 1023 },
  c6a2: { fullName: 'deviceCustomIPv6Address2', type: 'ipv6_address' },
  c6a2Label: { fullName: 'deviceCustomIPv6Address2Label', type: 'string', maxLength: 1023 },
  c6a3: { fullName: 'deviceCustomIPv6Address3', type: 'ipv6_address' },
  c6a3Label: { fullName: 'deviceCustomIPv6Address3Label', type: 'string', maxLength: 1023 },
  proto: { fullName: 'transportProtocol', type: 'string', maxLength: 31 },
  app: { fullName: 'applicationProtocol', type: 'string', maxLength: 31 },
  request: { fullName: 'requestUrl', type: 'string', maxLength: 1023 },
  sproc: { fullName: 'sourceProcessName', type: 'string', maxLength: 1023 },
  spid: { fullName: 'sourceProcessId', type: 'integer' },
  fname: { fullName: 'filename', type: 'string', maxLength: 1023 },
  filePath: { fullName: 'filePath', type: 'string', maxLength: 1023 },
  fileHash: { fullName: 'fileHash', type: 'string', maxLength: 255 },
  fsize: { fullName: 'fileSize', type: 'integer' },
  cs1: { fullName: 'deviceCustomString1', type: 'string', maxLength: 4000 },
  cs1Label: { fullName: 'deviceCustomString1Label', type: 'string', maxLength: 1023 },
  cs2: { fullName: 'deviceCustomString2', type: 'string', maxLength: 4000 },
  cs2Label: { fullName: 'deviceCustomString2Label', type: 'string', maxLength: 1023 },
  cs3: { fullName: 'deviceCustomString3', type: 'string', maxLength: 4000 },
  cs3Label: { fullName: 'deviceCustomString3Label', type: 'string', maxLength: 1023 },
  cs4: { fullName: 'deviceCustomString4', type: 'string', maxLength: 4000 },
  cs4Label: { fullName: 'deviceCustomString4Label', type: 'string', maxLength: 1023 },
  cs5: { fullName: 'deviceCustomString5', type: 'string', maxLength: 4000 },
  cs5Label: { fullName: 'deviceCustomString5Label', type: 'string', maxLength: 1023 },
  cs6: { fullName: 'deviceCustomString6', type: 'string', maxLength: 4000 },
  cs6Label: { fullName: 'deviceCustomString6Label', type: 'string', maxLength: 1023 },
} as const satisfies Record<string, CefKeySpec>;

export type CefKey = keyof typeof CEF_KEYS;

/**
 * CEF header field limits (CEF implementation standard, header table; not part of the extension
 * dictionary file): Device Vendor/Product 63, Device Version 31, Device Event Class ID 1023, Name 512.
 */
export const CEF_HEADER_LIMITS = {
  vendor: 63,
  product: 63,
  version: 31,
  signatureId: 1023,
  name: 512,
} as const;
