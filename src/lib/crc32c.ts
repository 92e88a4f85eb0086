/**
 * CRC-32C (Castagnoli; RFC 3720 appendix B.4, as iSCSI and SCTP use it), the hash BEP 42 ties
 * DHT node ids to addresses with. Reflected polynomial 0x82f63b78, initial value and final XOR
 * 0xffffffff, one table lookup a byte. Pure: no state kept between calls.
 */
const POLYNOMIAL = 0x82f63b78;

const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLYNOMIAL : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** The CRC-32C of `bytes`, as an unsigned 32-bit number. */
export const crc32c = (bytes: Uint8Array): number => {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++)
    c = (TABLE[(c ^ (bytes[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
