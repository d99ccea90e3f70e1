/**
 * False positives under review: the full SigmaHQ rule set (rules/, rules-emerging-threats/,
 * rules-threat-hunting/, rules-placeholder/ with a placeholder config) over the whole EVTX
 * corpus (one file per SHA-256), run through the real `vigil hunt` program. Findings per rule
 * are compared with test/golden/hunt/sigmahq-corpus-findings.json, so any change in what fires
 * shows up in review. Regenerate with UPDATE_GOLDEN=1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { corpusPath, NO_CORPUS, REPO_ROOT } from '../helpers/corpus.js';
import { placeholderConfigYaml, SIGMAHQ_HUNT_FOLDERS, uniqueCorpusEvtx, yamlFiles } from '../../bench/hunt-corpus.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const GOLDEN = path.join(REPO_ROOT, 'test', 'golden', 'hunt', 'sigmahq-corpus-findings.json');
const SIGMAHQ = corpusPath('sigma', 'sigmahq-rules');
const EVTX = corpusPath('evtx');
const skip = SIGMAHQ === null || EVTX === null || !existsSync(path.join(EVTX ?? '', 'MANIFEST.tsv')) ? NO_CORPUS : false;

interface Golden {
  readonly note: string;
  readonly files: number;
  readonly events: number;
  readonly rules_loaded: number;
  readonly rules_not_loaded: number;
  readonly rules_not_applicable: number;
  readonly findings_total: number;
  /** rule id → title and number of findings over the corpus. */
  readonly findings: Record<string, { readonly title: string; readonly count: number }>;
}

function run(args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, ...args], { maxBuffer: 64 * 1024 * 1024 }, (err, _stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1;
      resolve({ code, stderr });
    });
  });
}

function diff(expected: Golden['findings'], actual: Golden['findings']): string[] {
  const lines: string[] = [];
  for (const id of new Set([...Object.keys(expected), ...Object.keys(actual)])) {
    const e = expected[id]?.count ?? 0;
    const a = actual[id]?.count ?? 0;
    if (e !== a) lines.push(`${id} '${actual[id]?.title ?? expected[id]?.title}': golden ${e}, now ${a}`);
  }
  return lines.sort();
}

test('SigmaHQ rules over the EVTX corpus: findings per rule match the golden file', { skip, timeout: 300_000 }, async (t) => {
  const root = SIGMAHQ as string;
  const dir = await mkdtemp(path.join(tmpdir(), 'vigil-hunt-golden-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const placeholders = path.join(dir, 'placeholders.yml');
  await writeFile(placeholders, placeholderConfigYaml(SIGMAHQ_HUNT_FOLDERS.flatMap((f) => yamlFiles(path.join(root, f)))));
  const files = uniqueCorpusEvtx(EVTX as string).map((f) => f.path);
  const out = path.join(dir, 'findings.jsonl');
  const summaryFile = path.join(dir, 'summary.json');
  const started = Date.now();
  const r = await run([
    'hunt',
    ...files,
    '--rules',
    ...SIGMAHQ_HUNT_FOLDERS.map((f) => path.join(root, f)),
    '--placeholders',
    placeholders,
    '--format',
    'jsonl',
    '--threads',
    String(Math.min(availableParallelism(), 4)),
    '--quiet',
    '--output',
    out,
    '--summary-json',
    summaryFile,
  ]);
  const seconds = (Date.now() - started) / 1000;
  // Status 1 is fine here: the corpus holds deliberately broken files (each named in the summary).
  assert.ok(r.code === 0 || r.code === 1, `vigil hunt exited ${r.code}:\n${r.stderr.slice(-3000)}`);
  const summary = JSON.parse(await readFile(summaryFile, 'utf8')) as {
    events: number;
    files: { total: number };
    rules: { loaded: number; not_loaded: number; not_applicable?: number };
    findings: { total: number };
  };
  const findings: Record<string, { title: string; count: number }> = {};
  let total = 0;
  for (const line of (await readFile(out, 'utf8')).split('\n')) {
    if (line === '') continue;
    const f = JSON.parse(line) as { kind: string; rule: { id: string; title: string } };
    // Risk events, notables and entities follow the findings in JSONL; only findings count here.
    if (f.kind !== 'match' && f.kind !== 'correlation') continue;
    const entry = (findings[f.rule.id] ??= { title: f.rule.title, count: 0 });
    entry.count++;
    total++;
  }
  assert.equal(total, summary.findings.total, 'every counted finding was written');
  t.diagnostic(
    `${summary.files.total} files, ${summary.events} events, ${summary.rules.loaded} rules loaded, ` +
      `${total} findings from ${Object.keys(findings).length} rules in ${seconds.toFixed(1)} s`,
  );
  const sorted = Object.fromEntries(Object.entries(findings).sort((a, b) => b[1].count - a[1].count || a[0].localeCompare(b[0])));
  const actual: Golden = {
    note: 'vigil hunt, SigmaHQ rules/ + rules-emerging-threats/ + rules-threat-hunting/ + rules-placeholder/ over the unique EVTX corpus files; regenerate with UPDATE_GOLDEN=1',
    files: summary.files.total,
    events: summary.events,
    rules_loaded: summary.rules.loaded,
    rules_not_loaded: summary.rules.not_loaded,
    rules_not_applicable: summary.rules.not_applicable ?? 0,
    findings_total: total,
    findings: sorted,
  };
  if (process.env['UPDATE_GOLDEN'] === '1' || !existsSync(GOLDEN)) {
    await mkdir(path.dirname(GOLDEN), { recursive: true });
    await writeFile(GOLDEN, JSON.stringify(actual, null, 2) + '\n');
    if (process.env['UPDATE_GOLDEN'] !== '1') assert.fail(`no golden file yet: wrote ${GOLDEN}; review it and commit it`);
    return;
  }
  const golden = JSON.parse(readFileSync(GOLDEN, 'utf8')) as Golden;
  const changed = diff(golden.findings, actual.findings);
  assert.equal(changed.length, 0, `findings per rule changed (review, then UPDATE_GOLDEN=1):\n${changed.slice(0, 40).join('\n')}`);
  assert.deepEqual(
    { files: actual.files, events: actual.events, loaded: actual.rules_loaded, not_loaded: actual.rules_not_loaded, not_applicable: actual.rules_not_applicable },
    { files: golden.files, events: golden.events, loaded: golden.rules_loaded, not_loaded: golden.rules_not_loaded, not_applicable: golden.rules_not_applicable },
  );
});
