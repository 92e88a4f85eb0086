/** announce / announce-list (BEP 12) and url-list web seeds (BEP 19). Malformed entries are
 * skipped, as other clients do, but the lists are bounded. */
import { type BDict, type BValue, isBytes, isList } from '../bencode/types.js';
import { lenientText } from './fields.js';
import type { MetainfoLimits } from './types.js';

const url = (v: BValue | undefined): string | undefined => {
  const text = lenientText(v)?.trim();
  return text === undefined || text.length === 0 || text.length > 4096 ? undefined : text;
};

export const parseTrackers = (
  top: BDict | undefined,
  limits: MetainfoLimits,
): { announce: string[][] } => {
  if (top === undefined) return { announce: [] };
  let count = 0;
  const tiers: string[][] = [];
  const list = top.get('announce-list');
  if (isList(list)) {
    for (const tierValue of list) {
      if (!isList(tierValue)) continue;
      const tier: string[] = [];
      for (const entry of tierValue) {
        const u = url(entry);
        if (u !== undefined && count < limits.maxTrackers && !tier.includes(u)) {
          tier.push(u);
          count++;
        }
      }
      if (tier.length > 0) tiers.push(tier);
    }
  }
  // BEP 12: announce-list wins; announce is the fallback when it has no usable tier.
  if (tiers.length === 0) {
    const single = url(top.get('announce'));
    if (single !== undefined) tiers.push([single]);
  }
  return { announce: tiers };
};

export const parseUrlList = (top: BDict | undefined, limits: MetainfoLimits): string[] => {
  const value = top?.get('url-list');
  const entries = isBytes(value) ? [value] : isList(value) ? value : [];
  const out: string[] = [];
  for (const entry of entries) {
    const u = url(entry);
    if (u !== undefined && out.length < limits.maxTrackers && !out.includes(u)) out.push(u);
  }
  return out;
};
