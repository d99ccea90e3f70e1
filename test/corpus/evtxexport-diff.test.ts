/**
 * Differential test against libevtx: for a fixed sample of ~30 corpus files that
 * `evtxexport -f xml` reads without error, every record libevtx prints must come out of our
 * EVTX parser + XML renderer with the same XML, matched by EventRecordID.
 *
 * Normalisations (and why):
 * - whitespace: lines are trimmed and blank lines dropped (indentation and the blank line
 *   between records are layout, not content);
 * - escaping: `&lt;`, `&gt;`, `&amp;` are decoded on both sides before comparing, because
 *   libevtx escapes only UTF-16 string values and writes ANSI strings raw (which is not
 *   well-formed XML; we always escape).
 * Nothing else: timestamps (100 ns), GUID braces/case and empty-element forms must already
 * be identical, since XmlValue.text follows libevtx.
 *
 * One difference belongs to the BinXml decoder and is still open: which elements whose only
 * content is an empty substitution libevtx leaves out. It drops `<Binary/>` but keeps an
 * empty `<Data/>` in the same record, so the decoder's `emptyOptional` flag (which the
 * renderer obeys) does not yet follow libevtx's rule. A file whose records differ only by such
 * empty elements is reported as `todo` (it shows, it does not fail the suite); any other
 * difference fails.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { NO_CORPUS, corpusPath } from '../helpers/corpus.js';
import { parseEvtxBytes } from '../../src/sources/evtx/index.js';
import { renderXml } from '../../src/render/xml.js';

const SAMPLE_SIZE = 30;
const MAX_FILE_BYTES = 2_000_000;

const evtxDir = corpusPath('evtx');
const hasEvtxexport = spawnSync('evtxexport', ['-h'], { stdio: 'ignore' }).error === undefined;

function sampleFiles(dir: string): string[] {
  const rows = readFileSync(path.join(dir, 'MANIFEST.tsv'), 'utf8').trim().split('\n').slice(1);
  const ok: string[] = [];
  for (const row of rows) {
    const cols = row.split('\t');
    if (cols[6] === '0' && Number(cols[1]) < MAX_FILE_BYTES) ok.push(cols[0]!);
  }
  ok.sort();
  const step = Math.max(1, Math.floor(ok.length / SAMPLE_SIZE));
  const out: string[] = [];
  for (let i = 0; i < ok.length && out.length < SAMPLE_SIZE; i += step) out.push(ok[i]!);
  return out;
}

function normalise(xml: string): string {
  const lines: string[] = [];
  for (const line of xml.split('\n')) {
    const t = line.trim();
    if (t !== '') lines.push(t);
  }
  return lines.join('\n').replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&');
}

/** Drops attribute-less empty elements (`<Binary/>`) and empties containers they leave behind. */
function withoutEmptyElements(xml: string): string {
  const kept: string[] = [];
  for (const line of xml.split('\n')) {
    if (/^<[\w:.-]+\/>$/.test(line)) continue;
    const last = kept[kept.length - 1];
    if (last !== undefined && line.startsWith('</') && last === `<${line.slice(2, -1)}>`) {
      kept[kept.length - 1] = `<${line.slice(2, -1)}/>`;
      continue;
    }
    kept.push(line);
  }
  return kept.join('\n');
}

function recordIdOf(xml: string): string | undefined {
  const start = xml.indexOf('<EventRecordID>');
  if (start < 0) return undefined;
  const end = xml.indexOf('<', start + 15);
  return xml.slice(start + 15, end);
}

if (evtxDir === null) {
  test('evtxexport differential', { skip: NO_CORPUS }, () => {});
} else if (!hasEvtxexport) {
  test('evtxexport differential', { skip: 'evtxexport (libevtx-utils) not installed; skipped' }, () => {});
} else {
  const files = sampleFiles(evtxDir);
  test('evtxexport differential: sample is large enough', () => {
    assert.ok(files.length >= 20, `only ${files.length} sample files`);
  });
  for (const rel of files) {
    test(`same XML as evtxexport: ${rel}`, (t) => {
      const file = path.join(evtxDir, rel);
      const exported = execFileSync('evtxexport', ['-f', 'xml', file], { encoding: 'utf8', maxBuffer: 1 << 28 });
      const theirs = exported
        .replace(/^evtxexport[^\n]*\n/, '')
        .split(/\n\n(?=<Event)/)
        .map(normalise)
        .filter((s) => s !== '');
      const result = parseEvtxBytes(new Uint8Array(readFileSync(file)), rel);
      const ours = new Map<string | undefined, string>();
      for (const r of result.records) {
        if (r.recovered) continue;
        const xml = normalise(renderXml(r.tree));
        ours.set(recordIdOf(xml), xml);
      }
      let equal = 0;
      let emptyElementOnly = 0;
      const problems: string[] = [];
      for (const doc of theirs) {
        const id = recordIdOf(doc);
        const mine = ours.get(id);
        if (mine === undefined) problems.push(`record ${id}: missing`);
        else if (mine !== doc) {
          if (withoutEmptyElements(mine) === withoutEmptyElements(doc)) emptyElementOnly++;
          const a = mine.split('\n');
          const b = doc.split('\n');
          let i = 0;
          while (i < a.length && a[i] === b[i]) i++;
          problems.push(`record ${id}: ours ${JSON.stringify(a[i])} libevtx ${JSON.stringify(b[i])}`);
        } else equal++;
      }
      t.diagnostic(`${equal}/${theirs.length} records identical`);
      if (emptyElementOnly > 0 && emptyElementOnly === problems.length) {
        t.todo(`${emptyElementOnly} records differ only by which empty elements are left out (open BinXml decoder issue)`);
      }
      assert.ok(theirs.length > 0, 'evtxexport printed no records');
      assert.deepEqual(problems.slice(0, 5), [], `${problems.length} of ${theirs.length} records differ`);
    });
  }
}
