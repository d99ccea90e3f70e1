/**
 * `vigil hunt --threads N` with Sigma correlation rules: the workers match the base rules and
 * send the hits that feed correlations to the main thread, whose engine holds the run's one
 * correlation state. The real program simulates an IIS case (seed 1), hunted as many files (the
 * same events as EVTX, XML, JSONL and WinEventLog text, so every window joins hits from several
 * files and threads) on one thread and on three: the findings, correlations and risk included,
 * must be the same, and the three-thread run must have hunted on workers.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runVigil, type VigilRun as Run } from '../helpers/run-vigil.js';
import { tempDirs } from '../helpers/temp-dirs.js';

const tempDir = tempDirs();
let dir = '';
let rules = '';

// Base rules with names the correlations reference; each correlation type that reads fields.
const RULES = `title: Process started (correlation test)
id: 5e0c1d2a-3b4c-4d5e-8f6a-7b8c9d0e1f01
name: proc_start
status: test
level: low
logsource:
  product: windows
  category: process_creation
detection:
  selection:
    Image|endswith: '.exe'
  condition: selection
---
title: Logon (correlation test)
id: 5e0c1d2a-3b4c-4d5e-8f6a-7b8c9d0e1f02
name: logon
status: test
level: low
logsource:
  product: windows
  service: security
detection:
  selection:
    EventID: 4624
  condition: selection
---
title: Many process starts on one host
id: 5e0c1d2a-3b4c-4d5e-8f6a-7b8c9d0e1f03
status: test
level: medium
correlation:
  type: event_count
  rules:
    - proc_start
  group-by:
    - Computer
  timespan: 1h
  condition:
    gte: 10
---
title: Many distinct programs on one host
id: 5e0c1d2a-3b4c-4d5e-8f6a-7b8c9d0e1f04
status: test
level: high
correlation:
  type: value_count
  rules:
    - proc_start
  group-by:
    - Computer
  timespan: 1d
  condition:
    gte: 3
    field: Image
---
title: Logon then process start
id: 5e0c1d2a-3b4c-4d5e-8f6a-7b8c9d0e1f05
status: test
level: high
correlation:
  type: temporal
  rules:
    - logon
    - proc_start
  group-by:
    - Computer
  timespan: 1d
  generate: true
`;

interface Summary {
  matching: { mode: string; threads: number };
  findings: { total: number };
  risk: { risk_events: number };
}

function inputs(): string[] {
  return ['evtx', 'xml', 'jsonl', 'winevtlog'].map((f) => path.join(dir, f));
}

async function hunt(threads: number): Promise<Run & { summary: Summary }> {
  const summaryFile = path.join(dir, `summary-${threads}.json`);
  const run = await runVigil(['hunt', ...inputs(), '--rules', rules, '--format', 'jsonl', '--threads', String(threads), '--quiet', '--summary-json', summaryFile]);
  assert.equal(run.code, 0, run.stderr);
  return { ...run, summary: JSON.parse(await readFile(summaryFile, 'utf8')) as Summary };
}

const sortedLines = (text: string): string[] => text.split('\n').filter((l) => l !== '').sort();

before(async () => {
  dir = tempDir('vigil-hunt-correlations-');
  const sim = await runVigil(['simulate', 'iis', '--out', dir, '--seed', '1']);
  assert.equal(sim.code, 0, sim.stderr);
  await mkdir(path.join(dir, 'rules'));
  rules = path.join(dir, 'rules', 'correlations.yml');
  await writeFile(rules, RULES);
});

test('correlations hunted on three threads give what one thread gives, and the workers hunt', async () => {
  const one = await hunt(1);
  const three = await hunt(3);
  assert.equal(one.summary.matching.mode, 'main');
  assert.equal(three.summary.matching.mode, 'workers', 'a rule set with correlations is hunted on the workers too');
  assert.equal(three.summary.matching.threads, 3);
  const correlationTitles = (run: Run): string[] =>
    sortedLines(run.stdout)
      .map((l) => JSON.parse(l) as { kind?: string; rule?: { title?: string } })
      .filter((f) => f.kind === 'correlation')
      .map((f) => f.rule?.title ?? '');
  const fired = new Set(correlationTitles(one));
  for (const title of ['Many process starts on one host', 'Many distinct programs on one host', 'Logon then process start']) {
    assert.ok(fired.has(title), `'${title}' fires on the case (${[...fired].join(', ')})`);
  }
  assert.deepEqual(sortedLines(three.stdout), sortedLines(one.stdout));
  assert.equal(three.summary.findings.total, one.summary.findings.total);
  assert.equal(three.summary.risk.risk_events, one.summary.risk.risk_events);
});
