/**
 * Streams events into an EVTX file: one chunk in memory at a time, the 4 KiB file header written
 * first as a dirty placeholder and rewritten on close with the chunk count, next record id and
 * CRC32. Output goes to a file descriptor or to a positional sink callback.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { crc32 } from '../../sources/evtx/crc32.js';
import { ChunkBuilder, CHUNK_SIZE, writeU64, type PreparedPayload, type PreparedRecord } from './chunk-builder.js';
import { eventDataShape, SystemIndex, systemShape, userDataShape, type TemplateShape } from './templates.js';
import type { WriterEvent, WriterValue } from './types.js';
import {
  filetimeTicks,
  guidBytes,
  hex64,
  MAX_VALUE_BYTES,
  NULL_VALUE,
  prepareValue,
  preparedSize,
  preparedType,
  sidBytes,
  uint,
  uint64,
  utf16,
  ValueType,
  type PreparedValue,
} from './values.js';

export const FILE_HEADER_SIZE = 0x1000;

/**
 * Receives output bytes and where they go in the file. The header arrives twice (placeholder,
 * then final). `bytes` is only valid during the call: copy it to keep it.
 */
export type EvtxSink = (bytes: Uint8Array, position: number) => void;

export interface EvtxWriterOptions {
  /** Format minor version stamped in the file header: 1 (Vista+, default) or 2 (Windows 10 2004+). */
  readonly minorVersion?: 1 | 2;
  /** Stop at this many chunks: `add()` then returns false and writes nothing (a "full" log). */
  readonly maxChunks?: number;
  /** With a file descriptor target: close it in `close()`. */
  readonly closeFd?: boolean;
}

export interface EvtxWriteSummary {
  readonly records: number;
  readonly chunks: number;
  readonly bytes: number;
  readonly nextRecordId: number;
}

/** Shapes are cached across chunks; the cap keeps memory flat on pathological inputs. */
const MAX_CACHED_SHAPES = 4096;
const NAME_RE = /^[^\s<>&"'=/\u0000]+$/;

export class EvtxWriter {
  private readonly sink: EvtxSink;
  private readonly ownedFd: number | null;
  private readonly chunk = new ChunkBuilder();
  private readonly shapes = new Map<string, TemplateShape>();
  private readonly minorVersion: 1 | 2;
  private readonly maxChunks: number;
  private chunks = 0;
  private records = 0;
  private nextRecordId = 1;
  private maxRecordId = 0;
  private closed = false;

  /** Writes to a new file at `path` (truncating it); the descriptor is closed by `close()`. */
  static toFile(path: string, options?: EvtxWriterOptions): EvtxWriter {
    const fd = openSync(path, 'w');
    try {
      return new EvtxWriter(fd, { ...options, closeFd: true });
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }

  constructor(target: number | EvtxSink, options: EvtxWriterOptions = {}) {
    this.sink = typeof target === 'number' ? fdSink(target) : target;
    this.ownedFd = typeof target === 'number' && options.closeFd === true ? target : null;
    this.minorVersion = options.minorVersion ?? 1;
    this.maxChunks = options.maxChunks ?? Number.POSITIVE_INFINITY;
    this.chunk.reset();
    this.sink(this.fileHeader(true), 0);
  }

  /** Bytes of the file so far, counting the chunk being filled as a whole chunk. */
  get size(): number {
    return FILE_HEADER_SIZE + (this.chunks + (this.chunk.recordCount > 0 ? 1 : 0)) * CHUNK_SIZE;
  }

  get recordCount(): number {
    return this.records;
  }

  /** Appends the event; false when `maxChunks` is reached and the event was not written. */
  add(event: WriterEvent): boolean {
    if (this.closed) throw new Error('EvtxWriter: add() after close()');
    const record = this.prepare(event);
    if (!this.chunk.tryAppend(record)) {
      if (this.chunk.recordCount === 0) throw tooLarge(event, record.recordId);
      if (this.chunks + 1 >= this.maxChunks) return false;
      this.flushChunk();
      if (!this.chunk.tryAppend(record)) throw tooLarge(event, record.recordId);
    }
    this.records++;
    this.maxRecordId = Math.max(this.maxRecordId, record.recordId);
    this.nextRecordId = record.recordId + 1;
    return true;
  }

  close(): EvtxWriteSummary {
    if (this.closed) throw new Error('EvtxWriter: close() called twice');
    this.closed = true;
    try {
      // An empty log still gets one (empty) chunk, as a fresh Windows log has; libevtx calls a
      // chunk-less file corrupted.
      if (this.chunk.recordCount > 0 || this.chunks === 0) this.flushChunk();
      this.sink(this.fileHeader(false), 0);
    } finally {
      if (this.ownedFd !== null) closeSync(this.ownedFd);
    }
    return {
      records: this.records,
      chunks: this.chunks,
      bytes: FILE_HEADER_SIZE + this.chunks * CHUNK_SIZE,
      nextRecordId: this.maxRecordId + 1,
    };
  }

  private flushChunk(): void {
    this.sink(this.chunk.finish(), FILE_HEADER_SIZE + this.chunks * CHUNK_SIZE);
    this.chunks++;
    this.chunk.reset();
  }

  private fileHeader(dirty: boolean): Uint8Array {
    const b = Buffer.alloc(FILE_HEADER_SIZE);
    b.write('ElfFile\0', 0, 'latin1');
    writeU64(b, 8, 0);
    writeU64(b, 16, Math.max(0, this.chunks - 1));
    writeU64(b, 24, this.maxRecordId + 1);
    b.writeUInt32LE(128, 32);
    b.writeUInt16LE(this.minorVersion, 36);
    b.writeUInt16LE(3, 38);
    b.writeUInt16LE(FILE_HEADER_SIZE, 40);
    // The u16 count saturates; readers size files from their length anyway.
    b.writeUInt16LE(Math.min(this.chunks, 0xffff), 42);
    b.writeUInt32LE(dirty ? 1 : 0, 120);
    b.writeUInt32LE(crc32(b, 0, 120), 124);
    return b;
  }

  private prepare(e: WriterEvent): PreparedRecord {
    const recordId = e.recordId ?? this.nextRecordId;
    const where = `event ${this.records + 1} (record ${recordId}, EventID ${e.eventId})`;
    if (!Number.isSafeInteger(recordId) || recordId < 0) throw new RangeError(`${where}: bad recordId ${recordId}`);
    const ticks = filetimeTicks(e.timeCreated, `${where} timeCreated`);
    const I = SystemIndex;
    const withSourceName = e.provider.eventSourceName !== undefined;
    const v: PreparedValue[] = new Array<PreparedValue>(withSourceName ? 19 : 18).fill(NULL_VALUE);
    v[I.level] = uint(ValueType.uint8, 1, e.level ?? 0, `${where} level`);
    v[I.opcode] = uint(ValueType.uint8, 1, e.opcode ?? 0, `${where} opcode`);
    v[I.task] = uint(ValueType.uint16, 2, e.task ?? 0, `${where} task`);
    v[I.eventId] = uint(ValueType.uint16, 2, e.eventId, `${where} eventId`);
    if (e.qualifiers !== undefined) v[I.qualifiers] = uint(ValueType.uint16, 2, e.qualifiers, `${where} qualifiers`);
    v[I.keywords] = hex64(e.keywords ?? 0n, `${where} keywords`);
    v[I.systemTime] = { kind: 'int64', type: ValueType.fileTime, signed: false, value: ticks };
    if (e.correlation?.activityId !== undefined) v[I.activityId] = guid(e.correlation.activityId, `${where} activityId`);
    if (e.correlation?.relatedActivityId !== undefined) {
      v[I.relatedActivityId] = guid(e.correlation.relatedActivityId, `${where} relatedActivityId`);
    }
    if (e.execution !== undefined) {
      v[I.processId] = uint(ValueType.uint32, 4, e.execution.processId, `${where} processId`);
      v[I.threadId] = uint(ValueType.uint32, 4, e.execution.threadId, `${where} threadId`);
    }
    v[I.eventRecordId] = uint64(ValueType.uint64, recordId, `${where} recordId`);
    v[I.version] = uint(ValueType.uint8, 1, e.version ?? 0, `${where} version`);
    if (e.userId !== undefined) v[I.userId] = { kind: 'bytes', type: ValueType.sid, bytes: sidBytes(e.userId, `${where} userId`) };
    v[I.providerName] = checkedString(e.provider.name, `${where} provider name`);
    if (e.provider.guid !== undefined) v[I.providerGuid] = guid(e.provider.guid, `${where} provider guid`);
    v[I.channel] = checkedString(e.channel, `${where} channel`);
    if (withSourceName) v[I.eventSourceName] = checkedString(e.provider.eventSourceName ?? '', `${where} eventSourceName`);
    if (typeof e.computer !== 'string') throw new TypeError(`${where}: computer must be a string`);
    const system = this.shape(`s\u0000${withSourceName ? 1 : 0}\u0000${e.computer}`, () => systemShape(e.computer, withSourceName));
    return {
      recordId,
      writtenTime: ticks,
      system,
      systemValues: v,
      payloadIndex: I.payload,
      payload: this.payload(e, where),
    };
  }

  private payload(e: WriterEvent, where: string): PreparedPayload {
    if (e.eventData !== undefined && e.userData !== undefined) {
      throw new TypeError(`${where}: an event has EventData or UserData, not both`);
    }
    const owner = `${e.provider.name}\u0000${e.eventId}\u0000${e.version ?? 0}`;
    // Windows writes `<EventData/>` for events without data (a NULL payload trips libevtx).
    if (e.userData === undefined) {
      const { values, fields } = prepareFields(e.eventData ?? [], where, 'EventData', true);
      const key = `d\u0000${owner}\u0000${fieldsKey(fields)}`;
      return { shape: this.shape(key, () => eventDataShape(owner, fields)), values };
    }
    const u = e.userData;
    if (!NAME_RE.test(u.element)) throw new TypeError(`${where}: bad UserData element name "${u.element}"`);
    const { values, fields } = prepareFields(u.fields, where, 'UserData', false);
    const key = `u\u0000${owner}\u0000${u.element}\u0000${u.xmlns ?? ''}\u0000${fieldsKey(fields)}`;
    return { shape: this.shape(key, () => userDataShape(owner, u.element, u.xmlns, fields)), values };
  }

  private shape(key: string, make: () => TemplateShape): TemplateShape {
    let s = this.shapes.get(key);
    if (s === undefined) {
      if (this.shapes.size >= MAX_CACHED_SHAPES) this.shapes.clear();
      s = make();
      this.shapes.set(key, s);
    }
    return s;
  }
}

function prepareFields(
  pairs: ReadonlyArray<readonly [string, WriterValue]>,
  where: string,
  section: string,
  allowUnnamed: boolean,
): { values: PreparedValue[]; fields: Array<readonly [string, number]> } {
  const values: PreparedValue[] = [];
  const fields: Array<readonly [string, number]> = [];
  for (const [name, raw] of pairs) {
    if (!(allowUnnamed && name === '') && !isGoodName(name)) throw new TypeError(`${where}: bad ${section} name "${name}"`);
    const what = `${where} ${section} "${name}"`;
    // A NULL under a normal substitution is rejected by libevtx; Windows writes an empty string.
    const value = raw === null ? EMPTY_STRING : prepareValue(raw, what);
    if (preparedSize(value) > MAX_VALUE_BYTES) throw new RangeError(`${what}: value exceeds ${MAX_VALUE_BYTES} bytes`);
    values.push(value);
    fields.push([name, preparedType(value)]);
  }
  return { values, fields };
}

const EMPTY_STRING = utf16('');

const goodNames = new Set<string>();

function isGoodName(name: string): boolean {
  if (goodNames.has(name)) return true;
  if (!NAME_RE.test(name)) return false;
  if (goodNames.size >= MAX_CACHED_SHAPES) goodNames.clear();
  goodNames.add(name);
  return true;
}

function fieldsKey(fields: ReadonlyArray<readonly [string, number]>): string {
  let key = '';
  for (const [name, type] of fields) key += `${name}\u0001${type === ValueType.null ? ValueType.string : type}\u0000`;
  return key;
}

function guid(text: string, what: string): PreparedValue {
  return { kind: 'bytes', type: ValueType.guid, bytes: guidBytes(text, what) };
}

function checkedString(text: string, what: string): PreparedValue {
  if (typeof text !== 'string') throw new TypeError(`${what}: must be a string`);
  if (text.length * 2 > MAX_VALUE_BYTES) throw new RangeError(`${what}: longer than ${MAX_VALUE_BYTES / 2} characters`);
  return utf16(text);
}

function tooLarge(e: WriterEvent, recordId: number): RangeError {
  return new RangeError(`event (record ${recordId}, EventID ${e.eventId}) does not fit in one 64 KiB chunk`);
}

function fdSink(fd: number): EvtxSink {
  return (bytes, position) => {
    let done = 0;
    while (done < bytes.length) {
      done += writeSync(fd, bytes, done, bytes.length - done, position + done);
    }
  };
}

/** Builds a whole (small) EVTX file in memory; for tests and fixtures. */
export function writeEvtx(events: Iterable<WriterEvent>, options?: EvtxWriterOptions): Uint8Array {
  const pieces: Array<{ position: number; bytes: Uint8Array }> = [];
  let end = 0;
  const writer = new EvtxWriter((bytes, position) => {
    pieces.push({ position, bytes: Uint8Array.from(bytes) });
    end = Math.max(end, position + bytes.length);
  }, options);
  for (const e of events) writer.add(e);
  writer.close();
  const out = new Uint8Array(end);
  for (const p of pieces) out.set(p.bytes, p.position);
  return out;
}
