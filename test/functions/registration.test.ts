import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import Module from 'node:module';
import path from 'node:path';
import { test } from 'node:test';
import { SETTINGS } from '../../shared/config/catalog';

/**
 * Loads the built entry points named by package.json `main`, as the Functions host does, with a stand-in
 * for the host's `@azure/functions-core` that records what each module registers. Handler tests alone
 * can pass while the host indexes zero functions; this is the host's view.
 */
const ROOT = path.join(__dirname, '..', '..', '..');

interface Binding { type: string; direction: string; [k: string]: unknown }
interface Registered { name: string; bindings: Record<string, Binding>; retryOptions?: Record<string, unknown> }

function loadRegistrations(): Registered[] {
  const registered: Registered[] = [];
  const core = {
    setProgrammingModel() {},
    getProgrammingModel() { return undefined; },
    registerFunction(metadata: Registered) { registered.push(metadata); return { dispose() {} }; },
    registerHook() { return { dispose() {} }; },
    log() {},
  };
  const mod = Module as unknown as { _resolveFilename: (req: string, ...rest: unknown[]) => string };
  const resolve = mod._resolveFilename;
  mod._resolveFilename = function (request: string, ...rest: unknown[]) {
    return request === '@azure/functions-core' ? '@azure/functions-core' : resolve.call(this, request, ...rest);
  };
  require.cache['@azure/functions-core'] = { id: '@azure/functions-core', filename: '@azure/functions-core', loaded: true, exports: core } as unknown as NodeJS.Module;
  const main = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { main: string }).main;
  assert.match(main, /^dist\/functions\/\*\.js$/, 'package.json main is the glob the host expands');
  const dir = path.join(ROOT, path.dirname(main));
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.js')).sort()) require(path.join(dir, f));
  return registered;
}

const registered = loadRegistrations();
const byName = new Map(registered.map((r) => [r.name, r]));
const trigger = (name: string): Binding => {
  const fn = byName.get(name);
  assert.ok(fn, `${name} is registered (registered: ${[...byName.keys()].join(', ')})`);
  const t = Object.values(fn.bindings).find((b) => /Trigger$/.test(b.type));
  assert.ok(t, `${name} has a trigger`);
  return t;
};

test('every function module registers its functions with the host', () => {
  assert.deepEqual([...byName.keys()].sort(), ['deadletterRedrive', 'defenderStreaming', 'graphAlertsTimer', 'graphIncidentsTimer', 'graphPollWorker']);
});

test('the streaming function: Event Hub trigger, batch cardinality, settings-driven hub/group/connection, infinite retry', () => {
  const t = trigger('defenderStreaming');
  assert.equal(t.type, 'eventHubTrigger');
  assert.equal(t.direction, 'in');
  assert.equal(t.eventHubName, '%EVENTHUB_NAME%');
  assert.equal(t.consumerGroup, '%EVENTHUB_CONSUMER_GROUP%');
  assert.equal(t.connection, 'EventHubConnection');
  assert.equal(t.cardinality, 'many');
  assert.equal(t.dataType, 'string', 'bodies as strings: a non-JSON body must reach our parser, not fail the host binding of the whole batch');
  const retry = byName.get('defenderStreaming')!.retryOptions!;
  assert.equal(retry.strategy, 'exponentialBackoff');
  assert.equal(retry.maxRetryCount, -1, 'a finite retry count would let the host checkpoint a failed batch away');
});

test('timers and the poll queue trigger read their schedules and queue from settings', () => {
  assert.equal(trigger('deadletterRedrive').type, 'timerTrigger');
  assert.equal(trigger('deadletterRedrive').schedule, '%DEADLETTER_REDRIVE_SCHEDULE%');
  for (const [name, setting] of [['graphIncidentsTimer', 'GRAPH_INCIDENTS_SCHEDULE'], ['graphAlertsTimer', 'GRAPH_ALERTS_SCHEDULE']]) {
    const t = trigger(name);
    assert.equal(t.type, 'timerTrigger');
    assert.ok(t.schedule === `%${setting}%` || /^[\d*/ ,-]+$/.test(String(t.schedule)), `${name} schedule ${String(t.schedule)}`);
    assert.notEqual(t.runOnStartup, true, 'runOnStartup would poll on every scale-out');
  }
  const q = trigger('graphPollWorker');
  assert.equal(q.type, 'queueTrigger');
  assert.equal(q.connection, 'AzureWebJobsStorage');
  assert.ok(q.queueName === '%GRAPH_POLL_QUEUE%' || q.queueName === 'graph-poll', String(q.queueName));
});

test('every %SETTING% a binding names is a documented app setting', () => {
  const app = new Set(SETTINGS.filter((s) => s.scope === 'app').map((s) => s.name));
  for (const fn of registered) {
    for (const b of Object.values(fn.bindings)) {
      for (const v of Object.values(b)) {
        for (const m of String(v).matchAll(/%([A-Za-z0-9_]+)%/g)) assert.ok(app.has(m[1]), `${fn.name} binding names %${m[1]}%, which is not an app setting in the catalog`);
      }
    }
  }
});
