/**
 * Builds small synthetic EVTX files for the file-layer tests: a file header, chunks with
 * template-less BinXml records (`<Event><System><EventRecordID>n</EventRecordID></System>
 * <EventData><Data Name="Note">text</Data></EventData></Event>`), and checksums. Tests corrupt
 * the bytes afterwards; `stampChunk` / `stampFile` recompute checksums when they should hold.
 */
import { crc32, crc32Update } from '../../src/sources/evtx/crc32.js';
import { prng } from '../../src/simulate/iis-scenario.js';

export const FILE_HEADER_SIZE = 4096;
export const CHUNK_SIZE = 65536;
export const CHUNK_HEADER_SIZE = 512;

/** 2021-01-02T03:04:05.1234567Z as FILETIME. */
export const SAMPLE_FILETIME = BigInt(Date.UTC(2021, 0, 2, 3, 4, 5)) * 10_000n + 116_444_736_000_000_000n + 1_234_567n;
export const SAMPLE_TIME_ISO = '2021-01-02T03:04:05.1234567Z';

class Writer {
  constructor(
    readonly b: Uint8Array,
    public pos: number,
  ) {}
  u8(v: number): void {
    this.b[this.pos++] = v & 0xff;
  }
  u16(v: number): void {
    this.u8(v);
    this.u8(v >>> 8);
  }
  u32(v: number): void {
    this.u16(v & 0xffff);
    this.u16(v >>> 16);
  }
  u64(v: bigint): void {
    this.u32(Number(v & 0xffffffffn));
    this.u32(Number(v >> 32n));
  }
  utf16(s: string): void {
    for (let i = 0; i < s.length; i++) this.u16(s.charCodeAt(i));
  }
  /** Name reference pointing at itself: the name structure follows inline. */
  inlineName(name: string): void {
    this.u32(this.pos + 4);
    this.u32(0); // next in bucket
    this.u16(0); // hash (not checked by readers)
    this.u16(name.length);
    this.utf16(name);
    this.u16(0);
  }
  stringValue(s: string): void {
    this.u8(0x05);
    this.u8(0x01);
    this.u16(s.length);
    this.utf16(s);
  }
  /** Writes an element; `body` writes its content; attributes are name/value pairs. */
  element(
    name: string,
    attributes: ReadonlyArray<readonly [string, string]>,
    body: (() => void) | null,
    opts: { inTemplate?: boolean; nameOffset?: number } = {},
  ): void {
    this.u8(attributes.length > 0 ? 0x41 : 0x01);
    if (opts.inTemplate === true) this.u16(0xffff); // dependency id, present only in template definitions
    const sizeAt = this.pos;
    this.u32(0);
    if (opts.nameOffset === undefined) this.inlineName(name);
    else this.u32(opts.nameOffset < 0 ? this.pos : opts.nameOffset);
    if (attributes.length > 0) {
      const listAt = this.pos;
      this.u32(0);
      attributes.forEach(([attrName, value], i) => {
        this.u8(i < attributes.length - 1 ? 0x46 : 0x06);
        this.inlineName(attrName);
        this.stringValue(value);
      });
      patch32(this.b, listAt, this.pos - listAt - 4);
    }
    if (body === null) {
      this.u8(0x03);
    } else {
      this.u8(0x02);
      body();
      this.u8(0x04);
    }
    patch32(this.b, sizeAt, this.pos - sizeAt - 4);
  }

  substitution(index: number, type: number): void {
    this.u8(0x0d);
    this.u16(index);
    this.u8(type);
  }
}

function patch32(b: Uint8Array, at: number, v: number): void {
  b[at] = v & 0xff;
  b[at + 1] = (v >>> 8) & 0xff;
  b[at + 2] = (v >>> 16) & 0xff;
  b[at + 3] = (v >>> 24) & 0xff;
}

export function readU32(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}

export function writeU32(b: Uint8Array, at: number, v: number): void {
  patch32(b, at, v);
}

export interface RecordSpec {
  readonly id: number;
  readonly note?: string;
  /** EventRecordID written inside the XML (defaults to `id`). */
  readonly xmlId?: number;
}

/** A chunk under construction: records are appended from offset 512. */
export class ChunkBuilder {
  readonly bytes = new Uint8Array(CHUNK_SIZE);
  private pos = CHUNK_HEADER_SIZE;
  readonly offsets: number[] = [];
  readonly ids: number[] = [];

  /** Appends a record; returns its chunk-relative offset. */
  add(spec: RecordSpec): number {
    const off = this.writeRecordAt(this.pos, spec);
    this.offsets.push(off);
    this.ids.push(spec.id);
    return off;
  }

  /** Writes a record at `off` without making it part of the live list (slack, remnants). */
  writeRecordAt(off: number, spec: RecordSpec): number {
    const w = new Writer(this.bytes, off);
    w.u32(0x00002a2a);
    w.u32(0); // size, patched below
    w.u64(BigInt(spec.id));
    w.u64(SAMPLE_FILETIME);
    // BinXml: fragment header then an inline element tree.
    w.u8(0x0f);
    w.u8(0x01);
    w.u8(0x01);
    w.u8(0x00);
    w.element('Event', [], () => {
      w.element('System', [], () => {
        w.element('Provider', [['Name', 'Vigil-Synthetic']], null);
        w.element('EventID', [], () => w.stringValue('4242'));
        w.element('EventRecordID', [], () => w.stringValue(String(spec.xmlId ?? spec.id)));
        w.element('Channel', [], () => w.stringValue('Synthetic'));
      });
      w.element('EventData', [], () => {
        w.element('Data', [['Name', 'Note']], () => w.stringValue(spec.note ?? `record ${spec.id}`));
      });
    });
    w.u8(0x00); // EOF
    while ((w.pos + 4 - off) % 8 !== 0) w.u8(0);
    const size = w.pos + 4 - off;
    w.u32(size);
    patch32(this.bytes, off + 4, size);
    if (off + size > this.pos && off === this.pos) this.pos = off + size;
    return off;
  }

  /**
   * Writes a record built from a template instance. `definition` chooses where the template
   * definition is: written inline here, a back-reference to an earlier inline definition, or a
   * hostile offset (pointing at the instance token itself, outside the chunk, a definition that
   * instantiates itself, or an element whose name offset points at its own name-offset field).
   * Returns the record offset and the definition offset used.
   */
  addTemplateRecord(
    spec: RecordSpec,
    definition: 'inline' | 'self' | 'outside' | 'recursive' | 'name-self' | { readonly reuse: number },
  ): { offset: number; definitionOffset: number } {
    const off = this.pos;
    const w = new Writer(this.bytes, off);
    w.u32(0x00002a2a);
    w.u32(0);
    w.u64(BigInt(spec.id));
    w.u64(SAMPLE_FILETIME);
    w.u8(0x0f);
    w.u8(0x01);
    w.u8(0x01);
    w.u8(0x00);
    const tokenPos = w.pos;
    w.u8(0x0c);
    w.u8(0x01);
    w.u32(0x1234); // template id
    const defAt = w.pos;
    w.u32(0);
    let definitionOffset: number;
    if (typeof definition === 'object') {
      definitionOffset = definition.reuse;
    } else if (definition === 'self') {
      definitionOffset = tokenPos;
    } else if (definition === 'outside') {
      definitionOffset = 0xffffff00;
    } else {
      definitionOffset = w.pos;
      w.u32(definition === 'recursive' ? definitionOffset : 0); // next-template link (self when hostile)
      for (let i = 0; i < 16; i++) w.u8(i);
      const sizeAt = w.pos;
      w.u32(0);
      const bodyStart = w.pos;
      w.u8(0x0f);
      w.u8(0x01);
      w.u8(0x01);
      w.u8(0x00);
      const t = { inTemplate: true };
      if (definition === 'recursive') {
        // The body instantiates the very template being defined.
        w.u8(0x0c);
        w.u8(0x01);
        w.u32(0x1234);
        w.u32(definitionOffset);
      }
      w.element(
        'Event',
        [],
        () => {
          w.element('System', [], () => w.element('EventRecordID', [], () => w.substitution(0, 0x01), t), t);
          w.element('EventData', [], () => w.element('Data', [['Name', 'Note']], () => w.substitution(1, 0x01), t), t);
        },
        definition === 'name-self' ? { inTemplate: true, nameOffset: -1 } : t,
      );
      w.u8(0x00);
      patch32(this.bytes, sizeAt, w.pos - bodyStart);
    }
    patch32(this.bytes, defAt, definitionOffset);
    const values = [String(spec.xmlId ?? spec.id), spec.note ?? `templated ${spec.id}`];
    w.u32(values.length);
    for (const v of values) {
      w.u16(v.length * 2);
      w.u8(0x01);
      w.u8(0);
    }
    for (const v of values) w.utf16(v);
    w.u8(0x00);
    while ((w.pos + 4 - off) % 8 !== 0) w.u8(0);
    const size = w.pos + 4 - off;
    w.u32(size);
    patch32(this.bytes, off + 4, size);
    this.pos = off + size;
    this.offsets.push(off);
    this.ids.push(spec.id);
    return { offset: off, definitionOffset };
  }

  /** Offset just past the last live record. */
  get end(): number {
    return this.pos;
  }

  /** Writes the chunk header (ids, free space offset) and both checksums. */
  finish(opts: { freeSpaceOffset?: number; firstId?: number; lastId?: number } = {}): Uint8Array {
    const b = this.bytes;
    b.set([0x45, 0x6c, 0x66, 0x43, 0x68, 0x6e, 0x6b, 0x00], 0);
    const first = opts.firstId ?? this.ids[0] ?? 0;
    const last = opts.lastId ?? this.ids[this.ids.length - 1] ?? 0;
    const w = new Writer(b, 8);
    w.u64(BigInt(first));
    w.u64(BigInt(last));
    w.u64(BigInt(first));
    w.u64(BigInt(last));
    w.u32(128);
    w.u32(this.offsets[this.offsets.length - 1] ?? 0);
    w.u32(opts.freeSpaceOffset ?? this.pos);
    stampChunk(b);
    return b;
  }
}

/** Recomputes a chunk's records CRC (over 512..free space) and header CRC. */
export function stampChunk(b: Uint8Array): void {
  const free = Math.min(Math.max(readU32(b, 48), CHUNK_HEADER_SIZE), b.length);
  patch32(b, 52, crc32(b, CHUNK_HEADER_SIZE, free));
  patch32(b, 124, crc32Update(crc32Update(0, b, 0, 120), b, 128, CHUNK_HEADER_SIZE));
}

/** A chunk holding `count` records with ids from `firstId`. */
export function simpleChunk(firstId: number, count: number): ChunkBuilder {
  const c = new ChunkBuilder();
  for (let i = 0; i < count; i++) c.add({ id: firstId + i });
  c.finish();
  return c;
}

export interface FileOptions {
  readonly chunkCount?: number;
  readonly flags?: number;
  readonly major?: number;
  readonly minor?: number;
}

/** A file header followed by the given chunks (each normally 64 KiB). */
export function buildFile(chunks: readonly Uint8Array[], opts: FileOptions = {}): Uint8Array {
  const total = FILE_HEADER_SIZE + chunks.reduce((n, c) => n + c.length, 0);
  const b = new Uint8Array(total);
  b.set([0x45, 0x6c, 0x66, 0x46, 0x69, 0x6c, 0x65, 0x00], 0);
  const w = new Writer(b, 8);
  w.u64(0n);
  w.u64(BigInt(Math.max(0, Math.min(chunks.length, opts.chunkCount ?? chunks.length) - 1)));
  w.u64(1000n);
  w.u32(128);
  w.u16(opts.minor ?? 1);
  w.u16(opts.major ?? 3);
  w.u16(FILE_HEADER_SIZE);
  w.u16(opts.chunkCount ?? chunks.length);
  patch32(b, 120, opts.flags ?? 0);
  stampFile(b);
  let at = FILE_HEADER_SIZE;
  for (const c of chunks) {
    b.set(c, at);
    at += c.length;
  }
  return b;
}

export function stampFile(b: Uint8Array): void {
  patch32(b, 124, crc32(b, 0, 120));
}

/** Deterministic PRNG (mulberry32, the simulator's) so fuzz runs are reproducible. */
export { prng };

/** Draws over `prng`: a whole number below `n`, an item of a list, true with probability `p`. */
export interface SeededRandom {
  int(n: number): number;
  pick<T>(xs: readonly T[]): T;
  chance(p: number): boolean;
}

export function seededRandom(seed: number): SeededRandom {
  const next = prng(seed);
  const int = (n: number): number => Math.floor(next() * n);
  return { int, pick: (xs) => xs[int(xs.length)]!, chance: (p) => next() < p };
}
