/** Serving our info dictionary to peers that came with a magnet link (BEP 9). */
import {
  decodeMetadataMessage,
  encodeMetadataMessage,
  metadataPiece,
} from '../../core/wire/ut-metadata.js';

/** The reply to a ut_metadata message: data or reject for a request, nothing for the rest. */
export const metadataReply = (info: Uint8Array, payload: Uint8Array): Uint8Array | undefined => {
  const m = decodeMetadataMessage(payload);
  if (!m.ok || m.value.kind !== 'request') return undefined;
  const piece = metadataPiece(info, m.value.piece);
  return piece === undefined
    ? encodeMetadataMessage({ kind: 'reject', piece: m.value.piece })
    : encodeMetadataMessage({
        kind: 'data',
        piece: m.value.piece,
        totalSize: info.length,
        data: piece,
      });
};
