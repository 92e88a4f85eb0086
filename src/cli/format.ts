/** Human-readable figures for the CLI. */
const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

export const formatBytes = (n: number): string => {
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0
    ? `${n} B`
    : `${value.toFixed(value >= 100 ? 0 : value >= 10 ? 1 : 2)} ${UNITS[unit]}`;
};

/** Parses "262144", "256K", "256KiB", "1M", "4MiB" into bytes; undefined if malformed. */
export const parseByteSize = (text: string): number | undefined => {
  const m = /^(\d+)\s*([KMG]?)(?:i?B)?$/i.exec(text.trim());
  if (m === null) return undefined;
  const scale = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[(m[2] ?? '').toUpperCase()] ?? 1;
  return Number(m[1]) * scale;
};
