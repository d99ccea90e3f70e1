/**
 * Risk events of Sigma findings wait in temporary files during a hunt (held-risk.ts; one per hunt
 * thread, thread-risk.ts): the files must be gone when the run ends, whether the output was
 * written to the end or closed early, and every thread count prints the same risk records.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runVigil, VIGIL_MAIN } from '../helpers/run-vigil.js';

let dir = '';

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'vigil-risk-temp-'));
  const sim = await runVigil(['simulate', 'iis', '--out', path.join(dir, 'case'), '--seed', '1']);
  assert.equal(sim.code, 0, sim.stderr);
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function leftovers(tmp: string): Promise<string[]> {
  return (await readdir(tmp)).filter((n) => n.startsWith('vigil-risk-'));
}

test('a hunt with risk leaves no temporary file behind, and prints every risk event', async () => {
  const tmp = path.join(dir, 'tmp-full');
  await mkdir(tmp);
  const run = await runVigil(['hunt', path.join(dir, 'case', 'evtx'), '--format', 'jsonl', '--threads', '2', '--quiet'], { env: { TMPDIR: tmp } });
  assert.equal(run.code, 0, run.stderr);
  const risk = run.stdout.split('\n').filter((l) => l.includes('"kind":"risk"'));
  assert.ok(risk.length > 0, 'risk events are printed');
  const m = /risk: ([\d,]+) risk events?/.exec(run.stderr);
  assert.ok(m !== null, run.stderr);
  assert.equal(risk.length, Number(m[1]!.replace(/,/g, '')));
  assert.deepEqual(await leftovers(tmp), []);
});

test('a hunt whose output closes early leaves no temporary file behind either', async () => {
  const tmp = path.join(dir, 'tmp-early');
  await mkdir(tmp);
  const child = spawn(process.execPath, [VIGIL_MAIN, 'hunt', path.join(dir, 'case', 'evtx'), '--format', 'jsonl', '--threads', '1', '--quiet'], {
    env: { ...process.env, TMPDIR: tmp },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  // Read the first piece of output, then close the pipe, as `| head -1` does.
  child.stdout.once('data', () => child.stdout.destroy());
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  assert.notEqual(code, null);
  assert.deepEqual(await leftovers(tmp), []);
});

test('one, two and three hunt threads print the same risk events, incidents and ranking, and leave no file', async () => {
  const endOfRun = async (threads: string): Promise<string[]> => {
    const tmp = path.join(dir, `tmp-threads-${threads}`);
    await mkdir(tmp);
    const run = await runVigil(['hunt', path.join(dir, 'case', 'evtx'), '--format', 'jsonl', '--threads', threads, '--quiet'], { env: { TMPDIR: tmp } });
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(await leftovers(tmp), []);
    // Findings stream in the order threads finish files; what follows them is the end of the run.
    return run.stdout.split('\n').filter((l) => l.length > 0 && !l.startsWith('{"kind":"match"'));
  };
  const one = await endOfRun('1');
  assert.ok(one.filter((l) => l.startsWith('{"kind":"risk"')).length > 0);
  assert.ok(one.some((l) => l.startsWith('{"kind":"entity"')));
  assert.deepEqual(await endOfRun('2'), one);
  assert.deepEqual(await endOfRun('3'), one);
});
