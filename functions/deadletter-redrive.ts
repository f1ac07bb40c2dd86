import { app, type InvocationContext, type Timer } from '@azure/functions';
import { invocationLogger } from '../shared/observability/invocation-logger';
import { getRuntime } from '../shared/app/runtime';
import { createDeadLetterStore } from '../shared/deadletter/create';
import { readRedriveSettings, redriveDeadLetters, type RedriveResult, type Reprocess } from '../shared/deadletter/redrive';
import { isDeadLetterUnitStore, type DeadLetterUnitStore } from '../shared/deadletter/unit';
import type { SettingsSource } from '../shared/config/env';
import type { Logger } from '../shared/observability/log';
import type { Sink } from '../shared/sinks/types';

/**
 * Timer-triggered dead-letter redrive (schedule %DEADLETTER_REDRIVE_SCHEDULE%, default every 15 min).
 * Timer functions run as a singleton across instances, so two redrives never work on one store at once.
 * Units that still cannot be delivered stay and are logged; only a failure to reach the store itself
 * fails the invocation (so it shows as a failed run in App Insights).
 */

export const REDRIVE_FUNCTION_NAME = 'deadletterRedrive';

export interface RedriveDeps {
  sinks: readonly Sink[];
  store: DeadLetterUnitStore;
  /** Re-parses parse-error entries; without it they stay in the store. */
  reprocess?: Reprocess;
}


export function makeRedriveHandler(
  provider: (logger: Logger) => Promise<RedriveDeps>,
  env: SettingsSource = process.env,
): (timer: Timer, context: InvocationContext) => Promise<RedriveResult> {
  return async (timer, context) => {
    const logger = invocationLogger(context);
    const { budgetMs } = readRedriveSettings(env);
    if (timer.isPastDue) logger.warn('dead-letter redrive is running late (missed schedule)');
    const deps = await provider(logger);
    const result = await redriveDeadLetters({ store: deps.store, sinks: deps.sinks, reprocess: deps.reprocess, logger, budgetMs });
    if (!result.complete && result.unitsSeen > 0) {
      logger.warn('dead letters remain after redrive', { unitsLeft: result.unitsSeen - result.unitsDeleted, entriesRemaining: result.entriesRemaining, unitsNotReached: result.unitsNotReached });
    }
    return result;
  };
}

let fallbackStore: DeadLetterUnitStore | undefined;

/** Dependencies from the app's composition root; its store is used when it can list units. */
export async function runtimeRedriveDeps(logger: Logger, env: SettingsSource = process.env): Promise<RedriveDeps> {
  const runtime = await getRuntime(env);
  const store = isDeadLetterUnitStore(runtime.deadLetters)
    ? runtime.deadLetters
    : (fallbackStore ??= createDeadLetterStore(env, logger));
  const reprocess = (runtime as { reprocess?: Reprocess }).reprocess;
  return { sinks: runtime.sinks, store, reprocess: typeof reprocess === 'function' ? reprocess.bind(runtime) : undefined };
}

export const redriveHandler = makeRedriveHandler((logger) => runtimeRedriveDeps(logger));

app.timer(REDRIVE_FUNCTION_NAME, {
  schedule: '%DEADLETTER_REDRIVE_SCHEDULE%',
  runOnStartup: false,
  // A timer has no output binding: the result is for tests and logs, not for the host.
  handler: async (timer, context) => { await redriveHandler(timer, context); },
});
