/**
 * `vigil hunt` with a thread on every core and 256 MiB of input or more starts itself again under
 * V8's single-threaded mode (src/cli/relaunch.ts): the findings and the exit status are the same
 * as without, the summary says so, `VIGIL_V8_RELAUNCH=0` keeps one process, a signal sent to the
 * program ends the relaunched one too, and a smaller input is not relaunched.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { closeSync, ftruncateSync, openSync, readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { availableParallelism } from 'node:os';
import { generateFile } from '../../bench/gen-evtx.js';
import { runVigil, VIGIL_MAIN } from '../helpers/run-vigil.js';
import { processStartRuleYaml } from '../helpers/process-start-rule.js';
import { tempDirs } from '../helpers/temp-dirs.js';

const tempDir = tempDirs();
let dir = '';
let folder = '';
let small = '';
let rule = '';
const cores = availableParallelism();
const RELAUNCHED = /V8 single-threaded/;

const RULE = processStartRuleYaml('Process started (relaunch test)', '6a0f1c2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b');

interface Summary {
  matching: { threads: number; note?: string };
  findings: { total: number };
}

async function hunt(input: string, env: NodeJS.ProcessEnv = {}, ...extra: string[]): Promise<{ code: number; stdout: string; summary: Summary }> {
  const summaryFile = path.join(dir, `summary-${Math.random().toString(36).slice(2)}.json`);
  const run = await runVigil(['hunt', input, '--rules', rule, '--format', 'jsonl', '--quiet', '--summary-json', summaryFile, ...extra], { env });
  return { code: run.code, stdout: run.stdout, summary: JSON.parse(await readFile(summaryFile, 'utf8')) as Summary };
}

const sorted = (text: string): string[] => text.split('\n').filter((l) => l !== '').sort();

before(async () => {
  dir = tempDir('vigil-relaunch-');
  folder = path.join(dir, 'logs');
  await mkdir(folder);
  generateFile(path.join(folder, 'a.evtx'), 2 * 1024 * 1024, 5);
  // 300 MiB that takes no disk (a sparse file) and is no log: the folder's size is what a
  // hunt weighs before it opens anything, and this file is then passed over as not a log.
  const pad = openSync(path.join(folder, 'padding.dat'), 'w');
  ftruncateSync(pad, 300 * 1024 * 1024);
  closeSync(pad);
  small = path.join(dir, 'small.evtx');
  generateFile(small, 2 * 1024 * 1024, 5);
  rule = path.join(dir, 'rule.yml');
  await writeFile(rule, RULE);
});

test('a large input with a thread on every core is hunted again under V8 single-threaded mode, with the same findings', async () => {
  const relaunched = await hunt(folder, {}, '--threads', String(cores));
  assert.equal(relaunched.code, 0);
  assert.match(relaunched.summary.matching.note ?? '', RELAUNCHED);
  const kept = await hunt(folder, { VIGIL_V8_RELAUNCH: '0' }, '--threads', String(cores));
  assert.equal(kept.code, 0);
  assert.doesNotMatch(kept.summary.matching.note ?? '', RELAUNCHED);
  assert.ok(kept.summary.findings.total > 0);
  assert.equal(relaunched.summary.findings.total, kept.summary.findings.total);
  assert.deepEqual(sorted(relaunched.stdout), sorted(kept.stdout));
});

test('fewer threads than cores, or a small input, run in the first process', async () => {
  const smallInput = await hunt(small, {}, '--threads', String(cores));
  assert.equal(smallInput.code, 0);
  assert.doesNotMatch(smallInput.summary.matching.note ?? '', RELAUNCHED);
  if (cores > 1) {
    const spare = await hunt(folder, {}, '--threads', String(cores - 1));
    assert.doesNotMatch(spare.summary.matching.note ?? '', RELAUNCHED);
  }
});

test('the relaunched hunt\'s exit status is the program\'s (an input that fails gives 1)', async () => {
  const missing = path.join(dir, 'no-such.evtx');
  const relaunched = await hunt(folder, {}, missing, '--threads', String(cores));
  const kept = await hunt(folder, { VIGIL_V8_RELAUNCH: '0' }, missing, '--threads', String(cores));
  assert.equal(kept.code, 1);
  assert.equal(relaunched.code, 1);
  assert.match(relaunched.summary.matching.note ?? '', RELAUNCHED);
});

test('a signal sent to the program ends the relaunched hunt too', async () => {
  // Standard input counts as large (its size is unknown), and the hunt waits on it.
  const child = spawn(process.execPath, [VIGIL_MAIN, 'hunt', '/dev/stdin', '--rules', rule, '--threads', String(cores), '--quiet', '--format', 'jsonl'], {
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  // Wait until the relaunched program is running: the first process then has a child.
  const started = Date.now();
  const hasChild = (): boolean => {
    try {
      return readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim() !== '';
    } catch {
      return false;
    }
  };
  while (!hasChild() && Date.now() - started < 15_000) await new Promise((r) => setTimeout(r, 50));
  assert.ok(hasChild(), `the program started itself again (${stderr})`);
  const grandchild = Number(readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/)[0]);
  child.kill('SIGTERM');
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once('exit', (c, s) => resolve([c, s])));
  assert.equal(code, null);
  assert.equal(signal, 'SIGTERM');
  // The relaunched program is gone as well (the first one waits for it before it ends).
  let alive = true;
  try {
    process.kill(grandchild, 0);
  } catch {
    alive = false;
  }
  assert.equal(alive, false);
});

test('a program run under a debugger is not started again (the debugger would lose the run)', async () => {
  const summaryFile = path.join(dir, 'summary-inspect.json');
  const code = await new Promise<number>((resolve) => {
    execFile(process.execPath, ['--inspect=127.0.0.1:0', VIGIL_MAIN, 'hunt', folder, '--rules', rule, '--format', 'jsonl', '--quiet', '--threads', String(cores), '--summary-json', summaryFile], (err) =>
      resolve(err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1),
    );
  });
  assert.equal(code, 0);
  const summary = JSON.parse(await readFile(summaryFile, 'utf8')) as Summary;
  assert.doesNotMatch(summary.matching.note ?? '', RELAUNCHED);
  assert.ok(summary.findings.total > 0);
});
