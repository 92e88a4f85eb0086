import { MIN_PIECE_LENGTH } from './types.js';

const MAX_AUTO_PIECE_LENGTH = 16 * 1024 * 1024;
const TARGET_PIECES = 1500;

/**
 * The default piece length for `total` bytes: the power of two that gives about 1,500 pieces,
 * between 16 KiB and 16 MiB, as common clients aim for (a 1 GiB film gets 1 MiB pieces).
 */
export const defaultPieceLength = (total: number): number => {
  let length = MIN_PIECE_LENGTH;
  while (length < MAX_AUTO_PIECE_LENGTH && total / length > TARGET_PIECES) length *= 2;
  return length;
};
