/**
 * Retry with exponential backoff and full jitter inside a time budget, shared by every sink and by the
 * Graph client. The budget is what keeps an invocation below the function timeout: once the next wait
 * would pass it, the caller gets the last error and dead-letters.
 */

/** What a failed attempt means. `retryAfterMs` (from Retry-After) overrides the backoff delay. */
export type RetryDecision =
  | { retry: false; reason: string }
  | { retry: true; reason: string; retryAfterMs?: number };

export interface RetryOptions {
  /** Total time, from the first attempt, that retries may take. */
  budgetMs: number;
  /** First backoff delay before jitter. Default 500 ms. */
  baseDelayMs?: number;
  /** Longest single backoff delay. Default 30 s. */
  maxDelayMs?: number;
  /** Most attempts in all (first included). Default unlimited within the budget. */
  maxAttempts?: number;
  /** Injected for tests. */
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  /** Called before each wait, e.g. to log and count retries. */
  onRetry?: (info: { attempt: number; delayMs: number; reason: string }) => void;
}

export class RetryExhaustedError extends Error {
  constructor(readonly attempts: number, readonly lastReason: string, readonly lastError: unknown, readonly permanent: boolean) {
    super(`${permanent ? 'permanent failure' : `gave up after ${attempts} attempt(s)`}: ${lastReason}`);
    this.name = 'RetryExhaustedError';
  }
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Delay before retry number `attempt` (1-based): full jitter over base * 2^(attempt-1), capped. */
export function backoffDelay(attempt: number, baseDelayMs: number, maxDelayMs: number, random: () => number): number {
  const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.min(attempt - 1, 30));
  return Math.floor(ceiling / 2 + random() * (ceiling / 2));
}

/**
 * Runs `op` until it succeeds, `classify` says the error is permanent, or the budget is spent.
 * Throws RetryExhaustedError carrying the attempt count and the last reason.
 */
export async function withRetry<T>(
  op: (attempt: number) => Promise<T>,
  classify: (err: unknown) => RetryDecision,
  options: RetryOptions,
): Promise<T> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? defaultSleep;
  const random = options.random ?? Math.random;
  const base = options.baseDelayMs ?? 500;
  const max = options.maxDelayMs ?? 30_000;
  const deadline = now() + options.budgetMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await op(attempt);
    } catch (err) {
      const decision = classify(err);
      if (!decision.retry) throw new RetryExhaustedError(attempt, decision.reason, err, true);
      if (options.maxAttempts !== undefined && attempt >= options.maxAttempts) {
        throw new RetryExhaustedError(attempt, decision.reason, err, false);
      }
      const delay = decision.retryAfterMs ?? backoffDelay(attempt, base, max, random);
      if (now() + delay > deadline) throw new RetryExhaustedError(attempt, decision.reason, err, false);
      options.onRetry?.({ attempt, delayMs: delay, reason: decision.reason });
      await sleep(delay);
    }
  }
}

/** Parses Retry-After (seconds or HTTP date) into milliseconds; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined | null, now: number = Date.now()): number | undefined {
  if (value === undefined || value === null) return undefined;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const date = Date.parse(v);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** The HTTP statuses worth retrying: 408, 429 and every 5xx. Other 4xx never are. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status <= 599);
}

/** Network-level errors (refused, reset, timeout, DNS) that deserve another attempt. */
export function isTransientNetworkError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && [
    'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ESOCKETTIMEDOUT', 'ECONNABORTED', 'EHOSTUNREACH',
    'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND', 'ERR_SOCKET_CONNECTION_TIMEOUT', 'UND_ERR_SOCKET', 'ERR_STREAM_PREMATURE_CLOSE',
  ].includes(code);
}
