/**
 * Chunk ranges on the real corpus: every unique EVTX file (dirty, damaged and truncated ones
 * included) read whole and read as ranges of a few chunks (the way hunt threads read a large
 * file, see sources/evtx/chunk-ranges.ts) gives the same items: each event once at the same
 * place, each record problem and warning once. Corpus files are small (the largest ~3 MB), far
 * under the size `vigil hunt` cuts, so the ranges here are cut finer than the hunt's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { NO_CORPUS, corpusPath } from '../helpers/corpus.js';
import { planChunkRanges } from '../../src/sources/evtx/chunk-ranges.js';
import { readInput } from '../../src/sources/read.js';
import type { InputFile, ReadOptions, SourceItem } from '../../src/sources/source.js';
import { plainFileInput } from '../../src/cli/hunt/file-hunt.js';
import { createHash } from 'node:crypto';

const evtxDir = corpusPath('evtx');
const manifestFile = corpusPath('evtx', 'MANIFEST.tsv');
const skip = evtxDir === null || manifestFile === null ? NO_CORPUS : false;

function describe(item: SourceItem): string {
  switch (item.kind) {
    case 'event': {
      const p = item.event.provenance;
      return `event ${p.recordId}@${p.offset} ${item.event.eventId} ${item.event.channel}`;
    }
    case 'record-error':
    case 'warning':
    case 'fatal':
      return `${item.kind} ${item.diagnostic.code}@${item.diagnostic.location.offset ?? '-'}: ${item.diagnostic.message}`;
  }
}

async function itemsOf(input: InputFile, options: ReadOptions = {}): Promise<string[]> {
  const out: string[] = [];
  for await (const batch of readInput(input, options)) for (const item of batch) out.push(describe(item));
  return out;
}

test('every corpus EVTX file read in ranges of 1 and 3 chunks gives the items of the whole file', { skip }, async () => {
  const rows = readFileSync(manifestFile!, 'utf8').trim().split('\n');
  const column = rows[0]!.split('\t').indexOf('path');
  assert.ok(column >= 0, 'MANIFEST.tsv has a path column');
  const seen = new Set<string>();
  let cut = 0;
  let whole = 0;
  let ranges = 0;
  for (const line of rows.slice(1)) {
    const file = path.join(evtxDir!, line.split('\t')[column]!);
    const bytes = readFileSync(file);
    const digest = createHash('sha256').update(bytes).digest('hex');
    if (seen.has(digest)) continue;
    seen.add(digest);
    const input = plainFileInput(file, file, statSync(file).size);
    const expected = await itemsOf(input);
    for (const perRange of [1, 3]) {
      const plan = planChunkRanges(bytes.subarray(0, 4096), bytes.length, perRange);
      if (plan === null) {
        whole++;
        continue;
      }
      cut++;
      ranges += plan.length;
      const apart: string[] = [];
      for (const r of plan) apart.push(...(await itemsOf(plainFileInput(file, file, r.bytes), { chunks: { from: r.from, to: r.to } })));
      assert.deepEqual(apart, expected, `${path.relative(evtxDir!, file)} in ranges of ${perRange} chunk(s)`);
    }
  }
  // Most corpus files hold a single chunk; those with several and a sound header are cut (90
  // cuts when this was written), the rest are read whole, as the hunt reads them.
  assert.ok(cut >= 50, `${cut} cuts checked, ${whole} left whole`);
  process.stdout.write(`${seen.size} unique files: ${cut} cuts (${ranges} ranges) equal to the whole file; ${whole} cuts not made\n`);
});
