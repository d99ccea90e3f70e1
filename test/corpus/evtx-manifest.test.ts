/**
 * EVTX file layer against the shared corpus: record counts versus libevtx (MANIFEST.tsv), the
 * crate's expected counts for its deliberately damaged samples (reference §4.1), and the
 * template-less files both Debian parsers reject (reference §5). Each unique file is parsed once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createReadStream, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { NO_CORPUS, corpusPath } from '../helpers/corpus.js';
import { closeEvtxWorkers, parseEvtxBytes, readEvtx, type EvtxParseResult } from '../../src/sources/evtx/index.js';
import type { InputFile } from '../../src/sources/source.js';

interface ManifestRow {
  readonly path: string;
  readonly sha256: string;
  readonly libevtxRc: number;
  readonly libevtxRecords: number;
}

const evtxDir = corpusPath('evtx');
const manifestFile = corpusPath('evtx', 'MANIFEST.tsv');
const skip = evtxDir === null || manifestFile === null ? NO_CORPUS : false;

function readManifest(): ManifestRow[] {
  const lines = readFileSync(manifestFile!, 'utf8').trim().split('\n');
  const header = lines[0]!.split('\t');
  const col = (name: string): number => {
    const i = header.indexOf(name);
    assert.ok(i >= 0, `MANIFEST.tsv has a ${name} column`);
    return i;
  };
  const [p, sha, rc, n] = [col('path'), col('sha256'), col('libevtx_rc'), col('libevtx_records')];
  return lines.slice(1).map((line) => {
    const f = line.split('\t');
    return { path: f[p]!, sha256: f[sha]!, libevtxRc: Number(f[rc]), libevtxRecords: Number(f[n]) };
  });
}

/** Parses each unique file once (by sha256), in both modes. */
const cache = new Map<string, { plain: EvtxParseResult; recovered: EvtxParseResult }>();
function parsed(row: ManifestRow): { plain: EvtxParseResult; recovered: EvtxParseResult } {
  let hit = cache.get(row.sha256);
  if (hit === undefined) {
    const bytes = readFileSync(path.join(evtxDir!, row.path));
    hit = { plain: parseEvtxBytes(bytes, row.path), recovered: parseEvtxBytes(bytes, row.path, { recover: true }) };
    cache.set(row.sha256, hit);
  }
  return hit;
}

test('every file libevtx reads gives at least libevtx’s record count; recovery never loses live records', { skip }, (t) => {
  const rows = readManifest();
  const seen = new Set<string>();
  let equal = 0;
  let greater = 0;
  let files = 0;
  const short: string[] = [];
  for (const row of rows) {
    if (row.libevtxRc !== 0 || seen.has(row.sha256)) continue;
    seen.add(row.sha256);
    files++;
    const { plain, recovered } = parsed(row);
    assert.equal(plain.fatal, null, row.path);
    const n = plain.records.length;
    if (n < row.libevtxRecords) short.push(`${row.path}: ${n} < ${row.libevtxRecords}`);
    else if (n === row.libevtxRecords) equal++;
    else greater++;
    // Recovery only adds: the live records are the same ones, in the same order.
    assert.deepEqual(
      recovered.records.filter((r) => !r.recovered).map((r) => r.offset),
      plain.records.filter((r) => !r.recovered).map((r) => r.offset),
      row.path,
    );
    assert.ok(recovered.records.length >= plain.records.length, row.path);
  }
  t.diagnostic(`${files} unique files libevtx reads: ${equal} equal, ${greater} greater, ${short.length} fewer`);
  assert.deepEqual(short, []);
  assert.ok(files > 300, `expected the full manifest, saw ${files} files`);
});

/**
 * Reference §4.1: the crate's (ok, err) for its odd samples. Ours must read at least as many
 * records and account (ok + failed) for at least as many. `extraErrors` are damaged regions the
 * crate passes over silently (it stops a chunk at its first bad record without counting it),
 * found by walking the record headers independently of this parser.
 */
const CRATE_EXPECTATIONS: ReadonlyArray<{ file: string; ok: number; err: number; extraErrors?: number; why?: string }> = [
  { file: 'security.evtx', ok: 2261, err: 0 },
  { file: 'sample-with-irregular-bool-values.evtx', ok: 3028, err: 0 },
  { file: '2-vss_0-Microsoft-Windows-RemoteDesktopServices-RdpCoreTS%4Operational.evtx', ok: 1910, err: 4 },
  { file: '2-vss_0-Microsoft-Windows-TerminalServices-RemoteConnectionManager%4Operational.evtx', ok: 1774, err: 2 },
  { file: '2-vss_7-System.evtx', ok: 1160, err: 0 },
  {
    file: 'sample_with_a_bad_chunk_magic.evtx',
    ok: 270,
    err: 2,
    extraErrors: 3,
    why: 'chunks 0, 7 and 9 each hold one record whose size copy is zeroed',
  },
  { file: 'Microsoft-Windows-HelloForBusiness%4Operational.evtx', ok: 6, err: 0 },
  { file: 'Microsoft-Windows-LanguagePackSetup%4Operational.evtx', ok: 17, err: 0 },
  { file: 'E_Windows_system32_winevt_logs_Microsoft-Windows-Shell-Core%4Operational.evtx', ok: 1146, err: 0 },
  { file: 'E_Windows_system32_winevt_logs_Microsoft-Windows-CAPI2%4Operational.evtx', ok: 340, err: 0 },
  { file: 'E_ShadowCopy6_windows_system32_winevt_logs_Microsoft-Windows-CAPI2%4Operational.evtx', ok: 459, err: 0 },
  { file: 'Application_no_crc32.evtx', ok: 17, err: 0 },
  { file: 'post-Security.evtx', ok: 126, err: 0 },
  {
    file: 'sample-with-zero-data-size-event.evtx',
    ok: 336,
    err: 0,
    extraErrors: 1,
    why: 'the record with data size 0 is the point of the sample; the crate drops the rest of its chunk',
  },
  { file: 'issue_201.evtx', ok: 1, err: 0 },
  { file: 'MSExchange_Management_wec.evtx', ok: 1, err: 0 },
  { file: 'security_bad_string_cache.evtx', ok: 2261, err: 0 },
];

test('the crate’s damaged samples (§4.1) meet its good/bad counts or better', { skip }, (t) => {
  const bySuffix = new Map(readManifest().map((r) => [r.path, r]));
  for (const want of CRATE_EXPECTATIONS) {
    const row = bySuffix.get(`evtx-crate/samples/${want.file}`);
    if (row === undefined) {
      t.diagnostic(`${want.file}: not in the corpus, skipped`);
      continue;
    }
    const r = parsed(row).plain;
    const ok = r.records.length;
    t.diagnostic(`${want.file}: ours ${ok} ok / ${r.failed} failed (${r.recovered} recovered); crate ${want.ok}/${want.err}`);
    assert.equal(r.fatal, null, want.file);
    assert.ok(ok >= want.ok, `${want.file}: ${ok} records < crate ${want.ok}`);
    assert.ok(ok + r.failed >= want.ok + want.err, `${want.file}: accounts for fewer records than the crate`);
    assert.ok(r.failed <= want.err + (want.extraErrors ?? 0), `${want.file}: ${r.failed} record errors (${want.why ?? 'crate has none'})`);
    for (const d of r.diagnostics) {
      assert.equal(d.location.file, row.path);
      assert.ok(d.location.offset !== undefined, `${d.code} has an offset`);
    }
  }
});

test('the 13 template-less EVTX-to-MITRE-Attack files parse with records and no record errors', { skip }, (t) => {
  const rows = readManifest().filter((r) => r.path.startsWith('EVTX-to-MITRE-Attack/') && r.libevtxRc !== 0);
  const unique = new Map(rows.map((r) => [r.sha256, r]));
  assert.equal(unique.size, 13, 'the reference lists 13 unique files libevtx rejects');
  let total = 0;
  for (const row of unique.values()) {
    const r = parsed(row).plain;
    assert.ok(r.records.length >= 1, `${row.path}: no records`);
    assert.equal(r.failed, 0, `${row.path}: ${r.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message).join('; ')}`);
    total += r.records.length;
  }
  t.diagnostic(`${unique.size} template-less files, ${total} records`);
});

test('readEvtx (inline and 2 worker threads) agrees with parseEvtxBytes on the damaged samples', { skip }, async (t) => {
  const rows = readManifest().filter((r) => r.path.startsWith('evtx-crate/samples/') && r.path.endsWith('.evtx'));
  const unique = [...new Map(rows.map((r) => [r.sha256, r])).values()];
  let compared = 0;
  for (const row of unique) {
    const file = path.join(evtxDir!, row.path);
    const want = parsed(row).recovered;
    for (const threads of [1, 2]) {
      const input: InputFile = {
        name: row.path,
        size: statSync(file).size,
        path: file,
        stream: () => createReadStream(file, { highWaterMark: 50_000 }),
      };
      let events = 0;
      let errors = 0;
      const offsets: number[] = [];
      for await (const batch of readEvtx(input, { threads, recover: true, renderings: [] })) {
        for (const item of batch) {
          if (item.kind === 'event') {
            events++;
            offsets.push(item.event.provenance.offset);
          } else if (item.kind === 'record-error') errors++;
          else assert.notEqual(item.kind, 'fatal', row.path);
        }
      }
      assert.equal(events, want.records.length, `${row.path} threads ${threads}`);
      assert.equal(errors, want.failed, `${row.path} threads ${threads}`);
      assert.deepEqual(offsets, want.records.map((r) => r.offset), `${row.path} threads ${threads}: record order`);
      compared++;
    }
  }
  await closeEvtxWorkers();
  t.diagnostic(`${compared} file/thread combinations compared`);
});
