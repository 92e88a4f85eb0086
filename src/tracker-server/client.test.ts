/**
 * fanseed's own tracker client (runtime/tracker: Announcer, httpScrape, UdpTrackerClient)
 * against fanseed's tracker, over HTTP and over UDP, on 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { hashOf, peerIdOf } from '../core/tracker-server/testing.js';
import type { InfoHashV1 } from '../lib/ids.js';
import { seededRng } from '../lib/ports.js';
import { type AnnouncedPeer, Announcer } from '../runtime/tracker/announcer.js';
import { httpScrape } from '../runtime/tracker/http-tracker.js';
import { UdpTrackerClient } from '../runtime/tracker/udp-tracker.js';
import { TrackerServer } from './server.js';

const waitFor = async (what: string, f: () => boolean, ms = 5000): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!f()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe("fanseed's tracker client against fanseed tracker", () => {
  let server: TrackerServer;
  before(async () => {
    server = await TrackerServer.start({
      httpPort: 0,
      udpPort: 0,
      tracker: { intervalSeconds: 60 },
    });
  });
  after(() => server.close());

  for (const transport of ['http', 'udp'] as const) {
    it(`two announcers find each other, complete, scrape and stop over ${transport}`, async () => {
      const url = server.urls[transport] as string;
      const hash = hashOf(transport === 'http' ? 31 : 32);
      const make = (n: number, left: { value: number }, found: AnnouncedPeer[]) =>
        new Announcer({
          tiers: [[url]],
          infoHash: hash,
          peerId: peerIdOf(n),
          port: 9000 + n,
          rng: seededRng(n),
          stats: () => ({ uploaded: 0, downloaded: 0, left: left.value }),
          onPeers: (peers) => found.push(...peers),
          onError: (_url, e) => assert.fail(e.message),
        });
      const seederFound: AnnouncedPeer[] = [];
      const leecherFound: AnnouncedPeer[] = [];
      const leecherLeft = { value: 1000 };
      const seeder = make(1, { value: 0 }, seederFound);
      const leecher = make(2, leecherLeft, leecherFound);
      seeder.start();
      await waitFor('the seeder announce', () => server.core.totals().seeders >= 1);
      leecher.start();
      await waitFor('the leecher to hear of the seeder', () =>
        leecherFound.some((p) => p.port === 9001),
      );
      assert.ok(
        leecherFound.every((p) => p.host === '127.0.0.1' && p.port !== 9002),
        'never itself',
      );
      leecherLeft.value = 0;
      leecher.completed();
      const key = String.fromCharCode(...hash);
      await waitFor('the completion', () => server.core.counts(key as never)?.completed === 1);
      const scraped =
        transport === 'http'
          ? await httpScrape(url, [hash as InfoHashV1])
          : await (async () => {
              const client = new UdpTrackerClient({ rng: seededRng(9) });
              try {
                return await client.scrape(url, [hash as InfoHashV1]);
              } finally {
                await client.close();
              }
            })();
      assert.deepEqual(
        scraped.files.map((f) => [f.complete, f.downloaded, f.incomplete]),
        [[2, 1, 0]],
      );
      await Promise.all([seeder.stop(), leecher.stop()]);
      assert.deepEqual(server.core.counts(key as never), { seeders: 0, leechers: 0, completed: 1 });
    });
  }
});
