/**
 * Hash functions as a port: the pure core asks for digests through this interface, and the
 * runtime supplies node:crypto (or a worker pool). Keeps the core free of node:* imports.
 */
export interface HashPort {
  sha1(data: Uint8Array): Uint8Array;
  sha256(data: Uint8Array): Uint8Array;
}
