/**
 * A detection's tests as `vigil test` reads them: contentctl's `tests:` block (name, attack_data
 * with data, source, sourcetype, host) plus Vigil's optional extensions: `format` in attack_data
 * (the input format, instead of detecting it) and `expect` in a test:
 *
 *   expect:
 *     min_results: 2          # at least N result rows (default 1)
 *     results: 3              # exactly N result rows
 *     rows:                   # exactly these rows (each matches one result row on the fields given)
 *       - {dest: WEB01, user: iisadmin}
 *     notables: false         # whether notables must (true) or must not (false) be raised
 *     risk_scores: {dest: 64} # the score each risk object's events must carry
 */
import { readFile } from 'node:fs/promises';
import type { InputFormat } from '../../core/event.js';
import { INPUT_FORMATS } from '../../core/event.js';
import { parseYamlFile, type YMap, type YNode } from '../../content/yaml-located.js';

export interface AttackDataSpec {
  readonly data: string;
  readonly source: string | null;
  readonly sourcetype: string | null;
  readonly host: string | null;
  readonly format: InputFormat | null;
}

export interface TestExpectation {
  readonly minResults: number;
  readonly results: number | null;
  readonly rows: readonly Readonly<Record<string, string>>[] | null;
  readonly notables: boolean | null;
  readonly riskScores: Readonly<Record<string, number>>;
}

export interface DetectionTestSpec {
  readonly name: string;
  readonly line: number;
  readonly attackData: readonly AttackDataSpec[];
  readonly expect: TestExpectation;
  /** Problems reading the spec itself (shown as the test's failure reason). */
  readonly problems: readonly string[];
}

const MAX_TESTS = 1000;

function get(map: YMap, key: string): YNode | undefined {
  for (let i = map.pairs.length - 1; i >= 0; i--) if (map.pairs[i]!.key === key) return map.pairs[i]!.value;
  return undefined;
}

function text(node: YNode | undefined): string | null {
  return node?.kind === 'scalar' && node.value !== null ? String(node.value) : null;
}

function int(node: YNode | undefined): number | null {
  return node?.kind === 'scalar' && typeof node.value === 'number' && Number.isInteger(node.value) && node.value >= 0 ? node.value : null;
}

function readExpect(node: YNode | undefined, problems: string[]): TestExpectation {
  const none: TestExpectation = { minResults: 1, results: null, rows: null, notables: null, riskScores: {} };
  if (node === undefined || (node.kind === 'scalar' && node.value === null)) return none;
  if (node.kind !== 'map') {
    problems.push("'expect' must be a map");
    return none;
  }
  const min = get(node, 'min_results');
  const minResults = min === undefined ? 1 : int(min);
  if (minResults === null) problems.push("'expect.min_results' must be a whole number ≥ 0");
  const resultsNode = get(node, 'results');
  const results = resultsNode === undefined ? null : int(resultsNode);
  if (resultsNode !== undefined && results === null) problems.push("'expect.results' must be a whole number ≥ 0");
  let rows: Record<string, string>[] | null = null;
  const rowsNode = get(node, 'rows');
  if (rowsNode?.kind === 'seq') {
    rows = [];
    for (const item of rowsNode.items) {
      if (item.kind !== 'map') {
        problems.push("every item of 'expect.rows' must be a map of field to value");
        continue;
      }
      const row: Record<string, string> = {};
      for (const p of item.pairs) row[p.key] = text(p.value) ?? '';
      rows.push(row);
    }
  } else if (rowsNode !== undefined) problems.push("'expect.rows' must be a list");
  const notablesNode = get(node, 'notables');
  const notables = notablesNode?.kind === 'scalar' && typeof notablesNode.value === 'boolean' ? notablesNode.value : null;
  if (notablesNode !== undefined && notables === null) problems.push("'expect.notables' must be true or false");
  const riskScores: Record<string, number> = {};
  const scoresNode = get(node, 'risk_scores');
  if (scoresNode?.kind === 'map') {
    for (const p of scoresNode.pairs) {
      const n = int(p.value);
      if (n === null) problems.push(`'expect.risk_scores.${p.key}' must be a whole number`);
      else riskScores[p.key] = n;
    }
  } else if (scoresNode !== undefined) problems.push("'expect.risk_scores' must be a map of risk object field to score");
  return { minResults: minResults ?? 1, results, rows, notables, riskScores };
}

function readAttackData(node: YNode, problems: string[]): AttackDataSpec | null {
  if (node.kind !== 'map') {
    problems.push('every attack_data item must be a map');
    return null;
  }
  const data = text(get(node, 'data'));
  if (data === null) {
    problems.push("an attack_data item has no 'data'");
    return null;
  }
  const formatText = text(get(node, 'format'));
  const format = formatText !== null && (INPUT_FORMATS as readonly string[]).includes(formatText) ? (formatText as InputFormat) : null;
  if (formatText !== null && format === null) problems.push(`attack_data format '${formatText}' is not one of ${INPUT_FORMATS.join(', ')}`);
  return { data, source: text(get(node, 'source')), sourcetype: text(get(node, 'sourcetype')), host: text(get(node, 'host')), format };
}

/** The tests of one detection file, in order (empty when it has none or cannot be read). */
export async function readTestSpecs(file: string): Promise<DetectionTestSpec[]> {
  let source: string;
  try {
    source = await readFile(file, 'utf8');
  } catch {
    return [];
  }
  const root = parseYamlFile(source, file).root;
  if (root?.kind !== 'map') return [];
  const tests = get(root, 'tests');
  if (tests?.kind !== 'seq') return [];
  const out: DetectionTestSpec[] = [];
  for (const t of tests.items.slice(0, MAX_TESTS)) {
    if (t.kind !== 'map') continue;
    const problems: string[] = [];
    const name = text(get(t, 'name')) ?? `test ${out.length + 1}`;
    const dataNode = get(t, 'attack_data');
    const attackData = dataNode?.kind === 'seq' ? dataNode.items.map((n) => readAttackData(n, problems)).filter((a): a is AttackDataSpec => a !== null) : [];
    if (attackData.length === 0) problems.push('the test names no attack_data');
    out.push({ name, line: t.loc.line, attackData, expect: readExpect(get(t, 'expect'), problems), problems });
  }
  return out;
}
