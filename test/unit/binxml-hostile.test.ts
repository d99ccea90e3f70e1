/**
 * Hostile and damaged BinXml: every failure must be a LocatedError carrying the absolute file
 * offset, and nothing may hang or blow up memory (self-references, huge sizes, truncation,
 * deep nesting, array cross-products, random bytes).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LocatedError } from '../../src/core/diagnostics.js';
import { createChunkContext, decodeRecord } from '../../src/sources/evtx/binxml/index.js';
import { ChunkWriter, le, listTemplate, utf16Bytes } from './binxml-test-builder.js';

const CHUNK_OFFSET = 4096 + 2 * 65536;

function decodeBytes(bytes: Uint8Array, start: number, end: number): ReturnType<typeof decodeRecord> {
  return decodeRecord(createChunkContext(bytes, 'hostile.evtx', 2, CHUNK_OFFSET), start, end);
}

function expectLocated(run: () => unknown, code?: string): LocatedError {
  try {
    run();
  } catch (e) {
    assert.ok(e instanceof LocatedError, `expected LocatedError, got ${String(e)}`);
    if (code !== undefined) assert.equal(e.code, code);
    assert.equal(e.location.file, 'hostile.evtx');
    assert.equal(e.location.chunk, 2);
    assert.ok(typeof e.location.offset === 'number' && e.location.offset >= CHUNK_OFFSET, 'absolute offset');
    return e;
  }
  assert.fail('expected an error');
}

/** A valid record with one inline template and two values; returns bytes and range. */
function validRecord(): { bytes: Uint8Array; start: number; end: number } {
  const w = new ChunkWriter();
  const start = w.pos;
  w.fragmentHeader();
  w.template({ body: listTemplate(2, true) }, [
    { type: 0x01, bytes: utf16Bytes('hello') },
    { type: 0x15, bytes: le(8, 0x8000000000000000n) },
  ]);
  w.eof();
  return { bytes: w.bytes(), start, end: w.pos };
}

/** Deterministic PRNG so failures reproduce. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s;
  };
}

describe('binxml hostile input', () => {
  test('template definition offset pointing at the instance itself', () => {
    const w = new ChunkWriter();
    const start = w.pos;
    w.fragmentHeader();
    const tokenAt = w.pos;
    w.u8(0x0c).u8(1).u32(1).u32(tokenAt);
    w.values([{ type: 0x01, bytes: utf16Bytes('x') }]);
    w.eof();
    const bytes = w.bytes();
    expectLocated(() => decodeBytes(bytes, start, w.pos));
  });

  test('a bad template fails every record that uses it, from the cache', () => {
    const w = new ChunkWriter();
    const defAt = w.pos;
    // Definition whose body has an element with no close token.
    w.u32(0).raw(new Array<number>(16).fill(0)).u32(12);
    w.fragmentHeader().u8(0x01).u16(0xffff).u32(0).u8(0);
    const start = w.pos;
    w.fragmentHeader();
    w.template({ reference: defAt }, []);
    w.eof();
    const ctx = createChunkContext(w.bytes(), 'hostile.evtx', 2, CHUNK_OFFSET);
    const first = (() => {
      try {
        decodeRecord(ctx, start, w.pos);
      } catch (e) {
        return e;
      }
      return null;
    })();
    assert.ok(first instanceof LocatedError);
    assert.throws(() => decodeRecord(ctx, start, w.pos), (e) => e === first);
  });

  test('huge sizes: substitution count, value size, template data size', () => {
    const count = new ChunkWriter();
    const s1 = count.pos;
    count.fragmentHeader();
    const def = count.template({ body: listTemplate(1) }, [{ type: 0x01, bytes: utf16Bytes('a') }]);
    count.eof();
    const s2 = count.pos;
    count.fragmentHeader().u8(0x0c).u8(1).u32(1).u32(def).u32(0xffffffff).eof();
    expectLocated(() => decodeBytes(count.bytes(), s2, count.pos), 'evtx.binxml.bad-size');
    assert.ok(decodeBytes(count.bytes(), s1, s2));

    const size = new ChunkWriter();
    const s3 = size.pos;
    size.fragmentHeader();
    size.template({ body: listTemplate(1) }, []);
    // Replace the empty value list by one descriptor claiming 0xffff bytes.
    size.out.length -= 4;
    size.u32(1).u16(0xffff).u8(0x01).u8(0).raw(utf16Bytes('abc'));
    expectLocated(() => decodeBytes(size.bytes(), s3, size.pos), 'evtx.binxml.truncated');

    const tpl = new ChunkWriter();
    const s4 = tpl.pos;
    tpl.fragmentHeader().u8(0x0c).u8(1).u32(1);
    const d = tpl.pos + 4;
    tpl.u32(d).u32(0).raw(new Array<number>(16).fill(0)).u32(0x7fffffff).eof();
    expectLocated(() => decodeBytes(tpl.bytes(), s4, tpl.pos), 'evtx.binxml.bad-template');
  });

  test('every truncation of a valid record is decoded or fails with a located error', () => {
    const { bytes, start, end } = validRecord();
    assert.ok(decodeBytes(bytes, start, end));
    for (let cut = start; cut < end; cut++) {
      try {
        decodeBytes(bytes.subarray(0, cut), start, cut);
      } catch (e) {
        assert.ok(e instanceof LocatedError, `cut at ${cut}: ${String(e)}`);
      }
    }
  });

  test('name offsets outside the chunk are located errors with the absolute offset', () => {
    const w = new ChunkWriter();
    const start = w.pos;
    w.fragmentHeader();
    const nameRefAt = w.pos + 5;
    w.u8(0x01).u32(0).u32(0x00fffff0).closeEmpty().eof();
    const e = expectLocated(() => decodeBytes(w.bytes(), start, w.pos), 'evtx.binxml.bad-name');
    assert.equal(e.location.offset, CHUNK_OFFSET + nameRefAt);
  });

  test('deep element nesting is refused, not recursed without bound', () => {
    const w = new ChunkWriter();
    const start = w.pos;
    w.fragmentHeader();
    for (let i = 0; i < 500; i++) w.open('D').closeStart();
    for (let i = 0; i < 500; i++) w.end();
    w.eof();
    expectLocated(() => decodeBytes(w.bytes(), start, w.pos), 'evtx.binxml.too-deep');
  });

  test('deeply nested BinXml values are refused', () => {
    // Each level: fragment header + template instance (inline def <N>%0</N>) whose value 0 is the next level.
    const levels = 100;
    const w = new ChunkWriter();
    const start = w.pos;
    const descriptorSlots: number[] = [];
    const valueStarts: number[] = [];
    for (let i = 0; i < levels; i++) {
      valueStarts.push(w.pos);
      w.fragmentHeader();
      w.u8(0x0c).u8(1).u32(i);
      const def = w.pos + 4;
      w.u32(def).u32(0).raw(new Array<number>(16).fill(0));
      const sizeAt = w.pos;
      w.u32(0);
      const body = w.pos;
      w.fragmentHeader().open('N', { inTemplate: true }).closeStart().sub(0, 0x21).end().eof();
      w.patchU32(sizeAt, w.pos - body);
      w.u32(1);
      descriptorSlots.push(w.pos);
      w.u16(0).u8(0x21).u8(0);
    }
    w.eof();
    const end = w.pos;
    // Value i spans from the start of level i+1 to the end.
    for (let i = 0; i < levels - 1; i++) {
      const size = Math.min(0xffff, end - valueStarts[i + 1]!);
      w.out[descriptorSlots[i]!] = size & 0xff;
      w.out[descriptorSlots[i]! + 1] = size >> 8;
    }
    expectLocated(() => decodeBytes(w.bytes(), start, end), 'evtx.binxml.too-deep');
  });

  test('array cross-products cannot explode', () => {
    const w = new ChunkWriter();
    const start = w.pos;
    w.fragmentHeader();
    const items = (n: number): number[] => {
      const out: number[] = [];
      for (let i = 0; i < n; i++) out.push(...le(2, i));
      return out;
    };
    w.template(
      {
        body: (t) => {
          t.fragmentHeader().open('R', { inTemplate: true }).closeStart();
          t.open('X', { inTemplate: true, attrs: true }).attr('a', true).sub(0, 0x86).attr('b', true).sub(1, 0x86).attr('c').sub(2, 0x86).closeEmpty();
          t.end().eof();
        },
      },
      [
        { type: 0x86, bytes: items(500) },
        { type: 0x86, bytes: items(500) },
        { type: 0x86, bytes: items(500) },
      ],
    );
    w.eof();
    const t0 = Date.now();
    expectLocated(() => decodeBytes(w.bytes(), start, w.pos), 'evtx.binxml.too-large');
    assert.ok(Date.now() - t0 < 5000, 'gave up quickly');
  });

  test('unknown tokens and value types are located errors', () => {
    const w = new ChunkWriter();
    const start = w.pos;
    w.fragmentHeader().u8(0x77).eof();
    expectLocated(() => decodeBytes(w.bytes(), start, w.pos), 'evtx.binxml.bad-token');
    const v = new ChunkWriter();
    const s2 = v.pos;
    v.fragmentHeader();
    v.template({ body: listTemplate(1) }, [{ type: 0x3f, bytes: [1, 2] }]);
    v.eof();
    expectLocated(() => decodeBytes(v.bytes(), s2, v.pos), 'evtx.binxml.bad-value');
  });

  test('random and mutated bytes never escape as anything but LocatedError', () => {
    const rand = prng(0x5eed);
    const { bytes: valid, start, end } = validRecord();
    const t0 = Date.now();
    for (let i = 0; i < 3000; i++) {
      let bytes: Uint8Array;
      if (i % 2 === 0) {
        bytes = valid.slice();
        const flips = 1 + (rand() % 4);
        for (let f = 0; f < flips; f++) bytes[start + (rand() % (end - start))] = rand() & 0xff;
      } else {
        bytes = new Uint8Array(end);
        bytes.set(valid.subarray(0, start + 4));
        for (let p = start + 4; p < end; p++) bytes[p] = rand() & 0xff;
      }
      try {
        decodeBytes(bytes, start, end);
      } catch (e) {
        assert.ok(e instanceof LocatedError, `iteration ${i}: ${String(e)}`);
      }
    }
    assert.ok(Date.now() - t0 < 20000, 'fuzzing stays fast');
  });
});
