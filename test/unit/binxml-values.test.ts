/**
 * Substitution value types: each hand-built template instance carries one value, and the
 * expected text (libevtx `evtxexport -f xml`) and JSON (evtx crate) spellings are written out
 * from the format and the reference tools' output, not from our code.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { XmlDocument, XmlElement, XmlValue } from '../../src/core/xml-tree.js';
import { childElements, rootElement } from '../../src/core/xml-tree.js';
import { createChunkContext, decodeRecord } from '../../src/sources/evtx/binxml/index.js';
import type { SubstitutionInput } from './binxml-test-builder.js';
import { ChunkWriter, le, listTemplate, utf16Bytes } from './binxml-test-builder.js';

/** Decodes one record whose template is `<Root><V>%0</V>…</Root>` filled with `values`. */
function decodeValues(values: readonly SubstitutionInput[]): XmlElement[] {
  const w = new ChunkWriter();
  const start = w.pos;
  w.fragmentHeader();
  w.template({ body: listTemplate(values.length) }, values);
  w.eof();
  const doc = decodeRecord(createChunkContext(w.bytes(), 'values.evtx', 0, 4096), start, w.pos);
  const root = rootElement(doc);
  assert.ok(root, 'record has a root element');
  return childElements(root);
}

function only(values: SubstitutionInput): XmlValue | undefined {
  const [v] = decodeValues([values]);
  assert.ok(v);
  const child = v.children[0];
  if (child === undefined) return undefined;
  assert.equal(child.kind, 'value');
  return child as XmlValue;
}

function expectValue(input: SubstitutionInput, text: string, json: XmlValue['json']): void {
  const v = only(input);
  assert.ok(v, `type 0x${input.type.toString(16)} produced no value`);
  assert.equal(v.text, text);
  assert.equal(v.json, json);
}

/** FILETIME ticks for a UTC time plus extra 100 ns ticks. */
function fileTime(isoMs: string, extraTicks: bigint): number[] {
  const ms = BigInt(Date.parse(isoMs)) + 11644473600000n;
  return le(8, ms * 10000n + extraTicks);
}

describe('binxml substitution values', () => {
  test('strings: UTF-16 (NUL padding dropped), ANSI windows-1252, EvtXml', () => {
    expectValue({ type: 0x01, bytes: utf16Bytes('C:\\Windows\\explorer.exe') }, 'C:\\Windows\\explorer.exe', 'C:\\Windows\\explorer.exe');
    expectValue({ type: 0x01, bytes: [...utf16Bytes('abc'), 0, 0] }, 'abc', 'abc');
    expectValue({ type: 0x01, bytes: utf16Bytes('caf\u00e9 \u4e2d') }, 'caf\u00e9 \u4e2d', 'caf\u00e9 \u4e2d');
    // Long strings take the native decoder path.
    const long = 'x'.repeat(300) + '\u00fc';
    expectValue({ type: 0x01, bytes: utf16Bytes(long) }, long, long);
    expectValue({ type: 0x02, bytes: [0x80, 0x41, 0xe9, 0x00] }, '\u20acA\u00e9', '\u20acA\u00e9');
    // Long ANSI strings: Latin-1 only, or with windows-1252's 0x80-0x9F; both stop at NUL.
    const latin = [...Buffer.from('caf\u00e9 cr\u00e8me br\u00fbl\u00e9e', 'latin1'), 0x00, 0x41];
    expectValue({ type: 0x02, bytes: latin }, 'caf\u00e9 cr\u00e8me br\u00fbl\u00e9e', 'caf\u00e9 cr\u00e8me br\u00fbl\u00e9e');
    expectValue({ type: 0x02, bytes: [...Buffer.from('price: ', 'latin1'), 0x80, 0x35, 0x93, 0x9f] }, 'price: \u20ac5\u201c\u0178', 'price: \u20ac5\u201c\u0178');
    expectValue({ type: 0x23, bytes: utf16Bytes('<x/>') }, '<x/>', '<x/>');
  });

  test('string JSON drops trailing whitespace, text keeps it (crate vs libevtx)', () => {
    expectValue({ type: 0x01, bytes: utf16Bytes('chcp  ') }, 'chcp  ', 'chcp');
  });

  test('empty string and Null give no value at all', () => {
    assert.equal(only({ type: 0x01, bytes: [] }), undefined);
    assert.equal(only({ type: 0x00, bytes: [] }), undefined);
    assert.equal(only({ type: 0x0e, bytes: [] }), undefined);
  });

  test('integers: signed, unsigned, 64-bit beyond 2^53 as decimal strings in JSON', () => {
    expectValue({ type: 0x03, bytes: [0xff] }, '-1', -1);
    expectValue({ type: 0x04, bytes: [0xff] }, '255', 255);
    expectValue({ type: 0x05, bytes: le(2, -2) }, '-2', -2);
    expectValue({ type: 0x06, bytes: le(2, 4624) }, '4624', 4624);
    expectValue({ type: 0x07, bytes: le(4, -2147188641) }, '-2147188641', -2147188641);
    expectValue({ type: 0x08, bytes: le(4, 4294967295) }, '4294967295', 4294967295);
    expectValue({ type: 0x09, bytes: le(8, -1) }, '-1', -1);
    expectValue({ type: 0x09, bytes: le(8, -(2n ** 63n)) }, '-9223372036854775808', '-9223372036854775808');
    expectValue({ type: 0x0a, bytes: le(8, 2n ** 64n - 1n) }, '18446744073709551615', '18446744073709551615');
    expectValue({ type: 0x0a, bytes: le(8, 2n ** 53n - 1n) }, '9007199254740991', 9007199254740991);
  });

  test('reals: libevtx prints %e with a 3-digit exponent, JSON is the number', () => {
    const f64 = new Uint8Array(new Float64Array([3199.234]).buffer);
    expectValue({ type: 0x0c, bytes: f64 }, '3.199234e+003', 3199.234);
    const f32 = new Uint8Array(new Float32Array([0.1]).buffer);
    expectValue({ type: 0x0b, bytes: f32 }, '1.000000e-001', 0.1);
  });

  test('bool: 32-bit, irregular non-zero values are true', () => {
    expectValue({ type: 0x0d, bytes: le(4, 1) }, 'true', true);
    expectValue({ type: 0x0d, bytes: le(4, 0) }, 'false', false);
    expectValue({ type: 0x0d, bytes: le(4, 0x100) }, 'true', true);
  });

  test('binary: upper-case hex', () => {
    expectValue({ type: 0x0e, bytes: [0x01, 0x00, 0xa1, 0x64, 0xde] }, '0100A164DE', '0100A164DE');
  });

  test('GUID: mixed-endian, braces in text only', () => {
    const bytes = [0x25, 0x96, 0x84, 0x54, 0x78, 0x54, 0x94, 0x49, 0xa5, 0xba, 0x3e, 0x3b, 0x03, 0x28, 0xc3, 0x0d];
    expectValue({ type: 0x0f, bytes }, '{54849625-5478-4994-A5BA-3E3B0328C30D}', '54849625-5478-4994-A5BA-3E3B0328C30D');
  });

  test('GUID: values seen before are reused, and a different GUID is never mistaken for one', () => {
    const first = [0x25, 0x96, 0x84, 0x54, 0x78, 0x54, 0x94, 0x49, 0xa5, 0xba, 0x3e, 0x3b, 0x03, 0x28, 0xc3, 0x0d];
    // Differs in one byte whose change leaves the cache's hash of the four words alike in its low bits.
    const second = [...first];
    second[3] = first[3]! ^ 0x40;
    const [a, b, c] = decodeValues([
      { type: 0x0f, bytes: first },
      { type: 0x0f, bytes: second },
      { type: 0x0f, bytes: first },
    ]).map((e) => e.children[0] as XmlValue);
    assert.equal(a?.json, '54849625-5478-4994-A5BA-3E3B0328C30D');
    assert.equal(b?.json, '14849625-5478-4994-A5BA-3E3B0328C30D');
    assert.equal(c?.json, a?.json);
    // Hundreds of distinct GUIDs (more than the cache holds) all come out right.
    for (let n = 0; n < 300; n++) {
      const bytes = Array.from({ length: 16 }, (_, i) => (n * 7 + i * 13) & 0xff);
      const text = only({ type: 0x0f, bytes })?.json as string;
      const hex = (i: number): string => bytes[i]!.toString(16).toUpperCase().padStart(2, '0');
      assert.equal(text.slice(0, 8), hex(3) + hex(2) + hex(1) + hex(0));
      assert.equal(text.slice(24), [10, 11, 12, 13, 14, 15].map(hex).join(''));
    }
  });

  test('binary: long values are upper-case hex too', () => {
    const bytes = Array.from({ length: 3000 }, (_, i) => (i * 37) & 0xff);
    const hex = bytes.map((x) => x.toString(16).toUpperCase().padStart(2, '0')).join('');
    expectValue({ type: 0x0e, bytes }, hex, hex);
  });

  test('SizeT: 4 or 8 bytes, decimal text (libevtx), hex JSON', () => {
    expectValue({ type: 0x10, bytes: le(8, 4) }, '4', '0x4');
    expectValue({ type: 0x10, bytes: le(4, 0x3e7) }, '999', '0x3e7');
  });

  test('FILETIME: 100 ns in text, microseconds in JSON', () => {
    expectValue({ type: 0x11, bytes: fileTime('2016-07-08T18:12:51.681Z', 6408n) }, '2016-07-08T18:12:51.681640800Z', '2016-07-08T18:12:51.681640Z');
    expectValue({ type: 0x11, bytes: le(8, 0) }, '1601-01-01T00:00:00.000000000Z', '1601-01-01T00:00:00.000000Z');
    // A date far from 1970 exercises the exact 64-bit split.
    expectValue({ type: 0x11, bytes: fileTime('9999-12-31T23:59:59.999Z', 9999n) }, '9999-12-31T23:59:59.999999900Z', '9999-12-31T23:59:59.999999Z');
  });

  test('SYSTEMTIME: fields as written, all-zero is the FILETIME epoch', () => {
    const st = [...le(2, 2020), ...le(2, 2), ...le(2, 6), ...le(2, 29), ...le(2, 13), ...le(2, 14), ...le(2, 15), ...le(2, 16)];
    const v = only({ type: 0x12, bytes: st });
    assert.equal(v?.json, '2020-02-29T13:14:15.016000Z');
    // evtxexport prints a SYSTEMTIME to the millisecond (checked on the LiveId corpus sample).
    assert.equal(v?.text, '2020-02-29T13:14:15.016Z');
    assert.equal(only({ type: 0x12, bytes: new Array<number>(16).fill(0) })?.json, '1601-01-01T00:00:00.000000Z');
  });

  test('SID: big-endian authority, little-endian sub-authorities', () => {
    const sid = [1, 4, 0, 0, 0, 0, 0, 5, ...le(4, 21), ...le(4, 2967420476), ...le(4, 1305424719), ...le(4, 500)];
    expectValue({ type: 0x13, bytes: sid }, 'S-1-5-21-2967420476-1305424719-500', 'S-1-5-21-2967420476-1305424719-500');
    expectValue({ type: 0x13, bytes: [1, 1, 0, 0, 0, 0, 0, 5, ...le(4, 18)] }, 'S-1-5-18', 'S-1-5-18');
    expectValue({ type: 0x13, bytes: [1, 0, 1, 0, 0, 0, 0, 0] }, 'S-1-1099511627776', 'S-1-1099511627776');
  });

  test('hex ints: libevtx zero-pads, the crate does not', () => {
    expectValue({ type: 0x14, bytes: le(4, 0xc000006d) }, '0xc000006d', '0xc000006d');
    expectValue({ type: 0x14, bytes: le(4, 0) }, '0x00000000', '0x0');
    expectValue({ type: 0x15, bytes: le(8, 0x3e7) }, '0x00000000000003e7', '0x3e7');
    expectValue({ type: 0x15, bytes: le(8, 0x8020000000000000n) }, '0x8020000000000000', '0x8020000000000000');
  });

  test('several values keep their order and slots', () => {
    const kids = decodeValues([
      { type: 0x01, bytes: utf16Bytes('a') },
      { type: 0x08, bytes: le(4, 7) },
      { type: 0x00, bytes: [] },
      { type: 0x01, bytes: utf16Bytes('d') },
    ]);
    assert.deepEqual(
      kids.map((k) => (k.children[0]?.kind === 'value' ? k.children[0].json : null)),
      ['a', 7, null, 'd'],
    );
  });
});

describe('binxml array values', () => {
  function dataTexts(doc: XmlDocument): string[] {
    const root = rootElement(doc);
    assert.ok(root);
    return childElements(root).map((e) => (e.children[0]?.kind === 'value' ? e.children[0].text : ''));
  }

  function decodeArrayRecord(value: SubstitutionInput, inAttribute = false): XmlDocument {
    const w = new ChunkWriter();
    const start = w.pos;
    w.fragmentHeader();
    w.template(
      {
        body: (t) => {
          t.fragmentHeader().open('EventData', { inTemplate: true }).closeStart();
          if (inAttribute) t.open('Data', { inTemplate: true, attrs: true }).attr('Name').sub(0, value.type).closeEmpty();
          else t.open('Data', { inTemplate: true }).closeStart().sub(0, value.type).end();
          t.open('Tail', { inTemplate: true }).closeEmpty();
          t.end().eof();
        },
      },
      [value],
    );
    return decodeRecord(createChunkContext(w.bytes(), 'arrays.evtx', 0, 4096), start, w.pos);
  }

  test('string array repeats the containing element once per item (empty items stay as empty elements)', () => {
    const doc = decodeArrayRecord({ type: 0x81, bytes: [...utf16Bytes('one'), 0, 0, 0, 0, ...utf16Bytes('three'), 0, 0] });
    assert.deepEqual(dataTexts(doc), ['one', '', 'three', '']);
    const root = rootElement(doc)!;
    assert.deepEqual(childElements(root).map((e) => e.name), ['Data', 'Data', 'Data', 'Tail']);
  });

  test('numeric arrays expand with typed items', () => {
    const doc = decodeArrayRecord({ type: 0x88, bytes: [...le(4, 1), ...le(4, 2), ...le(4, 4294967295)] });
    const items = childElements(rootElement(doc)!).slice(0, 3).map((e) => (e.children[0] as XmlValue).json);
    assert.deepEqual(items, [1, 2, 4294967295]);
    const hex = decodeArrayRecord({ type: 0x95, bytes: [...le(8, 1), ...le(8, 255)] });
    assert.deepEqual(dataTexts(hex).slice(0, 2), ['0x0000000000000001', '0x00000000000000ff']);
    const guids = decodeArrayRecord({ type: 0x8f, bytes: [...new Array<number>(16).fill(0), ...new Array<number>(16).fill(0x11)] });
    assert.deepEqual(dataTexts(guids).slice(0, 2), ['{00000000-0000-0000-0000-000000000000}', '{11111111-1111-1111-1111-111111111111}']);
  });

  test('a one-item array is a plain value; an empty array leaves one empty element', () => {
    assert.deepEqual(dataTexts(decodeArrayRecord({ type: 0x81, bytes: [...utf16Bytes('solo'), 0, 0] })), ['solo', '']);
    assert.deepEqual(dataTexts(decodeArrayRecord({ type: 0x88, bytes: [] })), ['', '']);
  });

  test('an array in an attribute repeats the element too', () => {
    const doc = decodeArrayRecord({ type: 0x86, bytes: [...le(2, 10), ...le(2, 20)] }, true);
    const datas = childElements(rootElement(doc)!).filter((e) => e.name === 'Data');
    assert.deepEqual(
      datas.map((d) => (d.attributes[0]?.parts[0] as XmlValue).json),
      [10, 20],
    );
  });

  test('SID and SizeT arrays split by item size', () => {
    const sids = decodeArrayRecord({ type: 0x93, bytes: [1, 1, 0, 0, 0, 0, 0, 5, ...le(4, 18), 1, 2, 0, 0, 0, 0, 0, 5, ...le(4, 32), ...le(4, 544)] });
    assert.deepEqual(dataTexts(sids).slice(0, 2), ['S-1-5-18', 'S-1-5-32-544']);
  });
});
