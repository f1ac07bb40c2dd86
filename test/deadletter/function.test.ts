import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InvocationContext, type Timer } from '@azure/functions';
import { makeRedriveHandler, REDRIVE_FUNCTION_NAME } from '../../functions/deadletter-redrive';
import { LocalDirDeadLetterStore } from '../../shared/deadletter/local-store';
import { DeliveryEngine } from '../../shared/delivery/engine';
import { MemoryLogger } from '../../shared/observability/log';
import { FakeSink, events, ids } from '../delivery/support';

const timer = (isPastDue = false): Timer => ({ isPastDue, schedule: { adjustForDST: false }, scheduleStatus: { last: '', next: '', lastUpdated: '' } });

function context(logs: Array<[string, string]>): InvocationContext {
  return new InvocationContext({
    invocationId: 'inv-1',
    functionName: REDRIVE_FUNCTION_NAME,
    logHandler: (level, ...args) => { logs.push([level, args.map(String).join(' ')]); },
  });
}

test('timer handler redrives with the given dependencies and logs what remains', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dl-fn-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const store = new LocalDirDeadLetterStore({ dir });
  const a = new FakeSink('a');
  const b = new FakeSink('b');
  a.state = 'down';
  b.state = 'down';
  await new DeliveryEngine({ sinks: [a, b], deadLetters: store, logger: new MemoryLogger() }).deliver(events(2));
  a.state = 'up';

  const handler = makeRedriveHandler(async () => ({ sinks: [a, b], store }), { DEADLETTER_REDRIVE_BUDGET_SECONDS: '60' });
  const logs: Array<[string, string]> = [];
  const r1 = await handler(timer(true), context(logs));
  assert.equal(r1.unitsRewritten, 1);
  assert.deepEqual(ids(a.received), ['evt-0', 'evt-1']);
  assert.ok(logs.some(([level, m]) => level === 'warning' && m.startsWith('dead-letter redrive is running late')));
  assert.ok(logs.some(([level, m]) => level === 'warning' && m.startsWith('dead letters remain after redrive')));

  b.state = 'up';
  const r2 = await handler(timer(), context([]));
  assert.equal(r2.complete, true);
  assert.deepEqual(ids(b.received), ['evt-0', 'evt-1']);
  assert.deepEqual(await store.list(), []);
});

test('timer handler fails the invocation when the store cannot be listed, and on a bad budget setting', async () => {
  const broken = {
    name: 'broken', put: async () => {}, read: async () => [], delete: async () => {},
    list: async () => { throw new Error('AuthorizationPermissionMismatch'); },
  };
  const handler = makeRedriveHandler(async () => ({ sinks: [new FakeSink('a')], store: broken }), {});
  await assert.rejects(handler(timer(), context([])), /AuthorizationPermissionMismatch/);
  const bad = makeRedriveHandler(async () => ({ sinks: [new FakeSink('a')], store: broken }), { DEADLETTER_REDRIVE_BUDGET_SECONDS: 'soon' });
  await assert.rejects(bad(timer(), context([])), /DEADLETTER_REDRIVE_BUDGET_SECONDS/);
});
