import { test } from 'node:test';
import assert from 'node:assert/strict';
import { epochMs, epochMsText, isCanonicalIso, leefDevTime, rfc3164Stamp, rfc3164StampOf } from '../../shared/formats/time';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Deterministic pseudo-random timestamps from 1900 to 2200, including leap days and month ends. */
function* timestamps(): Generator<number> {
  let x = 123456789;
  const lo = Date.UTC(1900, 0, 1), hi = Date.UTC(2200, 0, 1);
  for (let i = 0; i < 20000; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    yield lo + Math.floor((x / 2147483648) * (hi - lo));
  }
  for (const t of [Date.UTC(2024, 1, 29, 23, 59, 59, 999), Date.UTC(2000, 1, 29), Date.UTC(1970, 0, 1), Date.UTC(2026, 11, 31, 23, 59, 59, 999)]) yield t;
}

test('fast ISO conversions agree with Date for canonical timestamps', () => {
  for (const t of timestamps()) {
    const d = new Date(t);
    const iso = d.toISOString();
    assert.ok(isCanonicalIso(iso), iso);
    assert.equal(epochMs(iso), t, iso);
    assert.equal(epochMsText(iso), String(t), iso);
    const pad = (n: number, w = 2) => String(n).padStart(w, '0');
    assert.equal(leefDevTime(iso), `${MONTHS[d.getUTCMonth()]} ${pad(d.getUTCDate())} ${d.getUTCFullYear()} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)} UTC`);
    assert.equal(rfc3164StampOf(iso), rfc3164Stamp(d));
  }
});

test('non-canonical and invalid timestamps fall back to Date.parse or give up', () => {
  assert.equal(isCanonicalIso('2026-02-30T00:00:00.000Z'), false);
  assert.equal(isCanonicalIso('2026-11-23T15:00:00.1234567Z'), false);
  assert.equal(isCanonicalIso('2026-11-23T15:00:00.12aZ'), false);
  assert.equal(epochMs('2026-11-23T16:00:00+01:00'), Date.UTC(2026, 10, 23, 15));
  assert.equal(epochMs('2026-11-23T15:00:00.1234567Z'), Date.UTC(2026, 10, 23, 15, 0, 0, 123));
  assert.ok(Number.isNaN(epochMs('2026-02-30T00:00:00.000Z')) || epochMs('2026-02-30T00:00:00.000Z') === Date.parse('2026-02-30T00:00:00.000Z'));
  assert.ok(Number.isNaN(epochMs('nope')));
  assert.equal(epochMsText('nope'), undefined);
  assert.equal(epochMsText('1970-01-01T00:00:00.123Z'), '123');
  assert.equal(epochMsText('1969-12-31T23:59:59.877Z'), '-123');
  assert.equal(epochMsText('1970-01-01T00:00:01.005Z'), '1005');
  assert.equal(epochMsText('2026-11-23T16:00:00+01:00'), String(Date.UTC(2026, 10, 23, 15)));
  assert.equal(leefDevTime('2026-11-23T16:00:00+01:00'), 'Nov 23 2026 15:00:00.000 UTC');
  assert.equal(leefDevTime('nope'), undefined);
  assert.equal(rfc3164StampOf('2026-03-05T23:59:58.999-02:00'), 'Mar  6 01:59:58');
  assert.equal(rfc3164StampOf('nope'), undefined);
  assert.equal(rfc3164StampOf('2026-03-15T01:02:03.000Z'), 'Mar 15 01:02:03');
  assert.equal(rfc3164StampOf('2026-03-05T01:02:03.000Z'), 'Mar  5 01:02:03');
});
