/**
 * The indicator index over the SigmaHQ corpus: loaded and built in under 10 s, with plausible
 * counts for well-known indicators (each asserted as a lower bound, the corpus grows).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { availableParallelism, loadavg } from 'node:os';
import { NO_CORPUS, corpusPath } from '../helpers/corpus.js';
import { loadExplainCorpus } from '../../src/devtools/explain/index.js';

const rulesDir = corpusPath('sigma', 'sigmahq-rules');

test('SigmaHQ indicator index: built in < 10 s with plausible counts', { skip: rulesDir === null ? NO_CORPUS : false }, async () => {
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const corpus = await loadExplainCorpus([rulesDir!]);
  const totalMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const { index } = corpus;
  const cpus = availableParallelism();
  const busy = loadavg()[0]! / cpus;
  process.stdout.write(`# SigmaHQ: ${corpus.rules.length} rules, ${index.size} indicators; load ${Math.round(corpus.timings.loadMs)} ms, index ${Math.round(corpus.timings.indexMs)} ms, total ${Math.round(totalMs)} ms wall, ${Math.round(cpuMs)} ms CPU on ${corpus.threads} thread(s); load average per CPU ${busy.toFixed(1)}\n`);
  assert.ok(corpus.rules.length >= 2500, `${corpus.rules.length} rules`);
  assert.ok(corpus.timings.indexMs < 2_000, `building the index from loaded rules took ${Math.round(corpus.timings.indexMs)} ms`);
  if (busy <= 1.5) {
    assert.ok(totalMs < 10_000, `index over SigmaHQ took ${Math.round(totalMs)} ms (limit 10 s)`);
  } else {
    // Other processes hold the CPUs (load average well above their number): wall time then
    // measures them, so the limit applies to the work done, CPU time per thread used.
    const perThread = cpuMs / corpus.threads;
    process.stdout.write(`# machine busy: checking ${Math.round(perThread)} ms CPU per thread against the 10 s limit instead of wall time\n`);
    assert.ok(perThread < 10_000, `index over SigmaHQ used ${Math.round(perThread)} ms CPU per thread (limit 10 s)`);
  }
  const appcmd = index.count({ field: 'Image', op: 'endswith', value: '\\appcmd.exe' });
  assert.ok(appcmd >= 3, `Image endswith \\appcmd.exe: ${appcmd}`);
  // The Security 4688 variant spells the same test with NewProcessName.
  assert.equal(index.count({ field: 'NewProcessName', op: 'endswith', value: '\\appcmd.exe' }), appcmd);
  const powershell = index.count({ field: 'Image', op: 'endswith', value: '\\powershell.exe' });
  assert.ok(powershell >= 100, `Image endswith \\powershell.exe: ${powershell}`);
  const rundll = index.count({ field: 'OriginalFileName', op: 'equals', value: 'rundll32.exe' });
  assert.ok(rundll >= 20, `OriginalFileName equals RUNDLL32.EXE: ${rundll}`);
  assert.ok(index.rulesFor({ field: 'Image', op: 'endswith', value: '\\appcmd.exe' }).includes('2d3cdeec-c0db-45b4-aa86-082f7eb75701'));
  assert.ok(index.size >= 10_000, `${index.size} distinct indicators`);
});
