/**
 * The methods an MSE handshake negotiates, as crypto_provide / crypto_select bits: 0x01
 * plaintext (only the handshake is obfuscated), 0x02 RC4 (the whole stream). Other bits are
 * reserved; offered ones are ignored, selected ones refused.
 */
import type { ErrorValue } from '../../../lib/errors.js';
import { err, ok, type Result } from '../../../lib/result.js';

export type MseMethod = 'plaintext' | 'rc4';

export const CRYPTO_PLAINTEXT = 0x01;
export const CRYPTO_RC4 = 0x02;

export const METHOD_BIT: { readonly [M in MseMethod]: number } = {
  plaintext: CRYPTO_PLAINTEXT,
  rc4: CRYPTO_RC4,
};

/** Both, the default offer. */
export const ALL_METHODS: readonly MseMethod[] = ['plaintext', 'rc4'];

export const methodBits = (methods: readonly MseMethod[]): number =>
  methods.reduce((bits, m) => bits | METHOD_BIT[m], 0);

/**
 * The responder's choice among what the initiator provides: `prefer` when both allow it,
 * else the other allowed method on offer; MSE_NO_COMMON_METHOD when none is.
 */
export const selectMethod = (
  provide: number,
  allowed: readonly MseMethod[],
  prefer: MseMethod,
): Result<MseMethod, ErrorValue> => {
  const common = ALL_METHODS.filter((m) => allowed.includes(m) && (provide & METHOD_BIT[m]) !== 0);
  if (common.includes(prefer)) return ok(prefer);
  const other = common[0];
  if (other !== undefined) return ok(other);
  return err({
    code: 'MSE_NO_COMMON_METHOD',
    message: `crypto_provide 0x${(provide >>> 0).toString(16)} offers no method this side allows`,
  });
};

/** The initiator's reading of crypto_select: exactly one bit, and one it offered. */
export const selectedMethod = (
  select: number,
  offered: readonly MseMethod[],
): Result<MseMethod, ErrorValue> => {
  const method = ALL_METHODS.find((m) => METHOD_BIT[m] === select);
  if (method === undefined) {
    return err({
      code: 'MSE_BAD_FIELD',
      message: `crypto_select 0x${(select >>> 0).toString(16)} is not one method`,
    });
  }
  if (!offered.includes(method)) {
    return err({
      code: 'MSE_NO_COMMON_METHOD',
      message: `the peer selected ${method}, not offered`,
    });
  }
  return ok(method);
};
