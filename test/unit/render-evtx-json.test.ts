import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { XmlChild, XmlDocument, XmlElement, XmlValue } from '../../src/core/xml-tree.js';
import { renderEvtxJson } from '../../src/render/evtx-json.js';
import { parseXmlDocument } from '../../src/sources/text/xml-parse.js';

const v = (text: string, json: XmlValue['json'] = text): XmlValue => ({ kind: 'value', text, json });
const el = (name: string, attrs: Record<string, XmlValue>, children: XmlChild[] = []): XmlElement => ({
  kind: 'element',
  name,
  attributes: Object.entries(attrs).map(([n, val]) => ({ name: n, parts: [val] })),
  children,
});
const doc = (root: XmlElement): XmlDocument => ({ kind: 'document', children: [root] });
const eventWith = (...sections: XmlElement[]): XmlDocument => doc(el('Event', { xmlns: v('urn:x') }, sections));

test('System: typed scalars, #attributes, #text, null for empty', () => {
  const json = renderEvtxJson(
    eventWith(
      el('System', {}, [
        el('Provider', { Name: v('P'), Guid: v('{AB-CD}', 'AB-CD'), EventSourceName: v('', null) }),
        el('EventID', { Qualifiers: v('16384', 16384) }, [v('7036', 7036)]),
        el('Version', {}, [v('0', 0)]),
        el('Keywords', {}, [v('0x8000000000000000')]),
        el('Correlation', { ActivityID: v('', null) }),
        el('Security', {}),
      ]),
    ),
  );
  assert.deepEqual(json, {
    Event: {
      '#attributes': { xmlns: 'urn:x' },
      System: {
        Provider: { '#attributes': { Name: 'P', Guid: 'AB-CD' } },
        EventID: { '#attributes': { Qualifiers: 16384 }, '#text': 7036 },
        Version: 0,
        Keywords: '0x8000000000000000',
        Correlation: null,
        Security: null,
      },
    },
  });
});

test('EventData: named Data keyed by Name, empty Data is "", Binary follows the general rule', () => {
  const json = renderEvtxJson(
    eventWith(
      el('EventData', { Name: v('Group') }, [
        el('Data', { Name: v('A') }, [v('1', 1)]),
        el('Data', { Name: v('B') }, []),
        el('Data', {}, [v('dropped: no Name')]),
        el('Data', { Name: v('A') }, [v('second A')]),
        el('Binary', {}, [v('C1000000')]),
      ]),
    ),
  ) as { Event: { EventData: unknown } };
  assert.deepEqual(json.Event.EventData, { '#attributes': { Name: 'Group' }, A: 'second A', B: '', Binary: 'C1000000' });
});

test('EventData: unnamed Data become Data.#text, a list when several', () => {
  const one = renderEvtxJson(eventWith(el('EventData', {}, [el('Data', {}, [v('only')])]))) as { Event: { EventData: unknown } };
  assert.deepEqual(one.Event.EventData, { Data: { '#text': 'only' } });
  const many = renderEvtxJson(
    eventWith(el('EventData', {}, [el('Data', {}, [v('a')]), el('Binary', {}, [v('00')]), el('Data', {}, []), el('Data', {}, [v('7', 7)])])),
  ) as { Event: { EventData: unknown } };
  assert.deepEqual(many.Event.EventData, { Data: { '#text': ['a', '', 7] }, Binary: '00' });
});

test('repeated element names get _1, _2 suffixes in document order', () => {
  const json = renderEvtxJson(
    eventWith(el('UserData', {}, [el('Info', { xmlns: v('urn:u') }, [el('Header', {}, [v('h0')]), el('Header', {}, [v('h1')]), el('Other', {}), el('Header', {}, [v('h2')])])])),
  ) as { Event: { UserData: unknown } };
  assert.deepEqual(json.Event.UserData, {
    Info: { '#attributes': { xmlns: 'urn:u' }, Header: 'h0', Header_1: 'h1', Other: null, Header_2: 'h2' },
  });
});

test('RenderingInfo renders as ordinary elements', () => {
  const json = renderEvtxJson(
    eventWith(
      el('RenderingInfo', { Culture: v('en-US') }, [
        el('Message', {}, [v('Hello')]),
        el('Level', {}, [v('Information')]),
        el('Keywords', {}, [el('Keyword', {}, [v('Audit Success')]), el('Keyword', {}, [v('Classic')])]),
      ]),
    ),
  ) as { Event: { RenderingInfo: unknown } };
  assert.deepEqual(json.Event.RenderingInfo, {
    '#attributes': { Culture: 'en-US' },
    Message: 'Hello',
    Level: 'Information',
    Keywords: { Keyword: 'Audit Success', Keyword_1: 'Classic' },
  });
});

test('text: trailing whitespace trimmed, references decoded, mixed text becomes #text', () => {
  const json = renderEvtxJson(
    eventWith(
      el('EventData', {}, [
        el('Data', { Name: v('Cmd') }, [v('tasklist  ')]),
        el('Data', { Name: v('Amp') }, [v('a '), { kind: 'entity', name: 'amp' }, v(' b'), { kind: 'charref', code: 33 }]),
        el('Data', { Name: v('Flag') }, [v('true', true)]),
      ]),
      el('Mixed', {}, [v('t'), el('Inner', {}, [v('i')])]),
    ),
  ) as { Event: Record<string, unknown> };
  assert.deepEqual(json.Event['EventData'], { Cmd: 'tasklist', Amp: 'a & b!', Flag: true });
  assert.deepEqual(json.Event['Mixed'], { '#text': 't', Inner: 'i' });
});

test('an XmlWinEventLog event renders like evtx_dump', () => {
  const text =
    "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-Security-Auditing' Guid='{54849625-5478-4994-A5BA-3E3B0328C30D}'/>" +
    "<EventID>4688</EventID><Version>2</Version><Level>0</Level><Task>13312</Task><Opcode>0</Opcode><Keywords>0x8020000000000000</Keywords>" +
    "<TimeCreated SystemTime='2024-04-23T08:48:30.449376800Z'/><EventRecordID>432820</EventRecordID><Correlation/><Execution ProcessID='4' ThreadID='276'/>" +
    "<Channel>Security</Channel><Computer>ws-1</Computer><Security/></System><EventData><Data Name='NewProcessId'>0xf84</Data><Data Name='CommandLine'>a &amp;&amp; b</Data></EventData></Event>";
  assert.deepEqual(renderEvtxJson(parseXmlDocument(text, 't.xml')), {
    Event: {
      '#attributes': { xmlns: 'http://schemas.microsoft.com/win/2004/08/events/event' },
      System: {
        Provider: { '#attributes': { Name: 'Microsoft-Windows-Security-Auditing', Guid: '54849625-5478-4994-A5BA-3E3B0328C30D' } },
        EventID: 4688,
        Version: 2,
        Level: 0,
        Task: 13312,
        Opcode: 0,
        Keywords: '0x8020000000000000',
        TimeCreated: { '#attributes': { SystemTime: '2024-04-23T08:48:30.449376Z' } },
        EventRecordID: 432820,
        Correlation: null,
        Execution: { '#attributes': { ProcessID: 4, ThreadID: 276 } },
        Channel: 'Security',
        Computer: 'ws-1',
        Security: null,
      },
      EventData: { NewProcessId: '0xf84', CommandLine: 'a && b' },
    },
  });
});

test('a Data Name of __proto__ becomes an own key', () => {
  const json = renderEvtxJson(eventWith(el('EventData', {}, [el('Data', { Name: v('__proto__') }, [v('x')])]))) as { Event: { EventData: object } };
  assert.deepEqual(Object.keys(json.Event.EventData), ['__proto__']);
});

test('elements flagged emptyOptional stay in the JSON, as the crate keeps them', () => {
  const binary: XmlElement = { ...el('Binary', {}), emptyOptional: true };
  const json = renderEvtxJson(eventWith(el('EventData', {}, [el('Data', { Name: v('A') }, [v('x')]), binary]))) as { Event: { EventData: unknown } };
  assert.deepEqual(json.Event.EventData, { A: 'x', Binary: null });
});
