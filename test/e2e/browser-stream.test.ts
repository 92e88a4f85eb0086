/**
 * A real browser watches a torrent while it downloads: Debian's Chromium (headless, driven by
 * playwright-core) opens `fanseed stream`'s page for a small video torrent whose only seeder
 * sends 40 kB/s (the video needs 25), plays the video (its clock advances), seeks to 75% (pieces not yet here) and
 * plays on from there. All on 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Browser, chromium, type Locator } from 'playwright-core';
import { parseTorrent } from '../../src/core/metainfo/parse.js';
import { unwrap } from '../../src/lib/errors.js';
import { createTorrent } from '../../src/runtime/create-torrent.js';
import { nodeHash } from '../../src/runtime/node-hash.js';
import { Session } from '../../src/runtime/session.js';
import { type RunningStreamServer, startStreamServer } from '../../src/stream/stream-server.js';
import { REPO } from '../interop/support.js';

const CHROMIUM = '/usr/bin/chromium';

/** What the test touches of the page's <video> (the project compiles without the DOM types). */
interface VideoElement {
  currentTime: number;
  muted: boolean;
  readonly duration: number;
  readonly error: { readonly message: string } | null;
  play(): Promise<void>;
}
const HOST = '127.0.0.1';
/** Waits until the video's clock passes `seconds` (polled: the page's CSP forbids eval). */
const playsPast = async (video: Locator, seconds: number, ms = 30_000): Promise<void> => {
  const deadline = Date.now() + ms;
  let at = 0;
  while (Date.now() < deadline) {
    at = await video.evaluate((v: VideoElement) => v.currentTime);
    if (at > seconds) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  assert.fail(`the video stayed at ${at} s, short of ${seconds} s, for ${ms} ms`);
};

let dir: string;
let browser: Browser | undefined;
let server: RunningStreamServer | undefined;
const sessions: Session[] = [];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fanseed-browser-'));
  await mkdir(join(dir, 'seed', 'Test Pattern'), { recursive: true });
  await copyFile(
    join(REPO, 'test', 'fixtures', 'media', 'sample.webm'),
    join(dir, 'seed', 'Test Pattern', 'pattern.webm'),
  );
});

after(async () => {
  await browser?.close();
  await server?.close();
  await Promise.all(sessions.splice(0).map((s) => s.close()));
  await rm(dir, { recursive: true, force: true });
});

describe('streaming to a real browser', { timeout: 90_000 }, () => {
  it('Chromium plays the video from the stream page, seeks to 75% and plays on', async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} not found: install the Debian package "chromium"`);
    const created = await createTorrent(join(dir, 'seed', 'Test Pattern'), { pieceLength: 16_384 });
    const meta = unwrap(parseTorrent(created.torrent, nodeHash));
    const seeder = await Session.open({ port: 0, host: HOST, uploadLimit: 40_000 });
    sessions.push(seeder);
    await seeder.add(meta, { path: join(dir, 'seed'), skipCheck: true });
    const viewer = await Session.open({ port: 0, host: HOST });
    sessions.push(viewer);
    const torrent = await viewer.add(meta, { path: join(dir, 'viewer'), trackers: false });
    torrent.addPeer(HOST, seeder.port);
    server = await startStreamServer(torrent);

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      // Root in CI has no user namespace sandbox; nothing but 127.0.0.1 is opened.
      args: ['--no-sandbox', '--autoplay-policy=no-user-gesture-required'],
    });
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(server.url);
    // What assistive technology finds: the title as a heading, a live status line, a named link.
    assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Test Pattern');
    assert.equal(await page.getByRole('status').count(), 1);
    assert.equal(await page.getByRole('link', { name: 'pattern.webm' }).count(), 1);
    assert.equal(await page.locator('html').getAttribute('lang'), 'en');
    const video = page.locator('video').first();
    assert.equal(await video.getAttribute('aria-label'), 'pattern.webm');

    await video.evaluate((v: VideoElement) => {
      v.muted = true;
      return v.play();
    });
    await playsPast(video, 1);
    const duration = await video.evaluate((v: VideoElement) => v.duration);
    assert.ok(duration > 19 && duration < 21, `duration ${duration}`);
    const haveBefore = torrent.have.count;
    assert.ok(haveBefore < meta.pieceCount, 'the seek lands where pieces are still missing');

    const target = duration * 0.75;
    await video.evaluate((v: VideoElement, t: number) => {
      v.currentTime = t;
    }, target);
    await playsPast(video, target + 1);
    const error = await video.evaluate((v: VideoElement) => v.error?.message ?? null);
    assert.equal(error, null);
    assert.deepEqual(problems, []);
  });
});
