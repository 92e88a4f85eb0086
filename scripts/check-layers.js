#!/usr/bin/env node
// Enforces the dependency direction lib <- core <- runtime <- (cli, tracker-server, platform)
// and the purity of lib/ and core/: no node:* modules, no clocks, timers or randomness there
// (docs/ARCHITECTURE in the README). Exit 1 with one line per violation.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');

// Which top-level folders of src/ each layer may import from.
const ALLOWED = {
  lib: ['lib'],
  core: ['lib', 'core'],
  runtime: ['lib', 'core', 'runtime'],
  sim: ['lib', 'core', 'sim'],
  'tracker-server': ['lib', 'core', 'runtime', 'tracker-server', 'config'],
  stream: ['lib', 'core', 'runtime', 'stream', 'config'],
  platform: ['lib', 'core', 'runtime', 'platform', 'config', 'stream'],
  config: ['lib', 'config'],
  cli: ['lib', 'core', 'runtime', 'cli', 'config', 'tracker-server', 'stream', 'platform'],
  bench: [],
  'index.ts': ['lib', 'core', 'runtime', 'config', 'stream'],
};
const PURE = new Set(['lib', 'core']);
const IMPURE_CALLS =
  /\b(Date\.now|new Date|Math\.random|setTimeout|setInterval|setImmediate|performance\.now|process\.)/;

const files = (dir) =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );

const problems = [];
for (const file of files(src)) {
  const rel = relative(src, file);
  const layer = rel.split('/')[0];
  const isTest = file.endsWith('.test.ts');
  // Tests may reach into the runtime for real hashing and files; shipped code may not.
  const allowed = isTest ? [...(ALLOWED[layer] ?? []), 'runtime'] : ALLOWED[layer];
  if (allowed === undefined) {
    problems.push(`${rel}: src/${layer} is not a known layer (add it to scripts/check-layers.js)`);
    continue;
  }
  const text = readFileSync(file, 'utf8');
  for (const m of text.matchAll(/(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]/g)) {
    const spec = m[1];
    if (spec.startsWith('.')) {
      const target = relative(src, resolve(dirname(file), spec)).split('/')[0];
      if (!allowed.includes(target) && !(target === 'index.js' && layer === 'cli')) {
        problems.push(`${rel}: imports ${spec} (src/${target}), not allowed from src/${layer}`);
      }
    } else if (PURE.has(layer) && !isTest && spec.startsWith('node:')) {
      problems.push(`${rel}: imports ${spec}; src/${layer} must stay free of I/O`);
    }
  }
  if (PURE.has(layer) && !isTest) {
    text.split('\n').forEach((line, i) => {
      const code = line.replace(/\/\/.*$/, '');
      if (IMPURE_CALLS.test(code)) {
        problems.push(
          `${rel}:${i + 1}: clock, timer, randomness or process use in pure src/${layer}`,
        );
      }
    });
  }
}

if (problems.length > 0) {
  for (const p of problems) console.error(p);
  console.error(`check-layers: ${problems.length} problem(s)`);
  process.exit(1);
}
console.log('check-layers: dependency direction and core purity hold');
