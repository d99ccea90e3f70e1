/**
 * Tests for Sigma rules. The spec forbids nothing but reserves the rule's keys for the rule, so a
 * rule's tests live beside it in `<rule stem>.tests.yml` (Vigil's convention):
 *
 *   tests:
 *   - name: True Positive Test
 *     data:
 *     - file: examples/iis/xml/Sysmon.xml
 *       format: xml            # optional: the input format, instead of detecting it
 *     expect:
 *       min_matches: 1         # at least N matching events (default 1)
 *       matches: 2             # exactly N
 *
 * Validation is `vigil validate` on the rule file; Unit runs the rule through the hunt engine over
 * the files and counts the rule's findings; Sigma rules have no scheduled path (Integration: skip).
 */
import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { InputFormat, VigilEvent } from '../../core/event.js';
import { INPUT_FORMATS } from '../../core/event.js';
import { realBackend } from '../../cli/hunt/api.js';
import { parseYamlFile, type YMap, type YNode } from '../../content/yaml-located.js';
import { validatePaths } from '../validate/index.js';
import { readEvents, resolveDataPath, type PhaseResult, type TestCaseResult, type TestRunOptions } from './run.js';

const TESTS_FILE = /\.tests\.ya?ml$/i;
const MAX_DEPTH = 12;

interface SigmaTestSpec {
  readonly name: string;
  readonly line: number;
  readonly data: readonly { file: string; format: InputFormat | null }[];
  readonly minMatches: number;
  readonly matches: number | null;
  readonly problems: readonly string[];
}

function get(map: YMap, key: string): YNode | undefined {
  for (let i = map.pairs.length - 1; i >= 0; i--) if (map.pairs[i]!.key === key) return map.pairs[i]!.value;
  return undefined;
}

const text = (n: YNode | undefined): string | null => (n?.kind === 'scalar' && n.value !== null ? String(n.value) : null);
const count = (n: YNode | undefined): number | null => (n?.kind === 'scalar' && typeof n.value === 'number' && Number.isInteger(n.value) && n.value >= 0 ? n.value : null);

function readSpecs(source: string, file: string): SigmaTestSpec[] {
  const root = parseYamlFile(source, file).root;
  const tests = root?.kind === 'map' ? get(root, 'tests') : undefined;
  if (tests?.kind !== 'seq') return [{ name: '(tests file)', line: 1, data: [], minMatches: 1, matches: null, problems: ["the file has no 'tests:' list"] }];
  return tests.items.filter((t): t is YMap => t.kind === 'map').map((t, i) => {
    const problems: string[] = [];
    const data: { file: string; format: InputFormat | null }[] = [];
    const dataNode = get(t, 'data');
    for (const d of dataNode?.kind === 'seq' ? dataNode.items : []) {
      const f = d.kind === 'map' ? text(get(d, 'file')) : text(d);
      const fmt = d.kind === 'map' ? text(get(d, 'format')) : null;
      if (f === null) problems.push("a data item has no 'file'");
      else if (fmt !== null && !(INPUT_FORMATS as readonly string[]).includes(fmt)) problems.push(`format '${fmt}' is not one of ${INPUT_FORMATS.join(', ')}`);
      else data.push({ file: f, format: fmt as InputFormat | null });
    }
    if (data.length === 0) problems.push('the test names no data files');
    const expect = get(t, 'expect');
    const e = expect?.kind === 'map' ? expect : null;
    const min = e === null || get(e, 'min_matches') === undefined ? 1 : count(get(e, 'min_matches'));
    const exact = e === null || get(e, 'matches') === undefined ? null : count(get(e, 'matches'));
    if (min === null) problems.push("'expect.min_matches' must be a whole number ≥ 0");
    if (e !== null && get(e, 'matches') !== undefined && exact === null) problems.push("'expect.matches' must be a whole number ≥ 0");
    return { name: text(get(t, 'name')) ?? `test ${i + 1}`, line: t.loc.line, data, minMatches: min ?? 1, matches: exact, problems };
  });
}

/** The `*.tests.yml` files under the paths (a rule file given directly brings its sibling). */
export async function findSigmaTestFiles(paths: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  const visit = async (p: string, depth: number): Promise<void> => {
    const st = await stat(p).catch(() => null);
    if (st === null || depth > MAX_DEPTH) return;
    if (st.isFile()) {
      if (TESTS_FILE.test(p)) out.push(p);
      else {
        const sibling = p.replace(/\.ya?ml$/i, '.tests.yml');
        if (sibling !== p && existsSync(sibling)) out.push(sibling);
      }
      return;
    }
    if (!st.isDirectory()) return;
    const entries = await readdir(p, { withFileTypes: true }).catch(() => []);
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (e.name.startsWith('.') || e.name === 'node_modules') continue;
      if (e.isDirectory() || (e.isFile() && TESTS_FILE.test(e.name))) await visit(path.join(p, e.name), depth + 1);
    }
  };
  for (const p of paths) await visit(p, 0);
  return [...new Set(out)];
}

const skip = (reason: string): PhaseResult => ({ outcome: 'skip', reason, seconds: 0 });

export async function runSigmaTests(testFiles: readonly string[], options: TestRunOptions = {}): Promise<TestCaseResult[]> {
  const results: TestCaseResult[] = [];
  if (testFiles.length === 0) return results;
  const backend = await realBackend();
  for (const testsFile of testFiles) {
    const ruleFile = [testsFile.replace(TESTS_FILE, '.yml'), testsFile.replace(TESTS_FILE, '.yaml')].find((f) => existsSync(f)) ?? null;
    const specs = readSpecs(await readFile(testsFile, 'utf8').catch(() => ''), testsFile);
    if (ruleFile === null) {
      for (const s of specs) results.push({ detection: path.basename(testsFile), id: '', file: testsFile, test: s.name, line: s.line, validation: { outcome: 'error', reason: 'no rule file beside the tests file', seconds: 0 }, unit: skip('no rule'), integration: skip('no rule') });
      continue;
    }
    const validation = await validatePaths([ruleFile], options.today !== undefined ? { today: options.today } : {});
    const errors = validation.findings.filter((f) => f.severity === 'error');
    const val: PhaseResult = errors.length === 0 ? { outcome: 'pass', reason: '', seconds: 0 } : { outcome: 'fail', reason: `${errors[0]!.message} [${errors[0]!.code}] at line ${errors[0]!.line ?? '?'}`, seconds: 0 };
    const load = await backend.load([ruleFile], { strict: false });
    const report = load.reports.find((r) => r.kind === 'detection' || r.kind === 'correlation');
    const title = report?.title ?? path.basename(ruleFile);
    const ids = new Set(load.reports.map((r) => r.id).filter((x): x is string => x !== undefined));
    for (const spec of specs) {
      const base = { detection: title, id: report?.id ?? '', file: ruleFile, test: spec.name, line: spec.line, validation: val, integration: skip('Sigma rules have no scheduled path') };
      if (spec.problems.length > 0) {
        results.push({ ...base, unit: { outcome: 'error', reason: `bad test: ${spec.problems.join('; ')}`, seconds: 0 } });
        continue;
      }
      const start = performance.now();
      const unit = await (async (): Promise<PhaseResult> => {
        const compiled = backend.compile(load.rules);
        if (load.rules.length === 0) return { outcome: 'error', reason: 'the rule did not load', seconds: 0 };
        let matches = 0;
        const emit = (f: { rule: { id: string } }): void => {
          if (ids.has(f.rule.id)) matches++;
        };
        for (const d of spec.data) {
          const where = resolveDataPath(d.file, path.dirname(ruleFile), options);
          if ('error' in where) return { outcome: 'error', reason: where.error, seconds: 0 };
          const read = await readEvents(where.path, d.format);
          if ('error' in read) return { outcome: 'error', reason: read.error, seconds: 0 };
          for (const e of read.events as VigilEvent[]) compiled.engine.process(e, emit);
        }
        compiled.engine.flush(emit);
        const seconds = (performance.now() - start) / 1000;
        const problem =
          spec.matches !== null ? (matches !== spec.matches ? `${matches} match(es), expected exactly ${spec.matches}` : null)
          : matches < spec.minMatches ? (matches === 0 ? 'the rule matched no event' : `${matches} match(es), expected at least ${spec.minMatches}`) : null;
        return problem === null ? { outcome: 'pass', reason: '', seconds, results: matches } : { outcome: 'fail', reason: problem, seconds, results: matches };
      })();
      results.push({ ...base, unit });
    }
  }
  return results;
}
