/**
 * The text of a plain-text upload, or null when the bytes are not text: UTF-8 (with or
 * without a byte-order mark), or UTF-16 with a byte-order mark (what Windows Notepad calls
 * "Unicode"). NUL bytes or more than 1 % other control characters mean a binary file.
 */
export function decodeText(buf: Buffer): string | null {
  let text: string;
  try {
    if (buf.length >= 2 && buf[0] === 0xff && buf[1] === 0xfe) text = new TextDecoder('utf-16le', { fatal: true }).decode(buf.subarray(2));
    else if (buf.length >= 2 && buf[0] === 0xfe && buf[1] === 0xff) text = new TextDecoder('utf-16be', { fatal: true }).decode(buf.subarray(2));
    else text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(buf);
  } catch {
    return null;
  }
  let controls = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0) return null;
    // Tab, line feed, vertical tab, form feed and carriage return are layout; the rest is noise.
    if ((c < 0x20 && (c < 0x09 || c > 0x0d)) || c === 0x7f) controls++;
  }
  return controls > text.length / 100 ? null : text;
}
