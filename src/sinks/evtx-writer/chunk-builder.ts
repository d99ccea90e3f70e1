/**
 * Fills one 64 KiB chunk with records. Names and template definitions are written inline at
 * their first use in the chunk and referenced by chunk offset afterwards, and both are linked
 * into the chunk header's hash tables. A record that does not fit is rolled back completely
 * (bytes, names, templates), so the caller can start a new chunk and encode it afresh there:
 * records never span chunks and chunks stay self-contained.
 */
import * as zlib from 'node:zlib';
import { assertNever } from '../../core/xml-tree.js';
import { crc32Update } from '../../sources/evtx/crc32.js';
import { nameHash, STRING_BUCKETS, TEMPLATE_BUCKETS } from './name-hash.js';
import type { TemplateContent, TemplateElement, TemplateShape } from './templates.js';
import { preparedSize, preparedType, ValueType, type PreparedValue } from './values.js';

export const CHUNK_SIZE = 0x10000;
export const CHUNK_HEADER_SIZE = 512;
const STRING_TABLE_OFFSET = 128;
const TEMPLATE_TABLE_OFFSET = 384;
const RECORD_ALIGNMENT = 8;
/**
 * Records stop short of the chunk end: libevtx 20181227 drops a record that ends exactly at
 * 64 KiB, and Windows itself never fills a chunk to the last byte.
 */
const RECORDS_END = CHUNK_SIZE - RECORD_ALIGNMENT;

export interface PreparedPayload {
  readonly shape: TemplateShape;
  readonly values: readonly PreparedValue[];
}

export interface PreparedRecord {
  readonly recordId: number;
  /** FILETIME ticks of the record header's written time. */
  readonly writtenTime: bigint;
  readonly system: TemplateShape;
  /** System values; the slot at `payloadIndex` is replaced by the nested payload. */
  readonly systemValues: readonly PreparedValue[];
  readonly payloadIndex: number;
  readonly payload: PreparedPayload | null;
}

/** zlib's CRC32 (Node >= 20.15) is the same RFC 1952 CRC, several times faster than a JS loop. */
const nativeCrc32 = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

function crcRange(previous: number, b: Uint8Array, start: number, end: number): number {
  return nativeCrc32 !== undefined ? nativeCrc32(b.subarray(start, end), previous) : crc32Update(previous, b, start, end);
}

/** Thrown internally when the chunk runs out of room; never escapes `tryAppend`. */
const CHUNK_FULL: unique symbol = Symbol('chunk full');

export class ChunkBuilder {
  readonly bytes: Buffer = Buffer.alloc(CHUNK_SIZE);
  private pos = CHUNK_HEADER_SIZE;
  private freeSpace = CHUNK_HEADER_SIZE;
  private lastRecordOffset = 0;
  private firstRecordId = 0;
  private lastRecordId = 0;
  private count = 0;
  private readonly names = new Map<string, number>();
  private readonly templates = new Map<string, number>();
  private readonly nameHeads = new Uint32Array(STRING_BUCKETS);
  private readonly templateHeads = new Uint32Array(TEMPLATE_BUCKETS);
  // Undo journal for the record being written.
  private readonly savedNameHeads = new Uint32Array(STRING_BUCKETS);
  private readonly savedTemplateHeads = new Uint32Array(TEMPLATE_BUCKETS);
  private readonly addedNames: string[] = [];
  private readonly addedTemplates: string[] = [];

  get recordCount(): number {
    return this.count;
  }

  /** Bytes the next record may still use. */
  get freeBytes(): number {
    return RECORDS_END - this.freeSpace;
  }

  reset(): void {
    this.bytes.fill(0);
    this.pos = this.freeSpace = CHUNK_HEADER_SIZE;
    this.lastRecordOffset = this.firstRecordId = this.lastRecordId = this.count = 0;
    this.names.clear();
    this.templates.clear();
    this.nameHeads.fill(0);
    this.templateHeads.fill(0);
  }

  /** Appends the record, or leaves the chunk untouched and returns false when it does not fit. */
  tryAppend(record: PreparedRecord): boolean {
    const start = this.freeSpace;
    this.pos = start;
    this.savedNameHeads.set(this.nameHeads);
    this.savedTemplateHeads.set(this.templateHeads);
    this.addedNames.length = 0;
    this.addedTemplates.length = 0;
    try {
      this.writeRecord(record, start);
    } catch (err) {
      this.rollback(start);
      if (err === CHUNK_FULL) return false;
      throw err;
    }
    this.freeSpace = this.pos;
    this.lastRecordOffset = start;
    if (this.count === 0) this.firstRecordId = record.recordId;
    this.lastRecordId = record.recordId;
    this.count++;
    return true;
  }

  /** Stamps the header (ids, offsets, tables, CRCs) and returns the whole chunk. */
  finish(): Buffer {
    const b = this.bytes;
    b.write('ElfChnk\0', 0, 'latin1');
    writeU64(b, 8, this.firstRecordId);
    writeU64(b, 16, this.lastRecordId);
    writeU64(b, 24, this.firstRecordId);
    writeU64(b, 32, this.lastRecordId);
    b.writeUInt32LE(128, 40);
    b.writeUInt32LE(this.lastRecordOffset, 44);
    b.writeUInt32LE(this.freeSpace, 48);
    b.writeUInt32LE(crcRange(0, b, CHUNK_HEADER_SIZE, this.freeSpace), 52);
    b.writeUInt32LE(0, 120);
    for (let i = 0; i < STRING_BUCKETS; i++) b.writeUInt32LE(this.nameHeads[i]!, STRING_TABLE_OFFSET + i * 4);
    for (let i = 0; i < TEMPLATE_BUCKETS; i++) b.writeUInt32LE(this.templateHeads[i]!, TEMPLATE_TABLE_OFFSET + i * 4);
    b.writeUInt32LE(crcRange(crcRange(0, b, 0, 120), b, 128, CHUNK_HEADER_SIZE), 124);
    return b;
  }

  private rollback(start: number): void {
    this.bytes.fill(0, start, Math.min(CHUNK_SIZE, Math.max(this.pos, start)));
    this.pos = start;
    this.nameHeads.set(this.savedNameHeads);
    this.templateHeads.set(this.savedTemplateHeads);
    for (const n of this.addedNames) this.names.delete(n);
    for (const t of this.addedTemplates) this.templates.delete(t);
  }

  private ensure(n: number): void {
    if (this.pos + n > RECORDS_END) throw CHUNK_FULL;
  }

  private u8(v: number): void {
    this.bytes[this.pos++] = v;
  }

  private u16(v: number): void {
    this.bytes.writeUInt16LE(v, this.pos);
    this.pos += 2;
  }

  private u32(v: number): void {
    this.bytes.writeUInt32LE(v, this.pos);
    this.pos += 4;
  }

  private writeRecord(r: PreparedRecord, start: number): void {
    this.ensure(28);
    this.u32(0x00002a2a);
    this.u32(0); // size, patched below
    writeU64(this.bytes, this.pos, r.recordId);
    this.bytes.writeBigUInt64LE(r.writtenTime, this.pos + 8);
    this.pos += 16;
    this.fragmentHeader();
    this.templateInstance(r.system);
    this.values(r.systemValues, r.payloadIndex, r.payload);
    this.ensure(1);
    this.u8(0x00); // end of document
    // Windows keeps records 8-byte aligned; the padding sits between EOF and the size copy.
    const unpadded = this.pos + 4 - start;
    const pad = (RECORD_ALIGNMENT - (unpadded % RECORD_ALIGNMENT)) % RECORD_ALIGNMENT;
    this.ensure(pad + 4);
    this.pos += pad;
    const size = this.pos + 4 - start;
    this.u32(size);
    this.bytes.writeUInt32LE(size, start + 4);
  }

  private fragmentHeader(): void {
    this.ensure(4);
    this.u8(0x0f);
    this.u8(0x01);
    this.u8(0x01);
    this.u8(0x00);
  }

  /** 0x0c, 1, template id, definition offset; the definition follows inline at first use. */
  private templateInstance(shape: TemplateShape): void {
    this.ensure(10);
    this.u8(0x0c);
    this.u8(0x01);
    this.u32(shape.id);
    const known = this.templates.get(shape.key);
    if (known !== undefined) {
      this.u32(known);
      return;
    }
    const definitionOffset = this.pos + 4;
    this.u32(definitionOffset);
    const bucket = shape.id % TEMPLATE_BUCKETS;
    this.ensure(24);
    this.u32(this.templateHeads[bucket]!);
    this.bytes.set(shape.guid, this.pos);
    this.pos += 16;
    const sizeAt = this.pos;
    this.u32(0);
    const bodyStart = this.pos;
    this.fragmentHeader();
    this.element(shape.root);
    this.ensure(1);
    this.u8(0x00);
    this.bytes.writeUInt32LE(this.pos - bodyStart, sizeAt);
    this.templateHeads[bucket] = definitionOffset;
    this.templates.set(shape.key, definitionOffset);
    this.addedTemplates.push(shape.key);
  }

  /** A name offset; the name itself is written right after it when the chunk has not seen it. */
  private nameRef(name: string): void {
    this.ensure(4);
    const known = this.names.get(name);
    if (known !== undefined) {
      this.u32(known);
      return;
    }
    const offset = this.pos + 4;
    this.u32(offset);
    const hash = nameHash(name);
    const bucket = hash % STRING_BUCKETS;
    this.ensure(10 + name.length * 2);
    this.u32(this.nameHeads[bucket]!);
    this.u16(hash);
    this.u16(name.length);
    this.pos += this.bytes.write(name, this.pos, 'utf16le');
    this.u16(0);
    this.nameHeads[bucket] = offset;
    this.names.set(name, offset);
    this.addedNames.push(name);
  }

  /** Elements inside template definitions carry a dependency id (0xffff: none). */
  private element(e: TemplateElement): void {
    this.ensure(7);
    const hasAttributes = e.attributes.length > 0;
    this.u8(hasAttributes ? 0x41 : 0x01);
    this.u16(0xffff);
    const sizeAt = this.pos;
    this.u32(0);
    this.nameRef(e.name);
    if (hasAttributes) {
      this.ensure(4);
      const listAt = this.pos;
      this.u32(0);
      const last = e.attributes.length - 1;
      e.attributes.forEach((a, i) => {
        this.ensure(1);
        this.u8(i < last ? 0x46 : 0x06);
        this.nameRef(a.name);
        this.content(a.value);
      });
      this.bytes.writeUInt32LE(this.pos - listAt - 4, listAt);
    }
    this.ensure(1);
    if (e.children.length === 0) {
      this.u8(0x03);
    } else {
      this.u8(0x02);
      for (const c of e.children) this.content(c);
      this.ensure(1);
      this.u8(0x04);
    }
    this.bytes.writeUInt32LE(this.pos - sizeAt - 4, sizeAt);
  }

  private content(c: TemplateContent): void {
    switch (c.kind) {
      case 'element':
        this.element(c);
        return;
      case 'text':
        this.ensure(4 + c.text.length * 2);
        this.u8(0x05);
        this.u8(ValueType.string);
        this.u16(c.text.length);
        this.pos += this.bytes.write(c.text, this.pos, 'utf16le');
        return;
      case 'substitution':
        this.ensure(4);
        this.u8(c.optional ? 0x0e : 0x0d);
        this.u16(c.index);
        this.u8(c.valueType);
        return;
      default:
        assertNever(c, 'template content');
    }
  }

  /** Instance data: count, (size, type, 0) descriptors, then the values back to back. */
  private values(values: readonly PreparedValue[], payloadIndex: number, payload: PreparedPayload | null): void {
    this.ensure(4 + values.length * 4);
    this.u32(values.length);
    const descriptorsAt = this.pos;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      const nested = i === payloadIndex && payload !== null;
      this.u16(nested ? 0 : preparedSize(v));
      this.u8(nested ? ValueType.binXml : preparedType(v));
      this.u8(0);
    }
    for (let i = 0; i < values.length; i++) {
      if (i === payloadIndex && payload !== null) {
        const start = this.pos;
        this.fragmentHeader();
        this.templateInstance(payload.shape);
        this.values(payload.values, -1, null);
        this.ensure(1);
        this.u8(0x00);
        const size = this.pos - start;
        if (size > 0xffff) throw new RangeError(`payload of ${size} bytes exceeds a substitution value's limit`);
        this.bytes.writeUInt16LE(size, descriptorsAt + i * 4);
      } else {
        this.value(values[i]!);
      }
    }
  }

  private value(v: PreparedValue): void {
    const b = this.bytes;
    switch (v.kind) {
      case 'null':
        return;
      case 'utf16':
        this.ensure(v.text.length * 2);
        this.pos += b.write(v.text, this.pos, 'utf16le');
        return;
      case 'utf16-array':
        for (const s of v.items) {
          this.ensure(s.length * 2 + 2);
          this.pos += b.write(s, this.pos, 'utf16le');
          this.u16(0);
        }
        return;
      case 'bytes':
        this.ensure(v.bytes.length);
        b.set(v.bytes, this.pos);
        this.pos += v.bytes.length;
        return;
      case 'uint':
        this.ensure(v.width);
        if (v.width === 1) b.writeUInt8(v.value, this.pos);
        else if (v.width === 2) b.writeUInt16LE(v.value, this.pos);
        else b.writeUInt32LE(v.value, this.pos);
        this.pos += v.width;
        return;
      case 'int':
        this.ensure(v.width);
        if (v.width === 1) b.writeInt8(v.value, this.pos);
        else if (v.width === 2) b.writeInt16LE(v.value, this.pos);
        else b.writeInt32LE(v.value, this.pos);
        this.pos += v.width;
        return;
      case 'int64':
        this.ensure(8);
        if (v.signed) b.writeBigInt64LE(v.value, this.pos);
        else b.writeBigUInt64LE(v.value, this.pos);
        this.pos += 8;
        return;
      case 'real':
        this.ensure(v.width);
        if (v.width === 4) b.writeFloatLE(v.value, this.pos);
        else b.writeDoubleLE(v.value, this.pos);
        this.pos += v.width;
        return;
      default:
        assertNever(v, 'prepared value');
    }
  }
}

/** Writes a non-negative safe integer as u64 little-endian. */
export function writeU64(b: Buffer, offset: number, value: number): void {
  b.writeUInt32LE(value % 0x100000000, offset);
  b.writeUInt32LE(Math.floor(value / 0x100000000), offset + 4);
}
