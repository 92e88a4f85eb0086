/**
 * Names that are safe to use as one path component on Linux, macOS and Windows. A torrent is
 * refused rather than "fixed" when one of its names would not be: silently renaming files
 * breaks seeding the same data from another client.
 */

// Windows device names, with or without an extension (CON, con.txt, COM1.log, ...).
const WINDOWS_DEVICE = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)(\..*)?$/i;
// Separators on any of the three systems, and the drive/stream colon of Windows.
const SEPARATOR = /[/\\:]/;
// NUL and the other C0 controls, which Windows refuses and which break terminals.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u001f]/;
// Windows drops trailing dots and spaces, so ". ." would turn into "..".
const ONLY_DOTS_AND_SPACES = /^[. ]+$/;

const MAX_COMPONENT_BYTES = 255;

/** Why `name` is not a safe path component, or undefined if it is. */
export const unsafeComponentReason = (name: string): string | undefined => {
  if (name.length === 0) return 'is empty';
  if (name === '.' || name === '..') return `is "${name}"`;
  if (ONLY_DOTS_AND_SPACES.test(name)) return 'is only dots and spaces';
  if (SEPARATOR.test(name)) return 'contains a path separator or colon';
  if (CONTROL.test(name)) return 'contains NUL or a control character';
  if (WINDOWS_DEVICE.test(name)) return 'is a reserved device name on Windows';
  if (new TextEncoder().encode(name).length > MAX_COMPONENT_BYTES) {
    return `is longer than ${MAX_COMPONENT_BYTES} bytes`;
  }
  return undefined;
};
