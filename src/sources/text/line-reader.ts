/**
 * Splits a byte stream into lines with their 1-based number and byte offset, one batch per
 * input chunk. A leading UTF-8 BOM is skipped; `\r\n` and `\n` both end a line. A line longer
 * than the cap is not buffered: it comes back flagged `overlong` (text cut to a preview) and
 * the reader reports it as a failed record.
 */
export interface TextLine {
  readonly text: string;
  /** 1-based line number. */
  readonly line: number;
  /** Byte offset of the line's first byte. */
  readonly offset: number;
  /** Set when the line exceeded the cap; `text` is only its beginning. */
  readonly overlong?: number;
}

export const DEFAULT_MAX_LINE_BYTES = 16 * 1024 * 1024;
const PREVIEW_BYTES = 200;

export async function* readLines(source: AsyncIterable<Buffer>, maxLineBytes = DEFAULT_MAX_LINE_BYTES): AsyncGenerator<TextLine[]> {
  let parts: Buffer[] = [];
  let partsLength = 0;
  let lineStart = 0;
  let lineNo = 1;
  let position = 0;
  let overlong = false;
  let preview = '';
  let first = true;

  const finish = (tail: Buffer): TextLine => {
    let text: string;
    let line: TextLine;
    if (overlong) {
      line = { text: preview, line: lineNo, offset: lineStart, overlong: partsLength + tail.length };
    } else {
      const whole = parts.length === 0 ? tail : Buffer.concat([...parts, tail]);
      let end = whole.length;
      if (end > 0 && whole[end - 1] === 0x0d) end--;
      text = whole.toString('utf8', 0, end);
      line = { text, line: lineNo, offset: lineStart };
    }
    parts = [];
    partsLength = 0;
    overlong = false;
    preview = '';
    return line;
  };

  for await (let chunk of source) {
    if (first) {
      first = false;
      if (chunk.length >= 3 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) {
        chunk = chunk.subarray(3);
        position = 3;
        lineStart = 3;
      }
    }
    const out: TextLine[] = [];
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      if (nl < 0) break;
      out.push(finish(chunk.subarray(start, nl)));
      lineNo++;
      lineStart = position + nl + 1;
      start = nl + 1;
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      if (!overlong && partsLength + rest.length > maxLineBytes) {
        overlong = true;
        preview = Buffer.concat([...parts, rest]).toString('utf8', 0, PREVIEW_BYTES);
        parts = [];
      }
      if (!overlong) parts.push(Buffer.from(rest));
      partsLength += rest.length;
    }
    position += chunk.length;
    if (out.length > 0) yield out;
  }
  if (partsLength > 0 || overlong) yield [finish(Buffer.alloc(0))];
}
