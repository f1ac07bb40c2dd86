import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { command, createDeadletterCommand, type DeadletterDeps } from '../../cli/commands/deadletter';
import type { CliIo } from '../../cli/command';
import type { SettingsSource } from '../../shared/config/env';
import { LocalDirDeadLetterStore } from '../../shared/deadletter/local-store';
import { parseFailureEntry } from '../../shared/deadletter/entries';
import { DeliveryEngine } from '../../shared/delivery/engine';
import { MemoryLogger } from '../../shared/observability/log';
import { FakeSink, events, ids } from '../delivery/support';

function io(env: SettingsSource = {}): CliIo & { out(): string; err(): string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => { out += d.toString(); });
  stderr.on('data', (d: Buffer) => { err += d.toString(); });
  return { stdin: new PassThrough(), stdout, stderr, env, isTTY: false, out: () => out, err: () => err };
}

function setup(t: { after(fn: () => void): void }) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dl-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  let clock = Date.parse('2025-02-07T19:05:00.000Z');
  const store = new LocalDirDeadLetterStore({ dir, now: () => new Date(clock += 1000) });
  const sink = new FakeSink('https://collector/ingest');
  let closed = 0;
  const deps: DeadletterDeps = {
    store: () => store,
    destinations: async () => ({ sinks: [sink], close: async () => { closed++; } }),
  };
  return { dir, store, sink, deps, closed: () => closed };
}

test('--help for the verb and each subcommand; no subcommand is a usage error', async () => {
  const cmd = createDeadletterCommand();
  for (const args of [['--help'], ['list', '--help'], ['redrive', '-h']]) {
    const x = io();
    assert.equal(await cmd.run(args, x), 0);
    assert.match(x.out(), /^Usage: defender-forwarder deadletter/);
  }
  const none = io();
  assert.equal(await cmd.run([], none), 2);
  const bad = io();
  assert.equal(await cmd.run(['purge'], bad), 2);
  assert.match(bad.err(), /unknown command "purge"/);
  const opt = io();
  assert.equal(await cmd.run(['redrive', '--max-units', 'many'], opt), 2);
  assert.match(opt.err(), /--max-units needs a whole number/);
  assert.equal(command.name, 'deadletter');
});

test('list: one line per unit (unit, kind, count, destinations, first reason) and totals', async (t) => {
  const { store, sink, deps, dir } = setup(t);
  const cmd = createDeadletterCommand(deps);
  const empty = io();
  assert.equal(await cmd.run(['list'], empty), 0);
  assert.equal(empty.out(), `0 unit(s), 0 entries: 0 delivery-failed, 0 parse-error (dir:${dir})\n`);

  sink.state = 'down';
  await new DeliveryEngine({ sinks: [sink], deadLetters: store, logger: new MemoryLogger() }).deliver(events(3));
  await store.put([parseFailureEntry({ reason: 'not JSON\r\n<13>1 forged header', provenance: { source: 'file', messageIndex: 0 }, body: '{', failedAt: '2025-02-07T19:00:00.000Z' })]);
  const x = io();
  assert.equal(await cmd.run(['list'], x), 0);
  const lines = x.out().split('\n');
  assert.equal(lines.length, 4);
  assert.match(lines[0], /^2025-02-07T19-05-01\.000Z-delivery-failed-[0-9a-f]{12}\.ndjson\tdelivery-failed\t3\thttps:\/\/collector\/ingest\tconnect ECONNREFUSED 127\.0\.0\.1:9$/);
  assert.match(lines[1], /^2025-02-07T19-05-02\.000Z-parse-error-[0-9a-f]{12}\.ndjson\tparse-error\t1\t-\tnot JSON <13>1 forged header$/);
  assert.equal(lines[2], `2 unit(s), 4 entries: 3 delivery-failed, 1 parse-error (dir:${dir})`);
  assert.equal(lines[3], '');

  const j = io();
  assert.equal(await cmd.run(['list', '--json'], j), 0);
  const parsed = JSON.parse(j.out()) as Array<{ count: number; kind: string }>;
  assert.deepEqual(parsed.map((u) => [u.kind, u.count]), [['delivery-failed', 3], ['parse-error', 1]]);
});

test('redrive: exit 1 while anything remains, 0 once everything was delivered; destinations closed', async (t) => {
  const { store, sink, deps, closed } = setup(t);
  const cmd = createDeadletterCommand(deps);
  sink.state = 'down';
  await new DeliveryEngine({ sinks: [sink], deadLetters: store, logger: new MemoryLogger() }).deliver(events(2));

  const down = io();
  assert.equal(await cmd.run(['redrive'], down), 1);
  assert.match(down.err(), /redriven 0 entries; units: 1 seen, 0 deleted, 0 partly redriven, 1 kept, 0 not reached; 2 entries remain/);
  assert.equal((await store.list()).length, 1);

  sink.state = 'up';
  const up = io();
  assert.equal(await cmd.run(['redrive'], up), 0);
  assert.match(up.err(), /redriven 2 entries; units: 1 seen, 1 deleted, 0 partly redriven, 0 kept, 0 not reached; 0 entries remain/);
  assert.deepEqual(ids(sink.received), ['evt-0', 'evt-1']);
  assert.deepEqual(await store.list(), []);
  assert.equal(closed(), 2);
});

test('redrive --max-units leaves the rest and exits 1', async (t) => {
  const { store, sink, deps } = setup(t);
  sink.state = 'down';
  const engine = new DeliveryEngine({ sinks: [sink], deadLetters: store, logger: new MemoryLogger() });
  await engine.deliver(events(1, 0));
  await engine.deliver(events(1, 1));
  sink.state = 'up';
  const x = io();
  assert.equal(await createDeadletterCommand(deps).run(['redrive', '--max-units', '1'], x), 1);
  assert.match(x.err(), /1 deleted.*1 not reached/);
  assert.deepEqual(ids(sink.received), ['evt-0']);
});

test('a configuration error exits 2 and names the setting', async () => {
  const x = io({ AzureWebJobsStorage: 'UseDevelopmentStorage=true', DEADLETTER_CONTAINER: 'Bad_Name' });
  assert.equal(await command.run(['list'], x), 2);
  assert.match(x.err(), /^deadletter list: Configuration error in DEADLETTER_CONTAINER:/);
});

test('default deps: list and redrive a local DEADLETTER_DIR to DESTINATION=stdout through the app runtime', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dl-cli-default-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const store = new LocalDirDeadLetterStore({ dir });
  const stdoutSink = new FakeSink('stdout');
  stdoutSink.state = 'down';
  await new DeliveryEngine({ sinks: [stdoutSink], deadLetters: store, logger: new MemoryLogger() }).deliver(events(2));
  const env = { DEADLETTER_DIR: dir, DESTINATION: 'stdout' };

  const l = io(env);
  assert.equal(await command.run(['list'], l), 0);
  assert.match(l.out(), /\tdelivery-failed\t2\tstdout\t/);

  const r = io(env);
  const code = await command.run(['redrive'], r);
  assert.equal(code, 0, r.err());
  const lines = r.out().trim().split('\n').map((s) => JSON.parse(s) as { event: { id: string } });
  assert.deepEqual(lines.map((e) => e.event.id), ['evt-0', 'evt-1']);
  assert.deepEqual(await store.list(), []);
});
