import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { toHex } from '../../../lib/bytes.js';
import { seededRng } from '../../../lib/ports.js';
import {
  bigIntToBytes,
  bytesToBigInt,
  DH_KEY_LENGTH,
  generateKeyPair,
  MSE_PRIME,
  modPow,
  sharedSecret,
} from './dh.js';

const naivePow = (b: bigint, e: bigint, m: bigint): bigint => {
  let r = 1n % m;
  for (let i = 0n; i < e; i++) r = (r * b) % m;
  return r;
};

describe('MSE Diffie-Hellman', () => {
  it('uses the 768-bit prime of the specification', () => {
    assert.equal(
      MSE_PRIME.toString(16),
      'ffffffffffffffffc90fdaa22168c234c4c6628b80dc1cd129024e088a67cc74020bbea63b139b22514a08798e' +
        '3404ddef9519b3cd3a431b302b0a6df25f14374fe1356d6d51c245e485b576625e7ec6f44c42e9a63a36210000' +
        '000000090563',
    );
    assert.equal(MSE_PRIME.toString(2).length, 768);
    // Fermat witnesses: a prime passes, almost every composite fails.
    assert.equal(modPow(2n, MSE_PRIME - 1n, MSE_PRIME), 1n);
    assert.equal(modPow(3n, MSE_PRIME - 1n, MSE_PRIME), 1n);
  });

  it('computes 2^x mod P as an independent implementation does', () => {
    // Python: pow(2, 0x0102...1314, P).to_bytes(96, 'big').hex()
    const x = bytesToBigInt(new Uint8Array(20).map((_, i) => i + 1));
    assert.equal(
      toHex(bigIntToBytes(modPow(2n, x, MSE_PRIME), DH_KEY_LENGTH)),
      '96e112dab29e8c5272accb9b17b26887ce54a144a4e3b697c7d159b7a817e556b0918db2b4c658e02a87f7e5fb' +
        '14b18a553e084cbf3dad2d30f16596ccb982d406258c61b30c5c1dae2ddc60bdbd48d79896312aad63238c39' +
        'e1a633821eb693',
    );
  });

  it('modPow agrees with repeated multiplication', () => {
    fc.assert(
      fc.property(fc.bigInt(0n, 10_000n), fc.bigInt(0n, 300n), fc.bigInt(1n, 10_000n), (b, e, m) =>
        assert.equal(modPow(b, e, m), naivePow(b, e, m)),
      ),
    );
  });

  it('encodes numbers as fixed-length big-endian bytes, leading zeros kept', () => {
    assert.equal(toHex(bigIntToBytes(0x0102n, 4)), '00000102');
    assert.equal(bytesToBigInt(new Uint8Array([0, 0, 1, 2])), 0x0102n);
    assert.equal(bytesToBigInt(new Uint8Array(0)), 0n);
  });

  it('gives both sides the same 96-byte secret', () => {
    const rng = seededRng(1);
    for (let i = 0; i < 5; i++) {
      const a = generateKeyPair(rng);
      const b = generateKeyPair(rng);
      assert.equal(a.publicKey.length, DH_KEY_LENGTH);
      const sa = sharedSecret(a.privateKey, b.publicKey);
      const sb = sharedSecret(b.privateKey, a.publicKey);
      assert.ok(sa.ok && sb.ok);
      assert.equal(sa.value.length, DH_KEY_LENGTH);
      assert.equal(toHex(sa.value), toHex(sb.value));
      assert.ok(a.privateKey < 2n ** 160n);
    }
  });

  it('refuses public keys that fix the secret: 0, 1, P-1, P and above, wrong length', () => {
    const me = generateKeyPair(seededRng(2));
    for (const y of [0n, 1n, MSE_PRIME - 1n, MSE_PRIME, 2n ** 768n - 1n]) {
      const r = sharedSecret(me.privateKey, bigIntToBytes(y, DH_KEY_LENGTH));
      assert.ok(!r.ok && r.error.code === 'MSE_BAD_FIELD', `y = ${y}`);
    }
    const short = sharedSecret(me.privateKey, new Uint8Array(95).fill(1));
    assert.ok(!short.ok && short.error.code === 'MSE_BAD_FIELD');
    assert.ok(sharedSecret(me.privateKey, bigIntToBytes(2n, DH_KEY_LENGTH)).ok);
  });
});
