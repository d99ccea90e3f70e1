/**
 * The SigmaHQ and mdecrevoisier corpora through the real front end, logsource resolver and
 * engine (as `vigil hunt` and `vigil rules check` load them):
 *  - every active SigmaHQ rule loads and compiles (placeholder rules with a config written here);
 *  - every YAML document in deprecated/, unsupported/ and mdecrevoisier gets exactly one report,
 *    loaded or not loaded with a located reason: nothing is dropped silently.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { corpusPath, NO_CORPUS } from '../helpers/corpus.js';
import { realBackend, type RuleReport } from '../../src/cli/hunt/api.js';
import { loadRuleSet } from '../../src/cli/hunt/load-rules.js';
import { notLoadedLine, reasonCategory, ruleTotals, totalsText } from '../../src/cli/hunt/rule-reports.js';
import { placeholderConfigYaml, SIGMAHQ_ACTIVE_FOLDERS, windowsRuleFiles, yamlFiles } from '../../bench/hunt-corpus.js';

const SIGMAHQ = corpusPath('sigma', 'sigmahq-rules');
const MDECREVOISIER = corpusPath('sigma', 'mdecrevoisier-rules');

function sample(reports: readonly RuleReport[], n = 25): string {
  const lines = reports.slice(0, n).map(notLoadedLine);
  if (reports.length > n) lines.push(`... and ${reports.length - n} more`);
  return lines.join('\n');
}

function byCategory(reports: readonly RuleReport[]): string {
  const counts = new Map<string, number>();
  for (const r of reports) counts.set(reasonCategory(r), (counts.get(reasonCategory(r)) ?? 0) + 1);
  return [...counts.entries()].map(([c, n]) => `${c}: ${n}`).join(', ');
}

/** Non-empty YAML documents per file, and whether the file parses as YAML at all. */
function documentCount(file: string): { count: number; yamlErrors: boolean } {
  const docs = parseAllDocuments(readFileSync(file, 'utf8'));
  const list = Array.isArray(docs) ? docs : [];
  const yamlErrors = list.some((d) => d.errors.length > 0);
  return { count: list.filter((d) => d.contents !== null).length, yamlErrors };
}

test('every active SigmaHQ rule loads and compiles, or (non-Windows products only) is reported as not applicable', { skip: SIGMAHQ === null ? NO_CORPUS : false, timeout: 120_000 }, async (t) => {
  const root = SIGMAHQ as string;
  const dir = await mkdtemp(path.join(tmpdir(), 'vigil-sigma-load-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const placeholders = path.join(dir, 'placeholders.yml');
  const folders = SIGMAHQ_ACTIVE_FOLDERS.map((f) => path.join(root, f));
  const files = folders.flatMap((f) => yamlFiles(f));
  await writeFile(placeholders, placeholderConfigYaml(files));
  const started = Date.now();
  const set = await loadRuleSet(await realBackend(), folders, { strict: false, placeholdersFile: placeholders });
  const seconds = (Date.now() - started) / 1000;
  const totals = ruleTotals(set.reports);
  t.diagnostic(`${files.length} files, ${totals.documents} documents: ${totalsText(totals)}; ${seconds.toFixed(1)} s`);
  // Vigil reads Windows event logs: a rule for another product (linux, aws, okta...) is parsed in
  // full and then reported as not applicable, with the reason. No rule may fail to load, and
  // every Windows rule must run.
  const windowsFiles = new Set(windowsRuleFiles(root, SIGMAHQ_ACTIVE_FOLDERS).map((f) => path.resolve(f)));
  const failed = set.reports.filter((r) => r.status === 'not-loaded' || (r.status === 'not-applicable' && windowsFiles.has(path.resolve(r.file))));
  assert.equal(failed.length, 0, `${failed.length} rules not loaded (${byCategory(failed)}):\n${sample(failed)}`);
  const windowsLoaded = set.reports.filter((r) => windowsFiles.has(path.resolve(r.file)) && (r.status === 'loaded' || r.status === 'loaded-with-warnings')).length;
  const unexplained = set.reports.filter((r) => r.status === 'not-applicable' && !r.problems.some((p) => p.message.trim() !== ''));
  assert.equal(unexplained.length, 0, `not-applicable reports without a reason:\n${sample(unexplained)}`);
  t.diagnostic(`${windowsFiles.size} Windows rule files, ${windowsLoaded} Windows rules loaded`);
  assert.ok(totals.documents >= files.length, `one report per document at least (${totals.documents} reports, ${files.length} files)`);
  assert.equal(set.rules.length, totals.loaded, 'every loaded report has its rule');
});

async function checkAccounted(t: { diagnostic(m: string): void }, roots: readonly string[]): Promise<void> {
  const files = roots.flatMap((r) => yamlFiles(r));
  const set = await loadRuleSet(await realBackend(), roots, { strict: false });
  const reportsByFile = new Map<string, RuleReport[]>();
  for (const r of set.reports) reportsByFile.set(path.resolve(r.file), [...(reportsByFile.get(path.resolve(r.file)) ?? []), r]);
  const mismatches: string[] = [];
  let documents = 0;
  for (const file of files) {
    const { count, yamlErrors } = documentCount(file);
    documents += count;
    const got = reportsByFile.get(path.resolve(file)) ?? [];
    // A file that is not valid YAML may be reported as a whole; it still must be reported.
    const ok = yamlErrors ? got.length >= 1 && got.length <= Math.max(count, 1) : got.length === count;
    if (!ok) mismatches.push(`${file}: ${count} YAML documents${yamlErrors ? ' (YAML errors)' : ''}, ${got.length} reports`);
  }
  assert.equal(mismatches.length, 0, `documents without exactly one report:\n${mismatches.slice(0, 25).join('\n')}`);
  const vague = set.reports.filter(
    (r) =>
      (r.status === 'not-loaded' && (r.problems.every((p) => p.severity !== 'error') || r.problems.some((p) => p.message.trim() === ''))) ||
      (r.status === 'not-applicable' && r.problems.every((p) => p.message.trim() === '')),
  );
  assert.equal(vague.length, 0, `not-loaded reports without a stated error:\n${sample(vague)}`);
  const unlocated = set.reports.filter((r) => r.status === 'not-loaded' && r.line === undefined && r.problems.every((p) => p.location.line === undefined));
  assert.equal(unlocated.length, 0, `not-loaded reports without a line:\n${sample(unlocated)}`);
  const totals = ruleTotals(set.reports);
  t.diagnostic(`${files.length} files, ${documents} documents, ${totals.documents} reports: ${totalsText(totals)}`);
}

test('SigmaHQ deprecated/ and unsupported/: every document loaded or reported with a reason', { skip: SIGMAHQ === null ? NO_CORPUS : false, timeout: 60_000 }, async (t) => {
  await checkAccounted(t, [path.join(SIGMAHQ as string, 'deprecated'), path.join(SIGMAHQ as string, 'unsupported')]);
});

test('mdecrevoisier rules: every document loaded or reported with a reason', { skip: MDECREVOISIER === null ? NO_CORPUS : false, timeout: 60_000 }, async (t) => {
  await checkAccounted(t, [MDECREVOISIER as string]);
});

test('mdecrevoisier IIS module rules with duplicate keys: load with a warning (ANDed), and --strict refuses them', { skip: MDECREVOISIER === null ? NO_CORPUS : false }, async () => {
  const files = yamlFiles(MDECREVOISIER as string).filter((f) => /Webserver IIS module installed \(command\)/.test(readFileSync(f, 'utf8')));
  assert.ok(files.length >= 1, 'the IIS module (command) rules are in the corpus');
  for (const file of files) {
    const lenient = await loadRuleSet(await realBackend(), [file], { strict: false });
    const report = lenient.reports.find((r) => r.title === 'Webserver IIS module installed (command)');
    assert.ok(report !== undefined, `${file}: reported`);
    assert.equal(report.status, 'loaded-with-warnings', notLoadedLine(report));
    assert.ok(report.problems.some((p) => p.severity === 'warning' && /duplicate/i.test(p.code + p.message)), `${file}: duplicate-key warning`);
    const strict = await loadRuleSet(await realBackend(), [file], { strict: true });
    const strictReport = strict.reports.find((r) => r.title === 'Webserver IIS module installed (command)');
    assert.equal(strictReport?.status, 'not-loaded', `${file}: refused with --strict`);
  }
});
