/** `fanseed dht`: a standalone DHT node, for instance the bootstrap node of a private network. */
import type { Command } from 'commander';
import { DhtService, parseBootstrap } from '../runtime/dht/dht-service.js';
import { systemRng } from '../runtime/session.js';
import type { CliIo } from './output.js';
import { parsePort } from './peer-options.js';
import { untilSignal } from './transfer.js';

interface DhtFlags {
  port: string;
  host: string;
  bootstrap: string[];
  standalone?: boolean;
  state?: string;
  readOnly?: boolean;
  every: string;
  json?: boolean;
}

const runDht = async (flags: DhtFlags, io: CliIo): Promise<void> => {
  const every = Number(flags.every);
  const dht = await DhtService.start({
    port: parsePort(flags.port),
    host: flags.host,
    rng: systemRng,
    readOnly: flags.readOnly === true,
    ...(flags.standalone === true
      ? { bootstrap: [] }
      : flags.bootstrap.length > 0
        ? { bootstrap: flags.bootstrap.map(parseBootstrap) }
        : {}),
    ...(flags.state === undefined ? {} : { stateFile: flags.state }),
  });
  const json = flags.json === true;
  const report = (event: string): void => {
    const s = dht.stats();
    const external = dht.externalAddress ?? null;
    if (json) io.out(`${JSON.stringify({ event, port: dht.port, external, ...s })}\n`);
    else
      io.err(
        `${event === 'listening' ? `DHT node on UDP port ${dht.port}; ` : ''}routing table ${s.nodes} nodes in ${s.buckets} buckets, ${s.queriesServed} queries served, ${s.torrents} torrents announced\n`,
      );
  };
  report('listening');
  const timer = setInterval(() => report('status'), Math.max(1, every) * 1000);
  const signal = await untilSignal();
  clearInterval(timer);
  await dht.close();
  if (json) io.out(`${JSON.stringify({ event: 'stopped', signal })}\n`);
  else io.err(`DHT node stopped (${signal})\n`);
};

export const registerDht = (program: Command, io: CliIo): void => {
  program
    .command('dht')
    .description('run a DHT node (BEP 5): a bootstrap node for a private network, or a helper')
    .option('--port <n>', 'UDP port (0: any free port)', '6881')
    .option('--host <address>', 'address to listen on', '0.0.0.0')
    .option(
      '--bootstrap <host:port>',
      'join through this node instead of the public routers (repeatable)',
      (v: string, prev: string[]) => [...prev, v],
      [],
    )
    .option('--standalone', 'join nobody: the first node of a private network')
    .option('--state <file>', 'keep the routing table in this file across restarts')
    .option('--read-only', 'ask, never answer (BEP 43)')
    .option('--every <seconds>', 'seconds between status lines', '10')
    .option('--json', 'print one JSON event per line')
    .action((flags: DhtFlags) => runDht(flags, io));
};
