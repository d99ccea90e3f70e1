/**
 * Streaming splitter for a sequence of JSON objects: one per line (JSONL), back-to-back
 * pretty-printed objects (evtx_dump's default output, with or without its `Record N` lines),
 * or the objects of one top-level array. It tracks strings, escapes and nesting byte by byte,
 * so no object needs a newline of its own, and it never holds more than one object.
 *
 * Recovery: a broken object must not swallow the ones after it. An object is abandoned (and
 * reported) when a raw newline appears inside a string (JSON strings cannot hold one, so the
 * line was cut), when a `{` starts a line while an object is still open (pretty printers
 * indent nested objects, JSONL never breaks lines inside one), or when it exceeds the depth
 * or size bound. Reading resumes at the next `{` that starts a line.
 */
export interface JsonSplitLimits {
  readonly maxDepth: number;
  readonly maxObjectBytes: number;
}

export const DEFAULT_JSON_SPLIT_LIMITS: JsonSplitLimits = Object.freeze({ maxDepth: 512, maxObjectBytes: 64 * 1024 * 1024 });

export type SplitItem =
  /** The bytes of one top-level object. */
  | { readonly kind: 'object'; readonly bytes: Buffer; readonly offset: number; readonly line: number; readonly banner: number | null }
  /** Something that is not a complete object; counted as a failed record. */
  | { readonly kind: 'error'; readonly code: string; readonly message: string; readonly offset: number; readonly line: number };

const LF = 0x0a;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;
}

const BANNER = /^Record (\d{1,20})\s*$/;

export class JsonObjectSplitter {
  private readonly limits: JsonSplitLimits;
  /** Absolute offset of the next byte to be pushed. */
  private position = 0;
  private lineNo = 1;
  private atLineStart = true;
  private first = true;

  /** Inside an object: nesting depth above the base, string state. */
  private depth = 0;
  private inString = false;
  private escape = false;
  private parts: Buffer[] = [];
  private partsLength = 0;
  private objectStart = 0;
  private objectLine = 0;
  private inObject = false;
  /** Inside the top-level array, between its objects. */
  private inArray = false;
  /** Skipping bytes until a `{` starts a line. */
  private resyncing = false;

  /** Text outside objects on the current line. */
  private junk = '';
  private junkStart = 0;
  private junkLine = 0;
  private pendingBanner: number | null = null;

  constructor(limits: JsonSplitLimits = DEFAULT_JSON_SPLIT_LIMITS) {
    this.limits = limits;
  }

  push(chunk: Buffer): SplitItem[] {
    const out: SplitItem[] = [];
    let i = 0;
    if (this.first && chunk.length > 0) {
      this.first = false;
      if (chunk.length >= 3 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) i = 3;
    }
    /** Start of the piece of `chunk` that belongs to the open object. */
    let pieceStart = this.inObject ? i : -1;
    const n = chunk.length;
    while (i < n) {
      const b = chunk[i]!;
      if (this.inObject) {
        if (this.inString) {
          if (this.escape) this.escape = false;
          else if (b === BACKSLASH) this.escape = true;
          else if (b === QUOTE) this.inString = false;
          else if (b === LF) {
            this.abandon(out, 'json.truncated', 'object cut short: a line ends inside a string');
            pieceStart = -1;
            this.newline();
            i++;
            continue;
          }
        } else if (b === QUOTE) {
          this.inString = true;
        } else if (b === LBRACE || b === LBRACKET) {
          if (b === LBRACE && this.atLineStart) {
            // A `{` opening a line while an object is open: the open one was cut short.
            this.abandon(out, 'json.truncated', 'object cut short: a new object starts before it closed');
            this.resyncing = false;
            this.openObject(i);
            pieceStart = i;
            this.atLineStart = false;
            i++;
            continue;
          }
          this.depth++;
          if (this.depth > this.limits.maxDepth) {
            this.abandon(out, 'json.too-deep', `object nests deeper than ${this.limits.maxDepth} levels`);
            pieceStart = -1;
            this.atLineStart = false;
            i++;
            continue;
          }
        } else if (b === RBRACE || b === RBRACKET) {
          this.depth--;
          if (this.depth === 0) {
            this.closeObject(chunk.subarray(pieceStart, i + 1), out);
            pieceStart = -1;
          }
        }
        if (b === LF) this.newline();
        else this.atLineStart = false;
        i++;
        continue;
      }
      // Outside any object.
      if (this.resyncing) {
        if (b === LBRACE && this.atLineStart) {
          this.resyncing = false;
          this.openObject(i);
          pieceStart = i;
          this.atLineStart = false;
        } else if (b === LF) {
          this.newline();
        } else {
          this.atLineStart = false;
        }
        i++;
        continue;
      }
      if (b === LBRACE) {
        this.flushJunk(out);
        this.openObject(i);
        pieceStart = i;
      } else if (b === LBRACKET && !this.inArray && this.junk === '') {
        this.inArray = true;
      } else if (b === RBRACKET && this.inArray) {
        this.inArray = false;
      } else if (b === 0x2c && this.inArray) {
        // separator between array items
      } else if (b === LF) {
        this.flushJunk(out);
      } else if (isSpace(b)) {
        if (this.junk !== '' && this.junk.length < 200) this.junk += ' ';
      } else {
        if (this.junk === '') {
          this.junkStart = this.position + i;
          this.junkLine = this.lineNo;
        }
        if (this.junk.length < 200) this.junk += String.fromCharCode(b);
      }
      if (b === LF) this.newline();
      else this.atLineStart = false;
      i++;
    }
    if (this.inObject && pieceStart >= 0 && pieceStart < n) this.appendPiece(chunk.subarray(pieceStart, n), out);
    this.position += n;
    return out;
  }

  /** Call once at end of input. */
  end(): SplitItem[] {
    const out: SplitItem[] = [];
    if (this.inObject) {
      out.push({ kind: 'error', code: 'json.truncated', message: 'input ends inside an object', offset: this.objectStart, line: this.objectLine });
      this.reset();
    }
    this.flushJunk(out);
    return out;
  }

  private newline(): void {
    this.lineNo++;
    this.atLineStart = true;
  }

  private openObject(indexInChunk: number): void {
    this.inObject = true;
    this.depth = 1;
    this.inString = false;
    this.escape = false;
    this.parts = [];
    this.partsLength = 0;
    this.objectStart = this.position + indexInChunk;
    this.objectLine = this.lineNo;
  }

  private appendPiece(piece: Buffer, out: SplitItem[]): void {
    if (this.partsLength + piece.length > this.limits.maxObjectBytes) {
      this.abandon(out, 'json.too-large', `object exceeds ${this.limits.maxObjectBytes} bytes`);
      return;
    }
    // Chunks are not reused by our sources, so a view is safe to keep.
    this.parts.push(piece);
    this.partsLength += piece.length;
  }

  private closeObject(lastPiece: Buffer, out: SplitItem[]): void {
    if (this.partsLength + lastPiece.length > this.limits.maxObjectBytes) {
      this.abandon(out, 'json.too-large', `object exceeds ${this.limits.maxObjectBytes} bytes`);
      this.resyncing = false;
      return;
    }
    const bytes = this.parts.length === 0 ? lastPiece : Buffer.concat([...this.parts, lastPiece]);
    out.push({ kind: 'object', bytes, offset: this.objectStart, line: this.objectLine, banner: this.pendingBanner });
    this.pendingBanner = null;
    this.reset();
  }

  private abandon(out: SplitItem[], code: string, message: string): void {
    out.push({ kind: 'error', code, message, offset: this.objectStart, line: this.objectLine });
    this.pendingBanner = null;
    this.reset();
    this.resyncing = true;
  }

  private reset(): void {
    this.inObject = false;
    this.depth = 0;
    this.inString = false;
    this.escape = false;
    this.parts = [];
    this.partsLength = 0;
  }

  private flushJunk(out: SplitItem[]): void {
    if (this.junk === '') return;
    const m = BANNER.exec(this.junk.trimEnd());
    if (m !== null) {
      this.pendingBanner = Number(m[1]);
    } else {
      out.push({
        kind: 'error',
        code: 'json.stray-text',
        message: `text outside any JSON object: "${this.junk.length > 60 ? `${this.junk.slice(0, 60)}...` : this.junk}"`,
        offset: this.junkStart,
        line: this.junkLine,
      });
    }
    this.junk = '';
  }
}

/** Splits a byte stream, one batch of items per input chunk. */
export async function* splitJsonObjects(source: AsyncIterable<Buffer>, limits?: JsonSplitLimits): AsyncGenerator<SplitItem[]> {
  const splitter = new JsonObjectSplitter(limits);
  for await (const chunk of source) {
    const items = splitter.push(chunk);
    if (items.length > 0) yield items;
  }
  const tail = splitter.end();
  if (tail.length > 0) yield tail;
}
