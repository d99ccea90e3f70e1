import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { XmlDocument, XmlElement, XmlValue } from '../../src/core/xml-tree.js';
import { renderXml } from '../../src/render/xml.js';
import { parseXmlDocument } from '../../src/sources/text/xml-parse.js';

const v = (text: string, json: XmlValue['json'] = text): XmlValue => ({ kind: 'value', text, json });
const el = (name: string, attributes: XmlElement['attributes'], children: XmlElement['children']): XmlElement => ({
  kind: 'element',
  name,
  attributes,
  children,
});

const TREE: XmlDocument = {
  kind: 'document',
  children: [
    el('Event', [{ name: 'xmlns', parts: [v('http://schemas.microsoft.com/win/2004/08/events/event')] }], [
      el('System', [], [
        el('Provider', [{ name: 'Name', parts: [v('P')] }, { name: 'Guid', parts: [v('{AB}', 'AB')] }, { name: 'EventSourceName', parts: [v('', null)] }], []),
        el('EventID', [{ name: 'Qualifiers', parts: [] }], [v('4688', 4688)]),
        el('Correlation', [{ name: 'ActivityID', parts: [v('', null)] }], []),
        el('Computer', [], [v('h')]),
      ]),
      el('EventData', [], [
        el('Data', [{ name: 'Name', parts: [v('CommandLine')] }], [v('cmd /c "a" & b < c > d')]),
        el('Data', [{ name: 'Name', parts: [v('Empty')] }], [v('', null)]),
        el('Data', [{ name: 'Name', parts: [v('Refs')] }], [v('x'), { kind: 'entity', name: 'quot' }, { kind: 'charref', code: 9 }]),
        el('Data', [{ name: 'Name', parts: [v('a"b&c')] }], [{ kind: 'cdata', text: '<inner/>' }]),
      ]),
    ]),
  ],
};

// Written by hand from the libevtx layout rules (two-space indent, self-closing empties,
// empty attributes left out, text escapes & < > only).
const EXPECTED = [
  '<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event">',
  '  <System>',
  '    <Provider Name="P" Guid="{AB}"/>',
  '    <EventID>4688</EventID>',
  '    <Correlation/>',
  '    <Computer>h</Computer>',
  '  </System>',
  '  <EventData>',
  '    <Data Name="CommandLine">cmd /c "a" &amp; b &lt; c &gt; d</Data>',
  '    <Data Name="Empty"/>',
  '    <Data Name="Refs">x&quot;&#9;</Data>',
  '    <Data Name="a&quot;b&amp;c">',
  '      <![CDATA[<inner/>]]>',
  '    </Data>',
  '  </EventData>',
  '</Event>',
].join('\n');

test('renders the libevtx layout', () => {
  assert.equal(renderXml(TREE), EXPECTED);
});

test('indent: false writes one line', () => {
  const one = renderXml(TREE, { indent: false });
  assert.ok(!one.includes('\n'));
  assert.equal(one, EXPECTED.split('\n').map((l) => l.trim()).join(''));
});

test('processing instructions before the root', () => {
  const doc: XmlDocument = { kind: 'document', children: [{ kind: 'pi', target: 'x', data: 'y=1' }, el('E', [], [])] };
  assert.equal(renderXml(doc), '<?x y=1?>\n<E/>');
});

test('render → parse → render is stable', () => {
  const again = parseXmlDocument(renderXml(TREE), 'round.xml');
  assert.equal(renderXml(again), EXPECTED);
  const oneLine = parseXmlDocument(renderXml(TREE, { indent: false }), 'round.xml');
  assert.equal(renderXml(oneLine), EXPECTED);
});

test('mixed content stays on one line in document order', () => {
  const doc: XmlDocument = { kind: 'document', children: [el('A', [], [v('t1'), el('B', [], [v('b')]), v('t2')])] };
  assert.equal(renderXml(doc), '<A>t1<B>b</B>t2</A>');
  const nested: XmlDocument = { kind: 'document', children: [el('R', [], [el('A', [], [v('x '), { kind: 'cdata', text: 'c' }])])] };
  assert.equal(renderXml(nested), '<R>\n  <A>x <![CDATA[c]]></A>\n</R>');
  assert.equal(renderXml(parseXmlDocument(renderXml(nested), 'f')), renderXml(nested));
});

test('elements flagged emptyOptional are left out, as libevtx does', () => {
  const binary: XmlElement = { ...el('Binary', [], []), emptyOptional: true };
  const doc: XmlDocument = { kind: 'document', children: [el('Event', [], [el('EventData', [], [binary])])] };
  assert.equal(renderXml(doc), '<Event>\n  <EventData/>\n</Event>');
});
