/**
 * Property tests for the announce schedule: random tiers and random sequences of time steps,
 * outcomes, completions, reannounce requests, stops and restarts, checked against the BEP 12
 * tier rules and the event rules of STATE.md after every step.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { seededRng } from '../../lib/ports.js';
import { type AnnounceAttempt, AnnounceSchedule, type TrackerStatus } from './announce-schedule.js';

type Op =
  | { readonly kind: 'advance'; readonly ms: number }
  | { readonly kind: 'begin' }
  | {
      readonly kind: 'settle';
      readonly ok: boolean;
      readonly interval: number | undefined;
      readonly minInterval: number | undefined;
    }
  | { readonly kind: 'completed' }
  | { readonly kind: 'soon' }
  | { readonly kind: 'stop' }
  | { readonly kind: 'start' };

const seconds = fc.option(fc.integer({ min: 0, max: 400_000 }), { nil: undefined });

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .integer({ min: 0, max: 3 * 3600_000 })
      .map((ms) => ({ kind: 'advance' as const, ms })),
  },
  { weight: 5, arbitrary: fc.constant({ kind: 'begin' as const }) },
  {
    weight: 5,
    arbitrary: fc
      .record({ ok: fc.boolean(), interval: seconds, minInterval: seconds })
      .map((r) => ({ kind: 'settle' as const, ...r })),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'completed' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'soon' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'stop' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'start' as const }) },
);

/** 1..4 tiers of 1..4 distinct URLs. */
const tiersArb: fc.Arbitrary<string[][]> = fc
  .array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 })
  .map((sizes) => sizes.map((n, t) => Array.from({ length: n }, (_, i) => `http://t${t}-${i}/`)));

const BASE = 15_000;
const MAX = 30 * 60_000;
const JITTER = 0.25;

/** Trackers grouped by tier, each tier sorted: what must never change. */
const membership = (trackers: readonly TrackerStatus[]): string[][] => {
  const out: string[][] = [];
  for (const t of trackers) {
    const tier = out[t.tier] ?? [];
    tier.push(t.url);
    out[t.tier] = tier;
  }
  return out.map((tier) => [...tier].sort());
};

/** What the test knows of the session, to check the event rules. */
class Model {
  acked = new Set<string>();
  completedOk = 0;
  lastSuccess: string | undefined;
  stoppedSent = false;

  reset(): void {
    this.acked = new Set();
    this.completedOk = 0;
    this.lastSuccess = undefined;
    this.stoppedSent = false;
  }
}

const checkChoice = (attempt: AnnounceAttempt, before: readonly TrackerStatus[], now: number) => {
  if (attempt.event === 'stopped') return;
  const at = before.findIndex((t) => t.url === attempt.url && t.tier === attempt.tier);
  assert.ok(at >= 0);
  assert.ok((before[at] as TrackerStatus).retryAt <= now, 'chosen tracker is backing off');
  for (const earlier of before.slice(0, at)) {
    assert.ok(earlier.retryAt > now, `${earlier.url} comes first and is not backing off`);
  }
};

const checkEvent = (attempt: AnnounceAttempt, model: Model) => {
  assert.ok(!model.stoppedSent, 'nothing after stopped');
  switch (attempt.event) {
    case 'started':
      assert.ok(!model.acked.has(attempt.url), 'started to a tracker that acknowledged one');
      break;
    case 'none':
    case 'completed':
      assert.ok(model.acked.has(attempt.url), `${attempt.event} before started`);
      break;
    case 'stopped':
      assert.equal(attempt.url, model.lastSuccess, 'stopped goes to the working tracker');
      break;
  }
};

const checkSuccess = (
  attempt: AnnounceAttempt,
  before: readonly TrackerStatus[],
  after: readonly TrackerStatus[],
) => {
  const tierBefore = before.filter((t) => t.tier === attempt.tier).map((t) => t.url);
  const tierAfter = after.filter((t) => t.tier === attempt.tier).map((t) => t.url);
  assert.equal(tierAfter[0], attempt.url, 'a tracker that answered leads its tier');
  assert.deepEqual(
    tierAfter.slice(1),
    tierBefore.filter((u) => u !== attempt.url),
    'the others keep their order',
  );
  const me = after.find((t) => t.url === attempt.url && t.tier === attempt.tier);
  assert.equal(me?.failures, 0);
};

const checkFailure = (attempt: AnnounceAttempt, after: readonly TrackerStatus[], now: number) => {
  if (attempt.event === 'stopped') return;
  const me = after.find((t) => t.url === attempt.url && t.tier === attempt.tier) as TrackerStatus;
  const full = Math.min(BASE * 2 ** (me.failures - 1), MAX);
  const wait = me.retryAt - now;
  assert.ok(wait <= full && wait >= (1 - JITTER) * full, `back-off ${wait} for ${me.failures}`);
};

const run = (tiers: string[][], seed: number, ops: readonly Op[]): void => {
  const s = new AnnounceSchedule(tiers, seededRng(seed));
  const shape = membership(s.trackers());
  const model = new Model();
  let now = 0;
  let held: { attempt: AnnounceAttempt; before: TrackerStatus[] } | undefined;
  for (const op of ops) {
    switch (op.kind) {
      case 'advance':
        now += op.ms;
        break;
      case 'begin': {
        const due = s.due(now);
        if (held !== undefined) assert.equal(due.kind, 'busy');
        if (due.kind === 'wait') assert.ok(due.at > now);
        if (due.kind !== 'announce') break;
        const before = s.trackers();
        checkChoice(due.attempt, before, now);
        checkEvent(due.attempt, model);
        assert.ok(s.begin(due.attempt, now));
        assert.deepEqual(s.due(now), { kind: 'busy' });
        held = { attempt: due.attempt, before };
        break;
      }
      case 'settle': {
        if (held === undefined) break;
        const { attempt, before } = held;
        held = undefined;
        if (op.ok) {
          s.succeeded(attempt, { interval: op.interval, minInterval: op.minInterval }, now);
          if (attempt.event === 'stopped') {
            model.stoppedSent = true;
            break;
          }
          checkSuccess(attempt, before, s.trackers());
          model.acked.add(attempt.url);
          model.lastSuccess = attempt.url;
          if (attempt.event === 'completed') model.completedOk++;
          assert.ok(model.completedOk <= 1, 'completed twice');
        } else {
          s.failed(attempt, now);
          if (attempt.event === 'stopped') model.stoppedSent = true;
          checkFailure(attempt, s.trackers(), now);
        }
        break;
      }
      case 'completed':
        s.completed(now);
        break;
      case 'soon':
        s.reannounceSoon(now);
        break;
      case 'stop':
        s.stop(now);
        break;
      case 'start':
        if (s.state === 'idle' || s.state === 'stopped') model.reset();
        s.start(now);
        break;
    }
    assert.deepEqual(membership(s.trackers()), shape, 'tiers keep their trackers');
    if (model.stoppedSent) assert.equal(s.state, 'stopped');
    if (s.state === 'stopped' || s.state === 'idle') assert.deepEqual(s.due(now), { kind: 'idle' });
  }
};

describe('property: announce schedule', () => {
  it('follows the tier, back-off and event rules under any sequence of events', () => {
    fc.assert(
      fc.property(tiersArb, fc.integer(), fc.array(opArb, { maxLength: 120 }), (tiers, seed, ops) =>
        run(tiers, seed, [{ kind: 'start' }, ...ops]),
      ),
      { numRuns: 400 },
    );
  });

  it('keeps every tier a permutation of the URLs given', () => {
    fc.assert(
      fc.property(tiersArb, fc.integer(), (tiers, seed) => {
        const s = new AnnounceSchedule(tiers, seededRng(seed));
        assert.deepEqual(
          membership(s.trackers()),
          tiers.map((t) => [...t].sort()),
        );
      }),
    );
  });

  it('fails over through every tracker, in order, before waiting', () => {
    fc.assert(
      fc.property(tiersArb, fc.integer(), (tiers, seed) => {
        const s = new AnnounceSchedule(tiers, seededRng(seed));
        s.start(0);
        const order = s.trackers().map((t) => t.url);
        const tried: string[] = [];
        for (;;) {
          const due = s.due(0);
          if (due.kind !== 'announce') {
            assert.equal(due.kind, 'wait');
            break;
          }
          s.begin(due.attempt, 0);
          s.failed(due.attempt, 0);
          tried.push(due.attempt.url);
        }
        assert.deepEqual(tried, order);
      }),
    );
  });

  it('always announces within the clamped interval after a success', () => {
    fc.assert(
      fc.property(seconds, seconds, (interval, minInterval) => {
        const s = new AnnounceSchedule([['http://a/']], seededRng(1));
        s.start(0);
        const due = s.due(0);
        if (due.kind !== 'announce') throw new Error('nothing due');
        s.begin(due.attempt, 0);
        s.succeeded(due.attempt, { interval, minInterval }, 0);
        const next = s.due(0);
        assert.equal(next.kind, 'wait');
        const at = next.kind === 'wait' ? next.at : 0;
        assert.ok(at >= 30_000 && at <= 2 * 3600_000, `${at}`);
        s.reannounceSoon(0);
        const soon = s.due(0);
        const soonAt = soon.kind === 'wait' ? soon.at : 0;
        assert.ok(soonAt >= 30_000 && soonAt <= at, `${soonAt}`);
      }),
    );
  });
});
