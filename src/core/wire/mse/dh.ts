/**
 * The Diffie-Hellman exchange of Message Stream Encryption: the 768-bit prime P given by the MSE
 * specification (it shares its leading digits with RFC 2409's first Oakley group but is its own
 * number), generator 2, private keys of 160 bits,
 * public keys and the shared secret S as 96 big-endian bytes. BigInt arithmetic with a 4-bit
 * fixed window: ~0.2-0.4 ms per exponentiation, where node:crypto's createDiffieHellman spends
 * ~25 ms setting up the group alone, so the runtime uses this too.
 */
import type { ErrorValue } from '../../../lib/errors.js';
import type { Rng } from '../../../lib/ports.js';
import { err, ok, type Result } from '../../../lib/result.js';

export const MSE_PRIME = BigInt(
  '0xFFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A0879' +
    '8E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A63A362100' +
    '00000000090563',
);
export const MSE_GENERATOR = 2n;
/** Public keys and the shared secret: 768 bits. */
export const DH_KEY_LENGTH = 96;
/** Private keys: 160 bits, as the specification recommends. */
export const DH_PRIVATE_LENGTH = 20;

export const bytesToBigInt = (bytes: Uint8Array): bigint => {
  let hex = '0x0';
  for (const b of bytes) hex += (b < 16 ? '0' : '') + b.toString(16);
  return BigInt(hex);
};

/** `n` as exactly `length` big-endian bytes (leading zeros kept); `n` must fit. */
export const bigIntToBytes = (n: bigint, length: number): Uint8Array => {
  const hex = n.toString(16).padStart(length * 2, '0');
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
};

/** base^exponent mod modulus, left to right over 4-bit windows of the exponent. */
export const modPow = (base: bigint, exponent: bigint, modulus: bigint): bigint => {
  if (modulus === 1n) return 0n;
  const b = ((base % modulus) + modulus) % modulus;
  const table: bigint[] = [1n];
  for (let k = 1; k < 16; k++) table.push(((table[k - 1] as bigint) * b) % modulus);
  let result = 1n;
  for (const digit of exponent.toString(16)) {
    result = (result * result) % modulus;
    result = (result * result) % modulus;
    result = (result * result) % modulus;
    result = (result * result) % modulus;
    const d = Number.parseInt(digit, 16);
    if (d !== 0) result = (result * (table[d] as bigint)) % modulus;
  }
  return result;
};

export interface DhKeyPair {
  readonly privateKey: bigint;
  /** G^x mod P, 96 bytes. */
  readonly publicKey: Uint8Array;
}

/** A fresh key pair: 160 random bits from `rng` (never zero). */
export const generateKeyPair = (rng: Rng): DhKeyPair => {
  const random = new Uint8Array(DH_PRIVATE_LENGTH);
  rng.fill(random);
  let privateKey = bytesToBigInt(random);
  if (privateKey < 2n) privateKey += 2n;
  return {
    privateKey,
    publicKey: bigIntToBytes(modPow(MSE_GENERATOR, privateKey, MSE_PRIME), DH_KEY_LENGTH),
  };
};

/**
 * S = Y^x mod P as 96 bytes, from the other side's public key Y. A key outside [2, P-2] is
 * refused: 0, 1 and P-1 would give a secret the other side (or anyone) knows in advance.
 */
export const sharedSecret = (
  privateKey: bigint,
  theirPublic: Uint8Array,
): Result<Uint8Array, ErrorValue> => {
  if (theirPublic.length !== DH_KEY_LENGTH) {
    return err({
      code: 'MSE_BAD_FIELD',
      message: `a DH public key of ${theirPublic.length} bytes`,
    });
  }
  const y = bytesToBigInt(theirPublic);
  if (y < 2n || y > MSE_PRIME - 2n) {
    return err({ code: 'MSE_BAD_FIELD', message: 'a DH public key out of range' });
  }
  return ok(bigIntToBytes(modPow(y, privateKey, MSE_PRIME), DH_KEY_LENGTH));
};
