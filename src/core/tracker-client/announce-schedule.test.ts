/** The announce schedule on a virtual clock: tiers, back-off, intervals and events. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seededRng } from '../../lib/ports.js';
import {
  type AnnounceAttempt,
  AnnounceSchedule,
  type AnnounceScheduleOptions,
  type TrackerTiming,
} from './announce-schedule.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;

/** No jitter, so back-offs are exact. */
const EXACT: Partial<AnnounceScheduleOptions> = { backoffJitter: 0 };

/** A schedule on a virtual clock, with helpers that play the runtime's part. */
class Driver {
  now = 0;
  readonly sent: AnnounceAttempt[] = [];
  readonly schedule: AnnounceSchedule;

  constructor(tiers: string[][], options: Partial<AnnounceScheduleOptions> = EXACT, seed = 1) {
    this.schedule = new AnnounceSchedule(tiers, seededRng(seed), options);
  }

  /** Sends what is due now; fails the test if nothing is. */
  send(): AnnounceAttempt {
    const due = this.schedule.due(this.now);
    assert.equal(due.kind, 'announce', `nothing due at ${this.now}: ${JSON.stringify(due)}`);
    if (due.kind !== 'announce') throw new Error('unreachable');
    assert.ok(this.schedule.begin(due.attempt, this.now));
    this.sent.push(due.attempt);
    return due.attempt;
  }

  ok(timing: TrackerTiming = { interval: 1800 }): AnnounceAttempt {
    const a = this.send();
    this.schedule.succeeded(a, timing, this.now);
    return a;
  }

  fail(): AnnounceAttempt {
    const a = this.send();
    this.schedule.failed(a, this.now);
    return a;
  }

  /** When the next announce is due (now if it already is). */
  nextAt(): number {
    const due = this.schedule.due(this.now);
    if (due.kind === 'announce') return this.now;
    assert.equal(due.kind, 'wait', JSON.stringify(due));
    return due.kind === 'wait' ? due.at : Number.NaN;
  }

  advanceToNext(): void {
    this.now = this.nextAt();
  }
}

const started = (tiers: string[][], options?: Partial<AnnounceScheduleOptions>): Driver => {
  const d = new Driver(tiers, options);
  d.schedule.start(d.now);
  return d;
};

describe('announce schedule: events', () => {
  it('says nothing before start and sends started first', () => {
    const d = new Driver([['http://a/announce']]);
    assert.deepEqual(d.schedule.due(0), { kind: 'idle' });
    d.schedule.start(0);
    const a = d.ok();
    assert.equal(a.event, 'started');
    assert.equal(a.url, 'http://a/announce');
    d.advanceToNext();
    assert.equal(d.ok().event, 'none');
  });

  it('waits for the announce in flight before anything else', () => {
    const d = started([['http://a/announce']]);
    const a = d.send();
    assert.deepEqual(d.schedule.due(d.now), { kind: 'busy' });
    d.schedule.completed(d.now);
    d.schedule.reannounceSoon(d.now);
    assert.deepEqual(d.schedule.due(d.now + 10 * MINUTE), { kind: 'busy' });
    d.schedule.succeeded(a, { interval: 1800 }, d.now);
    assert.equal(d.schedule.due(d.now).kind, 'announce');
  });

  it('sends completed once, at once, to the working tracker', () => {
    const d = started([['http://a/announce'], ['http://b/announce']]);
    d.ok();
    d.now += 5 * MINUTE;
    d.schedule.completed(d.now);
    const c = d.ok();
    assert.deepEqual([c.event, c.url], ['completed', 'http://a/announce']);
    d.schedule.completed(d.now);
    d.advanceToNext();
    assert.equal(d.now, 5 * MINUTE + 30 * MINUTE);
    assert.equal(d.ok().event, 'none');
  });

  it('sends a completed that arrived during started right after it', () => {
    const d = started([['http://a/announce']]);
    const s = d.send();
    d.schedule.completed(d.now);
    d.now += SECOND;
    d.schedule.succeeded(s, { interval: 1800 }, d.now);
    assert.equal(d.ok().event, 'completed');
  });

  it('sends no completed after a started that already had left = 0 (BEP 3)', () => {
    const d = started([['http://a/announce']]);
    d.schedule.completed(d.now);
    assert.equal(d.ok().event, 'started');
    d.advanceToNext();
    assert.equal(d.now, 30 * MINUTE);
    assert.equal(d.ok().event, 'none');
  });

  it('keeps a failed completed pending and gives it to the next announce', () => {
    const d = started([['http://a/announce', 'http://b/announce']]);
    const first = d.ok();
    d.schedule.completed(d.now);
    const c = d.fail();
    assert.deepEqual([c.event, c.url], ['completed', first.url]);
    // The other tracker never heard started: it gets started (with left = 0), no completed.
    const next = d.ok();
    assert.equal(next.event, 'started');
    assert.notEqual(next.url, first.url);
    d.advanceToNext();
    assert.equal(d.ok().event, 'none');
  });

  it('sends stopped to the working tracker, whatever its back-off, then goes quiet', () => {
    const d = started([['http://a/announce'], ['http://b/announce']]);
    d.ok();
    d.advanceToNext();
    d.fail();
    d.schedule.stop(d.now);
    const s = d.send();
    assert.deepEqual([s.event, s.url], ['stopped', 'http://a/announce']);
    d.schedule.failed(s, d.now);
    assert.equal(d.schedule.state, 'stopped');
    assert.deepEqual(d.schedule.due(d.now + 3 * 60 * MINUTE), { kind: 'idle' });
  });

  it('sends no stopped when no tracker ever answered', () => {
    const d = started([['http://a/announce']]);
    d.fail();
    d.schedule.stop(d.now);
    assert.equal(d.schedule.state, 'stopped');
    assert.deepEqual(d.schedule.due(d.now), { kind: 'idle' });
  });

  it('waits for the announce in flight at stop, then stops the tracker that answered', () => {
    const d = started([['http://a/announce']]);
    const a = d.send();
    d.schedule.stop(d.now);
    assert.equal(d.schedule.state, 'stopping');
    assert.deepEqual(d.schedule.due(d.now), { kind: 'busy' });
    d.schedule.succeeded(a, {}, d.now);
    const s = d.ok();
    assert.equal(s.event, 'stopped');
    assert.equal(d.schedule.state, 'stopped');
  });

  it('stops quietly when the announce in flight at stop fails and nobody answered before', () => {
    const d = started([['http://a/announce']]);
    const a = d.send();
    d.schedule.stop(d.now);
    d.schedule.failed(a, d.now);
    assert.equal(d.schedule.state, 'stopped');
  });

  it('starts a new session with started again', () => {
    const d = started([['http://a/announce']]);
    d.ok();
    d.schedule.stop(d.now);
    d.ok();
    d.now += MINUTE;
    d.schedule.start(d.now);
    assert.equal(d.ok().event, 'started');
  });

  it('ignores outcomes of attempts that are not in flight and refuses stale attempts', () => {
    const d = started([['http://a/announce']]);
    const a = d.ok();
    d.schedule.failed(a, d.now);
    assert.equal(d.schedule.trackers()[0]?.failures, 0);
    assert.equal(d.schedule.begin(a, d.now + 31 * MINUTE), false);
  });
});

describe('announce schedule: timing', () => {
  it('announces every interval the tracker gives', () => {
    const d = started([['http://a/announce']]);
    d.ok({ interval: 600 });
    assert.equal(d.nextAt(), 600 * SECOND);
    d.advanceToNext();
    d.ok({ interval: 900 });
    assert.equal(d.nextAt(), 1500 * SECOND);
  });

  it('uses 30 minutes without an interval and clamps absurd ones to [30 s, 2 h]', () => {
    const d = started([['http://a/announce']]);
    d.ok({});
    assert.equal(d.nextAt(), 30 * MINUTE);
    d.advanceToNext();
    d.ok({ interval: 0 });
    assert.equal(d.nextAt() - d.now, 30 * SECOND);
    d.advanceToNext();
    d.ok({ interval: 365 * 24 * 3600 });
    assert.equal(d.nextAt() - d.now, 2 * 60 * MINUTE);
  });

  it('reannounces soon, but not before min interval (default 1 minute)', () => {
    const d = started([['http://a/announce']]);
    d.schedule.reannounceSoon(d.now);
    d.ok({ interval: 1800 });
    d.now += 10 * SECOND;
    d.schedule.reannounceSoon(d.now);
    assert.equal(d.nextAt(), MINUTE);
    d.advanceToNext();
    d.ok({ interval: 1800, minInterval: 300 });
    d.now += 20 * MINUTE;
    d.schedule.reannounceSoon(d.now);
    assert.equal(d.nextAt(), d.now);
    d.ok({ interval: 1800, minInterval: 300 });
    // Never later than the regular announce, and min interval never above the interval.
    d.advanceToNext();
    d.ok({ interval: 60, minInterval: 900 });
    d.schedule.reannounceSoon(d.now);
    assert.equal(d.nextAt() - d.now, 60 * SECOND);
  });

  it('shrinks its bounds when told to (for tests)', () => {
    const d = started([['http://a/announce']], {
      ...EXACT,
      intervalBoundsMs: [100, 200],
      minIntervalBoundsMs: [0, 0],
    });
    d.ok({ interval: 1800, minInterval: 900 });
    assert.equal(d.nextAt(), 200);
    d.schedule.reannounceSoon(d.now);
    assert.equal(d.nextAt(), d.now);
  });

  it('backs off 15 s, doubling up to 30 minutes', () => {
    const d = started([['http://a/announce']]);
    const waits: number[] = [];
    for (let i = 0; i < 10; i++) {
      d.fail();
      waits.push(d.nextAt() - d.now);
      d.advanceToNext();
    }
    assert.deepEqual(
      waits.map((w) => w / SECOND),
      [15, 30, 60, 120, 240, 480, 960, 1800, 1800, 1800],
    );
    assert.equal(d.ok().event, 'started');
    assert.equal(d.schedule.trackers()[0]?.failures, 0);
    assert.equal(d.nextAt() - d.now, 30 * MINUTE);
  });

  it('jitters back-offs downwards only, within the jitter fraction', () => {
    const d = started([['http://a/announce']], { backoffJitter: 0.25 });
    const seen = new Set<number>();
    for (let failures = 1; failures <= 12; failures++) {
      const full = Math.min(15 * SECOND * 2 ** (failures - 1), 30 * MINUTE);
      const b = d.schedule.backoffMs(failures);
      assert.ok(b <= full && b >= 0.75 * full, `${b} for ${failures}`);
      seen.add(b / full);
    }
    assert.ok(seen.size > 1, 'jitter varies');
  });
});

describe('announce schedule: tiers (BEP 12)', () => {
  it('tries the next tracker of the tier at once, then the next tier', () => {
    const d = started([['http://a1/', 'http://a2/'], ['http://b/']]);
    const order = d.schedule.trackers().map((t) => t.url);
    const f1 = d.fail();
    const f2 = d.fail();
    const b = d.ok();
    assert.deepEqual([f1.url, f2.url, b.url], order);
    assert.deepEqual([f1.tier, f2.tier, b.tier], [0, 0, 1]);
    assert.ok([f1, f2, b].every((a) => a.event === 'started'));
  });

  it('waits for the earliest back-off when every tracker failed', () => {
    const d = started([['http://a/'], ['http://b/']]);
    d.fail();
    d.now += 5 * SECOND;
    d.fail();
    assert.equal(d.nextAt(), 15 * SECOND);
    d.advanceToNext();
    assert.equal(d.send().url, 'http://a/');
  });

  it('moves a tracker that answered to the front of its tier', () => {
    const d = started([['http://1/', 'http://2/', 'http://3/']]);
    const before = d.schedule.trackers().map((t) => t.url);
    d.fail();
    d.fail();
    const third = d.ok();
    assert.equal(third.url, before[2]);
    assert.deepEqual(
      d.schedule.trackers().map((t) => t.url),
      [before[2], before[0], before[1]],
    );
    // ...and the regular announce goes to it, though the others' back-offs are over.
    d.advanceToNext();
    assert.equal(d.ok().url, before[2]);
  });

  it('goes back to a higher tier once its back-off is over', () => {
    const d = started([['http://a/'], ['http://b/']]);
    d.fail();
    assert.equal(d.ok({ interval: 60 }).url, 'http://b/');
    d.advanceToNext();
    const retry = d.send();
    assert.deepEqual([retry.url, retry.event], ['http://a/', 'started']);
  });

  it('shuffles each tier with the Rng, deterministically, and keeps tiers apart', () => {
    const tier = ['http://1/', 'http://2/', 'http://3/', 'http://4/', 'http://5/'];
    const orders = new Set<string>();
    for (let seed = 1; seed <= 20; seed++) {
      const s = new AnnounceSchedule([tier, ['http://x/']], seededRng(seed));
      const again = new AnnounceSchedule([tier, ['http://x/']], seededRng(seed));
      const urls = s.trackers().map((t) => t.url);
      assert.deepEqual(
        again.trackers().map((t) => t.url),
        urls,
      );
      assert.deepEqual([...urls.slice(0, 5)].sort(), tier);
      assert.equal(urls[5], 'http://x/');
      orders.add(urls.join(' '));
    }
    assert.ok(orders.size > 5, `only ${orders.size} orders`);
  });

  it('drops empty tiers and repeats within a tier, and is idle without trackers', () => {
    const s = new AnnounceSchedule([[], ['http://a/', 'http://a/']], seededRng(1));
    assert.deepEqual(
      s.trackers().map((t) => [t.url, t.tier]),
      [['http://a/', 0]],
    );
    const none = new AnnounceSchedule([], seededRng(1));
    none.start(0);
    assert.deepEqual(none.due(0), { kind: 'idle' });
  });
});
