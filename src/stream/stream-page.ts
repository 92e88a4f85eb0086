/** The HTML page of `fanseed stream`: the torrent's files, with a player for each media file. */
import type { Metainfo } from '../core/metainfo/types.js';
import { realFiles } from '../core/metainfo/types.js';
import { playerKind } from './media-types.js';
import { escapeHtml } from './send-range.js';

/** The stable URL path of real file `index` (as `fanseed info` numbers them), below `base`. */
export const fileUrlPath = (base: string, meta: Metainfo, index: number): string => {
  const file = realFiles(meta)[index];
  const parts = file === undefined ? [] : meta.multiFile ? file.path : [meta.name];
  return `${base}/files/${index}/${parts.map((p) => encodeURIComponent(p)).join('/')}`;
};

const size = (n: number): string =>
  n >= 1e9
    ? `${(n / 1e9).toFixed(2)} GB`
    : n >= 1e6
      ? `${(n / 1e6).toFixed(1)} MB`
      : `${Math.ceil(n / 1e3)} kB`;

export const streamPage = (base: string, meta: Metainfo): string => {
  let players = 0;
  const items = realFiles(meta).map((f, i) => {
    const url = escapeHtml(fileUrlPath(base, meta, i));
    const name = escapeHtml(meta.multiFile ? f.path.join('/') : meta.name);
    const kind = playerKind(f.path[f.path.length - 1] ?? meta.name);
    // Only the first player loads anything before it is played: each one asks for pieces.
    const preload = players++ === 0 ? 'metadata' : 'none';
    const player =
      kind === undefined
        ? ''
        : `\n    <${kind} controls preload="${kind === 'video' ? preload : 'none'}" src="${url}" aria-label="${name}"></${kind}>`;
    return `  <li>
    <a href="${url}" download>${name}</a> <span class="size">${size(f.length)}</span>${player}
  </li>`;
  });
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(meta.name)} · fanseed stream</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; margin: 0 auto; max-width: 60rem; padding: 1rem; color: #1b1b1b; background: #fafafa; }
  h1 { font-size: 1.5rem; margin-bottom: 0.25rem; }
  ul { list-style: none; padding: 0; }
  li { margin: 1rem 0; padding: 0.75rem; background: #fff; border: 1px solid #ddd; border-radius: 6px; }
  video { display: block; width: 100%; max-height: 70vh; margin-top: 0.5rem; background: #000; }
  audio { display: block; width: 100%; margin-top: 0.5rem; }
  .size { color: #555; font-size: 0.9rem; }
  a { color: #0645ad; }
  #status { color: #333; }
</style>
</head>
<body>
<main>
<h1>${escapeHtml(meta.name)}</h1>
<p id="status" role="status" aria-live="polite">Streaming over BitTorrent: playback starts as soon as the first pieces arrive.</p>
<ul>
${items.join('\n')}
</ul>
</main>
<script src="${escapeHtml(base)}/status.js" defer></script>
</body>
</html>
`;
};

/** Keeps the status line current from /status (served as a file: the page's CSP allows no inline script). */
export const statusScript = (base: string): string => `(() => {
  const line = document.getElementById('status');
  const mb = (n) => (n / 1e6).toFixed(1);
  const tick = async () => {
    try {
      const s = await (await fetch(${JSON.stringify(`${base}/status`)})).json();
      line.textContent = s.pieces === 0 ? 'waiting for the metadata'
        : \`\${((100 * s.have) / s.pieces).toFixed(1)}% here · ↓ \${mb(s.downRate)} MB/s · ↑ \${mb(s.upRate)} MB/s · \${s.peers} peers, \${s.webSeeds} mirrors\`;
    } catch {}
  };
  tick();
  setInterval(tick, 2000);
})();
`;
