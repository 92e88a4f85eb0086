/**
 * MSE/PE costs: RC4 throughput of the pure-TypeScript cipher (what an RC4 connection pays per
 * byte, each way), and the CPU time of a whole handshake, both roles, in memory.
 *
 *   node dist/bench/mse.js [--mib 64] [--handshakes 200]
 *
 * Each figure is the median of 5 rounds of --mib MiB after 2 warm-up rounds.
 * The anchor for RC4 is OpenSSL's AES-128-CTR through node:crypto (OpenSSL 3 no longer offers
 * RC4 by default), a native stream cipher with hardware help: the ratio says how far a JS stream
 * cipher is from native, not how RC4 compares to AES. Units: MB = 10^6 bytes.
 */
import { createCipheriv } from 'node:crypto';
import { parseArgs } from 'node:util';
import { MseInitiator } from '../src/core/wire/mse/initiator.js';
import { skeyLookup } from '../src/core/wire/mse/keys.js';
import { Rc4 } from '../src/core/wire/mse/rc4.js';
import { MseResponder } from '../src/core/wire/mse/responder.js';
import { nodeHash } from '../src/runtime/node-hash.js';
import { cryptoRng } from '../src/runtime/peer/mse.js';

const { values } = parseArgs({
  options: {
    mib: { type: 'string', default: '64' },
    handshakes: { type: 'string', default: '200' },
  },
});
const total = Number(values.mib) * 1024 * 1024;
const handshakes = Number(values.handshakes);
const CHUNK = 64 * 1024;

/** The median time of `rounds` runs, after two uncounted ones (V8 optimises the loop late). */
const median = (rounds: number, run: () => void): number => {
  run();
  run();
  const times: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const start = process.hrtime.bigint();
    run();
    times.push(Number(process.hrtime.bigint() - start) / 1e9);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(rounds / 2)] ?? 0;
};

const chunk = new Uint8Array(CHUNK);
cryptoRng.fill(chunk);
const rc4 = new Rc4(new Uint8Array(20).fill(7));
const rc4Seconds = median(5, () => {
  for (let done = 0; done < total; done += CHUNK) rc4.update(chunk, chunk);
});
const rc4Copy = new Rc4(new Uint8Array(20).fill(7));
const rc4CopySeconds = median(5, () => {
  for (let done = 0; done < total; done += CHUNK) rc4Copy.update(chunk);
});
const aes = createCipheriv('aes-128-ctr', Buffer.alloc(16, 1), Buffer.alloc(16));
const aesSeconds = median(5, () => {
  for (let done = 0; done < total; done += CHUNK) aes.update(chunk);
});
const mbps = (s: number): number => total / 1e6 / s;

const lookup = skeyLookup(nodeHash, [new Uint8Array(20).fill(1)]);
const cpu = { initiator: 0, responder: 0 };
const timed = <T>(role: keyof typeof cpu, f: () => T): T => {
  const start = process.cpuUsage();
  const out = f();
  const used = process.cpuUsage(start);
  cpu[role] += (used.user + used.system) / 1000;
  return out;
};
for (let i = 0; i < handshakes; i++) {
  const a = timed(
    'initiator',
    () =>
      new MseInitiator({
        infoHash: new Uint8Array(20).fill(1),
        rng: cryptoRng,
        hash: nodeHash,
        initialPayload: new Uint8Array(68),
      }),
  );
  const b = timed('responder', () => new MseResponder({ lookup, rng: cryptoRng, hash: nodeHash }));
  const s1 = timed('initiator', () => a.start());
  if (!s1.ok) throw new Error(s1.error.message);
  const s2 = timed('responder', () => b.push(s1.value));
  if (!s2.ok) throw new Error(s2.error.message);
  const s3 = timed('initiator', () => a.push(s2.value.send));
  if (!s3.ok) throw new Error(s3.error.message);
  const s4 = timed('responder', () => b.push(s3.value.send));
  if (!s4.ok || s4.value.done === undefined) throw new Error('responder did not finish');
  const end = timed('initiator', () => a.push(s4.value.send));
  if (!end.ok || end.value.done === undefined) throw new Error('initiator did not finish');
}

const row = (name: string, value: string): void => console.log(`${name.padEnd(44)} ${value}`);
row('RC4 in place, 64 KiB chunks', `${mbps(rc4Seconds).toFixed(0)} MB/s`);
row('RC4 into a new array, 64 KiB chunks', `${mbps(rc4CopySeconds).toFixed(0)} MB/s`);
row('anchor: AES-128-CTR (OpenSSL, node:crypto)', `${mbps(aesSeconds).toFixed(0)} MB/s`);
row('RC4 / anchor', `${(aesSeconds / rc4Seconds).toFixed(2)}`);
row(
  `handshake CPU, initiator (mean of ${handshakes})`,
  `${(cpu.initiator / handshakes).toFixed(2)} ms`,
);
row(
  `handshake CPU, responder (mean of ${handshakes})`,
  `${(cpu.responder / handshakes).toFixed(2)} ms`,
);
