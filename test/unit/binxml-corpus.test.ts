/**
 * The decoder over real EVTX files from the shared corpus (skipped when absent), framed by the
 * test-only walker. Expected counts come from the reference notes (evtx crate test counts,
 * libevtx), spot values from `evtxexport -f xml`, and JSON scalars from the SigmaHQ regression
 * data (evtx crate output).
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import type { XmlDocument, XmlElement, XmlValue } from '../../src/core/xml-tree.js';
import { attributeText, childElements, elementText, firstChild, getAttribute, rootElement } from '../../src/core/xml-tree.js';
import { createChunkContext, decodeRecord } from '../../src/sources/evtx/binxml/index.js';
import { NO_CORPUS, corpusPath } from '../helpers/corpus.js';
import { walkRecords } from './binxml-test-walker.js';

interface Decoded {
  readonly docs: XmlDocument[];
  readonly errors: string[];
}

function decodeFile(file: string): Decoded {
  const bytes = readFileSync(file);
  const docs: XmlDocument[] = [];
  const errors: string[] = [];
  let ctx: ReturnType<typeof createChunkContext> | null = null;
  let chunk = -1;
  for (const r of walkRecords(bytes)) {
    if (r.chunkIndex !== chunk || ctx === null) {
      ctx = createChunkContext(r.chunk, file, r.chunkIndex, r.chunkOffset);
      chunk = r.chunkIndex;
    }
    try {
      docs.push(decodeRecord(ctx, r.offset + 24, r.offset + r.size - 4));
    } catch (e) {
      errors.push(`record ${r.recordId}: ${String(e)}`);
    }
  }
  return { docs, errors };
}

function sample(...parts: string[]): string | null {
  return corpusPath('evtx', ...parts);
}

function system(doc: XmlDocument): XmlElement {
  const s = firstChild(rootElement(doc)!, 'System');
  assert.ok(s);
  return s;
}

function data(doc: XmlDocument, name: string): XmlElement | undefined {
  const ed = firstChild(rootElement(doc)!, 'EventData');
  return ed === undefined ? undefined : childElements(ed).find((d) => getAttribute(d, 'Name') === name);
}

describe('binxml decoder on corpus files', () => {
  const counts: [string[], number][] = [
    [['evtx-crate', 'samples', 'security.evtx'], 2261],
    [['evtx-crate', 'samples', 'security_bad_string_cache.evtx'], 2261],
    [['evtx-crate', 'samples', 'sample-with-irregular-bool-values.evtx'], 3028],
    [['evtx-crate', 'samples', 'E_Windows_system32_winevt_logs_Microsoft-Windows-CAPI2%4Operational.evtx'], 340],
    [['evtx-crate', 'samples', 'E_ShadowCopy6_windows_system32_winevt_logs_Microsoft-Windows-CAPI2%4Operational.evtx'], 459],
    [['evtx-crate', 'samples', 'E_Windows_system32_winevt_logs_Microsoft-Windows-Shell-Core%4Operational.evtx'], 1146],
  ];
  for (const [parts, expected] of counts) {
    const file = sample(...parts);
    test(`${parts.at(-1)}: ${expected} records, none failing`, { skip: file === null ? NO_CORPUS : false }, () => {
      const { docs, errors } = decodeFile(file!);
      assert.deepEqual(errors.slice(0, 3), []);
      assert.equal(docs.length, expected);
      for (const d of docs) assert.equal(rootElement(d)?.name, 'Event');
    });
  }

  const sizeT = sample('evtx-crate', 'samples', 'Security_with_size_t.evtx');
  test('Security_with_size_t: values as evtxexport prints them', { skip: sizeT === null ? NO_CORPUS : false }, () => {
    const { docs, errors } = decodeFile(sizeT!);
    assert.deepEqual(errors, []);
    const logon = docs[1]!;
    assert.equal(elementText(firstChild(system(logon), 'EventID')!), '4624');
    assert.equal(getAttribute(firstChild(system(logon), 'TimeCreated')!, 'SystemTime'), '2015-08-24T06:51:38.437500000Z');
    assert.equal(elementText(firstChild(system(logon), 'Keywords')!), '0x8020000000000000');
    assert.equal(getAttribute(firstChild(system(logon), 'Provider')!, 'Guid'), '{54849625-5478-4994-a5ba-3e3b0328c30d}');
    assert.equal(elementText(data(logon, 'TargetLogonId')!), '0x00000000000003e7');
    assert.equal(elementText(data(logon, 'TargetUserSid')!), 'S-1-5-18');
    assert.equal(elementText(data(logon, 'LogonGuid')!), '{00000000-0000-0000-0000-000000000000}');
    assert.equal(elementText(data(logon, 'ProcessId')!), '4');
    assert.equal((data(logon, 'ProcessId')!.children[0] as XmlValue).json, '0x4');
    assert.equal(data(logon, 'ProcessName')!.children.length, 0);
  });

  const bools = sample('evtx-crate', 'samples', 'sample-with-irregular-bool-values.evtx');
  test('irregular bools decode; IsMachine counts match evtxexport', { skip: bools === null ? NO_CORPUS : false }, () => {
    const { docs } = decodeFile(bools!);
    const tally = new Map<string, number>();
    for (const d of docs) {
      const v = data(d, 'IsMachine');
      if (v !== undefined) tally.set(elementText(v), (tally.get(elementText(v)) ?? 0) + 1);
    }
    assert.deepEqual(Object.fromEntries(tally), { true: 457, false: 765, '0': 32, '1': 26 });
  });

  const bits = sample('YamatoSecurity', 'Persistence', 'T1197_BitsClient.evtx');
  test('real64 text as libevtx prints it', { skip: bits === null ? NO_CORPUS : false }, () => {
    const { docs } = decodeFile(bits!);
    const number = data(docs[6]!, 'number');
    assert.ok(number);
    assert.equal(elementText(number), '3.199234e+003');
    assert.equal((number.children[0] as XmlValue).json, 3199.234);
  });

  const defender = sample('EVTX-to-MITRE-Attack', 'Antivirus', 'ID1116-1117-Defender threat detected.evtx');
  test('template-less records (Defender 1116/1117) decode in full', { skip: defender === null ? NO_CORPUS : false }, () => {
    const { docs, errors } = decodeFile(defender!);
    assert.deepEqual(errors, []);
    assert.ok(docs.length > 0);
    for (const d of docs) {
      assert.equal(getAttribute(firstChild(system(d), 'Provider')!, 'Name'), 'Microsoft-Windows-Windows Defender');
      assert.match(elementText(firstChild(system(d), 'EventID')!), /^111[67]$/);
    }
    assert.equal(elementText(data(docs[0]!, 'Threat Name')!), 'HackTool:Win64/Mikatz!dha');
  });

  const mitre = corpusPath('evtx', 'EVTX-to-MITRE-Attack');
  test('every EVTX-to-MITRE-Attack file decodes without record errors', { skip: mitre === null ? NO_CORPUS : false }, () => {
    const files: string[] = [];
    const walk = (dir: string): void => {
      for (const e of readdirSync(dir)) {
        const p = path.join(dir, e);
        if (statSync(p).isDirectory()) walk(p);
        else if (p.endsWith('.evtx')) files.push(p);
      }
    };
    walk(mitre!);
    assert.ok(files.length > 100);
    let records = 0;
    for (const f of files) {
      const { docs, errors } = decodeFile(f);
      assert.deepEqual(errors.slice(0, 2), [], f);
      records += docs.length;
    }
    assert.ok(records > 1000);
  });
});

/** The JSON scalar of an element's single value, as the crate would print a leaf. */
function leafJson(el: XmlElement): unknown {
  const vals = el.children;
  if (vals.length === 0) return null;
  if (vals.length === 1 && vals[0]!.kind === 'value') return vals[0].json;
  return elementText(el);
}

function attrJson(el: XmlElement | undefined, name: string): unknown {
  const a = el?.attributes.find((x) => x.name === name);
  if (a === undefined) return undefined;
  return a.parts.length === 1 && a.parts[0]!.kind === 'value' ? a.parts[0].json : attributeText(a);
}

describe('binxml JSON scalars against SigmaHQ regression data (evtx crate output)', () => {
  const root = corpusPath('sigma', 'regression', 'regression_data');
  test('EventData and System values match the crate JSON', { skip: root === null ? NO_CORPUS : false }, () => {
    const pairs: string[] = [];
    const walk = (dir: string): void => {
      for (const e of readdirSync(dir)) {
        const p = path.join(dir, e);
        if (statSync(p).isDirectory()) walk(p);
        else if (p.endsWith('.evtx')) pairs.push(p);
      }
    };
    walk(root!);
    assert.ok(pairs.length > 100);
    let compared = 0;
    let records = 0;
    for (const evtx of pairs) {
      const raw = readFileSync(evtx.replace(/\.evtx$/, '.json'), 'utf8');
      const expectations = raw.replace(/\n}\s*\n{/g, '\n}\u0000{').split('\u0000').map((s) => JSON.parse(s) as { Event: Record<string, Record<string, unknown>> });
      // One file's JSON has 7-digit times and hand-edited values: it is not crate output.
      if (/"SystemTime": "[^"]*\.\d{7,}Z"/.test(raw)) continue;
      const { docs, errors } = decodeFile(evtx);
      assert.deepEqual(errors, [], evtx);
      for (const exp of expectations) {
        const sys = exp.Event.System as Record<string, unknown>;
        const doc = docs.find((d) => leafJson(firstChild(system(d), 'EventRecordID')!) === sys.EventRecordID);
        assert.ok(doc, `${evtx}: record ${String(sys.EventRecordID)}`);
        records++;
        const s = system(doc);
        assert.equal(leafJson(firstChild(s, 'EventID')!), sys.EventID, evtx);
        assert.equal(leafJson(firstChild(s, 'Keywords')!), sys.Keywords, evtx);
        const attrs = (k: string): Record<string, unknown> => ((sys[k] as { '#attributes'?: Record<string, unknown> })?.['#attributes'] ?? {});
        assert.equal(attrJson(firstChild(s, 'Provider'), 'Guid'), attrs('Provider').Guid, evtx);
        assert.equal(attrJson(firstChild(s, 'Security'), 'UserID'), attrs('Security').UserID, evtx);
        assert.equal(attrJson(firstChild(s, 'Execution'), 'ProcessID'), attrs('Execution').ProcessID, evtx);
        assert.equal(attrJson(firstChild(s, 'TimeCreated'), 'SystemTime'), attrs('TimeCreated').SystemTime, evtx);
        const eventData = exp.Event.EventData;
        if (eventData === undefined || eventData === null) continue;
        for (const [name, value] of Object.entries(eventData)) {
          if (name === '#attributes' || typeof value === 'object') continue;
          const el = data(doc, name);
          assert.ok(el, `${evtx}: Data ${name}`);
          const got = el.children.length === 0 ? '' : leafJson(el);
          assert.deepEqual(got, value, `${evtx}: Data ${name}`);
          compared++;
        }
      }
    }
    assert.ok(records >= 150, `records compared: ${records}`);
    assert.ok(compared > 2000, `fields compared: ${compared}`);
  });
});
