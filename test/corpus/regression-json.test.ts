/**
 * Acceptance test for the evtx_dump JSON renderer: the SigmaHQ regression cases ship each
 * `.evtx` with the evtx_dump JSON of its events. Every JSON event must equal, value for value,
 * `renderEvtxJson` of the record with the same EventRecordID from our EVTX parser.
 *
 * The `.json` files hold one or more pretty-printed objects back to back (or arrays of them).
 * One case was edited by hand after conversion (its JSON disagrees with its own EVTX); those
 * exact values are listed in HAND_EDITED and checked to still differ in that way only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { NO_CORPUS, corpusPath } from '../helpers/corpus.js';
import { parseEvtxBytes } from '../../src/sources/evtx/index.js';
import { renderEvtxJson } from '../../src/render/evtx-json.js';

interface ManifestTest {
  readonly evtx: string;
  readonly json: string;
}
interface Manifest {
  readonly rules: readonly { readonly tests: readonly ManifestTest[] }[];
}

/** json file → JSON-pointer-ish path → [ours, theirs]: differences the JSON was edited to have. */
const HAND_EDITED: Readonly<Record<string, Readonly<Record<string, readonly [unknown, unknown]>>>> = {
  'proc_creation_win_susp_right_to_left_override/ad691d92-15f2-4181-9aa4-723c74f9ddc3.json': {
    '/Event/System/TimeCreated/#attributes/SystemTime': ['2026-03-20T08:31:26.751156Z', '2026-03-20T08:31:26.751156500Z'],
    '/Event/EventData/ParentCommandLine': ['C:\\Windows\\Explorer.EXE', 'C:\\Windows\\Explorer.exe'],
  },
};

/** Splits back-to-back JSON values (objects or arrays) and flattens arrays. */
function parseJsonSequence(text: string): unknown[] {
  const out: unknown[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  let escaped = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (c === '\\') escaped = true;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{' || c === '[') {
      if (depth === 0) start = i;
      depth++;
    } else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) {
        const v: unknown = JSON.parse(text.slice(start, i + 1));
        if (Array.isArray(v)) out.push(...(v as unknown[]));
        else out.push(v);
      }
    }
  }
  return out;
}

function recordIdOf(event: unknown): unknown {
  const e = event as { Event?: { System?: { EventRecordID?: unknown } } };
  return e.Event?.System?.EventRecordID;
}

/** Leaf differences as path → [ours, theirs]. */
function differences(ours: unknown, theirs: unknown, at: string, out: Map<string, [unknown, unknown]>): void {
  if (typeof ours === 'object' && ours !== null && typeof theirs === 'object' && theirs !== null && Array.isArray(ours) === Array.isArray(theirs)) {
    const a = ours as Record<string, unknown>;
    const b = theirs as Record<string, unknown>;
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) differences(a[k], b[k], `${at}/${k}`, out);
    return;
  }
  if (!Object.is(ours, theirs)) out.set(at, [ours, theirs]);
}

const regressionDir = corpusPath('sigma', 'regression');

if (regressionDir === null) {
  test('regression JSON equality', { skip: NO_CORPUS }, () => {});
} else {
  test('evtx_dump JSON of every SigmaHQ regression event equals ours', (t) => {
    const manifest = JSON.parse(readFileSync(path.join(regressionDir, 'manifest.json'), 'utf8')) as Manifest;
    let total = 0;
    let equal = 0;
    let cases = 0;
    const failures: string[] = [];
    for (const rule of manifest.rules) {
      for (const tc of rule.tests) {
        cases++;
        const evtxPath = path.join(regressionDir, tc.evtx);
        const parsed = parseEvtxBytes(new Uint8Array(readFileSync(evtxPath)), tc.evtx);
        const byId = new Map<unknown, unknown>();
        for (const r of parsed.records) {
          const json = renderEvtxJson(r.tree);
          byId.set(recordIdOf(json), json);
        }
        const expected = parseJsonSequence(readFileSync(path.join(regressionDir, tc.json), 'utf8'));
        assert.ok(expected.length > 0, `${tc.json}: no events`);
        const edited = Object.entries(HAND_EDITED).find(([suffix]) => tc.json.endsWith(suffix))?.[1];
        for (const want of expected) {
          total++;
          const id = recordIdOf(want);
          const got = byId.get(id);
          if (got === undefined) {
            failures.push(`${tc.json}: record ${String(id)} not found in the EVTX`);
            continue;
          }
          const diff = new Map<string, [unknown, unknown]>();
          differences(got, want, '', diff);
          if (edited !== undefined) {
            for (const [p, pair] of Object.entries(edited)) {
              if (diff.has(p)) {
                assert.deepEqual(diff.get(p), pair, `${tc.json}: hand-edited value at ${p} changed`);
                diff.delete(p);
              }
            }
          }
          if (diff.size === 0) equal++;
          else {
            const [p, [a, b]] = diff.entries().next().value as [string, [unknown, unknown]];
            failures.push(`${tc.json} record ${String(id)}: ${diff.size} differences, first ${p}: ours ${JSON.stringify(a)} theirs ${JSON.stringify(b)}`);
          }
        }
      }
    }
    t.diagnostic(`${equal}/${total} events equal over ${cases} cases`);
    assert.ok(total >= 150, `only ${total} events found`);
    assert.deepEqual(failures.slice(0, 10), [], `${failures.length} of ${total} events differ`);
  });
}
