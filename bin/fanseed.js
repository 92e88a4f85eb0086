#!/usr/bin/env node
const argv = process.argv.slice(2);
if (argv[0] === 'create' && !argv.includes('--help') && !argv.includes('-h')) {
  // Hash workers take a while to boot: let them start while the CLI loads and walks the files.
  const { prestartHashWorkers } = await import('../dist/src/runtime/hash/hash-pool.js');
  prestartHashWorkers();
}
const { main } = await import('../dist/src/cli/main.js');
process.exitCode = await main(argv);
