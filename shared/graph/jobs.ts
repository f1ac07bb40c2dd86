/**
 * Scale-out: the timer enqueues one Storage Queue message per tenant and resource, and the
 * queue-triggered function polls one. Messages are base64-encoded JSON because the Functions queue
 * trigger decodes base64 by default (host.json `extensions.queues.messageEncoding`).
 */
import type { QueueClient } from '@azure/storage-queue';
import type { Logger } from '../observability/log';
import { parseResource, type GraphResource } from './types';

export interface PollJob {
  tenantId: string;
  resource: GraphResource;
  /** Why it was enqueued: `schedule`, or `continuation` after a run stopped at its time budget. */
  reason?: 'schedule' | 'continuation';
}

export class PollJobError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PollJobError';
  }
}

/** A job outlives at most a few schedule intervals: the next timer enqueues a fresh one anyway. */
export const JOB_TTL_SECONDS = 15 * 60;

export function encodeJob(job: PollJob): string {
  return Buffer.from(JSON.stringify(job), 'utf8').toString('base64');
}

/**
 * The trigger hands over the decoded message: an object when it was JSON, else a string (raw or still
 * base64 when the host is configured with messageEncoding none).
 */
export function decodeJob(message: unknown): PollJob {
  let value: unknown = message;
  if (typeof value === 'string') {
    const text = value.trim();
    const json = text.startsWith('{') ? text : Buffer.from(text, 'base64').toString('utf8');
    try {
      value = JSON.parse(json);
    } catch {
      throw new PollJobError('poll job message is not JSON');
    }
  }
  const o = value as { tenantId?: unknown; resource?: unknown; reason?: unknown } | null;
  if (!o || typeof o !== 'object' || typeof o.tenantId !== 'string' || typeof o.resource !== 'string') {
    throw new PollJobError('poll job message needs tenantId and resource strings');
  }
  const resource = parseResource(o.resource);
  if (!resource) throw new PollJobError(`poll job names an unknown resource "${o.resource.slice(0, 40)}"`);
  return { tenantId: o.tenantId, resource, reason: o.reason === 'continuation' ? 'continuation' : 'schedule' };
}

const ensured = new WeakSet<QueueClient>();

/** Enqueues one job per tenant; returns how many were enqueued. Throws if the queue cannot be reached. */
export async function enqueuePollJobs(queue: QueueClient, jobs: readonly PollJob[], logger: Logger): Promise<number> {
  if (!ensured.has(queue)) {
    await queue.createIfNotExists();
    ensured.add(queue);
  }
  let sent = 0;
  for (const job of jobs) {
    await queue.sendMessage(encodeJob(job), { messageTimeToLive: JOB_TTL_SECONDS });
    sent++;
  }
  logger.info('graph poll jobs enqueued', { queue: queue.name, jobs: sent });
  return sent;
}
