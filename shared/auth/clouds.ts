/**
 * Which cloud the app talks to: the Graph endpoint and the Entra authority (GRAPH_BASE_URL,
 * GRAPH_AUTHORITY_HOST), the known sovereign clouds, and the two SDK switches that depend on whether a
 * host is a public Microsoft one. Tokens are not interchangeable between clouds, so a Graph endpoint of
 * one cloud with the login host of another is a configuration error.
 */
import { ConfigError, readString, type SettingsSource } from '../config/env';

export interface KnownCloud {
  name: 'global' | 'gcc-high' | 'dod' | 'china';
  displayName: string;
  graphBaseUrl: string;
  authorityHost: string;
  keyVaultDomain: string;
}

/** The README's cloud table comes from here. GCC (moderate) uses the global endpoints. */
export const KNOWN_CLOUDS: readonly KnownCloud[] = [
  { name: 'global', displayName: 'Global (and GCC)', graphBaseUrl: 'https://graph.microsoft.com', authorityHost: 'https://login.microsoftonline.com', keyVaultDomain: 'vault.azure.net' },
  { name: 'gcc-high', displayName: 'US Government GCC High', graphBaseUrl: 'https://graph.microsoft.us', authorityHost: 'https://login.microsoftonline.us', keyVaultDomain: 'vault.usgovcloudapi.net' },
  { name: 'dod', displayName: 'US Government DoD', graphBaseUrl: 'https://dod-graph.microsoft.us', authorityHost: 'https://login.microsoftonline.us', keyVaultDomain: 'vault.usgovcloudapi.net' },
  { name: 'china', displayName: 'China (21Vianet)', graphBaseUrl: 'https://microsoftgraph.chinacloudapi.cn', authorityHost: 'https://login.chinacloudapi.cn', keyVaultDomain: 'vault.azure.cn' },
];

export const DEFAULT_GRAPH_BASE_URL = 'https://graph.microsoft.com';
export const DEFAULT_AUTHORITY_HOST = 'https://login.microsoftonline.com';

/** Public Entra login hosts: MSAL's instance discovery knows these; any other host must skip it. */
const PUBLIC_AUTHORITY_HOSTS = new Set([
  'login.microsoftonline.com', 'login.microsoft.com', 'login.windows.net', 'sts.windows.net',
  'login.microsoftonline.us', 'login.usgovcloudapi.net', 'login.chinacloudapi.cn', 'login.partner.microsoftonline.cn',
]);

/** Public Key Vault / Managed HSM domains: the SDK verifies the challenge resource against these. */
const PUBLIC_VAULT_DOMAINS = [
  'vault.azure.net', 'vault.usgovcloudapi.net', 'vault.azure.cn', 'vault.microsoftazure.de',
  'managedhsm.azure.net', 'managedhsm.usgovcloudapi.net', 'managedhsm.azure.cn', 'managedhsm.microsoftazure.de',
];

export interface GraphCloudOptions {
  /** Origin of Graph, no trailing slash, e.g. https://graph.microsoft.us */
  graphBaseUrl: string;
  /** Origin of the Entra authority, no trailing slash. */
  authorityHost: string;
  /** The known cloud of graphBaseUrl, or undefined for a custom endpoint (proxy, test double). */
  cloud?: KnownCloud['name'];
  /** True when authorityHost is not a public Entra host (sovereign proxies, local doubles). */
  disableInstanceDiscovery: boolean;
  /** `${graphBaseUrl}/.default`, the client-credentials scope. */
  scope: string;
}

function hostOf(url: string): string {
  try { return new URL(url).hostname.toLowerCase(); } catch { return ''; }
}

export function isPublicAuthorityHost(authorityHost: string): boolean {
  return PUBLIC_AUTHORITY_HOSTS.has(hostOf(authorityHost));
}

export function isPublicKeyVaultHost(vaultUrl: string): boolean {
  const host = hostOf(vaultUrl);
  return PUBLIC_VAULT_DOMAINS.some((d) => host === d || host.endsWith(`.${d}`));
}

/** The client-credentials scope for a Graph endpoint (`https://graph.microsoft.us/.default`). */
export function graphScope(graphBaseUrl: string): string {
  return `${graphBaseUrl.replace(/\/+$/, '')}/.default`;
}

/** Parses an https origin setting; a path (other than "/") or query is refused: it would break URLs built on it. */
export function readHttpsOrigin(env: SettingsSource, name: string, fallback: string): string {
  const raw = readString(env, name);
  if (raw === undefined) return fallback;
  let url: URL;
  try { url = new URL(raw); } catch { throw new ConfigError(name, `expected an https URL such as ${fallback}, got "${raw}"`); }
  if (url.protocol !== 'https:') throw new ConfigError(name, `must use https, got "${raw}"`);
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash || url.username || url.password) {
    throw new ConfigError(name, `must be only scheme and host (like ${fallback}), without path or query; got "${url.origin}${url.pathname}"`);
  }
  return url.origin;
}

function cloudOfGraph(graphBaseUrl: string): KnownCloud | undefined {
  const host = hostOf(graphBaseUrl);
  return KNOWN_CLOUDS.find((c) => hostOf(c.graphBaseUrl) === host);
}

/**
 * GRAPH_BASE_URL and GRAPH_AUTHORITY_HOST. When only GRAPH_BASE_URL names a sovereign cloud, the
 * authority defaults to that cloud's login host (the global one would issue unusable tokens).
 */
export function parseGraphCloud(env: SettingsSource): GraphCloudOptions {
  const graphBaseUrl = readHttpsOrigin(env, 'GRAPH_BASE_URL', DEFAULT_GRAPH_BASE_URL);
  const cloud = cloudOfGraph(graphBaseUrl);
  const explicitAuthority = readString(env, 'GRAPH_AUTHORITY_HOST') !== undefined;
  const authorityHost = readHttpsOrigin(env, 'GRAPH_AUTHORITY_HOST', cloud?.authorityHost ?? DEFAULT_AUTHORITY_HOST);
  if (explicitAuthority && cloud) {
    const authorityClouds = KNOWN_CLOUDS.filter((c) => hostOf(c.authorityHost) === hostOf(authorityHost));
    if (authorityClouds.length > 0 && !authorityClouds.some((c) => c.name === cloud.name)) {
      throw new ConfigError('GRAPH_AUTHORITY_HOST',
        `${authorityHost} belongs to another cloud than GRAPH_BASE_URL ${graphBaseUrl} (${cloud.displayName}); tokens are not interchangeable between clouds: use ${cloud.authorityHost}`);
    }
  }
  return {
    graphBaseUrl,
    authorityHost,
    ...(cloud ? { cloud: cloud.name } : {}),
    disableInstanceDiscovery: !isPublicAuthorityHost(authorityHost),
    scope: graphScope(graphBaseUrl),
  };
}
