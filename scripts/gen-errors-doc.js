#!/usr/bin/env node
// Regenerates docs/errors.md from the error catalogue (run after `npm run build`).
import { writeFileSync } from 'node:fs';
import { ERROR_CATALOGUE } from '../dist/src/lib/errors.js';

let text =
  '# Error codes\n\nEvery error fanseed reports carries one of these stable codes (`FanseedError.code` in the library, shown with `--debug` on the command line). The CLI exits with 2 for `CLI_USAGE` and 1 for the others.\n\n| code | meaning |\n| --- | --- |\n';
for (const [code, meaning] of Object.entries(ERROR_CATALOGUE))
  text += `| \`${code}\` | ${meaning} |\n`;
writeFileSync(new URL('../docs/errors.md', import.meta.url), text);
