import { app, type EventHubFunctionOptions, type InvocationContext } from '@azure/functions';
import { getRuntime, type Runtime } from '../shared/app/runtime';
import type { Provenance } from '../shared/model/event';
import { invocationLogger } from '../shared/observability/invocation-logger';
import type { StreamingMessage } from '../shared/pipeline/streaming';

/**
 * Event Hub trigger for the Defender streaming export: a thin adapter from the trigger's batch to the
 * streaming pipeline. It returns only when every record was delivered or durably dead-lettered; if even
 * the dead-letter store fails it throws, and the infinite retry policy below keeps the batch (a throw
 * with a finite retry count would let the host checkpoint it away).
 */

export const STREAMING_FUNCTION_NAME = 'defenderStreaming';


function pick<T>(meta: Record<string, unknown> | undefined, key: string, i: number): T | undefined {
  const arr = meta?.[key];
  return Array.isArray(arr) ? (arr[i] as T) : undefined;
}

/** Pairs each message with its provenance from the batch metadata. */
export function messagesFromTrigger(messages: unknown, context: InvocationContext): StreamingMessage[] {
  const list = Array.isArray(messages) ? messages : [messages];
  const meta = context.triggerMetadata as Record<string, unknown> | undefined;
  const partitionContext = meta?.partitionContext as { PartitionId?: unknown; partitionId?: unknown } | undefined;
  const partitionId = partitionContext?.PartitionId ?? partitionContext?.partitionId;
  return list.map((body, i) => {
    const enqueued = pick<unknown>(meta, 'enqueuedTimeUtcArray', i);
    const sequence = pick<unknown>(meta, 'sequenceNumberArray', i);
    const offset = pick<unknown>(meta, 'offsetArray', i);
    const provenance: Provenance = {
      source: 'eventhub',
      partition: partitionId === undefined ? undefined : String(partitionId),
      sequenceNumber: typeof sequence === 'number' ? sequence : typeof sequence === 'string' ? Number(sequence) : undefined,
      offset: offset === undefined ? undefined : String(offset),
      enqueuedTime: enqueued === undefined ? undefined : enqueued instanceof Date ? enqueued.toISOString() : String(enqueued),
      messageIndex: i,
    };
    return { body, provenance };
  });
}

/** Builds the handler around a runtime provider (tests pass their own runtime; the app uses getRuntime). */
export function makeStreamingHandler(runtimeProvider: () => Promise<Runtime>): (messages: unknown, context: InvocationContext) => Promise<void> {
  return async (messages, context) => {
    const log = invocationLogger(context);
    const runtime = await runtimeProvider();
    const result = await runtime.processStreaming(messagesFromTrigger(messages, context));
    for (const bad of result.badRecords) {
      log.warn(`bad record dead-lettered: ${bad.reason}`, { provenance: JSON.stringify(bad.provenance) });
    }
    if (result.parseErrors > result.badRecords.length) {
      log.warn(`${result.parseErrors - result.badRecords.length} more bad records dead-lettered (not listed one by one)`);
    }
    log.info('streaming batch done', {
      messages: result.messages, records: result.records, events: result.events, bytes: result.bytes,
      parseErrors: result.parseErrors, delivered: result.delivered, deadLettered: result.deadLettered,
      workers: runtime.streamingWorkers, retryCount: context.retryContext?.retryCount ?? 0,
      ...result.counts,
    });
  };
}

export const streamingHandler = makeStreamingHandler(() => getRuntime());

/**
 * `dataType: 'string'`: without it the host JSON-parses every body of a `many` batch itself, and one
 * body that is not JSON fails the binding of the whole batch before our code runs (with infinite
 * retries, the partition would be stuck on it forever; azure-functions-eventhubs-extension#118). As
 * strings, a bad body reaches readBody, which dead-letters it alone. Strings are also what the
 * worker threads copy cheapest. The v4 library's types lack the property; the host reads it.
 */
const triggerOptions: EventHubFunctionOptions & { dataType: 'string' } = {
  dataType: 'string',
  connection: 'EventHubConnection',
  eventHubName: '%EVENTHUB_NAME%',
  consumerGroup: '%EVENTHUB_CONSUMER_GROUP%',
  cardinality: 'many',
  retry: { strategy: 'exponentialBackoff', maxRetryCount: -1, minimumInterval: { seconds: 10 }, maximumInterval: { minutes: 15 } },
  handler: streamingHandler,
};
app.eventHub(STREAMING_FUNCTION_NAME, triggerOptions);

// Under the Functions host, surface configuration errors when the worker loads, not only at the first event.
if (process.env.AZURE_FUNCTIONS_ENVIRONMENT || process.env.WEBSITE_SITE_NAME || process.env.FUNCTIONS_WORKER_DIRECTORY) {
  getRuntime().catch((err: unknown) => console.error(`defender-forwarder: ${(err as Error).message}`));
}
