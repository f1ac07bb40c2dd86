/**
 * Logging and counters without globals: components take a Logger in their options. In the Function App
 * it wraps the InvocationContext (App Insights via the host); in the CLI it writes to stderr.
 * Never pass secrets in messages or properties.
 */
export type LogProperties = Readonly<Record<string, string | number | boolean | undefined>>;

export interface Logger {
  info(message: string, properties?: LogProperties): void;
  warn(message: string, properties?: LogProperties): void;
  error(message: string, properties?: LogProperties): void;
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };

/** A logger that records entries in memory, for tests and for the CLI summary. */
export class MemoryLogger implements Logger {
  readonly entries: Array<{ level: 'info' | 'warn' | 'error'; message: string; properties?: LogProperties }> = [];
  info(message: string, properties?: LogProperties): void { this.entries.push({ level: 'info', message, properties }); }
  warn(message: string, properties?: LogProperties): void { this.entries.push({ level: 'warn', message, properties }); }
  error(message: string, properties?: LogProperties): void { this.entries.push({ level: 'error', message, properties }); }
}

/** Counters per name and destination, e.g. `delivered` / `syslog+tcp://siem:514`, logged per invocation. */
export class Counters {
  private readonly values = new Map<string, number>();
  add(name: string, n = 1, destination?: string): void {
    const key = destination ? `${name}|${destination}` : name;
    this.values.set(key, (this.values.get(key) ?? 0) + n);
  }
  get(name: string, destination?: string): number {
    return this.values.get(destination ? `${name}|${destination}` : name) ?? 0;
  }
  /** Adds the increments of another Counters' snapshot (a worker thread's, for example). */
  merge(delta: Readonly<Record<string, number>>): void {
    for (const [key, n] of Object.entries(delta)) this.values.set(key, (this.values.get(key) ?? 0) + n);
  }
  /** Flat properties for one structured log line (`delivered|syslog+tcp://x:514` => 10). */
  snapshot(): Record<string, number> {
    return Object.fromEntries(this.values);
  }
}
