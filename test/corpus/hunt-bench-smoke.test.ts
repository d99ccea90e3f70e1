/**
 * Smoke test of the hunt bench (bench/hunt.ts) on the corpus: a quick run with a small generated
 * one-file set writes a results file whose 1 GB-run rows each carry their round, whose one-file
 * rows stay apart from them, and whose targets `--judge` reads back. (Throughput is not judged.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NO_CORPUS, corpusDir } from '../helpers/corpus.js';
import { tempDirs } from '../helpers/temp-dirs.js';

const HUNT_BENCH = fileURLToPath(new URL('../../bench/hunt.js', import.meta.url));
const tempDir = tempDirs();
const corpus = corpusDir();

function run(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [HUNT_BENCH, ...args], { timeout: 600_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : Number((err as { code?: unknown }).code ?? -1), stdout, stderr });
    });
  });
}

interface Row {
  kind: string;
  threads: number;
  round?: number;
  events: number | null;
  endSeconds?: number | null;
}

test('hunt bench --quick: rows per round, the one-file runs apart, targets judged again', { skip: corpus === null ? NO_CORPUS : false, timeout: 600_000 }, async () => {
  const dir = tempDir('vigil-hunt-bench-');
  const out = path.join(dir, 'hunt.json');
  const r = await run(['--quick', '--threads', '2', '--large-file-mb', '8', '--corpus', corpus!, '--data-dir', dir, '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  const result = JSON.parse(await readFile(out, 'utf8')) as {
    rows: Row[];
    largeFile: { rows: Row[]; huntSpeedup: number | null } | null;
    heldCeiling?: { best: { parts: Row[]; alone: Row | null; vsOneCore: number | null; slowdownBeside: number | null } | null; rounds: unknown[] } | null;
    riskOff?: { rows: Row[]; speedup: number | null; threads: number }[];
  };
  // One round of 1 GB runs: four kinds on each thread count, and the one-core hunt.
  assert.deepEqual(
    result.rows.map((row) => `${row.kind}/${row.threads}/${row.round}`).sort(),
    ['dump jsonl/1/1', 'dump jsonl/2/1', 'full-parse hunt/1/1', 'full-parse hunt/2/1', 'hunt/1/1', 'hunt/2/1', 'hunt, 1 core/1/1', 'parse-only hunt/1/1', 'parse-only hunt/2/1']
      // The one-core run needs taskset and a second CPU.
      .filter((k) => k !== 'hunt, 1 core/1/1' || result.rows.some((row) => row.kind === 'hunt, 1 core'))
      .sort(),
  );
  // A hunt row keeps its end of run (risk merged, ranked and printed); a dump row has none.
  for (const row of result.rows) assert.equal(typeof row.endSeconds, row.kind === 'dump jsonl' ? 'undefined' : 'number', `${row.kind}/${row.threads}`);
  // With the one-core run, the held ceiling ran too: both halves at once, each on its own core, and the first alone.
  if (result.rows.some((row) => row.kind === 'hunt, 1 core')) {
    const held = result.heldCeiling;
    assert.ok(held !== null && held !== undefined && held.best !== null);
    assert.equal(held.rounds.length, 1);
    assert.deepEqual(held.best.parts.map((p) => p.kind), ['hunt, 1 core', 'hunt, 1 core']);
    // The halves together read every event the whole input has, and the first half alone as many as beside the other.
    const whole = result.rows.find((row) => row.kind === 'hunt, 1 core')!.events!;
    assert.equal(held.best.parts.reduce((a, p) => a + p.events!, 0), whole);
    assert.equal(held.best.alone?.events, held.best.parts[0]!.events);
    assert.equal(typeof held.best.vsOneCore, 'number');
    assert.equal(typeof held.best.slowdownBeside, 'number');
    // And the risk-off pair: the same events on one core and on two threads.
    const [off] = result.riskOff ?? [];
    assert.ok(off !== undefined);
    assert.deepEqual(off.rows.map((p) => `${p.kind}/${p.threads}`), ['hunt, 1 core/1', 'hunt/2']);
    assert.equal(off.rows[0]!.events, whole);
    assert.equal(off.rows[1]!.events, whole);
    assert.equal(typeof off.speedup, 'number');
  }
  assert.ok(result.largeFile !== null);
  assert.deepEqual(
    result.largeFile.rows.map((row) => `${row.kind}/${row.threads}`),
    ['full-parse hunt/1', 'hunt/1', 'full-parse hunt/2', 'hunt/2'],
  );
  // Both thread counts read every event of the one file.
  const events = new Set(result.largeFile.rows.map((row) => row.events));
  assert.equal(events.size, 1);
  assert.ok([...events][0]! > 1000);
  assert.equal(typeof result.largeFile.huntSpeedup, 'number');
  assert.match(r.stdout, /One large file \(8 MB generated EVTX/);
  const judged = await run(['--judge', out]);
  assert.equal(judged.code, 0, judged.stderr);
  assert.match(judged.stdout, /hunt MB\/s ÷ full-parse hunt MB\/s/);
  if (result.heldCeiling != null) assert.match(judged.stdout, /each held to a core of its own ÷ 1 thread held to 1 core/);
  if ((result.riskOff ?? []).length > 0) assert.match(judged.stdout, /\(risk off\) hunt --no-risk, 2 threads ÷ 1 thread held to 1 core/);
});
