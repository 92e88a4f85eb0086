import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { GlobalSeries, MinuteSeries, SERIES_KEEP_MINUTES, VarintWriter } from './minute-series.js';

const START = 29_000_000;

describe('MinuteSeries (sparse, per torrent)', () => {
  it('stores only minutes with activity and sums within a minute', () => {
    const s = new MinuteSeries();
    s.record(START, 1, 0, 1);
    s.record(START, 1, 1, 2);
    s.record(START + 500, 1, 0, 1);
    assert.deepEqual(s.columns(0), {
      minutes: [START, START + 500],
      announces: [2, 1],
      completions: [1, 0],
      peers: [2, 1],
    });
    assert.deepEqual(s.columns(START + 1).minutes, [START + 500]);
  });

  it('folds a minute earlier than the open one into it (a clock stepping back)', () => {
    const s = new MinuteSeries();
    s.record(START + 5, 1, 0, 1);
    s.record(START + 3, 1, 0, 2);
    assert.deepEqual(s.columns(0).announces, [2]);
  });

  it('keeps 7 days: older minutes are pruned as new ones come', () => {
    const s = new MinuteSeries();
    for (let m = 0; m < SERIES_KEEP_MINUTES * 2; m += 7) s.record(START + m, 1, 0, m % 50);
    const cols = s.columns(0);
    const last = cols.minutes[cols.minutes.length - 1] as number;
    assert.ok((cols.minutes[0] as number) >= last - SERIES_KEEP_MINUTES - 60);
    // Peer counts survive pruning (they are stored as differences).
    cols.minutes.forEach((m, i) => {
      assert.equal(cols.peers[i], (m - START) % 50);
    });
    s.prune(last + 1);
    assert.ok(!s.emptySince(last), 'the open minute is still there');
    s.record(last + 100, 1, 0, 3);
    s.prune(last + 100);
    assert.deepEqual(s.columns(0).minutes, [last + 100]);
    assert.ok(s.emptySince(last + 101));
  });

  it('costs about 4 bytes a stored minute, nothing for silent minutes', () => {
    const s = new MinuteSeries();
    for (let m = 0; m < 1000; m++) s.record(START + m * 3, 1, 0, 5);
    s.record(START + 5000, 1, 0, 5);
    assert.ok(s.heldBytes <= 8192, `${s.heldBytes} bytes for 1000 minutes`);
    // A torrent with one announce holds at most 16 bytes of log.
    const quiet = new MinuteSeries();
    quiet.record(START, 1, 0, 1);
    quiet.record(START + 1, 1, 0, 1);
    assert.ok(quiet.heldBytes <= 16);
  });

  it('exports and imports its points unchanged (snapshot round trip)', () => {
    const point = fc.record({
      gap: fc.integer({ min: 1, max: 3000 }),
      a: fc.integer({ min: 0, max: 100_000 }),
      c: fc.integer({ min: 0, max: 1000 }),
      p: fc.integer({ min: 0, max: 2_000_000 }),
    });
    fc.assert(
      fc.property(fc.array(point, { maxLength: 60 }), (points) => {
        const s = new MinuteSeries();
        let m = START;
        for (const p of points) {
          m += p.gap;
          s.record(m, p.a, p.c, p.p);
        }
        const w = new VarintWriter();
        const count = s.exportPoints(w);
        const back = new MinuteSeries();
        const at = { pos: 0 };
        assert.ok(back.importPoints(w.bytes, at, w.length, count));
        assert.equal(at.pos, w.length);
        assert.deepEqual(back.columns(0), s.columns(0));
      }),
    );
  });

  it('refuses malformed imports: truncated, repeated minutes, negative peers', () => {
    const s = new MinuteSeries();
    s.record(START, 1, 0, 4);
    s.record(START + 1, 1, 0, 2);
    const w = new VarintWriter();
    s.exportPoints(w);
    for (let cut = 0; cut < w.length; cut++) {
      assert.equal(new MinuteSeries().importPoints(w.bytes, { pos: 0 }, cut, 2), false);
    }
    const repeat = new VarintWriter();
    for (const v of [START, 1, 0, 2, 0, 1, 0, 2]) repeat.write(v);
    assert.equal(
      new MinuteSeries().importPoints(repeat.bytes, { pos: 0 }, repeat.length, 2),
      false,
    );
    const negative = new VarintWriter();
    for (const v of [START, 1, 0, 3]) negative.write(v); // zigzag 3 = -2
    assert.equal(
      new MinuteSeries().importPoints(negative.bytes, { pos: 0 }, negative.length, 1),
      false,
    );
  });
});

describe('GlobalSeries (dense ring)', () => {
  it('keeps the last 7 days of minutes and forgets a slot when the ring comes round', () => {
    const g = new GlobalSeries();
    g.record(START, 2, 1, 10);
    g.record(START + 1, 1, 0, 11);
    g.record(START + SERIES_KEEP_MINUTES, 5, 0, 12);
    const cols = g.columns(START - 10, START + SERIES_KEEP_MINUTES);
    assert.deepEqual(cols.minutes, [START + 1, START + SERIES_KEEP_MINUTES]);
    assert.deepEqual(cols.announces, [1, 5]);
  });
});
