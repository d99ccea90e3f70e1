/**
 * `vigil hunt` with the rule-set cache (the real program): the second hunt with the same rules
 * reads them from the cache and prints the same findings (also when a worker thread reads the
 * cache entry itself, with a rule filter); an edited rule file is parsed again, alone (the
 * others' documents come from the cache), and its edit shows; `--no-rule-cache` parses every time. The entry keeps the ATT&CK catalog
 * too: risk events from a cached hunt name the same tactics, and an edited ATT&CK mapping is
 * another entry.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { cp, readFile, readdir, writeFile } from 'node:fs/promises';
import { deserialize } from 'node:v8';
import path from 'node:path';
import { writeExampleFiles } from '../../src/cli/example/example-files.js';
import { runVigil, type VigilRun as Run } from '../helpers/run-vigil.js';
import { tempDirs } from '../helpers/temp-dirs.js';

const tempDir = tempDirs();
let dir = '';
let cacheDir = '';
let rulesDir = '';

interface Summary {
  rules: { cache: string; loaded: number; files_parsed: number | null; files_from_cache: number | null };
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
  assert.equal((await readdir(cacheDir)).filter((n) => n.startsWith('sigma-') && n.endsWith('.v8')).length, 1);
  assert.deepEqual([first.summary.rules.files_parsed, first.summary.rules.files_from_cache], [9, 0]);
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

  // One rule edited: only its file is parsed; the others' documents come from the cache.
  const one = path.join(rulesDir, 'application_w3svc_module_load_failed.yml');
  const oneText = await readFile(one, 'utf8');
  await writeFile(one, oneText.replace(/^level: \w+$/m, 'level: critical'));
  const partial = await hunt();
  assert.equal(partial.summary.rules.cache, 'miss');
  assert.deepEqual([partial.summary.rules.files_parsed, partial.summary.rules.files_from_cache], [1, 8]);
  assert.match(partial.run.stderr, /loaded and compiled in [\d.]+ s \(1 of 9 rule files parsed, the rest read from the rule cache\)/);
  assert.equal(partial.run.stdout, (await hunt('--no-rule-cache')).run.stdout);
  assert.ok(partial.summary.findings.critical > 0, JSON.stringify(partial.summary.findings));
  await writeFile(one, oneText);

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

test('rules check reads and fills the same cache: the same verdicts, an edit shown, and a hunt after it reads the checked set', async () => {
  const checkCache = path.join(dir, 'check-cache');
  const checkRules = path.join(dir, 'check-rules');
  await cp(path.join(process.cwd(), 'content', 'sigma', 'iis'), checkRules, { recursive: true });
  const check = async (...extra: string[]): Promise<Run> => {
    const run = await runVigil(['rules', 'check', checkRules, '--format', 'json', ...extra], { env: { VIGIL_CACHE_DIR: checkCache } });
    assert.equal(run.code, 0, run.stderr);
    return run;
  };
  const parsed = await check();
  assert.equal((await readdir(checkCache)).filter((n) => n.startsWith('sigma-')).length, 1);
  assert.equal((await check()).stdout, parsed.stdout);
  const summaryFile = path.join(dir, 'check-then-hunt.json');
  const hunted = await runVigil(['hunt', path.join(dir, 'example', 'evtx'), '--rules', checkRules, '--format', 'jsonl', '--quiet', '--no-risk', '--summary-json', summaryFile], { env: { VIGIL_CACHE_DIR: checkCache } });
  assert.equal(hunted.code, 0, hunted.stderr);
  assert.equal((JSON.parse(await readFile(summaryFile, 'utf8')) as Summary).rules.cache, 'hit');

  // A rule broken by an edit: the cached check says so, as a check without the cache does.
  const file = path.join(checkRules, 'proc_creation_gacutil_install.yml');
  await writeFile(file, (await readFile(file, 'utf8')).replace(/^detection:$/m, 'detection: [oops'));
  const edited = await check();
  const verdict = (run: Run): string | undefined =>
    (JSON.parse(run.stdout) as { rules: { file: string; status: string }[] }).rules.find((r) => r.file === file)?.status;
  assert.equal(verdict(edited), 'not-loaded');
  assert.equal(edited.stdout, (await check('--no-rule-cache')).stdout);
  assert.notEqual(edited.stdout, parsed.stdout);
});

test('--no-rule-cache parses the rules and leaves the cache alone', async () => {
  const off = await hunt('--no-rule-cache');
  assert.equal(off.summary.rules.cache, 'off');
  assert.doesNotMatch(off.run.stderr, /from the rule cache/);
});

test('the entry keeps the ATT&CK catalog: cached hunts name the same tactics; an edited mapping is a new entry', async () => {
  const mappings = path.join(dir, 'mappings');
  await cp(path.join(process.cwd(), 'mappings'), mappings, { recursive: true });
  const riskCache = path.join(dir, 'risk-cache');
  const riskHunt = async (...extra: string[]): Promise<{ lines: string[]; cache: string }> => {
    const summaryFile = path.join(dir, `risk-summary-${Math.random().toString(36).slice(2)}.json`);
    const run = await runVigil(['hunt', path.join(dir, 'example', 'evtx'), '--rules', rulesDir, '--format', 'jsonl', '--quiet', '--summary-json', summaryFile, ...extra], {
      env: { VIGIL_CACHE_DIR: riskCache, VIGIL_MAPPINGS_DIR: mappings },
    });
    assert.equal(run.code, 0, run.stderr);
    const summary = JSON.parse(await readFile(summaryFile, 'utf8')) as Summary;
    return { lines: run.stdout.trim().split('\n').filter((l) => l.startsWith('{"kind":"risk"')).sort(), cache: summary.rules.cache };
  };
  const tacticsOf = (lines: readonly string[]): string[] =>
    [...new Set(lines.flatMap((l) => (JSON.parse(l) as { annotations: { mitre_tactic_id: string[] } }).annotations.mitre_tactic_id))].sort();

  const parsed = await riskHunt();
  assert.equal(parsed.cache, 'miss');
  assert.ok(parsed.lines.length > 0);
  assert.ok(tacticsOf(parsed.lines).includes('TA0003'), tacticsOf(parsed.lines).join(','));
  const [entryName] = (await readdir(riskCache)).filter((n) => n.startsWith('sigma-') && n.endsWith('.v8'));
  const entry = deserialize(await readFile(path.join(riskCache, entryName!))) as { load: { attack: { dir: string; techniques: { id: string }[] } } };
  assert.equal(entry.load.attack.dir, path.join(mappings, 'attack'));
  assert.ok(entry.load.attack.techniques.some((t) => t.id === 'T1505.004'));

  const cached = await riskHunt();
  assert.equal(cached.cache, 'hit');
  assert.deepEqual(cached.lines, parsed.lines);
  const threaded = await riskHunt('--threads', '2');
  assert.equal(threaded.cache, 'hit');
  assert.deepEqual(threaded.lines, parsed.lines);

  // Server Software Component moved from Persistence to Initial Access: the cache must not keep the old tactics.
  const techniques = path.join(mappings, 'attack', 'techniques.yml');
  const text = await readFile(techniques, 'utf8');
  assert.match(text, /^ {2}T1505: \{name: "Server Software Component", tactics: \[TA0003\]\}$/m);
  await writeFile(techniques, text.replace(/^( {2}T1505: \{name: "Server Software Component", tactics: )\[TA0003\]\}$/m, '$1[TA0001]}'));
  const edited = await riskHunt();
  assert.equal(edited.cache, 'miss');
  assert.ok(tacticsOf(edited.lines).includes('TA0001'));
  const editedThreaded = await riskHunt('--threads', '2');
  assert.equal(editedThreaded.cache, 'hit');
  assert.deepEqual(editedThreaded.lines, edited.lines);
});
