import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LocatedError } from '../../src/core/diagnostics.js';
import { type XmlElement, type XmlValue, elementText, firstChild, getAttribute, rootElement } from '../../src/core/xml-tree.js';
import { MAX_DEPTH, parseXmlDocument } from '../../src/sources/text/xml-parse.js';

const SPLUNK_STYLE =
  "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Demo-Provider' Guid='{11111111-2222-3333-4444-555555555555}'/>" +
  "<EventID Qualifiers='16384'>7036</EventID><Version>1</Version><Level>4</Level><Task>0</Task><Opcode>0</Opcode><Keywords>0x8080000000000000</Keywords>" +
  "<TimeCreated SystemTime='2024-01-02T03:04:05.123456789Z'/><EventRecordID>99</EventRecordID><Correlation/><Execution ProcessID='640' ThreadID='1224'/>" +
  "<Channel>System</Channel><Computer>host-a</Computer><Security/></System><EventData><Data Name='param1'>a &amp; b &lt;c&gt;</Data><Data Name='param2'></Data></EventData></Event>";

function root(xml: string): XmlElement {
  const r = rootElement(parseXmlDocument(xml, 'test.xml'));
  assert.ok(r);
  return r;
}

function onlyValue(el: XmlElement): XmlValue {
  assert.equal(el.children.length, 1);
  const v = el.children[0]!;
  assert.equal(v.kind, 'value');
  return v as XmlValue;
}

test('parses a single-quoted XmlWinEventLog event and types System leaves like evtx_dump', () => {
  const ev = root(SPLUNK_STYLE);
  assert.equal(ev.name, 'Event');
  assert.equal(getAttribute(ev, 'xmlns'), 'http://schemas.microsoft.com/win/2004/08/events/event');
  const system = firstChild(ev, 'System')!;
  const eventId = firstChild(system, 'EventID')!;
  assert.deepEqual(onlyValue(eventId), { kind: 'value', text: '7036', json: 7036 });
  assert.deepEqual(eventId.attributes[0]!.parts[0], { kind: 'value', text: '16384', json: 16384 });
  assert.equal(onlyValue(firstChild(system, 'EventRecordID')!).json, 99);
  assert.equal(onlyValue(firstChild(system, 'Keywords')!).json, '0x8080000000000000');
  const provider = firstChild(system, 'Provider')!;
  assert.deepEqual(provider.attributes[1]!.parts[0], {
    kind: 'value',
    text: '{11111111-2222-3333-4444-555555555555}',
    json: '11111111-2222-3333-4444-555555555555',
  });
  const time = firstChild(system, 'TimeCreated')!.attributes[0]!.parts[0] as XmlValue;
  assert.equal(time.text, '2024-01-02T03:04:05.123456789Z');
  assert.equal(time.json, '2024-01-02T03:04:05.123456Z');
  const exec = firstChild(system, 'Execution')!;
  assert.equal((exec.attributes[0]!.parts[0] as XmlValue).json, 640);
  assert.deepEqual(firstChild(system, 'Correlation')!.children, []);
});

test('keeps entity references as nodes and leaves EventData untyped', () => {
  const data = firstChild(firstChild(root(SPLUNK_STYLE), 'EventData')!, 'Data')!;
  assert.deepEqual(
    data.children.map((c) => c.kind),
    ['value', 'entity', 'value', 'entity', 'value', 'entity'],
  );
  assert.equal(elementText(data), 'a & b <c>');
  const eventData = firstChild(root(SPLUNK_STYLE), 'EventData')!;
  const second = eventData.children[1] as XmlElement;
  assert.equal(getAttribute(second, 'Name'), 'param2');
  assert.deepEqual(second.children, []);
});

test('numeric-looking EventData stays a string', () => {
  const ev = root('<Event><EventData><Data Name="ProcessId">4242</Data></EventData></Event>');
  const v = onlyValue(firstChild(firstChild(ev, 'EventData')!, 'Data')!);
  assert.equal(v.json, '4242');
});

test('character references, CDATA, PIs and comments', () => {
  const doc = parseXmlDocument('<?xml version="1.0" encoding="utf-8"?>\n<?render mode="x"?><!-- c --><E a="x&#65;&#x42;">t<![CDATA[<raw> & ]]><?pi data?><!-- gone --></E>', 'f');
  assert.deepEqual(doc.children[0], { kind: 'pi', target: 'render', data: 'mode="x"' });
  const e = rootElement(doc)!;
  assert.deepEqual(e.attributes[0]!.parts, [
    { kind: 'value', text: 'x', json: 'x' },
    { kind: 'charref', code: 65 },
    { kind: 'charref', code: 0x42 },
  ]);
  assert.deepEqual(e.children, [
    { kind: 'value', text: 't', json: 't' },
    { kind: 'cdata', text: '<raw> & ' },
    { kind: 'pi', target: 'pi', data: 'data' },
  ]);
});

test('pretty-printing whitespace is dropped, whitespace values are kept', () => {
  const ev = root('<Event>\n  <System>\n    <Computer>h</Computer>\n  </System>\n  <EventData>\n  </EventData>\n  <X> </X>\n</Event>');
  assert.deepEqual(
    ev.children.map((c) => (c.kind === 'element' ? c.name : c.kind)),
    ['System', 'EventData', 'X'],
  );
  assert.deepEqual(firstChild(ev, 'EventData')!.children, []);
  assert.deepEqual(onlyValue(firstChild(ev, 'X')!).text, ' ');
});

function expectError(xml: string, code: string, line?: number, column?: number): void {
  assert.throws(
    () => parseXmlDocument(xml, 'bad.xml', 100),
    (e: unknown) => {
      assert.ok(e instanceof LocatedError, String(e));
      assert.equal(e.code, code, e.message);
      assert.equal(e.location.file, 'bad.xml');
      assert.ok((e.location.offset ?? 0) >= 100);
      if (line !== undefined) assert.equal(e.location.line, line);
      if (column !== undefined) assert.equal(e.location.column, column);
      return true;
    },
  );
}

test('located errors for malformed input', () => {
  expectError('<Event>\n  <System></Sys>\n</Event>', 'xml.mismatch', 2, 11);
  expectError('<Event><System>', 'xml.unclosed', 1, 8); // the innermost open element
  expectError('<Event a="1" a="2"/>', 'xml.duplicate-attribute');
  expectError('<Event a=1/>', 'xml.attribute');
  expectError('<Event>a & b</Event>', 'xml.reference');
  expectError('<Event>&#0;</Event>', 'xml.reference');
  expectError('<!DOCTYPE x [<!ENTITY a "b">]><Event/>', 'xml.doctype');
  expectError('<Event/><Event/>', 'xml.second-root');
  expectError('junk<Event/>', 'xml.text-outside-root');
  expectError('', 'xml.no-root');
  expectError('<Event><![CDATA[x</Event>', 'xml.cdata');
  expectError('<Event a="<"/>', 'xml.attribute');
});

test('nesting depth is bounded', () => {
  const ok = '<a>'.repeat(MAX_DEPTH) + '</a>'.repeat(MAX_DEPTH);
  assert.ok(parseXmlDocument(ok, 'f'));
  const deep = '<a>'.repeat(MAX_DEPTH + 1) + '</a>'.repeat(MAX_DEPTH + 1);
  expectError(deep, 'xml.too-deep');
  expectError('<a>'.repeat(100000), 'xml.too-deep');
});

test('byte offsets count UTF-8 bytes', () => {
  assert.throws(
    () => parseXmlDocument('<Event>é€<x></y></Event>', 'f', 10),
    (e: unknown) => e instanceof LocatedError && e.location.offset === 10 + '<Event>é€<x>'.length + 3,
  );
});
