/**
 * Fuzzes the EVTX file layer (and the BinXml decoder under it) with a fixed-seed PRNG:
 * truncations, bit flips, byte smashes, random chunk bodies, splices, hostile header fields and
 * self-referencing template offsets, applied to synthetic files and a few small corpus files.
 * Every run must finish within a time bound, throw nothing, and account for its records.
 *
 * CI runs a short pass; set VIGIL_FUZZ_ITERATIONS (and VIGIL_FUZZ_SEED) for a long run by hand.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { corpusPath } from '../helpers/corpus.js';
import { ChunkBuilder, buildFile, simpleChunk } from './evtx-synth.js';
import type { FuzzBase, FuzzConfig, FuzzMessage, FuzzSummary } from './evtx-fuzz-worker.js';

const ITERATIONS = Number(process.env.VIGIL_FUZZ_ITERATIONS ?? 1200);
const SEED = Number(process.env.VIGIL_FUZZ_SEED ?? 20261122);
/** Generous per-run bound: inputs are at most a few chunks, and CI machines are slow and shared. */
const RUN_LIMIT_MS = 10_000;
const HEAP_LIMIT_MB = 512;

function syntheticBases(): FuzzBase[] {
  // Template records (inline definitions and back-references) next to template-less ones.
  const templated = new ChunkBuilder();
  const first = templated.addTemplateRecord({ id: 1 }, 'inline');
  for (let id = 2; id <= 40; id++) {
    if (id % 7 === 0) templated.add({ id });
    else templated.addTemplateRecord({ id }, { reuse: first.definitionOffset });
  }
  templated.finish();
  const hostile = new ChunkBuilder();
  hostile.addTemplateRecord({ id: 100 }, 'self');
  hostile.addTemplateRecord({ id: 101 }, 'recursive');
  hostile.addTemplateRecord({ id: 102 }, 'name-self');
  hostile.addTemplateRecord({ id: 103 }, 'outside');
  hostile.add({ id: 104 });
  hostile.finish();
  return [
    { name: 'synthetic-templates', bytes: buildFile([templated.bytes, simpleChunk(41, 30).bytes]) },
    { name: 'synthetic-hostile', bytes: buildFile([hostile.bytes, new Uint8Array(65536), simpleChunk(200, 5).bytes], { chunkCount: 1 }) },
  ];
}

/** A few small corpus files (cut to their first chunks to keep runs short), when present. */
function corpusBases(): FuzzBase[] {
  const picks: Array<[string[], number]> = [
    [['evtx', 'evtx-crate', 'samples', 'Application_no_crc32.evtx'], 1],
    [['evtx', 'evtx-crate', 'samples', 'Microsoft-Windows-HelloForBusiness%4Operational.evtx'], 1],
    [['evtx', 'evtx-crate', 'samples', 'E_Windows_system32_winevt_logs_Microsoft-Windows-CAPI2%4Operational.evtx'], 2],
    [['evtx', 'evtx-crate', 'samples', 'security.evtx'], 2],
    [['evtx', 'python-evtx', 'tests', 'data', 'dns_log_malformed.evtx'], 1],
    [['evtx', 'EVTX-to-MITRE-Attack', 'Antivirus', 'ID1116-1117-Defender threat detected.evtx'], 1],
  ];
  const out: FuzzBase[] = [];
  for (const [parts, chunks] of picks) {
    const p = corpusPath(...parts);
    if (p === null) continue;
    const bytes = readFileSync(p);
    out.push({ name: parts[parts.length - 1]!, bytes: new Uint8Array(bytes.subarray(0, 4096 + chunks * 65536)) });
  }
  return out;
}

function runInWorker(config: FuzzConfig): Promise<{ summary: FuzzSummary | null; problem: string | null }> {
  return new Promise((resolve) => {
    const worker = new Worker(new URL('./evtx-fuzz-worker.js', import.meta.url), {
      workerData: { fuzz: config },
      resourceLimits: { maxOldGenerationSizeMb: HEAP_LIMIT_MB },
    });
    let current: { description: string; started: number } | null = null;
    let settled = false;
    const finish = (summary: FuzzSummary | null, problem: string | null): void => {
      if (settled) return;
      settled = true;
      clearInterval(watchdog);
      void worker.terminate();
      resolve({ summary, problem });
    };
    const watchdog = setInterval(() => {
      if (current !== null && performance.now() - current.started > RUN_LIMIT_MS) {
        finish(null, `run exceeded ${RUN_LIMIT_MS} ms (hang?): ${current.description}`);
      }
    }, 250);
    worker.on('message', (m: FuzzMessage) => {
      switch (m.kind) {
        case 'start':
          current = { description: m.description, started: performance.now() };
          break;
        case 'done':
          current = null;
          break;
        case 'failure':
          finish(null, `${m.description}\n${m.error}`);
          break;
        case 'summary':
          finish(m.summary, null);
          break;
      }
    });
    worker.on('error', (e) => finish(null, `worker died during ${current?.description ?? 'setup'}: ${e.message}`));
    worker.on('exit', (code) => finish(null, `worker exited (${code}) during ${current?.description ?? 'setup'}`));
  });
}

test('EVTX fuzz: every run terminates, throws nothing, and accounts for its records', { timeout: 600_000 }, async (t) => {
  const bases = [...syntheticBases(), ...corpusBases()];
  const rssBefore = process.memoryUsage().rss;
  const started = performance.now();
  const { summary, problem } = await runInWorker({ seed: SEED, iterations: ITERATIONS, bases });
  assert.equal(problem, null, problem ?? '');
  assert.ok(summary !== null);
  const rssGrowthMb = (process.memoryUsage().rss - rssBefore) / 2 ** 20;
  t.diagnostic(
    `${summary.runs} runs on ${bases.length} bases in ${((performance.now() - started) / 1000).toFixed(1)} s; ` +
      `slowest ${summary.maxMs.toFixed(0)} ms; ${summary.records} records (${summary.recovered} recovered), ` +
      `${summary.failed} record errors, ${summary.fatal} fatal, ${summary.streamed} also streamed; ` +
      `worker heap max ${summary.maxHeapMb.toFixed(0)} MB, rss growth ${rssGrowthMb.toFixed(0)} MB; ${JSON.stringify(summary.byMutation)}`,
  );
  assert.equal(summary.runs, ITERATIONS);
  assert.ok(summary.records > 0, 'mutated files still yield records');
  assert.ok(summary.failed > 0, 'the mutations do reach the record-error paths');
  assert.ok(summary.maxHeapMb < HEAP_LIMIT_MB, `heap ${summary.maxHeapMb} MB`);
  assert.ok(rssGrowthMb < 1024, `rss grew ${rssGrowthMb} MB`);
});
