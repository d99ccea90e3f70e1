/**
 * Output assembled as UTF-8 bytes in buffers of about 1 MB. Lines that are mostly pieces already
 * held as bytes (risk events read back from their temporary file, a rule's shared JSON) are
 * copied, not decoded into a string and encoded again on the way out; each full buffer is handed
 * to the sink as it is.
 */

const PIECE_BYTES = 1 << 20;
const NEWLINE = 0x0a;
/** Pieces up to this many bytes are copied by a loop rather than Buffer.copy. */
const SMALL_COPY = 48;
/** Buffers kept for reuse: the writer hands back each one it wrote before the next is filled. */
const MAX_SPARE = 2;

export class ByteLines {
  private buf: Buffer;
  private pos = 0;
  /** Bytes in buffers set aside so far (taken or not). */
  private sealed = 0;
  /** Buffers filled and not yet taken. */
  private readonly ready: Buffer[] = [];
  /** Whole buffers handed back by `reuse`, filled before any new one is allocated. */
  private readonly spare: Buffer[] = [];

  constructor(private readonly pieceBytes = PIECE_BYTES) {
    this.buf = Buffer.allocUnsafe(pieceBytes);
  }

  /** Every byte appended so far. */
  get size(): number {
    return this.sealed + this.pos;
  }

  /** True once a full buffer waits to be taken (the writer should `take` and write it). */
  get hasFull(): boolean {
    return this.ready.length > 0;
  }

  text(s: string): void {
    // A UTF-16 code unit takes at most 3 bytes of UTF-8: with that much room the write is whole.
    this.room(s.length * 3);
    this.pos += this.buf.write(s, this.pos);
  }

  /** Text known to be ASCII (a number's JSON): one byte per code unit, no encoder call. */
  ascii(s: string): void {
    this.room(s.length);
    const buf = this.buf;
    let pos = this.pos;
    for (let i = 0; i < s.length; i++) buf[pos++] = s.charCodeAt(i);
    this.pos = pos;
  }

  bytes(src: Buffer, start: number, end: number): void {
    const n = end - start;
    if (n <= 0) return;
    this.room(n);
    if (n <= SMALL_COPY) {
      // Buffer.copy's checks cost more than the copy itself for the short pieces of a risk line.
      const buf = this.buf;
      let pos = this.pos;
      for (let i = start; i < end; i++) buf[pos++] = src[i]!;
      this.pos = pos;
      return;
    }
    // copy, not set(subarray): no view object per piece (a risk line is a few pieces).
    src.copy(this.buf, this.pos, start, end);
    this.pos += n;
  }

  newline(): void {
    this.room(1);
    this.buf[this.pos++] = NEWLINE;
  }

  /** The full buffers, then (with `all`) what the current one holds. */
  take(all = false): Buffer[] {
    if (all && this.pos > 0) this.seal(this.pieceBytes);
    return this.ready.splice(0);
  }

  /**
   * Hands back a buffer from `take` whose bytes the caller no longer needs (written, and not
   * kept by the output): it is filled again instead of a new one. Only a piece that is the start
   * of one of this object's standard-size buffers is kept; anything else is left alone.
   */
  reuse(piece: Buffer): void {
    if (this.spare.length >= MAX_SPARE || piece.byteOffset !== 0 || piece.buffer.byteLength !== this.pieceBytes || piece.buffer === this.buf.buffer || this.spare.some((b) => b.buffer === piece.buffer)) return;
    this.spare.push(Buffer.from(piece.buffer, 0, this.pieceBytes));
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    this.seal(n);
  }

  /** Sets the current buffer aside and starts one with room for at least `n` bytes. */
  private seal(n: number): void {
    if (this.pos > 0) this.ready.push(this.buf.subarray(0, this.pos));
    this.sealed += this.pos;
    this.buf = (n <= this.pieceBytes ? this.spare.pop() : undefined) ?? Buffer.allocUnsafe(Math.max(this.pieceBytes, n));
    this.pos = 0;
  }
}
