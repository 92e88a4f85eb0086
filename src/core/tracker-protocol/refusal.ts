/**
 * Internal control flow for the decoders in this folder: deep helpers refuse with a thrown
 * `Refusal`, and each public entry point turns it into a `Result` with `attempt`, so nothing
 * but a `Result` ever leaves the module (as in bencode/decode.ts). Not exported from index.ts.
 */
import type { ErrorCode, ErrorValue } from '../../lib/errors.js';
import { err, ok, type Result } from '../../lib/result.js';

class Refusal {
  constructor(readonly error: ErrorValue) {}
}

export function refuse(code: ErrorCode, message: string, offset?: number): never {
  throw new Refusal(offset === undefined ? { code, message } : { code, message, offset });
}

/** Runs `body`, returning its value, or the error it refused with. Other exceptions pass. */
export const attempt = <T>(body: () => T): Result<T, ErrorValue> => {
  try {
    return ok(body());
  } catch (e) {
    if (e instanceof Refusal) return err(e.error);
    throw e;
  }
};
