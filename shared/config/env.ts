/**
 * Reading settings: every component parses the settings it owns, once, from this map into a typed
 * options object, and throws ConfigError naming the setting and what is wrong with it.
 */
export type SettingsSource = Readonly<Record<string, string | undefined>>;

export class ConfigError extends Error {
  constructor(readonly setting: string, problem: string) {
    super(`Configuration error in ${setting}: ${problem}`);
    this.name = 'ConfigError';
  }
}

/** The value, trimmed; undefined when unset or blank. */
export function readString(env: SettingsSource, name: string): string | undefined {
  const v = env[name];
  if (v === undefined) return undefined;
  const t = v.trim();
  return t === '' ? undefined : t;
}

export function readBoolean(env: SettingsSource, name: string, fallback: boolean): boolean {
  const v = readString(env, name);
  if (v === undefined) return fallback;
  const l = v.toLowerCase();
  if (l === 'true' || l === '1' || l === 'yes' || l === 'on') return true;
  if (l === 'false' || l === '0' || l === 'no' || l === 'off') return false;
  throw new ConfigError(name, `expected true or false, got "${v}"`);
}

export function readInteger(env: SettingsSource, name: string, fallback: number, min: number, max: number): number {
  const v = readString(env, name);
  if (v === undefined) return fallback;
  if (!/^-?\d+$/.test(v)) throw new ConfigError(name, `expected a whole number, got "${v}"`);
  const n = Number(v);
  if (n < min || n > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${n}`);
  return n;
}

export function readEnum<T extends string>(env: SettingsSource, name: string, allowed: readonly T[], fallback: T): T {
  const v = readString(env, name);
  if (v === undefined) return fallback;
  const match = allowed.find((a) => a.toLowerCase() === v.toLowerCase());
  if (!match) throw new ConfigError(name, `expected one of ${allowed.join(', ')}, got "${v}"`);
  return match;
}
