/**
 * `vigil hunt` with the rule-set cache (the real program): the second hunt with the same rules
 * reads them from the cache and prints the same findings (also when a worker thread reads the
 * cache entry itself, with a rule filter); an edited rule file is parsed again
 * and its edit shows; `--no-rule-cache` parses every time.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { cp, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { writeExampleFiles } from '../../src/cli/example/example-files.js';
import { runVigil, type VigilRun as Run } from '../helpers/run-vigil.js';
import { tempDirs } from '../helpers/temp-dirs.js';

const tempDir = tempDirs();
let dir = '';
let cacheDir = '';
let rulesDir = '';

interface Summary {
  rules: { cache: string; loaded: number };
  matching: { mode: string };
  findings: { total: number; high: number; critical: number };
}

async function hunt(...extra: string[]): Promise<{ run: Run; summary: Summary }> {
  const summaryFile = path.join(dir, `summary-${Math.random().toString(36).slice(2)}.json`);
  const run = await runVigil(['hunt', path.join(dir, 'example', 'evtx'), '--rules', rulesDir, '--format', 'jsonl', '--quiet', '--no-risk', '--summary-json', summaryFile, ...extra], {
    env: { VIGIL_CACHE_DIR: cacheDir },
  });
  assert.equal(run.code, 0, run.stderr);
  return { run, summary: JSON.parse(await readFile(summaryFile, 'utf8')) as Summary };
}

before(async () => {
  dir = tempDir('vigil-hunt-rule-cache-');
  cacheDir = path.join(dir, 'cache');
  rulesDir = path.join(dir, 'rules');
  await writeExampleFiles(path.join(dir, 'example'));
  await cp(path.join(process.cwd(), 'content', 'sigma', 'iis'), rulesDir, { recursive: true });
});

test('the same rules again come from the cache, with the same findings; an edited rule is parsed again', async () => {
  const first = await hunt();
  assert.equal(first.summary.rules.cache, 'miss');
  assert.ok(first.summary.findings.total > 0);
  assert.equal((await readdir(cacheDir)).filter((n) => n.endsWith('.v8')).length, 1);
  const second = await hunt();
  assert.equal(second.summary.rules.cache, 'hit');
  assert.match(second.run.stderr, /loaded and compiled in [\d.]+ s \(from the rule cache\)/);
  assert.equal(second.run.stdout, first.run.stdout);
  assert.deepEqual(second.summary.findings, first.summary.findings);
  // With a worker thread, which reads the entry itself while this thread reads it: the same
  // findings (in another order), and the worker did hunt.
  const threaded = await hunt('--threads', '2', '--min-level', 'medium');
  assert.equal(threaded.summary.rules.cache, 'hit');
  assert.equal(threaded.summary.matching.mode, 'workers');
  const sorted = (text: string): string[] => text.trim().split('\n').sort();
  const medium = await hunt('--min-level', 'medium');
  assert.deepEqual(sorted(threaded.run.stdout), sorted(medium.run.stdout));
  assert.ok(threaded.summary.findings.total > 0, JSON.stringify(threaded.summary.findings));

  // Raise every rule's level: the cache must not hand back the old rules.
  for (const name of await readdir(rulesDir)) {
    const file = path.join(rulesDir, name);
    const text = await readFile(file, 'utf8');
    assert.match(text, /^level: \w+$/m, name);
    await writeFile(file, text.replace(/^level: \w+$/m, 'level: critical'));
  }
  assert.equal(first.summary.findings.critical, 0);
  const edited = await hunt();
  assert.equal(edited.summary.rules.cache, 'miss');
  assert.equal(edited.summary.findings.critical, first.summary.findings.total, JSON.stringify(edited.summary.findings));
  assert.equal((await hunt()).summary.rules.cache, 'hit');
});

test('--no-rule-cache parses the rules and leaves the cache alone', async () => {
  const off = await hunt('--no-rule-cache');
  assert.equal(off.summary.rules.cache, 'off');
  assert.doesNotMatch(off.run.stderr, /from the rule cache/);
});
