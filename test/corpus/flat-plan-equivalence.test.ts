/**
 * The flat-plan fast path (src/sources/evtx/binxml/flat-plan.ts) must give exactly the fields
 * the tree path gives: for every live record of every unique corpus EVTX file, and of a
 * generated file, a record read through a plan has `fields` deepEqual (key order included, as
 * JSONL output depends on it) to `flattenTree` of its tree decoded the ordinary way; and when
 * the plan also listed the values (`fieldValues`, what keyword searches walk), the list holds
 * exactly the values of those fields. Records without a plan come with fields too (the reader
 * flattens their tree at once); they must equal the tree's just the same, and the plan must
 * still carry most records.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { NO_CORPUS, corpusPath } from '../helpers/corpus.js';
import { generateFile } from '../../bench/gen-evtx.js';
import { createChunkContext, decodeRecord, decodeRecordFields } from '../../src/sources/evtx/binxml/index.js';
import { parseEvtxBytes } from '../../src/sources/evtx/index.js';
import { CHUNK_SIZE, FILE_HEADER_SIZE, RECORD_HEADER_SIZE, u32 } from '../../src/sources/evtx/layout.js';
import type { EvtxRecord } from '../../src/sources/evtx/types.js';
import { flattenTree } from '../../src/normalize/flatten-tree.js';
import type { FieldScalar, FieldValue } from '../../src/core/event.js';

const evtxDir = corpusPath('evtx');

interface Tally {
  /** Records with fields that a flat plan carries (decodeRecordFields gives them). */
  flat: number;
  /** Records with fields flattened from their tree, or (none expected) without fields. */
  tree: number;
  /** Flat records that came with a value list. */
  listed: number;
}

/** The distinct scalars of some field values, list items one by one, as JSON (so 4 and '4' differ). */
function scalarSet(values: Iterable<FieldValue>): Set<string> {
  const out = new Set<string>();
  for (const v of values) {
    if (Array.isArray(v)) for (const x of v as readonly FieldScalar[]) out.add(JSON.stringify(x));
    else out.add(JSON.stringify(v));
  }
  return out;
}

/**
 * Decodes the record's tree independently of the record object (no cached or lazy state), and
 * says whether a flat plan carries it.
 */
function freshDecode(bytes: Uint8Array, file: string, record: EvtxRecord) {
  const chunkStart = FILE_HEADER_SIZE + record.chunk * CHUNK_SIZE;
  const chunk = bytes.subarray(chunkStart, Math.min(chunkStart + CHUNK_SIZE, bytes.length));
  const at = record.offset - chunkStart;
  const start = at + RECORD_HEADER_SIZE;
  const end = at + u32(chunk, at + 4) - 4;
  const viaPlan = decodeRecordFields(createChunkContext(chunk, file, record.chunk, chunkStart), start, end) !== null;
  return { tree: decodeRecord(createChunkContext(chunk, file, record.chunk, chunkStart), start, end), viaPlan };
}

function checkFile(bytes: Uint8Array, file: string, tally: Tally): void {
  const result = parseEvtxBytes(bytes, file);
  for (const record of result.records) {
    if (record.fields === undefined) {
      tally.tree++;
      continue;
    }
    const fresh = freshDecode(bytes, file, record);
    if (fresh.viaPlan) tally.flat++;
    else tally.tree++;
    const expected = flattenTree(fresh.tree);
    const where = `${file} record ${record.recordId} at ${record.offset}`;
    assert.deepEqual(record.fields, expected, where);
    assert.deepEqual(Object.keys(record.fields), Object.keys(expected), `${where}: key order`);
    assert.equal(JSON.stringify(record.fields), JSON.stringify(expected), `${where}: JSON text`);
    // The lazily decoded tree of a flat record is the ordinary tree.
    assert.deepEqual(flattenTree(record.tree), expected, `${where}: lazy tree`);
    if (record.fieldValues != null) {
      tally.listed++;
      assert.deepEqual(scalarSet(record.fieldValues), scalarSet(Object.values(expected)), `${where}: value list`);
    }
  }
}

/** Unique corpus files (the corpus holds some files twice), by content hash. */
function uniqueCorpusFiles(dir: string): string[] {
  const rows = readFileSync(path.join(dir, 'MANIFEST.tsv'), 'utf8').trim().split('\n').slice(1);
  const seen = new Set<string>();
  const files: string[] = [];
  for (const row of rows) {
    const [file, , sha] = row.split('\t');
    if (file === undefined || sha === undefined || seen.has(sha)) continue;
    seen.add(sha);
    files.push(path.join(dir, file));
  }
  return files.sort();
}

test('flat-plan fields equal flattenTree fields on every record of the EVTX corpus', { skip: evtxDir === null ? NO_CORPUS : false }, () => {
  const tally: Tally = { flat: 0, tree: 0, listed: 0 };
  const files = uniqueCorpusFiles(evtxDir!);
  assert.ok(files.length > 100, `only ${files.length} corpus files listed`);
  for (const file of files) checkFile(readFileSync(file), path.relative(evtxDir!, file), tally);
  // The plan must actually carry most records, or the fast path is not doing its job.
  assert.ok(tally.flat > 4 * tally.tree, `flat ${tally.flat}, tree ${tally.tree}`);
  // Most flat records list their values too (System plus EventData templates do).
  assert.ok(tally.listed > 0.7 * tally.flat, `listed ${tally.listed} of ${tally.flat} flat records`);
});

test('flat-plan fields equal flattenTree fields on a generated file', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-flat-'));
  try {
    const file = path.join(dir, 'gen.evtx');
    generateFile(file, 40 * CHUNK_SIZE + FILE_HEADER_SIZE, 7);
    const tally: Tally = { flat: 0, tree: 0, listed: 0 };
    checkFile(readFileSync(file), 'gen.evtx', tally);
    assert.ok(tally.flat > 20 * tally.tree, `flat ${tally.flat}, tree ${tally.tree}`);
    assert.ok(tally.listed > 0.7 * tally.flat, `listed ${tally.listed} of ${tally.flat} flat records`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
