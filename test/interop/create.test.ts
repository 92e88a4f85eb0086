/**
 * `fanseed create` against real implementations: libtorrent (v1, v2, hybrid), mktorrent (v1)
 * and Transmission's transmission-show (v1). Torrents go both ways: fanseed's are read and
 * checked against the data by the others, theirs are read by fanseed.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { InfoJson } from '../../src/cli/info.js';
import { main } from '../../src/cli/main.js';
import type { CliIo } from '../../src/cli/output.js';
import type { TorrentVersion } from '../../src/core/metainfo/types.js';
import { pseudoRandomBytes } from '../../src/lib/testing.js';
import { readTorrentFile } from '../../src/runtime/read-torrent.js';
import {
  PY,
  REPO,
  requireCommand,
  requireLibtorrent,
  SYSTEM_PYTHON,
  type Tree,
  writeTree,
} from './support.js';

const execFileAsync = promisify(execFile);

type Layout =
  | { readonly kind: 'file'; readonly id: string; readonly name: string; readonly length: number }
  | {
      readonly kind: 'folder';
      readonly id: string;
      readonly name: string;
      readonly files: readonly (readonly [string, number])[];
    };

/** Sizes avoid multiples of 16 and 32 KiB except where a layout is about exact pieces. */
const LAYOUTS: readonly Layout[] = [
  { kind: 'file', id: 'single', name: 'feature.mkv', length: 300_007 },
  {
    kind: 'folder',
    id: 'nested',
    name: 'season-1',
    files: [
      ['poster.jpg', 20_001],
      ['episode-1/video.mkv', 70_001],
      ['episode-1/subs/en.srt', 3_333],
      ['episode-1/subs/extras/commentary.ogg', 45_678],
      ['episode-2/video.mkv', 50_000],
    ],
  },
  {
    kind: 'folder',
    id: 'with-empty',
    name: 'with-empty',
    files: [
      ['a.bin', 40_000],
      ['b-empty.nfo', 0],
      ['c.bin', 17_000],
      ['z/last-empty.txt', 0],
    ],
  },
  {
    kind: 'folder',
    id: 'unicode',
    name: 'Cinéma 映画',
    files: [
      ['Étoile – 星.mkv', 60_000],
      ['ñandú/🎬.txt', 5_000],
    ],
  },
  { kind: 'file', id: 'exact-16k', name: 'one-piece-16k.bin', length: 16 * 1024 },
  { kind: 'file', id: 'exact-32k', name: 'one-piece-32k.bin', length: 32 * 1024 },
  { kind: 'file', id: 'tiny', name: 'tiny.txt', length: 1_000 },
];
const FORMATS: readonly TorrentVersion[] = ['v1', 'v2', 'hybrid'];
const PIECE_LENGTHS = [16 * 1024, 32 * 1024] as const;

/** One torrent of one layout, made by one tool. */
interface Made {
  readonly layout: Layout;
  readonly pieceLength: number;
  readonly format: TorrentVersion;
  readonly torrent: string;
}

/** What lt_info.py prints for one torrent: paths in full (the name first for a folder). */
interface LtInfo {
  readonly path: string;
  readonly error: string | null;
  readonly infoHashV1?: string | null;
  readonly infoHashV2?: string | null;
  readonly name?: string;
  readonly pieces?: number;
  readonly pieceLength?: number;
  readonly files?: Array<{ path: string[]; length: number }>;
}

interface LtCheck {
  readonly torrent: string;
  readonly error: string | null;
  readonly progress?: number;
  readonly isSeeding?: boolean;
  readonly piecesHave?: number;
  readonly pieces?: number;
}

let tmp: string;
const dataParent = (layout: Layout): string => join(tmp, 'data', layout.id);
const dataPath = (layout: Layout): string => join(dataParent(layout), layout.name);
const torrentPath = (tool: string, layout: Layout, pieceLength: number, format: string) =>
  join(tmp, 'torrents', `${tool}-${layout.id}-${pieceLength / 1024}k-${format}.torrent`);

const writeLayout = (layout: Layout, seed: number): Promise<void> => {
  const files: Tree = layout.kind === 'file' ? [['', layout.length]] : layout.files;
  return writeTree(dataPath(layout), files, (length, i) =>
    pseudoRandomBytes(length, seed * 100 + i + 1),
  );
};

/** Fails (never skips) when an interop tool is absent: CI installs them, so absence is a bug. */
const DEBIAN_PACKAGE = {
  libtorrent: 'python3-libtorrent',
  mktorrent: 'mktorrent',
  'transmission-show': 'transmission-cli',
} as const;
type Tool = keyof typeof DEBIAN_PACKAGE;
const requireTool = (tool: Tool): Promise<void> =>
  tool === 'libtorrent'
    ? requireLibtorrent()
    : requireCommand(
        tool,
        tool === 'mktorrent' ? ['-h'] : ['--version'],
        `${tool} is not on PATH`,
        DEBIAN_PACKAGE[tool],
      );

/** Runs one of the py/ helpers on a JSON argument and returns its JSON list, one per input. */
const python = async <T>(script: string, input: readonly unknown[]): Promise<T[]> => {
  await requireTool('libtorrent');
  const { stdout } = await execFileAsync(SYSTEM_PYTHON, [join(PY, script), JSON.stringify(input)], {
    maxBuffer: 64 * 1024 * 1024,
  });
  const parsed: unknown = JSON.parse(stdout);
  assert.ok(Array.isArray(parsed) && parsed.length === input.length, `${script}: ${stdout}`);
  return parsed as T[];
};

const fanseed = async (...argv: string[]): Promise<string> => {
  let out = '';
  let err = '';
  const io: CliIo = { out: (t) => (out += t), err: (t) => (err += t), isTty: false };
  const code = await main(argv, io);
  assert.equal(code, 0, `fanseed ${argv.join(' ')} exited ${code}: ${err}`);
  return out;
};

/** fanseed's view of a torrent in libtorrent's terms: full paths, the name first for a folder. */
const fanseedView = async (torrent: string, json: InfoJson) => {
  const { multiFile } = await readTorrentFile(torrent);
  return {
    infoHashV1: json.infoHashV1,
    infoHashV2: json.infoHashV2,
    name: json.name,
    pieces: json.pieces,
    pieceLength: json.pieceLength,
    files: (json.files ?? []).map((f) => ({
      path: multiFile ? [json.name ?? '', ...f.path] : f.path,
      length: f.length,
    })),
  };
};
const ltView = (lt: LtInfo, label: string) => {
  assert.equal(lt.error, null, `libtorrent cannot load ${label}: ${lt.error}`);
  const { infoHashV1, infoHashV2, name, pieces, pieceLength, files } = lt;
  return { infoHashV1, infoHashV2, name, pieces, pieceLength, files };
};

const allCases = (tool: string, formats: readonly TorrentVersion[]): Made[] =>
  LAYOUTS.flatMap((layout) =>
    PIECE_LENGTHS.flatMap((pieceLength) =>
      formats.map((format) => ({
        layout,
        pieceLength,
        format,
        torrent: torrentPath(tool, layout, pieceLength, format),
      })),
    ),
  );
const label = (m: Made): string => `${m.layout.id} ${m.pieceLength / 1024}K ${m.format}`;

/** Each set of torrents is made once, on first use, and shared by the tests that read it. */
const once = <T>(make: () => Promise<T>): (() => Promise<T>) => {
  let made: Promise<T> | undefined;
  return () => {
    made ??= make();
    return made;
  };
};

const fanseedTorrents = once(async () => {
  const cases = allCases('fanseed', FORMATS);
  for (const m of cases) {
    const length = `${m.pieceLength / 1024}K`;
    await fanseed(
      'create',
      dataPath(m.layout),
      '-o',
      m.torrent,
      '-f',
      m.format,
      '-l',
      length,
      '--no-date',
    );
  }
  const infos = new Map<Made, InfoJson>();
  for (const m of cases) infos.set(m, JSON.parse(await fanseed('info', m.torrent, '--json')));
  return { cases, infos };
});

const libtorrentTorrents = once(async () => {
  const cases = allCases('libtorrent', FORMATS);
  const jobs = cases.map((m) => ({
    source: dataPath(m.layout),
    output: m.torrent,
    pieceLength: m.pieceLength,
    format: m.format,
  }));
  const created = await python<{ output: string; error: string | null }>('lt_create.py', jobs);
  for (const [i, c] of created.entries()) assert.equal(c.error, null, `${jobs[i]?.output}`);
  const infos = await python<LtInfo>(
    'lt_info.py',
    cases.map((m) => m.torrent),
  );
  return { cases, infos: new Map(cases.map((m, i) => [m, infos[i] as LtInfo])) };
});

/** transmission-show's verdict: the v1 info-hash and piece count, or why it refused. */
interface Shown {
  readonly ok: boolean;
  readonly hash: string | undefined;
  readonly pieces: number | undefined;
  readonly why: string;
}
const transmissionShow = async (torrent: string): Promise<Shown> => {
  await requireTool('transmission-show');
  let stdout: string;
  try {
    ({ stdout } = await execFileAsync('transmission-show', [torrent]));
  } catch (e) {
    const failed = e as { stderr?: string; stdout?: string };
    const why = `${failed.stdout ?? ''}${failed.stderr ?? ''}`.trim();
    return { ok: false, hash: undefined, pieces: undefined, why };
  }
  // 3.00 prints "Hash: <hex>"; 4.x prints "Hash v1:" beside "Hash v2:" for hybrids.
  const hash = /^\s*Hash(?: v1)?: ([0-9a-f]{40})\s*$/m.exec(stdout)?.[1];
  const pieces = /^\s*Piece Count: (\d+)\s*$/m.exec(stdout)?.[1];
  assert.ok(hash !== undefined && pieces !== undefined, `unexpected output:\n${stdout}`);
  return { ok: true, hash, pieces: Number(pieces), why: '' };
};

const transmissionMajor = once(async () => {
  await requireTool('transmission-show');
  const { stdout, stderr } = await execFileAsync('transmission-show', ['--version']);
  const major = /transmission-show (\d+)\./.exec(`${stdout}${stderr}`)?.[1];
  assert.ok(major !== undefined, `cannot read transmission-show's version: ${stdout}${stderr}`);
  return Number(major);
});

before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'fanseed-interop-create-'));
  await mkdir(join(tmp, 'torrents'));
  for (const [seed, layout] of LAYOUTS.entries()) await writeLayout(layout, seed);
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('fanseed create, as libtorrent sees it', () => {
  it('makes torrents libtorrent loads with the same info-hashes, pieces and files', async () => {
    const { cases, infos } = await fanseedTorrents();
    const lt = await python<LtInfo>(
      'lt_info.py',
      cases.map((m) => m.torrent),
    );
    for (const [i, m] of cases.entries()) {
      const json = infos.get(m) as InfoJson;
      assert.equal(json.version, m.format, label(m));
      assert.equal(json.infoHashV1 === null, m.format === 'v2', `${label(m)}: v1 hash presence`);
      assert.equal(json.infoHashV2 === null, m.format === 'v1', `${label(m)}: v2 hash presence`);
      const fromLt = ltView(lt[i] as LtInfo, label(m));
      assert.deepEqual(await fanseedView(m.torrent, json), fromLt, label(m));
      assert.equal((await readTorrentFile(m.torrent)).multiFile, m.layout.kind === 'folder');
    }
  });

  it('makes torrents whose every v1 and v2 hash libtorrent verifies against the data', async () => {
    const { cases } = await fanseedTorrents();
    const checks = await python<LtCheck>(
      'lt_check.py',
      cases.map((m) => ({ torrent: m.torrent, savePath: dataParent(m.layout) })),
    );
    // Every torrent that fails, not just the first, so that a pattern shows.
    const failed = cases.flatMap((m, i) => {
      const c = checks[i] as LtCheck;
      const good = c.error === null && c.isSeeding === true && c.progress === 1;
      return good && c.piecesHave === c.pieces
        ? []
        : [`${label(m)}: ${c.error ?? `${c.piecesHave} of ${c.pieces} pieces valid`}`];
    });
    assert.deepEqual(failed, [], 'torrents whose data libtorrent does not accept');
  });

  it('makes torrents whose check fails on exactly the piece holding a flipped byte', async () => {
    // The control for the test above: a check that passes anything would prove nothing.
    // A session of its own, as libtorrent treats the same torrent added twice as one.
    await fanseedTorrents();
    const nested = LAYOUTS.find((l) => l.id === 'nested') as Layout;
    const corrupt = join(tmp, 'corrupt');
    await cp(dataPath(nested), join(corrupt, nested.name), { recursive: true });
    const victim = join(corrupt, nested.name, 'episode-1', 'video.mkv');
    const bytes = await readFile(victim);
    bytes[40_000] = (bytes[40_000] ?? 0) ^ 0xff;
    await writeFile(victim, bytes);
    const torrents = FORMATS.map((format) => torrentPath('fanseed', nested, 16 * 1024, format));
    const checks = await python<LtCheck>(
      'lt_check.py',
      torrents.map((torrent) => ({ torrent, savePath: corrupt })),
    );
    for (const [i, c] of checks.entries()) {
      assert.equal(c.error, null, `${torrents[i]}: ${c.error}`);
      assert.equal(c.isSeeding, false, `${torrents[i]} on corrupt data`);
      assert.equal(c.piecesHave, (c.pieces ?? 0) - 1, `${torrents[i]} on corrupt data`);
    }
  });

  it('gives the same v2 info-hash as libtorrent for a v2-only torrent of the same data', async () => {
    const ours = await fanseedTorrents();
    const theirs = await libtorrentTorrents();
    for (const m of ours.cases.filter((c) => c.format === 'v2')) {
      const twin = theirs.cases.find(
        (t) => t.format === 'v2' && t.layout === m.layout && t.pieceLength === m.pieceLength,
      ) as Made;
      const lt = ltView(theirs.infos.get(twin) as LtInfo, label(twin));
      assert.equal(ours.infos.get(m)?.infoHashV2, lt.infoHashV2, label(m));
    }
  });
});

describe('fanseed create, as Transmission sees it', () => {
  it('makes v1 torrents transmission-show reads with the same info-hash and pieces', async () => {
    const { cases, infos } = await fanseedTorrents();
    for (const m of cases.filter((c) => c.format === 'v1')) {
      const shown = await transmissionShow(m.torrent);
      assert.ok(shown.ok, `${label(m)}: transmission-show refuses it: ${shown.why}`);
      assert.equal(shown.hash, infos.get(m)?.infoHashV1, label(m));
      assert.equal(shown.pieces, infos.get(m)?.pieces, label(m));
    }
  });

  it('makes hybrid torrents Transmission reads wherever it reads libtorrent hybrids', async () => {
    // Transmission 3.00's bencode parser refuses empty dictionary keys, which every BEP 52
    // file tree holds, so it opens no hybrid torrent at all, libtorrent's included
    // (transmission/transmission#1339, fixed for 4.0 by #1964). From 4.0 on it must read them.
    const major = await transmissionMajor();
    const ours = await fanseedTorrents();
    const theirs = await libtorrentTorrents();
    for (const m of ours.cases.filter((c) => c.format === 'hybrid')) {
      const twin = theirs.cases.find(
        (t) => t.format === 'hybrid' && t.layout === m.layout && t.pieceLength === m.pieceLength,
      ) as Made;
      const shown = await transmissionShow(m.torrent);
      const reference = await transmissionShow(twin.torrent);
      if (major >= 4) {
        assert.ok(shown.ok, `${label(m)}: transmission-show refuses it: ${shown.why}`);
        assert.equal(shown.hash, ours.infos.get(m)?.infoHashV1, label(m));
        assert.equal(shown.pieces, ours.infos.get(m)?.pieces, label(m));
      } else {
        assert.equal(reference.ok, false, `${label(m)}: Transmission ${major} read a hybrid`);
        assert.equal(shown.ok, false, `${label(m)}: Transmission ${major} read a hybrid`);
        assert.match(shown.why, /Error parsing/, label(m));
      }
    }
  });
});

describe('fanseed info, on torrents other tools create', () => {
  it("reads libtorrent's v1, v2 and hybrid torrents with the same hashes and files", async () => {
    const { cases, infos } = await libtorrentTorrents();
    for (const m of cases) {
      const json: InfoJson = JSON.parse(await fanseed('info', m.torrent, '--json'));
      assert.equal(json.version, m.format, label(m));
      const lt = ltView(infos.get(m) as LtInfo, label(m));
      assert.deepEqual(await fanseedView(m.torrent, json), lt, `libtorrent's ${label(m)}`);
    }
  });

  it("reads mktorrent's torrents with the same hash and files as libtorrent reads", async () => {
    await requireTool('mktorrent');
    const cases = LAYOUTS.map((layout) => ({
      layout,
      pieceLength: 32 * 1024,
      format: 'v1' as const,
      torrent: torrentPath('mktorrent', layout, 32 * 1024, 'v1'),
    }));
    for (const m of cases) {
      // -l 15: pieces of 2^15 bytes; no announce URL is needed.
      await execFileAsync('mktorrent', ['-l', '15', '-o', m.torrent, dataPath(m.layout)]);
    }
    const lt = await python<LtInfo>(
      'lt_info.py',
      cases.map((m) => m.torrent),
    );
    for (const [i, m] of cases.entries()) {
      // Through the real executable this time, as a user would run it.
      const { stdout } = await execFileAsync(process.execPath, [
        join(REPO, 'bin', 'fanseed.js'),
        'info',
        '--json',
        m.torrent,
      ]);
      const json: InfoJson = JSON.parse(stdout);
      assert.equal(json.version, 'v1', label(m));
      const fromLt = ltView(lt[i] as LtInfo, `mktorrent's ${label(m)}`);
      assert.deepEqual(await fanseedView(m.torrent, json), fromLt, `mktorrent's ${label(m)}`);
    }
  });
});
