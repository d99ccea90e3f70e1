/**
 * Differential test against libevtx: for a sample of corpus files that `evtxexport -f xml`
 * reads without error (every such file with VIGIL_DIFF_ALL=1), each record libevtx prints must
 * come out of our EVTX parser + XML renderer with the same XML, paired by EventRecordID.
 *
 * Normalisations, each for a known libevtx habit rather than a difference of content:
 * - whitespace: lines trimmed, blank lines dropped (layout only);
 * - escaping: `&lt;`, `&gt;`, `&amp;` decoded on both sides (libevtx writes ANSI strings raw);
 * - whitespace-only element text counts as empty (libevtx prints `<Data Name="x"/>` for "\n");
 * - `<RenderingInfo>` blocks are dropped from ours (libevtx does not print them);
 * - negative integers: libevtx prints a negative int8/16/32 as minus its low bits without the
 *   sign bit (-2147188641 comes out as -295007), so such a pair is accepted;
 * - a high surrogate not followed by a low one: libevtx prints one U+FFFD for it and the
 *   next code unit, we keep the next unit; both sides are folded to U+FFFD.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { NO_CORPUS, corpusPath } from '../helpers/corpus.js';
import { parseEvtxBytes } from '../../src/sources/evtx/index.js';
import { renderXml } from '../../src/render/xml.js';

const SAMPLE_SIZE = process.env.VIGIL_DIFF_ALL === '1' ? Number.MAX_SAFE_INTEGER : 30;
const MAX_FILE_BYTES = process.env.VIGIL_DIFF_ALL === '1' ? Number.MAX_SAFE_INTEGER : 2_000_000;

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
  let inRenderingInfo = false;
  for (const line of xml.split('\n')) {
    const t = line.trim();
    if (t.startsWith('<RenderingInfo')) inRenderingInfo = !t.endsWith('/>') && !t.includes('</RenderingInfo>');
    else if (inRenderingInfo) {
      if (t === '</RenderingInfo>') inRenderingInfo = false;
    } else if (t !== '') lines.push(t);
  }
  const joined = lines
    .join('\n')
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&')
    .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])[^\n]?/g, '\uFFFD');
  // `<X a="b">\n</X>` (whitespace-only text) becomes `<X a="b"/>`
  return joined.replace(/<([\w:.-]+)((?:\s[^<>]*?)?)>\s*<\/\1>/g, '<$1$2/>');
}

/** libevtx's rendering of a negative integer: minus its low bits without the sign bit. */
function libevtxNegative(n: number): string[] {
  return [0x7f, 0x7fff, 0x7fffffff].map((mask) => String(-((n & mask) >>> 0)));
}

/** Equal, or differing only by libevtx's negative-integer rendering on some lines. */
function sameRecord(ours: string, theirs: string): boolean {
  if (ours === theirs) return true;
  const a = ours.split('\n');
  const b = theirs.split('\n');
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i]) continue;
    const ma = /^(<[^>]*>)(-\d+)(<\/[^>]*>)$/.exec(a[i]!);
    const mb = /^(<[^>]*>)(-?\d+)(<\/[^>]*>)$/.exec(b[i]!);
    if (!ma || !mb || ma[1] !== mb[1] || !libevtxNegative(Number(ma[2])).includes(mb[2]!)) return false;
  }
  return true;
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
      // Dirty files can repeat an EventRecordID (old copies in later chunks), so each id maps
      // to every record we read with it, and a libevtx record must equal one of them.
      const ours = new Map<string | undefined, string[]>();
      for (const r of result.records) {
        if (r.recovered) continue;
        const xml = normalise(renderXml(r.tree));
        const id = recordIdOf(xml);
        const list = ours.get(id);
        if (list) list.push(xml);
        else ours.set(id, [xml]);
      }
      let equal = 0;
      const problems: string[] = [];
      for (const doc of theirs) {
        const id = recordIdOf(doc);
        const candidates = ours.get(id);
        if (candidates === undefined) {
          problems.push(`record ${id}: missing`);
          continue;
        }
        if (candidates.some((mine) => sameRecord(mine, doc))) {
          equal++;
          continue;
        }
        const a = candidates[0]!.split('\n');
        const b = doc.split('\n');
        let i = 0;
        while (i < a.length && a[i] === b[i]) i++;
        problems.push(`record ${id}: ours ${JSON.stringify(a[i])} libevtx ${JSON.stringify(b[i])}`);
      }
      t.diagnostic(`${equal}/${theirs.length} records identical`);
      assert.ok(theirs.length > 0, 'evtxexport printed no records');
      assert.deepEqual(problems.slice(0, 5), [], `${problems.length} of ${theirs.length} records differ`);
    });
  }
}
