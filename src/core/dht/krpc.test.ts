import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { utf8 } from '../../lib/bytes.js';
import type { NodeId } from '../../lib/ids.js';
import { decodeKrpc, encodeKrpc, MAX_KRPC_PACKET } from './krpc.js';
import type { KrpcMessage } from './types.js';

const id = (fill: number) => new Uint8Array(20).fill(fill) as NodeId;
const t = utf8('aa');
const code = (bytes: Uint8Array): string | undefined => {
  const r = decodeKrpc(bytes);
  return r.ok ? undefined : r.error.code;
};

describe('KRPC codec', () => {
  it('decodes the BEP 5 example ping and encodes it back byte for byte', () => {
    const ping = utf8('d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe');
    const r = decodeKrpc(ping);
    assert.ok(r.ok);
    assert.equal(r.value.kind, 'query');
    assert.ok(r.value.kind === 'query' && r.value.query.method === 'ping');
    assert.deepEqual(encodeKrpc(r.value), ping);
  });

  it('decodes the BEP 5 example get_peers answer with values, and an error', () => {
    const answer = utf8(
      'd1:rd2:id20:abcdefghij01234567895:token8:aoeusnth6:valuesl6:axje.u6:idhtnmee1:t2:aa1:y1:re',
    );
    const r = decodeKrpc(answer);
    assert.ok(r.ok && r.value.kind === 'response');
    assert.equal(r.value.values?.length, 2);
    assert.deepEqual(r.value.token, utf8('aoeusnth'));
    assert.deepEqual(encodeKrpc(r.value), answer);
    const e = decodeKrpc(utf8('d1:eli201e23:A Generic Error Ocurrede1:t2:aa1:y1:ee'));
    assert.ok(e.ok && e.value.kind === 'error');
    assert.equal(e.value.code, 201);
    assert.equal(e.value.message, 'A Generic Error Ocurred');
  });

  it('round-trips every kind of message, IPv6 nodes and the BEP 42 ip field included', () => {
    const messages: KrpcMessage[] = [
      {
        kind: 'query',
        t,
        id: id(1),
        readOnly: true,
        query: { method: 'find_node', target: id(2), want: ['n4', 'n6'] },
      },
      {
        kind: 'query',
        t,
        id: id(1),
        readOnly: false,
        query: { method: 'get_peers', infoHash: id(3) },
      },
      {
        kind: 'query',
        t,
        id: id(1),
        readOnly: false,
        query: {
          method: 'announce_peer',
          infoHash: id(3),
          port: 6881,
          impliedPort: true,
          token: utf8('tok'),
          seed: true,
        },
      },
      {
        kind: 'response',
        t,
        id: id(4),
        ip: { host: '10.1.2.3', port: 4000 },
        nodes: [{ id: id(5), address: { host: '10.0.0.5', port: 6881 } }],
        nodes6: [{ id: id(6), address: { host: '2001:db8::6', port: 6882 } }],
        values: [
          { host: '10.0.0.7', port: 51413 },
          { host: '2001:db8::7', port: 1 },
        ],
        token: utf8('secret'),
      },
      { kind: 'error', t, code: 204, message: 'Method Unknown' },
    ];
    for (const m of messages) {
      const r = decodeKrpc(encodeKrpc(m));
      assert.ok(r.ok, r.ok ? '' : r.error.message);
      assert.deepEqual({ ...r.value, version: undefined }, { version: undefined, ...m });
    }
  });

  it('answers an unknown method as such, keeping its name', () => {
    const r = decodeKrpc(utf8('d1:ad2:id20:abcdefghij0123456789e1:q9:vote_spam1:t2:aa1:y1:qe'));
    assert.ok(r.ok && r.value.kind === 'query');
    assert.deepEqual(r.value.query, { method: 'unknown', name: 'vote_spam' });
  });

  it('refuses hostile packets with DHT_BAD_PACKET, keeping the transaction id when it has one', () => {
    const hostile = [
      'not bencode',
      'li1ee',
      'd1:y1:qe',
      'd1:t0:1:y1:qe',
      `d1:t17:${'x'.repeat(17)}1:y1:qe`,
      'd1:ad2:id19:abcdefghij012345678e1:q4:ping1:t2:aa1:y1:qe',
      'd1:rd2:id20:abcdefghij01234567895:nodes25:0123456789012345678901234e1:t2:aa1:y1:re',
      'd1:ad2:id20:abcdefghij0123456789e1:q13:announce_peer1:t2:aa1:y1:qe',
      'd1:t2:aa1:y1:xe',
      'd1:ad1:ad1:ad1:ad1:aleeeeee1:t2:aa1:y1:qe',
      'd1:t2:aa1:y1:q1:a99999999:xe',
    ];
    for (const h of hostile) assert.equal(code(utf8(h)), 'DHT_BAD_PACKET', h);
    const r = decodeKrpc(utf8('d1:ad2:id19:abcdefghij012345678e1:q4:ping1:t2:aa1:y1:qe'));
    assert.ok(!r.ok);
    assert.deepEqual(r.error.t, t);
    assert.equal(code(new Uint8Array(MAX_KRPC_PACKET + 1)), 'DHT_BAD_PACKET');
  });

  it('never throws, on random bytes or on mutated valid packets', () => {
    const valid = encodeKrpc({
      kind: 'response',
      t,
      id: id(4),
      nodes: [{ id: id(5), address: { host: '10.0.0.5', port: 6881 } }],
      values: [{ host: '10.0.0.7', port: 51413 }],
      token: utf8('secret'),
    });
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (b) => void decodeKrpc(b)));
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(valid.length - 1), fc.nat(255)), { maxLength: 8 }),
        (edits) => {
          const b = valid.slice();
          for (const [at, v] of edits) b[at] = v;
          decodeKrpc(b);
        },
      ),
    );
  });
});
