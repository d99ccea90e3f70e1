/**
 * Splunk-style detections → explanations: each pipeline command with what it contributes, and
 * the positive (field, operator, value) tests of its search / tstats WHERE / where clauses as
 * indicators in the same vocabulary as Sigma's. Search values are case-insensitive (folded);
 * eval/where comparisons are case-sensitive (kept as written).
 */
import { assertNever } from '../../core/xml-tree.js';
import type { Detection } from '../../content/index.js';
import { checkDetectionSearch } from '../../content/index.js';
import type { DetectionPlan } from '../../engine/spl/plans.js';
import { parseSpl, printEvalExpr, printSearchExpr, type Aggregation, type Command, type EvalExpr, type MacroLookup, type Pipeline, type SearchExpr, type SearchValue } from '../../spl/index.js';
import { printCommand } from '../../spl/printer.js';
import { distinctIndicators, isMatchAll, makeIndicator } from './ir-predicates.js';
import type { ConditionNode, Indicator, MatchOp, PipelineStage, Predicate, RuleExplanation } from './types.js';

export type DetectionInput =
  | DetectionPlan
  | { readonly detection: Detection; readonly ast?: Pipeline | null };

export interface DetectionExplainOptions {
  /** Expands macros when no AST is given (without it, macros stay unexpanded, shown as such). */
  readonly lookup?: MacroLookup;
}

const MAX_STAGE_TEXT = 300;
const MAX_INDICATORS = 5_000;
const MAX_DEPTH = 200;

export function explainDetection(input: DetectionInput, options: DetectionExplainOptions = {}): RuleExplanation {
  const d = input.detection;
  const notes: string[] = [];
  const ast = astOf(input, options, notes);
  const pipeline = ast === null ? [] : pipelineStages(ast);
  const indicators: Indicator[] = [];
  if (ast !== null) pipelineIndicators(ast, indicators);
  return {
    kind: 'spl',
    id: d.id,
    title: d.name,
    description: d.description.trim() || null,
    level: d.type,
    tags: [...d.tags.mitreAttackId, ...d.tags.analyticStory.map((s) => `story:${s}`)],
    source: { file: d.origin.file, line: d.origin.pos.line },
    logsource: null,
    conditionText: [d.search],
    condition: null,
    correlation: null,
    pipeline,
    macros: macrosUsed(d.search),
    dataSources: d.dataSource,
    indicators: distinctIndicators(indicators),
    notes,
  };
}

function astOf(input: DetectionInput, options: DetectionExplainOptions, notes: string[]): Pipeline | null {
  if ('ast' in input && input.ast != null) return input.ast;
  const d = input.detection;
  if (options.lookup !== undefined) {
    const parsed = checkDetectionSearch(d, options.lookup);
    if (parsed.kind === 'parsed') return parsed.ast;
    notes.push(`search does not parse: ${parsed.diagnostics.map((x) => x.message).join('; ')}`);
    return null;
  }
  try {
    notes.push('macros not expanded (no macro definitions given)');
    return parseSpl(d.search);
  } catch (e) {
    notes.push(`search does not parse: ${(e as Error).message}`);
    return null;
  }
}

/** Macro names as written in the search, before expansion, in first-seen order. */
export function macrosUsed(search: string): string[] {
  const out = new Set<string>();
  for (const m of search.matchAll(/`([^`()\s]+)(?:\([^`]*\))?`/g)) {
    out.add(m[1]!);
    if (out.size >= 200) break;
  }
  return [...out];
}

// --- stages ---------------------------------------------------------------------------------

function shorten(text: string): string {
  return text.length > MAX_STAGE_TEXT ? `${text.slice(0, MAX_STAGE_TEXT)}…` : text;
}

function emptyStage(index: number, command: string, text: string): PipelineStage {
  return { index, command, text: shorten(text), where: null, datamodel: null, by: [], aggregations: [], expressions: [], renames: [], lookup: null, fields: [] };
}

export function printAggregation(a: Aggregation): string {
  const arg = a.arg === null ? '' : a.arg.kind === 'agg-eval' ? `(eval(${printEvalExpr(a.arg.expr)}))` : `(${a.arg.name})`;
  return `${a.fn}${arg}${a.alias === null ? '' : ` AS ${a.alias.name}`}`;
}

function commandName(c: Command): string {
  switch (c.kind) {
    case 'stats':
    case 'bin':
    case 'head-tail':
    case 'generic':
      return c.name;
    case 'macro-command':
      return `\`${c.macro.name}\``;
    default:
      return c.kind;
  }
}

export function pipelineStages(ast: Pipeline): PipelineStage[] {
  return ast.commands.map((c, index) => stageOf(c, index));
}

function stageOf(c: Command, index: number): PipelineStage {
  let text: string;
  try {
    text = printCommand(c);
  } catch {
    text = commandName(c);
  }
  const stage = emptyStage(index, commandName(c), text);
  switch (c.kind) {
    case 'search':
      return { ...stage, where: c.expr === null ? null : searchNode(c.expr, 0) };
    case 'tstats':
      return {
        ...stage,
        where: c.where === null ? null : searchNode(c.where, 0),
        datamodel: c.from === null ? null : [c.from.model, ...c.from.path].join('.'),
        by: c.by.map((f) => f.name),
        aggregations: c.aggregations.map(printAggregation),
      };
    case 'stats':
      return { ...stage, by: c.by.map((f) => f.name), aggregations: c.aggregations.map(printAggregation) };
    case 'eval':
      return { ...stage, expressions: c.assignments.map((a) => `${a.field.name} = ${printEvalExpr(a.expr)}`) };
    case 'where':
      return { ...stage, expressions: [printEvalExpr(c.expr)], where: evalNode(c.expr, 0) };
    case 'rename':
      return { ...stage, renames: c.mappings.map((m) => ({ from: m.from.name, to: m.to?.name ?? m.from.name })) };
    case 'lookup':
      return { ...stage, lookup: c.table, fields: [...c.inputs.map((m) => m.from.name), ...(c.output?.fields.map((m) => (m.to ?? m.from).name) ?? [])] };
    case 'inputlookup':
      return { ...stage, lookup: c.table, where: c.where === null ? null : searchNode(c.where, 0) };
    case 'from':
      return { ...stage, datamodel: c.dataset.replace(/^datamodel:/, '') };
    case 'table':
    case 'fields':
      return { ...stage, fields: c.fields.map((f) => f.name) };
    case 'dedup':
      return { ...stage, fields: c.fields.map((f) => f.name) };
    case 'sort':
      return { ...stage, fields: c.keys.map((k) => k.field.name) };
    case 'fillnull':
      return { ...stage, fields: c.fields.map((f) => f.name) };
    case 'convert':
      return { ...stage, fields: c.conversions.map((x) => x.field.name) };
    case 'rex':
    case 'regex':
      return { ...stage, expressions: [c.regex] };
    case 'bin':
    case 'makemv':
    case 'mvexpand':
      return { ...stage, fields: [c.field.name] };
    case 'join':
      return { ...stage, fields: c.fields.map((f) => f.name) };
    case 'head-tail':
    case 'spath':
    case 'append':
    case 'foreach':
    case 'macro-command':
    case 'generic':
      return stage;
    default:
      return assertNever(c, 'command');
  }
}

// --- search expressions → predicates ----------------------------------------------------------

/** A Splunk search value (`*` anchored wildcards) → operator and literal. */
export function classifySearchValue(text: string): { op: MatchOp; value: string } {
  if (!text.includes('*')) return { op: 'equals', value: text };
  const pieces = text.split('*');
  const inner = pieces.slice(1, -1);
  const first = pieces[0]!;
  const last = pieces[pieces.length - 1]!;
  if (inner.every((p) => p === '')) {
    // Only leading/trailing stars (possibly several).
    const core = text.replace(/^\*+|\*+$/g, '');
    if (core === '') return { op: 'wildcard', value: '*' };
    if (core.includes('*')) return { op: 'wildcard', value: text };
    const lead = first === '';
    const trail = last === '';
    return { op: lead && trail ? 'contains' : lead ? 'endswith' : 'startswith', value: core };
  }
  const core = text.replace(/^\*+|\*+$/g, '');
  if (!core.includes('*')) {
    const lead = text.startsWith('*');
    const trail = text.endsWith('*');
    return { op: lead && trail ? 'contains' : lead ? 'endswith' : trail ? 'startswith' : 'equals', value: core };
  }
  return { op: 'wildcard', value: text };
}

/** A search value's operator, literal and case sensitivity (`CASE(x)` is case-sensitive). */
function searchValueMatch(v: SearchValue): { op: MatchOp; value: string; caseSensitive: boolean } {
  switch (v.kind) {
    case 'number':
      return { op: 'equals', value: v.text, caseSensitive: false };
    case 'string':
    case 'wildcard':
      return { ...classifySearchValue(v.text), caseSensitive: false };
    case 'function': {
      const m = /^(CASE|TERM)\((.*)\)$/is.exec(v.text);
      if (m === null) return { op: 'equals', value: v.text, caseSensitive: false };
      return { ...classifySearchValue(m[2]!), caseSensitive: m[1]!.toUpperCase() === 'CASE' };
    }
    default:
      return assertNever(v, 'search value');
  }
}

const COMPARE_OPS: Readonly<Record<string, MatchOp>> = { '=': 'equals', '!=': 'not-equals', '<': 'lt', '<=': 'lte', '>': 'gt', '>=': 'gte' };

function predicate(field: string | null, op: MatchOp, values: string[], caseSensitive: boolean): Predicate {
  return { field, op, values, modifiers: caseSensitive ? ['cased'] : [], caseSensitive };
}

/** A search-syntax expression as a condition tree (IN lists grouped by operator). */
export function searchNode(e: SearchExpr, depth: number): ConditionNode {
  if (depth > MAX_DEPTH) return { kind: 'opaque', text: '…' };
  switch (e.kind) {
    case 'search-term': {
      const m = searchValueMatch(e.value);
      // A bare term matches inside _raw: a substring test unless it carries its own stars.
      const op: MatchOp = m.op === 'equals' ? 'contains' : m.op;
      return { kind: 'predicate', predicate: predicate(null, op, [m.value], m.caseSensitive) };
    }
    case 'search-compare': {
      const m = searchValueMatch(e.value);
      const op = e.op === '=' ? m.op : COMPARE_OPS[e.op]!;
      const value = e.op === '=' ? m.value : e.value.kind === 'number' ? e.value.text : e.value.text;
      return { kind: 'predicate', predicate: predicate(e.field.name, op, [value], m.caseSensitive) };
    }
    case 'search-in': {
      const groups = new Map<string, Predicate>();
      for (const v of e.values) {
        const m = searchValueMatch(v);
        const key = `${m.op}\u0000${m.caseSensitive}`;
        const prev = groups.get(key);
        groups.set(key, prev === undefined ? predicate(e.field.name, m.op, [m.value], m.caseSensitive) : { ...prev, values: [...prev.values, m.value] });
      }
      const items: ConditionNode[] = [...groups.values()].map((p) => ({ kind: 'predicate', predicate: p }));
      return items.length === 1 ? items[0]! : { kind: 'or', items };
    }
    case 'search-not':
      return { kind: 'not', item: searchNode(e.operand, depth + 1) };
    case 'search-and':
    case 'search-or': {
      const kind = e.kind === 'search-and' ? 'and' : 'or';
      const items: ConditionNode[] = [];
      for (const o of e.operands) {
        const n = searchNode(o, depth + 1);
        if (n.kind === kind) items.push(...n.items);
        else items.push(n);
      }
      return items.length === 1 ? items[0]! : { kind, items };
    }
    case 'search-group':
      return searchNode(e.inner, depth + 1);
    case 'search-subsearch':
      return { kind: 'opaque', text: shorten(printSearchExpr(e)) };
    case 'macro':
      return { kind: 'opaque', text: `\`${e.name}${e.args === null ? '' : `(${e.args.join(', ')})`}\`` };
    default:
      return assertNever(e, 'search expression');
  }
}

// --- eval / where expressions → predicates ----------------------------------------------------

function fieldOf(e: EvalExpr): string | null {
  if (e.kind === 'eval-group') return fieldOf(e.inner);
  return e.kind === 'eval-field' ? e.name : null;
}

function literalOf(e: EvalExpr): string | null {
  if (e.kind === 'eval-group') return literalOf(e.inner);
  if (e.kind === 'eval-string') return e.value;
  if (e.kind === 'eval-number') return e.text;
  return null;
}

/** SQL-like `%`/`_` pattern → operator and literal (eval `like` is case-sensitive). */
export function classifyLike(pattern: string): { op: MatchOp; value: string } {
  if (pattern.includes('_')) return { op: 'wildcard', value: pattern.replace(/%/g, '*').replace(/_/g, '?') };
  const glob = pattern.replace(/%/g, '*');
  return classifySearchValue(glob);
}

/**
 * Tests recognisable in a where/eval expression: `f == "x"`, `f != "x"`, `f LIKE "%x%"`,
 * `like(f, ...)`, `match(f, re)`, `f IN (...)`, `in(f, ...)`, `cidrmatch(net, f)`. Anything else
 * is shown as text.
 */
export function evalNode(e: EvalExpr, depth: number): ConditionNode {
  if (depth > MAX_DEPTH) return { kind: 'opaque', text: '…' };
  const opaque = (): ConditionNode => ({ kind: 'opaque', text: shorten(printEvalExpr(e)) });
  const leaf = (field: string, op: MatchOp, values: string[]): ConditionNode => ({ kind: 'predicate', predicate: predicate(field, op, values, true) });
  switch (e.kind) {
    case 'eval-group':
      return evalNode(e.inner, depth + 1);
    case 'eval-unary':
      return e.op === 'NOT' ? { kind: 'not', item: evalNode(e.operand, depth + 1) } : opaque();
    case 'eval-binary': {
      if (e.op === 'AND' || e.op === 'OR') {
        const kind = e.op === 'AND' ? 'and' : 'or';
        const items: ConditionNode[] = [];
        for (const side of [evalNode(e.left, depth + 1), evalNode(e.right, depth + 1)]) {
          if (side.kind === kind) items.push(...side.items);
          else items.push(side);
        }
        return { kind, items };
      }
      const field = fieldOf(e.left);
      const lit = literalOf(e.right);
      if (field === null || lit === null) return opaque();
      if (e.op === 'LIKE') {
        const m = classifyLike(lit);
        return leaf(field, m.op, [m.value]);
      }
      const op = e.op === '==' ? 'equals' : COMPARE_OPS[e.op];
      return op === undefined ? opaque() : leaf(field, op, [lit]);
    }
    case 'eval-in': {
      const field = fieldOf(e.operand);
      const values = e.values.map(literalOf);
      if (field === null || values.some((v) => v === null)) return opaque();
      return leaf(field, 'equals', values as string[]);
    }
    case 'eval-call': {
      const name = e.name.toLowerCase();
      const [a, b] = e.args;
      if ((name === 'like' || name === 'match') && a !== undefined && b !== undefined) {
        const field = fieldOf(a);
        const lit = literalOf(b);
        if (field === null || lit === null) return opaque();
        if (name === 'match') return leaf(field, 'regex', [lit]);
        const m = classifyLike(lit);
        return leaf(field, m.op, [m.value]);
      }
      if (name === 'in' && a !== undefined) {
        const field = fieldOf(a);
        const values = e.args.slice(1).map(literalOf);
        if (field === null || values.length === 0 || values.some((v) => v === null)) return opaque();
        return leaf(field, 'equals', values as string[]);
      }
      if (name === 'cidrmatch' && a !== undefined && b !== undefined) {
        const net = literalOf(a);
        const field = fieldOf(b);
        return net === null || field === null ? opaque() : leaf(field, 'cidr', [net]);
      }
      return opaque();
    }
    case 'eval-number':
    case 'eval-string':
    case 'eval-field':
    case 'macro':
      return opaque();
    default:
      return assertNever(e, 'eval expression');
  }
}

// --- indicators -----------------------------------------------------------------------------

/** Positive tests of a condition tree (not under `not`; `!=` is not an indicator). */
export function nodeIndicators(node: ConditionNode, into: Indicator[], negated = false): void {
  if (into.length >= MAX_INDICATORS) return;
  switch (node.kind) {
    case 'predicate': {
      const p = node.predicate;
      if (negated || p.op === 'not-equals' || p.op === 'null') return;
      for (const v of p.values.length > 0 ? p.values : ['']) if (!isMatchAll(p.op, v)) into.push(makeIndicator(p.field, p.op, v, p.caseSensitive));
      return;
    }
    case 'and':
    case 'or':
    case 'of':
      for (const i of node.items) nodeIndicators(i, into, negated);
      return;
    case 'selection':
      nodeIndicators(node.body, into, negated);
      return;
    case 'not':
      nodeIndicators(node.item, into, !negated);
      return;
    case 'const':
    case 'opaque':
      return;
  }
}

function pipelineIndicators(ast: Pipeline, into: Indicator[]): void {
  for (const stage of pipelineStages(ast)) {
    if (stage.where !== null) nodeIndicators(stage.where, into);
    if (stage.command === 'lookup' && stage.lookup !== null) into.push(makeIndicator(stage.fields[0] ?? null, 'lookup', stage.lookup, false));
  }
}
