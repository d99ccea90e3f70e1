/**
 * Smoke test of the benchmark harness on a tiny generated file: it runs every configuration,
 * writes the results JSON and prints the Markdown table. (Throughput itself is not judged here.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const RUN = fileURLToPath(new URL('../../bench/run.js', import.meta.url));
const GEN = fileURLToPath(new URL('../../bench/gen-evtx.js', import.meta.url));

interface Row {
  tool: string;
  mode: string;
  threads: number;
  records: number | null;
  mbPerSecond: number | null;
  peakRssMb: number | null;
  note: string | null;
}

test('bench harness: all configurations on a 2 MB generated EVTX', { skip: existsSync(GEN) ? false : 'bench/gen-evtx not built' }, async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'vigil-bench-test-'));
  try {
    const out = path.join(dir, 'results.json');
    const args = [RUN, '--size-mb', '2', '--no-corpus', '--threads', '2', '--data-dir', dir, '--out', out];
    const r = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, args, { timeout: 120_000 }, (err, stdout, stderr) => {
        resolve({ code: err === null ? 0 : Number((err as { code?: unknown }).code ?? -1), stdout, stderr });
      });
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /\| data \| tool \| output \| threads \|/);
    const result = JSON.parse(await readFile(out, 'utf8')) as { rows: Row[]; datasets: Array<{ bytes: number }> };
    assert.ok((result.datasets[0]?.bytes ?? 0) >= 2 * 1024 * 1024);
    const vigilRows = result.rows.filter((row) => row.tool === 'vigil dump');
    assert.deepEqual(
      vigilRows.map((row) => `${row.mode}/${row.threads}`),
      ['jsonl/1', 'jsonl/2', 'xml/1'],
    );
    for (const row of vigilRows) {
      assert.ok((row.records ?? 0) > 0, JSON.stringify(row));
      assert.ok((row.mbPerSecond ?? 0) > 0, JSON.stringify(row));
      assert.ok((row.peakRssMb ?? 0) > 0, JSON.stringify(row));
    }
    // All three vigil runs read the same records.
    assert.equal(new Set(vigilRows.map((row) => row.records)).size, 1);
    // evtxexport is measured when installed, else reported as missing.
    const ref = result.rows.find((row) => row.tool === 'evtxexport');
    assert.ok(ref !== undefined);
    assert.ok(ref.mbPerSecond !== null || /not installed/.test(ref.note ?? ''), JSON.stringify(ref));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
