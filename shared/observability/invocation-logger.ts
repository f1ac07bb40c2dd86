import type { Logger } from './log';

/** The logging half of the Functions host's InvocationContext (structurally typed: no host import here). */
export interface InvocationLog {
  log(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

/**
 * A Logger on an invocation's context, so lines land in Application Insights with the invocation id.
 * Properties go out as one JSON object after the message, which log queries can parse.
 */
export function invocationLogger(context: InvocationLog): Logger {
  const fmt = (m: string, p?: object) => (p ? `${m} ${JSON.stringify(p)}` : m);
  return {
    info: (m, p) => context.log(fmt(m, p)),
    warn: (m, p) => context.warn(fmt(m, p)),
    error: (m, p) => context.error(fmt(m, p)),
  };
}
