/**
 * `vigil hunt` (the real CLI, spawned) with rules that cannot load beside one that can: each
 * broken rule gives one line on standard error that points at the place of its first error
 * (a YAML syntax error's line and column, an unmapped logsource's line), the summary file names
 * the same place, and the good rule still hunts.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { EXAMPLE_EVENTS } from '../../src/cli/example/example-events.js';
import { writeEvtx } from '../../src/sinks/evtx-writer/index.js';
import { runVigil } from '../helpers/run-vigil.js';
import { processStartRuleYaml } from '../helpers/process-start-rule.js';
import { tempDirs } from '../helpers/temp-dirs.js';

const tempDir = tempDirs();
let dir = '';
let rules = '';
let logs = '';

// Line 5 opens a flow map that is never closed: the YAML parser notices on line 6, column 3.
const SYNTAX_ERROR = 'title: Unclosed flow map\nlogsource:\n  product: windows\ndetection:\n  sel: {EventID: 4688\n  condition: sel\n';
// Well-formed YAML whose logsource (its map starts on line 5, column 3) no mapping knows.
const UNMAPPED = 'title: Unknown logsource\nid: 0b7e3c1a-5d2f-4e6a-9c8b-1a2b3c4d5e6f\nstatus: test\nlogsource:\n  product: windows\n  category: no_such_category\ndetection:\n  sel:\n    EventID: 1\n  condition: sel\n';

interface Summary {
  rules: { loaded: number; not_loaded: number; not_loaded_rules: { location: string; reason: string }[] };
  findings: { total: number };
}

before(async () => {
  dir = tempDir('vigil-broken-rules-');
  rules = path.join(dir, 'rules');
  await mkdir(rules);
  await writeFile(path.join(rules, 'good.yml'), processStartRuleYaml('Process started (broken rules test)', '7c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f'));
  await writeFile(path.join(rules, 'syntax.yml'), SYNTAX_ERROR);
  await writeFile(path.join(rules, 'unmapped.yml'), UNMAPPED);
  logs = path.join(dir, 'example.evtx');
  await writeFile(logs, writeEvtx(EXAMPLE_EVENTS));
});

test('each broken rule: one line at the place of its first error, the same place in the summary; the good rule hunts', async () => {
  const summaryFile = path.join(dir, 'summary.json');
  const run = await runVigil(['hunt', logs, '--rules', rules, '--no-risk', '--format', 'jsonl', '--summary-json', summaryFile, '--threads', '1']);
  assert.equal(run.code, 0, run.stderr);
  const syntaxFile = path.join(rules, 'syntax.yml');
  const unmappedFile = path.join(rules, 'unmapped.yml');
  const lines = run.stderr.split('\n').filter((l) => l.includes(': not loaded: '));
  assert.equal(lines.length, 2, run.stderr);
  // No title could be read from the broken document: the line goes straight to the reason.
  assert.ok(lines.some((l) => l.startsWith(`vigil hunt: ${syntaxFile}:6:3: not loaded: `) && l.endsWith('[sigma.yaml]')), run.stderr);
  assert.ok(lines.some((l) => l.startsWith(`vigil hunt: ${unmappedFile}:5:3: not loaded: 'Unknown logsource' (0b7e3c1a-5d2f-4e6a-9c8b-1a2b3c4d5e6f): `) && l.endsWith('[sigma.logsource.unmapped]')), run.stderr);
  const summary = JSON.parse(await readFile(summaryFile, 'utf8')) as Summary;
  assert.equal(summary.rules.loaded, 1);
  assert.equal(summary.rules.not_loaded, 2);
  const locations = summary.rules.not_loaded_rules.map((r) => r.location).sort();
  assert.deepEqual(locations, [`${syntaxFile}:6:3`, `${unmappedFile}:5:3`]);
  assert.ok(summary.findings.total > 0, 'the good rule still found the example process starts');
  assert.equal(run.stdout.split('\n').filter((l) => l !== '').length, summary.findings.total);
});
