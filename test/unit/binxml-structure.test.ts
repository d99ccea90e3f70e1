/**
 * BinXml structure: templates (inline and referenced, compiled once per chunk), names (inline
 * and back-referenced), optional substitutions, nested BinXml values, template-less records,
 * and the reference/CDATA/PI node kinds.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { XmlChild, XmlElement, XmlValue } from '../../src/core/xml-tree.js';
import { childElements, elementText, firstChild, getAttribute, rootElement } from '../../src/core/xml-tree.js';
import { createChunkContext, decodeRecord } from '../../src/sources/evtx/binxml/index.js';
import { ChunkWriter, le, utf16Bytes } from './binxml-test-builder.js';

/** `<Event xmlns="…"><System><EventID>%0</EventID><Computer>%1</Computer><Security UserID="%2"/></System></Event>` */
function systemTemplate(w: ChunkWriter): void {
  w.fragmentHeader();
  w.open('Event', { inTemplate: true, attrs: true }).attr('xmlns').text('http://schemas.microsoft.com/win/2004/08/events/event').closeStart();
  w.open('System', { inTemplate: true }).closeStart();
  w.open('EventID', { inTemplate: true }).closeStart().sub(0, 0x06).end();
  w.open('Computer', { inTemplate: true }).closeStart().sub(1, 0x01).end();
  w.open('Security', { inTemplate: true, attrs: true }).attr('UserID').sub(2, 0x13, true).closeEmpty();
  w.end();
  w.end().eof();
}

const SID_SYSTEM = [1, 1, 0, 0, 0, 0, 0, 5, ...le(4, 18)];

function system(el: XmlElement | undefined): XmlElement {
  assert.ok(el);
  const s = firstChild(el, 'System');
  assert.ok(s);
  return s;
}

describe('binxml templates and names', () => {
  test('inline definition, then a reference to it; compiled once per chunk', () => {
    const w = new ChunkWriter();
    const r1 = w.pos;
    w.fragmentHeader();
    const def = w.template({ body: systemTemplate }, [
      { type: 0x06, bytes: le(2, 4624) },
      { type: 0x01, bytes: utf16Bytes('HOST-A') },
      { type: 0x13, bytes: SID_SYSTEM },
    ]);
    w.eof();
    const r1End = w.pos;
    const r2 = w.pos;
    w.fragmentHeader();
    w.template({ reference: def }, [
      { type: 0x06, bytes: le(2, 4688) },
      { type: 0x01, bytes: utf16Bytes('HOST-B') },
      { type: 0x00, bytes: [] },
    ]);
    w.eof();
    const r2End = w.pos;

    const ctx = createChunkContext(w.bytes(), 'tpl.evtx', 3, 4096 + 3 * 65536);
    const a = rootElement(decodeRecord(ctx, r1, r1End));
    const b = rootElement(decodeRecord(ctx, r2, r2End));
    assert.equal(ctx.templates.size, 1);
    assert.equal(getAttribute(a!, 'xmlns'), 'http://schemas.microsoft.com/win/2004/08/events/event');
    assert.equal(elementText(firstChild(system(a), 'EventID')!), '4624');
    assert.equal(elementText(firstChild(system(b), 'EventID')!), '4688');
    assert.equal((firstChild(system(b), 'EventID')!.children[0] as XmlValue).json, 4688);
    assert.equal(elementText(firstChild(system(a), 'Computer')!), 'HOST-A');
    assert.equal(elementText(firstChild(system(b), 'Computer')!), 'HOST-B');
    assert.equal(getAttribute(firstChild(system(a), 'Security')!, 'UserID'), 'S-1-5-18');
    // Optional substitution with a Null value: the attribute goes, the element stays.
    const security = firstChild(system(b), 'Security');
    assert.ok(security);
    assert.deepEqual(security.attributes, []);
    // Decoding again from the cache gives the same tree.
    assert.deepEqual(decodeRecord(ctx, r1, r1End), decodeRecord(ctx, r1, r1End));
  });

  test('names: inline at first use, back-referenced after, and all-inline works the same', () => {
    for (const share of [true, false]) {
      const w = new ChunkWriter();
      w.shareNames = share;
      const start = w.pos;
      w.fragmentHeader();
      w.template(
        {
          body: (t) => {
            t.fragmentHeader().open('Root', { inTemplate: true }).closeStart();
            for (let i = 0; i < 3; i++) t.open('Data', { inTemplate: true, attrs: true }).attr('Name').text(`n${i}`).closeStart().sub(i, 1).end();
            t.end().eof();
          },
        },
        ['x', 'y', 'z'].map((s) => ({ type: 0x01, bytes: utf16Bytes(s) })),
      );
      w.eof();
      const root = rootElement(decodeRecord(createChunkContext(w.bytes(), 'n.evtx', 0, 4096), start, w.pos));
      const datas = childElements(root!);
      assert.deepEqual(datas.map((d) => d.name), ['Data', 'Data', 'Data']);
      assert.deepEqual(datas.map((d) => getAttribute(d, 'Name')), ['n0', 'n1', 'n2']);
      assert.deepEqual(datas.map((d) => elementText(d)), ['x', 'y', 'z']);
    }
  });

  test('a name offset into a damaged area is still read when readable', () => {
    // Name structure placed before the record and referenced from a template-less element.
    const w = new ChunkWriter();
    const nameAt = w.pos;
    w.u32(nameAt).u16(0xbeef).u16(4).utf16('Odd!').u16(0);
    const start = w.pos;
    w.fragmentHeader().u8(0x01).u32(0).u32(nameAt).closeEmpty().eof();
    const doc = decodeRecord(createChunkContext(w.bytes(), 'n.evtx', 0, 4096), start, w.pos);
    assert.equal(rootElement(doc)?.name, 'Odd!');
  });
});

describe('binxml nested values and template-less records', () => {
  test('a BinXml value (0x21) holding its own template instance is decoded in place', () => {
    const w = new ChunkWriter();
    const start = w.pos;
    w.fragmentHeader();
    // Outer instance, written by hand so the nested value's bytes land at a known offset.
    w.u8(0x0c).u8(1).u32(1);
    const def = w.pos + 4;
    w.u32(def).u32(0).raw(new Array<number>(16).fill(0));
    const sizeAt = w.pos;
    w.u32(0);
    const bodyStart = w.pos;
    w.fragmentHeader().open('Event', { inTemplate: true }).closeStart();
    w.open('UserData', { inTemplate: true }).closeStart().sub(0, 0x21).end();
    w.end().eof();
    w.patchU32(sizeAt, w.pos - bodyStart);
    w.u32(1).u16(0).u8(0x21).u8(0);
    const descriptorAt = w.pos - 4;
    const nestedStart = w.pos;
    w.fragmentHeader();
    w.template(
      {
        body: (t) => {
          t.fragmentHeader().open('CertInfo', { inTemplate: true, attrs: true }).attr('Id').sub(0, 0x08).closeStart();
          t.open('Subject', { inTemplate: true }).closeStart().sub(1, 0x01).end().end().eof();
        },
      },
      [
        { type: 0x08, bytes: le(4, 42) },
        { type: 0x01, bytes: utf16Bytes('CN=test') },
      ],
    );
    w.eof();
    const nestedSize = w.pos - nestedStart;
    w.out[descriptorAt] = nestedSize & 0xff;
    w.out[descriptorAt + 1] = nestedSize >> 8;
    w.eof();

    const doc = decodeRecord(createChunkContext(w.bytes(), 'capi2.evtx', 0, 4096), start, w.pos);
    const userData = firstChild(rootElement(doc)!, 'UserData');
    assert.ok(userData);
    const cert = firstChild(userData, 'CertInfo');
    assert.ok(cert);
    assert.equal(getAttribute(cert, 'Id'), '42');
    assert.equal(elementText(firstChild(cert, 'Subject')!), 'CN=test');
  });

  test('template-less record: inline elements without dependency ids, values as 0x05 tokens', () => {
    const w = new ChunkWriter();
    const start = w.pos;
    w.fragmentHeader();
    w.open('Event', { attrs: true }).attr('xmlns').text('http://schemas.microsoft.com/win/2004/08/events/event').closeStart();
    w.open('System').closeStart();
    w.open('Provider', { attrs: true }).attr('Name', true).text('Microsoft-Windows-Windows Defender').attr('Guid').text('{11cd958a-c507-4ef3-b3f2-5fd9dfbd2c78}').closeEmpty();
    w.open('EventID').closeStart().text('1116').end();
    w.end();
    w.open('EventData').closeStart();
    w.open('Data', { attrs: true }).attr('Name').text('Unused').closeEmpty();
    w.open('Data', { attrs: true }).attr('Name').text('Threat Name').closeStart().text('HackTool:Win64/Mikatz!dha').end();
    w.end();
    w.end().eof();
    const ev = rootElement(decodeRecord(createChunkContext(w.bytes(), 'defender.evtx', 0, 4096), start, w.pos));
    assert.ok(ev);
    const provider = firstChild(system(ev), 'Provider')!;
    assert.equal(getAttribute(provider, 'Name'), 'Microsoft-Windows-Windows Defender');
    assert.equal(getAttribute(provider, 'Guid'), '{11cd958a-c507-4ef3-b3f2-5fd9dfbd2c78}');
    assert.equal(elementText(firstChild(system(ev), 'EventID')!), '1116');
    const datas = childElements(firstChild(ev, 'EventData')!);
    assert.deepEqual(datas.map((d) => [getAttribute(d, 'Name'), elementText(d)]), [['Unused', ''], ['Threat Name', 'HackTool:Win64/Mikatz!dha']]);
  });

  test('char and entity references, CDATA and processing instructions become their own nodes', () => {
    const w = new ChunkWriter();
    const start = w.pos;
    w.fragmentHeader().pi('xml-stylesheet', 'href="x.xsl"');
    w.open('Msg', { attrs: true }).attr('q').text('a').entity('amp').text('b').charRef(0x41).closeStart();
    w.text('1 ').entity('lt').text(' 2').charRef(0x263a).cdata('<raw & data>');
    w.end().eof();
    const doc = decodeRecord(createChunkContext(w.bytes(), 'refs.evtx', 0, 4096), start, w.pos);
    const kinds = doc.children.map((c) => c.kind);
    assert.deepEqual(kinds, ['pi', 'element']);
    assert.deepEqual(doc.children[0], { kind: 'pi', target: 'xml-stylesheet', data: 'href="x.xsl"' });
    const msg = doc.children[1] as XmlElement;
    assert.deepEqual(msg.attributes[0]?.parts.map((p) => p.kind), ['value', 'entity', 'value', 'charref']);
    assert.equal(getAttribute(msg, 'q'), 'a&bA');
    const content: XmlChild[] = [...msg.children];
    assert.deepEqual(content.map((c) => c.kind), ['value', 'entity', 'value', 'charref', 'cdata']);
    assert.deepEqual(content[4], { kind: 'cdata', text: '<raw & data>' });
    assert.equal(elementText(msg), '1 < 2\u263a<raw & data>');
  });

  test('an empty record payload (EOF only) is an empty document', () => {
    const w = new ChunkWriter();
    const start = w.pos;
    w.eof();
    assert.deepEqual(decodeRecord(createChunkContext(w.bytes(), 'e.evtx', 0, 4096), start, w.pos), { kind: 'document', children: [] });
  });
});
