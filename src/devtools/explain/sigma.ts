/**
 * Sigma rules → explanations. Indicators come from the IR (every variant's condition, so the
 * Security 4688 spelling `NewProcessName` is counted next to Sysmon's `Image`); the condition's
 * named stages (selections, filters, `1 of`) are recovered from the rule's YAML, because the IR
 * has already inlined them. When the file cannot be read again, the stages come from the IR.
 */
import { readFileSync, statSync } from 'node:fs';
import type { Diagnostic } from '../../core/diagnostics.js';
import type { CorrelationRule, DetectionRule, DetectionVariant, Expr, Rule } from '../../ir/nodes.js';
import { loadLogsourceMappings } from '../../pipeline/index.js';
import type { FieldRule, LogsourceMappings } from '../../pipeline/index.js';
import type { CategoryVariantSpec } from '../../pipeline/mapping-model.js';
import { parseCondition, selectIdentifiers, type CondNode } from '../../sigma/condition.js';
import { lowerDetectionItem } from '../../sigma/modifiers.js';
import { getValue, parseYamlDocuments, type YDocument, type YMap, type YNode } from '../../sigma/yaml-tree.js';
import { distinctIndicators, exprIndicators, exprToNode } from './ir-predicates.js';
import { printExpr } from './print-expr.js';
import type { ConditionNode, CorrelationExplanation, Indicator, LogsourceExplanation, Predicate, RuleExplanation, VariantExplanation } from './types.js';

export interface SigmaExplainOptions {
  /**
   * `file` (default): re-read the rule's YAML to show named selections and filters;
   * `ir`: stages from the IR only (no file access; what the index build uses).
   */
  readonly stages?: 'file' | 'ir' | 'none';
  /** Logsource mappings for per-variant field names (default: the built-in ones, loaded once). */
  readonly mappings?: LogsourceMappings | null;
  /** Loaded rules by id, to name the rules a correlation references. */
  readonly rulesById?: ReadonlyMap<string, Rule>;
  /** `|expand` placeholder values used when the rules were loaded. */
  readonly placeholders?: Readonly<Record<string, readonly string[]>>;
}

const MAX_SOURCE_BYTES = 8 * 1024 * 1024;
/** Modifiers that the predicate's operator already says. */
const OP_MODIFIERS = new Set(['contains', 'startswith', 'endswith', 're', 'cidr', 'exists', 'lt', 'lte', 'gt', 'gte', 'fieldref', 'minute', 'hour', 'day', 'week', 'month', 'year']);

let builtinMappings: LogsourceMappings | null | undefined;

function defaultMappings(): LogsourceMappings | null {
  if (builtinMappings === undefined) {
    try {
      builtinMappings = loadLogsourceMappings();
    } catch {
      builtinMappings = null;
    }
  }
  return builtinMappings;
}

export function explainSigmaRule(rule: Rule, options: SigmaExplainOptions = {}): RuleExplanation {
  return rule.kind === 'correlation' ? explainCorrelation(rule, options) : explainDetectionRule(rule, options);
}

function baseOf(rule: Rule): Pick<RuleExplanation, 'id' | 'title' | 'description' | 'level' | 'tags' | 'source'> {
  return {
    id: rule.meta.id,
    title: rule.meta.title,
    description: rule.meta.description ?? null,
    level: rule.meta.level,
    tags: rule.meta.tags,
    source: { file: rule.meta.source.file, line: rule.meta.source.line ?? null },
  };
}

const EMPTY_SPL = { pipeline: [], macros: [], dataSources: [] } as const;

function explainDetectionRule(rule: DetectionRule, options: SigmaExplainOptions): RuleExplanation {
  const notes: string[] = [];
  const mappings = options.mappings === undefined ? defaultMappings() : options.mappings;
  const specs = variantSpecs(rule, mappings);
  const stagesMode = options.stages ?? 'file';
  let condition: ConditionNode | null = null;
  let conditionText: string[] = [];
  if (stagesMode === 'file') {
    const fromFile = stagesFromFile(rule, options.placeholders);
    if (typeof fromFile === 'string') notes.push(`${fromFile}; stages shown from the compiled condition`);
    else ({ condition, conditionText } = fromFile);
  }
  if (condition === null && stagesMode !== 'none') condition = exprToNode(writtenCondition(rule, specs));
  if (condition !== null) condition = addTranslations(condition, rule.variants, specs);
  return {
    kind: 'sigma',
    ...baseOf(rule),
    logsource: logsourceOf(rule, specs),
    conditionText,
    condition,
    correlation: null,
    ...EMPTY_SPL,
    indicators: sigmaIndicators(rule),
    notes,
  };
}

/** Every variant's positive tests, written spelling first. */
export function sigmaIndicators(rule: Rule): Indicator[] {
  if (rule.kind !== 'detection') return [];
  const all: Indicator[] = [];
  for (const v of rule.variants) exprIndicators(v.condition, all);
  return distinctIndicators(all);
}

// --- logsource and variants ---------------------------------------------------------------

/** The mapping row each variant came from (labels may carry a `-2` or `:service` suffix). */
function variantSpecs(rule: DetectionRule, mappings: LogsourceMappings | null): Map<string, CategoryVariantSpec> {
  const out = new Map<string, CategoryVariantSpec>();
  const category = rule.logsource['category'];
  if (mappings === null || category === undefined) return out;
  const categories = category.split(',').map((c) => c.trim().toLowerCase());
  const specs = categories.flatMap((c) => mappings.categories.get(c)?.variants ?? []);
  for (const v of rule.variants) {
    const base = v.label.replace(/:.*$/, '');
    const spec = specs.find((s) => s.label === base) ?? specs.find((s) => base.startsWith(`${s.label}-`));
    if (spec !== undefined) out.set(v.label, spec);
  }
  return out;
}

function logsourceOf(rule: DetectionRule, specs: ReadonlyMap<string, CategoryVariantSpec>): LogsourceExplanation {
  const variants: VariantExplanation[] = rule.variants.map((v) => ({
    label: v.label,
    channels: v.scope.channels,
    providers: v.scope.providers,
    eventIds: v.scope.eventIds,
    extra: v.scope.extra === null ? null : printExpr(v.scope.extra),
    fieldMap: specs.get(v.label)?.fieldMap?.description ?? null,
  }));
  return { written: rule.logsource, variants };
}

/** The condition in the rule's own field names: a variant that translates nothing, else the first. */
function writtenCondition(rule: DetectionRule, specs: ReadonlyMap<string, CategoryVariantSpec>): Expr {
  const plain = rule.variants.find((v) => (specs.get(v.label)?.fieldMap ?? null) === null);
  return (plain ?? rule.variants[0])?.condition ?? { kind: 'const', value: false };
}

function fieldRuleName(rule: FieldRule): string {
  switch (rule.kind) {
    case 'account':
      return rule.override ? `${rule.override.user}|${rule.fields.user}` : rule.fields.user;
    case 'registry-key':
      return rule.valueName === null ? rule.to : `${rule.to}+${rule.valueName}`;
    default:
      return rule.to;
  }
}

/** Adds, to each predicate, how its field reads in the variants that translate field names. */
function addTranslations(node: ConditionNode, variants: readonly DetectionVariant[], specs: ReadonlyMap<string, CategoryVariantSpec>): ConditionNode {
  const maps = variants.flatMap((v) => {
    const map = specs.get(v.label)?.fieldMap;
    return map ? [{ label: v.label, map }] : [];
  });
  if (maps.length === 0) return node;
  const translate = (p: Predicate): Predicate => {
    if (p.field === null) return p;
    const field = p.field;
    const out: Record<string, string | null> = {};
    for (const { label, map } of maps) {
      if (map.unavailable.has(field)) out[label] = null;
      else {
        const r = map.fields.get(field);
        out[label] = r === undefined ? field : fieldRuleName(r);
      }
    }
    return { ...p, translations: out };
  };
  return mapPredicates(node, translate);
}

function mapPredicates(node: ConditionNode, f: (p: Predicate) => Predicate): ConditionNode {
  switch (node.kind) {
    case 'predicate':
      return { kind: 'predicate', predicate: f(node.predicate) };
    case 'selection':
      return { ...node, body: mapPredicates(node.body, f) };
    case 'and':
    case 'or':
      return { kind: node.kind, items: node.items.map((i) => mapPredicates(i, f)) };
    case 'of':
      return { ...node, items: node.items.map((i) => mapPredicates(i, f)) };
    case 'not':
      return { kind: 'not', item: mapPredicates(node.item, f) };
    case 'const':
    case 'opaque':
      return node;
  }
}

// --- named stages from the YAML -------------------------------------------------------------

/** Last few files parsed, so explaining several rules of one file parses it once. */
const sourceCache = new Map<string, YDocument[]>();
const SOURCE_CACHE_SIZE = 16;

function documentsOf(file: string): YDocument[] | string {
  const hit = sourceCache.get(file);
  if (hit !== undefined) return hit;
  let text: string;
  try {
    if (statSync(file).size > MAX_SOURCE_BYTES) return `${file} is larger than ${MAX_SOURCE_BYTES} bytes`;
    text = readFileSync(file, 'utf8');
  } catch (e) {
    return `cannot re-read ${file}: ${(e as Error).message}`;
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const docs = parseYamlDocuments(text, file);
  sourceCache.set(file, docs);
  if (sourceCache.size > SOURCE_CACHE_SIZE) sourceCache.delete(sourceCache.keys().next().value!);
  return docs;
}

function stagesFromFile(rule: DetectionRule, placeholders: SigmaExplainOptions['placeholders']): { condition: ConditionNode; conditionText: string[] } | string {
  const docs = documentsOf(rule.meta.source.file);
  if (typeof docs === 'string') return docs;
  // The document with the rule's id (the one at the rule's line if the id repeats), else the one at its line.
  const withId = docs.filter((d) => d.root?.kind === 'map' && scalarText(getValue(d.root, 'id')) === rule.meta.id);
  const doc = withId.find((d) => d.loc.line === rule.meta.source.line) ?? withId[0] ?? docs.find((d) => d.loc.line === rule.meta.source.line);
  const detection = doc?.root?.kind === 'map' ? getValue(doc.root, 'detection') : undefined;
  if (detection?.kind !== 'map') return `the rule's detection block was not found in ${rule.meta.source.file}`;
  try {
    return namedStages(detection, rule.meta.source.file, placeholders);
  } catch (e) {
    return `the detection block could not be read again (${(e as Error).message})`;
  }
}

function scalarText(n: YNode | undefined): string | null {
  return n?.kind === 'scalar' ? n.text : null;
}

function namedStages(detection: YMap, file: string, placeholders: SigmaExplainOptions['placeholders']): { condition: ConditionNode; conditionText: string[] } {
  const ctx = { file, placeholders, problems: [] as Diagnostic[] };
  const bodies = new Map<string, ConditionNode>();
  const texts: string[] = [];
  for (const pair of detection.pairs) {
    if (pair.key === 'condition') {
      const v = pair.value;
      if (v.kind === 'scalar') texts.push(v.text);
      else if (v.kind === 'seq') for (const item of v.items) if (item.kind === 'scalar') texts.push(item.text);
      continue;
    }
    if (pair.key === 'timeframe') continue;
    bodies.set(pair.key, searchBody(pair.value, ctx));
  }
  if (texts.length === 0) throw new Error('no condition');
  const names = [...bodies.keys()];
  const trees = texts.map((t) => parseCondition(t, new Set(names)));
  const negatedOnly = filterNames(trees, names);
  const selection = (name: string): ConditionNode => {
    const body = bodies.get(name);
    // The file may have changed since the rule was loaded.
    if (body === undefined) throw new Error(`'${name}' is not a search identifier of the rule`);
    return { kind: 'selection', name, role: negatedOnly.has(name) ? 'filter' : 'selection', body };
  };
  const convert = (n: CondNode): ConditionNode => {
    switch (n.kind) {
      case 'id':
        return selection(n.name);
      case 'of':
        return { kind: 'of', quantifier: n.quantifier, pattern: n.pattern, items: selectIdentifiers(n.pattern, names).map(selection) };
      case 'not':
        return { kind: 'not', item: convert(n.item) };
      case 'and':
      case 'or': {
        const items: ConditionNode[] = [];
        for (const side of [convert(n.left), convert(n.right)]) {
          if (side.kind === n.kind) items.push(...side.items);
          else items.push(side);
        }
        return { kind: n.kind, items };
      }
    }
  };
  const converted = trees.map(convert);
  return { condition: converted.length === 1 ? converted[0]! : { kind: 'or', items: converted }, conditionText: texts };
}

/** Identifiers the condition only ever uses under `not`: the rule's filters. */
function filterNames(trees: readonly CondNode[], names: readonly string[]): Set<string> {
  const positive = new Set<string>();
  const negative = new Set<string>();
  const walk = (n: CondNode, negated: boolean): void => {
    switch (n.kind) {
      case 'id':
        (negated ? negative : positive).add(n.name);
        return;
      case 'of':
        for (const name of selectIdentifiers(n.pattern, names)) (negated ? negative : positive).add(name);
        return;
      case 'not':
        walk(n.item, !negated);
        return;
      case 'and':
      case 'or':
        walk(n.left, negated);
        walk(n.right, negated);
        return;
    }
  };
  for (const t of trees) walk(t, false);
  return new Set([...negative].filter((n) => !positive.has(n)));
}

type ItemCtx = Parameters<typeof lowerDetectionItem>[3];

/** One search identifier's YAML → its stage body, one predicate group per detection item. */
function searchBody(node: YNode, ctx: ItemCtx): ConditionNode {
  switch (node.kind) {
    case 'map': {
      const items = node.pairs.map((pair) => {
        const modifiers = pair.key.split('|').slice(1).filter((m) => !OP_MODIFIERS.has(m));
        return exprToNode(lowerDetectionItem(pair.key, pair.keyLoc, pair.value, ctx), modifiers);
      });
      return items.length === 1 ? items[0]! : { kind: 'and', items: items.flatMap((i) => (i.kind === 'and' ? i.items : [i])) };
    }
    case 'seq': {
      if (node.items.every((i) => i.kind === 'scalar')) return exprToNode(lowerDetectionItem('', node.loc, node, ctx));
      const items = node.items.map((i) => searchBody(i, ctx));
      return items.length === 1 ? items[0]! : { kind: 'or', items };
    }
    case 'scalar':
      return exprToNode(lowerDetectionItem('', node.loc, node, ctx));
  }
}

// --- correlations ---------------------------------------------------------------------------

const SPAN_UNITS: readonly (readonly [string, number])[] = [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]];

export function printTimespan(ms: number): string {
  for (const [unit, size] of SPAN_UNITS) if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

function explainCorrelation(rule: CorrelationRule, options: SigmaExplainOptions): RuleExplanation {
  const correlation: CorrelationExplanation = {
    type: rule.type,
    groupBy: rule.groupBy,
    timespanMs: rule.timespanMs,
    timespan: printTimespan(rule.timespanMs),
    condition: rule.condition === null ? null : `${rule.condition.op} ${rule.condition.value}`,
    fields: rule.fields,
    rules: rule.rules.map((id) => ({ id, title: options.rulesById?.get(id)?.meta.title ?? null })),
    aliases: rule.aliases,
    generate: rule.generate,
  };
  return {
    kind: 'sigma-correlation',
    ...baseOf(rule),
    logsource: null,
    conditionText: [],
    condition: null,
    correlation,
    ...EMPTY_SPL,
    indicators: [],
    notes: [],
  };
}
