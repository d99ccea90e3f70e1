/**
 * `vigil hunt --threads 2` on one large EVTX file (the real program): the file is cut into ranges
 * of chunks that the main thread and a worker hunt apart (hunt-run.ts RANGE_CHUNKS). The findings
 * are one thread's, the file is one input in the summary with all its events, the Splunk-style
 * detections' kept rows come out in record order, and a file with a corrupt header is hunted whole.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { availableParallelism } from 'node:os';
import { generateFile } from '../../bench/gen-evtx.js';
import { runVigil, type VigilRun as Run } from '../helpers/run-vigil.js';
import { huntingDetectionYaml } from '../helpers/hunting-detection.js';
import { processStartRuleYaml } from '../helpers/process-start-rule.js';
import { makeHuntCommand } from '../../src/cli/commands/hunt.js';
import { realBackend, type HuntBackend } from '../../src/cli/hunt/api.js';
import { chunkParseThreads, mayCutFile } from '../../src/cli/hunt/hunt-run.js';
import { closeEvtxWorkers, workerPoolSizes } from '../../src/sources/evtx/worker-pool.js';
import { tempDirs } from '../helpers/temp-dirs.js';

const tempDir = tempDirs();
let dir = '';
let big = '';
let records = 0;

/** Every Sysmon process start: thousands of findings spread over the whole file. */
const RULE = processStartRuleYaml('Process started (range test)', '0f3d2a8e-5b1c-4e7a-9c2d-7a1b3c4d5e61');

/** The process starts in the order the detection's heads kept them (no stats to sort them). */
const ORDER_DETECTION = huntingDetectionYaml({
  name: 'Process Start Order In One File',
  id: '6c1e9f20-3b7d-4a55-8e0c-91d2f4a7b3c8',
  date: '2026-12-05',
  search: 'EventCode=1 | head 50000 | table _time RecordNumber host Image',
  story: 'Range Order',
  technique: 'T1059',
});

interface Summary {
  matching: { mode: string; threads: number };
  events: number;
  findings: { total: number };
  inputs: { name: string; status: string; events: number; bytes: number; warnings: number }[];
}

async function hunt(file: string, threads: number, ...extra: string[]): Promise<{ run: Run; summary: Summary }> {
  const summaryFile = path.join(dir, `summary-${threads}-${Math.random().toString(36).slice(2)}.json`);
  const run = await runVigil(['hunt', file, '--format', 'jsonl', '--threads', String(threads), '--quiet', '--summary-json', summaryFile, ...extra]);
  assert.equal(run.code, 0, run.stderr);
  return { run, summary: JSON.parse(await readFile(summaryFile, 'utf8')) as Summary };
}

function sortedLines(text: string): string[] {
  return text.split('\n').filter((l) => l !== '').sort();
}

before(async () => {
  dir = tempDir('vigil-hunt-ranges-');
  big = path.join(dir, 'big.evtx');
  // 40 MiB: past the size below which files are hunted whole, twenty ranges of 2 MiB.
  records = generateFile(big, 40 * 1024 * 1024, 11).records;
  await writeFile(path.join(dir, 'rule.yml'), RULE);
  await mkdir(path.join(dir, 'order', 'detections'), { recursive: true });
  await writeFile(path.join(dir, 'order', 'detections', 'process_start_order.yml'), ORDER_DETECTION);
});

test('one large EVTX file on two threads: ranges hunted apart give one thread\'s findings and one input', async () => {
  const rule = path.join(dir, 'rule.yml');
  const one = await hunt(big, 1, '--rules', rule);
  const two = await hunt(big, 2, '--rules', rule);
  assert.equal(one.summary.matching.mode, 'main');
  assert.deepEqual(two.summary.matching, { mode: 'workers', threads: 2 });
  assert.ok(one.summary.findings.total > 1000, `${one.summary.findings.total} findings`);
  assert.equal(two.summary.findings.total, one.summary.findings.total);
  assert.deepEqual(sortedLines(two.run.stdout), sortedLines(one.run.stdout));
  // The ranges add up to the file: one input, every record, every byte.
  assert.equal(two.summary.events, records);
  assert.equal(two.summary.inputs.length, 1);
  assert.deepEqual(two.summary.inputs[0], one.summary.inputs[0]);
  assert.match(two.run.stderr, /\(2 threads: the main thread and 1 worker\)/);
});

test('the detections\' heads keep a ranged file\'s rows in record order, as one thread does', async () => {
  const order = path.join(dir, 'order');
  const one = await hunt(big, 1, '--detections', order, '--no-risk');
  const two = await hunt(big, 2, '--detections', order, '--no-risk');
  assert.equal(two.summary.matching.mode, 'workers');
  const rows = one.run.stdout.split('\n').filter((l) => l.includes('"kind":"detection"'));
  assert.ok(rows.length > 500, `${rows.length} rows`);
  const numbers = rows.map((l) => Number((JSON.parse(l) as { row: { RecordNumber: string } }).row.RecordNumber));
  assert.deepEqual(
    numbers,
    [...numbers].sort((a, b) => a - b),
    'one thread keeps them in record order',
  );
  assert.equal(two.run.stdout, one.run.stdout);
});

test('a large file whose header is corrupt is not cut: hunted whole on the main thread, every record read', async () => {
  const bytes = await readFile(big);
  // Header size, major version and block size garbage behind the right magic.
  bytes.fill(0xee, 32, 42);
  const corrupt = path.join(dir, 'corrupt-header.evtx');
  await writeFile(corrupt, bytes);
  const two = await hunt(corrupt, 2, '--rules', path.join(dir, 'rule.yml'));
  assert.equal(two.summary.matching.mode, 'main');
  assert.equal(two.summary.events, records);
  assert.equal(two.summary.inputs[0]?.status, 'read');
});

test('a file under the size worth cutting is hunted whole by one thread', async () => {
  const small = path.join(dir, 'small.evtx');
  generateFile(small, 8 * 1024 * 1024, 12);
  const two = await hunt(small, 2, '--rules', path.join(dir, 'rule.yml'));
  assert.equal(two.summary.matching.mode, 'main');
  assert.ok(two.summary.events > 1000);
});

test('among several inputs a file from 8 MiB is cut too: the folder hunts as on one thread, each file one input', async () => {
  const MiB = 1024 * 1024;
  assert.equal(mayCutFile(8 * MiB, true), true);
  assert.equal(mayCutFile(8 * MiB - 1, true), false);
  assert.equal(mayCutFile(8 * MiB), false, 'a run\'s only input is cut from 32 MiB');
  const folder = path.join(dir, 'folder');
  await mkdir(folder, { recursive: true });
  const medium = generateFile(path.join(folder, 'a-medium.evtx'), 12 * MiB, 21).records;
  const little = generateFile(path.join(folder, 'b-little.evtx'), 1 * MiB, 22).records;
  const rule = path.join(dir, 'rule.yml');
  const one = await hunt(folder, 1, '--rules', rule);
  const two = await hunt(folder, 2, '--rules', rule);
  assert.deepEqual(two.summary.matching, { mode: 'workers', threads: 2 });
  assert.ok(one.summary.findings.total > 500, `${one.summary.findings.total} findings`);
  assert.deepEqual(sortedLines(two.run.stdout), sortedLines(one.run.stdout));
  assert.deepEqual(
    two.summary.inputs.map((i) => [path.basename(i.name), i.events, i.status]),
    [
      ['a-medium.evtx', medium, 'read'],
      ['b-little.evtx', little, 'read'],
    ],
  );
  assert.deepEqual(two.summary.inputs, one.summary.inputs);
});

test('without --threads, an input under 32 MiB in all is hunted on one thread, and the summary says why', async () => {
  const rule = path.join(dir, 'rule.yml');
  const folder = path.join(dir, 'small-folder');
  await mkdir(folder, { recursive: true });
  generateFile(path.join(folder, 'a.evtx'), 6 * 1024 * 1024, 31);
  generateFile(path.join(folder, 'b.evtx'), 6 * 1024 * 1024, 32);
  const summaryFile = path.join(dir, 'summary-default-threads.json');
  const run = await runVigil(['hunt', folder, '--format', 'jsonl', '--quiet', '--rules', rule, '--summary-json', summaryFile]);
  assert.equal(run.code, 0, run.stderr);
  const summary = JSON.parse(await readFile(summaryFile, 'utf8')) as { matching: { mode: string; threads: number; note?: string } };
  const cores = availableParallelism();
  if (cores > 1) {
    assert.deepEqual(summary.matching, { mode: 'main', threads: 1, note: 'under 32 MiB of input, where one thread is faster; --threads N to choose' });
    assert.match(run.stderr, /\(main thread; under 32 MiB of input, where one thread is faster; --threads N to choose\)/);
  }
  // The same folder with --threads 2 is shared, as asked; the findings are the same.
  const two = await hunt(folder, 2, '--rules', rule);
  assert.equal(two.summary.matching.mode, 'workers');
  assert.deepEqual(sortedLines(two.run.stdout), sortedLines(run.stdout));
  // A 40 MiB input without --threads uses every core.
  const bigSummary = path.join(dir, 'summary-default-threads-big.json');
  const big40 = await runVigil(['hunt', big, '--format', 'jsonl', '--quiet', '--rules', rule, '--summary-json', bigSummary]);
  assert.equal(big40.code, 0, big40.stderr);
  const matching = (JSON.parse(await readFile(bigSummary, 'utf8')) as { matching: { mode: string; threads: number } }).matching;
  assert.deepEqual(matching, cores > 1 ? { mode: 'workers', threads: cores } : { mode: 'main', threads: 1 });
});

test('the progress line moves as each range of a large file ends, not only when the file does', async () => {
  const drawn: string[] = [];
  let stderr = '';
  const command = makeHuntCommand({ stderr: (t) => (stderr += t), terminal: { write: (t: string) => drawn.push(t), isTTY: true, columns: 160 } });
  const code = await command.run([big, '--rules', path.join(dir, 'rule.yml'), '--threads', '2', '--format', 'jsonl', '--output', path.join(dir, 'progress.jsonl')]);
  assert.equal(code, 0, stderr);
  const total = (40 * 1024 * 1024) / (1024 * 1024);
  const partway = drawn
    .map((line) => /([\d.]+)\/([\d.]+) MB/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null && Number(m[2]) === total)
    .map((m) => Number(m[1]))
    .filter((mb) => mb > 0 && mb < total);
  assert.ok(partway.length > 0, `no line with part of the file done:\n${drawn.join('\n')}`);
});

test('one small input on two threads is parsed on the main thread too (no chunk workers to start), one large one is not', async () => {
  const MiB = 1024 * 1024;
  assert.equal(chunkParseThreads(8 * MiB, 2), 1);
  assert.equal(chunkParseThreads(null, 2), 1);
  assert.equal(chunkParseThreads(32 * MiB, 2), 2);
  assert.equal(mayCutFile(32 * MiB - 1), false);
  // A correlation with an engine that cannot hand its hits between threads (the real one,
  // stripped to process and flush) keeps matching on this thread, so the file is not cut; only
  // its size decides whether chunk workers start (this process has started none so far).
  const correlated = path.join(dir, 'correlated.yml');
  await writeFile(
    correlated,
    `${RULE}---
title: Many process starts (range test)
id: 5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a
status: test
level: low
correlation:
  type: event_count
  rules:
    - 0f3d2a8e-5b1c-4e7a-9c2d-7a1b3c4d5e61
  group-by:
    - Computer
  timespan: 1h
  condition:
    gte: 1000000
`,
  );
  const small = path.join(dir, 'small-for-parse.evtx');
  generateFile(small, 8 * MiB, 13);
  const run = async (file: string): Promise<void> => {
    let stderr = '';
    const mainOnly = async (): Promise<HuntBackend> => {
      const real = await realBackend();
      return {
        load: (paths, options) => real.load(paths, options),
        compile: (rules) => {
          const { engine, problems } = real.compile(rules);
          return { engine: { process: (e, emit) => engine.process(e, emit), flush: (emit) => engine.flush(emit) }, problems };
        },
      };
    };
    const command = makeHuntCommand({ backend: mainOnly, stderr: (t) => (stderr += t), terminal: { write: () => true, isTTY: false } });
    const code = await command.run([file, '--rules', correlated, '--threads', '2', '--format', 'jsonl', '--quiet', '--output', path.join(dir, 'parse.jsonl')]);
    assert.equal(code, 0, stderr);
  };
  await closeEvtxWorkers();
  await run(small);
  assert.deepEqual(workerPoolSizes(), [], 'no chunk workers for an 8 MiB file');
  await run(big);
  assert.deepEqual(workerPoolSizes(), [2], 'chunk workers for a 40 MiB file');
  await closeEvtxWorkers();
});
