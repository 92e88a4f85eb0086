import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodePex, encodePex } from '../../core/wire/ut-pex.js';
import { OUR_UT_PEX, PexExchange, UT_PEX_KEY } from './pex-exchange.js';

const setup = (enabled: boolean) => {
  const sent: Array<{ key: number; id: number; payload: Uint8Array }> = [];
  const dialled: string[] = [];
  const pex = new PexExchange({
    enabled,
    send: (key, id, payload) => sent.push({ key, id, payload }),
    dial: (host, port) => dialled.push(`${host}:${port}`),
  });
  return { pex, sent, dialled };
};

describe('PexExchange', () => {
  it('tells each peer that speaks ut_pex of the others, by their listen addresses', () => {
    const { pex, sent } = setup(true);
    assert.deepEqual(pex.extensions, [[UT_PEX_KEY, OUR_UT_PEX]]);
    pex.connected(1, '10.0.0.1:6881', true);
    pex.connected(2, '10.0.0.2:40000', false); // dialled us: its listen port comes later
    pex.handshake(2, 7, 6882);
    pex.connected(3, '10.0.0.3:6883', true);
    pex.tick(0);
    assert.deepEqual(
      sent.map((s) => s.key),
      [2],
      'only peer 2 offered ut_pex',
    );
    const m = decodePex((sent[0] as { payload: Uint8Array }).payload);
    assert.ok(m.ok);
    assert.equal((sent[0] as { id: number }).id, 7);
    assert.deepEqual(m.value.added.map((p) => `${p.address.host}:${p.address.port}`).sort(), [
      '10.0.0.1:6881',
      '10.0.0.3:6883',
    ]);
  });

  it('dials the peers it is told of, and stays silent for a private torrent', () => {
    const on = setup(true);
    on.pex.connected(1, '10.0.0.1:6881', true);
    on.pex.message(
      1,
      encodePex({ added: [{ address: { host: '10.0.0.9', port: 9 }, flags: 0 }], dropped: [] }),
    );
    on.pex.message(1, new Uint8Array([1, 2, 3])); // garbage: ignored
    assert.deepEqual(on.dialled, ['10.0.0.9:9']);
    const off = setup(false);
    assert.deepEqual(off.pex.extensions, []);
    off.pex.connected(1, '10.0.0.1:6881', true);
    off.pex.handshake(1, 7, undefined);
    off.pex.tick(0);
    off.pex.message(
      1,
      encodePex({ added: [{ address: { host: '10.0.0.9', port: 9 }, flags: 0 }], dropped: [] }),
    );
    assert.deepEqual([off.sent, off.dialled], [[], []]);
  });
});
