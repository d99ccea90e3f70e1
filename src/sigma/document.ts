/**
 * One YAML document → a parsed detection rule, filter or correlation (before cross-document
 * steps: filters, logsource resolution, correlation references). Metadata is checked here.
 */
import type { Diagnostic } from '../core/diagnostics.js';
import { LocatedError } from '../core/diagnostics.js';
import type { CorrelationCondition, CorrelationType, Expr, Level, RuleMeta } from '../ir/nodes.js';
import { lowerDetection, type DetectionContext } from './detection.js';
import type { RuleKind } from './types.js';
import { describe, getValue, locate, type Loc, type YDocument, type YMap, type YNode, type YScalar } from './yaml-tree.js';

export interface DocBase {
  readonly file: string;
  readonly loc: Loc;
  readonly problems: Diagnostic[];
  /** Id as written, or null. */
  readonly writtenId: string | null;
  readonly name: string | null;
  readonly title: string | null;
}

export interface ParsedDetection extends DocBase {
  readonly kind: 'detection';
  readonly meta: RuleMeta;
  /** Logsource as written; list values (mdecrevoisier) are kept as lists. */
  readonly logsource: Readonly<Record<string, string | readonly string[]>>;
  readonly logsourceLoc: Loc;
  condition: Expr;
  readonly outputFields: readonly string[];
}

export interface ParsedFilter extends DocBase {
  readonly kind: 'filter';
  readonly logsource: Readonly<Record<string, string | readonly string[]>>;
  readonly targets: 'any' | readonly string[];
  readonly condition: Expr;
}

export interface ParsedCorrelation extends DocBase {
  readonly kind: 'correlation';
  readonly meta: RuleMeta;
  readonly type: CorrelationType;
  readonly refs: readonly { readonly ref: string; readonly loc: Loc }[];
  readonly groupBy: readonly string[];
  readonly timespanMs: number;
  readonly condition: CorrelationCondition | null;
  readonly fields: readonly string[];
  readonly percentile?: number;
  readonly aliases: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly generate: boolean;
}

export interface FailedDoc extends DocBase {
  readonly kind: 'failed';
  readonly intended: RuleKind;
}

export type ParsedDoc = ParsedDetection | ParsedFilter | ParsedCorrelation | FailedDoc;

export interface DocOptions {
  readonly strict: boolean;
  readonly placeholders: Readonly<Record<string, readonly string[]>> | undefined;
}

const LEVELS: readonly Level[] = ['informational', 'low', 'medium', 'high', 'critical'];
const STATUSES = ['stable', 'test', 'experimental', 'deprecated', 'unsupported'];
const RELATED_TYPES = ['derived', 'obsolete', 'merged', 'renamed', 'similar'];
const DATE = /^\d{4}-(0[1-9]|1[012])-(0[1-9]|[12][0-9]|3[01])$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TAG = /^[a-z0-9_-]+\.[a-z0-9._-]+$/;
const CORRELATION_TYPES: readonly CorrelationType[] = [
  'event_count', 'value_count', 'temporal', 'temporal_ordered', 'value_sum', 'value_avg', 'value_percentile', 'value_median',
];
const TIMESPAN_UNITS: Readonly<Record<string, number>> = {
  s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000, M: 30 * 86_400_000, y: 365 * 86_400_000,
};
const CONDITION_OPS = ['gt', 'gte', 'lt', 'lte', 'eq', 'neq'] as const;

export function parseDocument(doc: YDocument, file: string, options: DocOptions): ParsedDoc {
  const problems: Diagnostic[] = [...doc.problems];
  const root = doc.root;
  const base = { file, loc: doc.loc, problems };
  const failed = (intended: RuleKind, extra?: Partial<DocBase>): FailedDoc => ({
    ...base, writtenId: null, name: null, title: null, ...extra, kind: 'failed', intended,
  });
  if (problems.some((p) => p.severity === 'error') || root === null) {
    if (root === null && problems.length === 0) problems.push(err(file, doc.loc, 'sigma.document.empty', 'empty YAML document'));
    return failed('unknown');
  }
  if (root.kind !== 'map') {
    problems.push(err(file, root.loc, 'sigma.document.shape', `a Sigma document must be a map, got ${describe(root)}`));
    return failed('unknown');
  }
  const ctx: DetectionContext = { file, placeholders: options.placeholders, problems, strict: options.strict };
  const str = (key: string): YScalar | undefined => {
    const v = getValue(root, key);
    return v?.kind === 'scalar' && v.type !== 'null' ? v : undefined;
  };
  const writtenId = str('id')?.text ?? null;
  const name = str('name')?.text ?? null;
  const title = str('title')?.text ?? null;
  const ident = { writtenId, name, title };
  const correlationNode = getValue(root, 'correlation');
  const filterNode = getValue(root, 'filter');
  const detectionNode = getValue(root, 'detection');
  const intended: RuleKind =
    correlationNode?.kind === 'map' ? 'correlation' : detectionNode !== undefined ? 'detection' : filterNode?.kind === 'map' ? 'filter' : correlationNode !== undefined ? 'correlation' : 'unknown';
  try {
    checkTopLevelDuplicates(root, file, options.strict, problems);
    const action = getValue(root, 'action');
    if (action !== undefined) {
      throw new LocatedError('sigma.legacy.collection', `Sigma v1 rule collection ('action: ${action.kind === 'scalar' ? action.text : '...'}') is not supported in Sigma v2; merge the documents into standalone rules`, locate(file, action.loc));
    }
    if (intended === 'unknown') {
      throw new LocatedError('sigma.document.kind', `document has no 'detection', 'correlation' or 'filter' section`, locate(file, root.loc));
    }
    const meta = parseMeta(root, file, doc, problems, intended);
    if (intended === 'correlation') return parseCorrelation(root, correlationNode as YMap, meta, base, ident);
    if (intended === 'filter') return parseFilter(root, filterNode as YMap, ctx, base, ident);
    // Detection rule.
    if (correlationNode !== undefined) {
      problems.push({ severity: 'info', code: 'sigma.correlation.free-text', message: `'correlation' is not a map (free text?); kept as a custom attribute`, location: locate(file, correlationNode.loc) });
    }
    const { logsource, loc: logsourceLoc } = parseLogsource(root, file);
    const lowered = lowerDetection(detectionNode!, ctx);
    const fieldsNode = getValue(root, 'fields');
    return {
      ...base, ...ident, kind: 'detection', meta, logsource, logsourceLoc, condition: lowered.condition,
      outputFields: fieldsNode ? stringList(fieldsNode, file, 'fields', problems) : [],
    };
  } catch (e) {
    if (e instanceof LocatedError) {
      problems.push(e.toDiagnostic('error'));
      return failed(intended, ident);
    }
    problems.push(err(file, doc.loc, 'sigma.internal', `internal error while loading: ${(e as Error).message}`));
    return failed(intended, ident);
  }
}

function err(file: string, loc: Loc, code: string, message: string): Diagnostic {
  return { severity: 'error', code, message, location: locate(file, loc) };
}

function warning(file: string, loc: Loc, code: string, message: string): Diagnostic {
  return { severity: 'warning', code, message, location: locate(file, loc) };
}

function checkTopLevelDuplicates(root: YMap, file: string, strict: boolean, problems: Diagnostic[]): void {
  const seen = new Set<string>();
  for (const p of root.pairs) {
    if (seen.has(p.key)) {
      if (strict) throw new LocatedError('sigma.document.duplicate-key', `duplicate top-level key '${p.key}'; not allowed with strict`, locate(file, p.keyLoc));
      problems.push(warning(file, p.keyLoc, 'sigma.document.duplicate-key', `duplicate top-level key '${p.key}'; the last one is used`));
    }
    seen.add(p.key);
  }
}

function stringList(node: YNode, file: string, what: string, problems: Diagnostic[]): string[] {
  if (node.kind === 'scalar') {
    if (node.type === 'null') return [];
    problems.push(warning(file, node.loc, 'sigma.meta.shape', `'${what}' should be a list`));
    return [node.text];
  }
  if (node.kind === 'map') {
    problems.push(warning(file, node.loc, 'sigma.meta.shape', `'${what}' should be a list, got a map (ignored)`));
    return [];
  }
  const out: string[] = [];
  for (const item of node.items) {
    if (item.kind === 'scalar' && item.type !== 'null') out.push(item.text);
    else problems.push(warning(file, item.loc, 'sigma.meta.shape', `an item of '${what}' is ${describe(item)} (ignored)`));
  }
  return out;
}

function parseMeta(root: YMap, file: string, doc: YDocument, problems: Diagnostic[], kind: RuleKind): RuleMeta {
  const scalar = (key: string): YScalar | undefined => {
    const v = getValue(root, key);
    if (v === undefined) return undefined;
    if (v.kind !== 'scalar') {
      problems.push(warning(file, v.loc, 'sigma.meta.shape', `'${key}' should be a string, got ${describe(v)} (ignored)`));
      return undefined;
    }
    return v.type === 'null' ? undefined : v;
  };
  const titleNode = scalar('title');
  if (titleNode === undefined) throw new LocatedError('sigma.meta.title', `'title' is required`, locate(file, root.loc));
  if (titleNode.text.length > 256) problems.push(warning(file, titleNode.loc, 'sigma.meta.title', `title is longer than 256 characters`));
  const idNode = scalar('id');
  if (idNode !== undefined && !UUID.test(idNode.text)) problems.push(warning(file, idNode.loc, 'sigma.meta.id', `id '${idNode.text}' is not a UUID`));
  const nameNode = scalar('name');
  const id = idNode?.text ?? nameNode?.text ?? `${file}#${doc.index + 1}`;
  if (idNode === undefined && kind !== 'filter') {
    problems.push({ severity: 'info', code: 'sigma.meta.id', message: `no 'id'; using '${id}'`, location: locate(file, root.loc) });
  }
  const statusNode = scalar('status');
  if (statusNode !== undefined && !STATUSES.includes(statusNode.text)) {
    problems.push(warning(file, statusNode.loc, 'sigma.meta.status', `status '${statusNode.text}' is not one of ${STATUSES.join(', ')}`));
  }
  const levelNode = scalar('level');
  let level: Level = 'medium';
  if (levelNode === undefined) {
    if (kind !== 'filter') problems.push({ severity: 'info', code: 'sigma.meta.level', message: `no 'level'; using 'medium'`, location: locate(file, root.loc) });
  } else if ((LEVELS as readonly string[]).includes(levelNode.text)) {
    level = levelNode.text as Level;
  } else {
    problems.push(warning(file, levelNode.loc, 'sigma.meta.level', `level '${levelNode.text}' is not one of ${LEVELS.join(', ')}; using 'medium'`));
  }
  for (const key of ['date', 'modified']) {
    const d = scalar(key);
    if (d !== undefined && !DATE.test(d.text)) {
      problems.push(warning(file, d.loc, 'sigma.meta.date', `'${key}: ${d.text}' is not YYYY-MM-DD${/^\d{4}\/\d\d\/\d\d$/.test(d.text) ? ' (the v1 YYYY/MM/DD form was dropped in Sigma v2)' : ''}`));
    }
  }
  const tagsNode = getValue(root, 'tags');
  const tags = tagsNode ? stringList(tagsNode, file, 'tags', problems) : [];
  for (const t of tags) {
    if (!TAG.test(t)) problems.push(warning(file, tagsNode!.loc, 'sigma.meta.tag', `tag '${t}' is not of the form namespace.value (lowercase)`));
  }
  const relatedNode = getValue(root, 'related');
  if (relatedNode?.kind === 'seq') {
    for (const r of relatedNode.items) {
      const type = r.kind === 'map' ? getValue(r, 'type') : undefined;
      if (r.kind !== 'map' || getValue(r, 'id') === undefined || type?.kind !== 'scalar' || !RELATED_TYPES.includes(type.text)) {
        problems.push(warning(file, r.loc, 'sigma.meta.related', `'related' entries need an id and a type in ${RELATED_TYPES.join(', ')}`));
      }
    }
  }
  const listOf = (key: string): string[] | undefined => {
    const n = getValue(root, key);
    return n === undefined ? undefined : stringList(n, file, key, problems);
  };
  const authorNode = getValue(root, 'author');
  const author = authorNode?.kind === 'scalar' ? authorNode.text : authorNode?.kind === 'seq' ? stringList(authorNode, file, 'author', problems).join(', ') : undefined;
  const description = scalar('description');
  const references = listOf('references');
  const falsePositives = listOf('falsepositives');
  const date = getValue(root, 'date');
  const modified = getValue(root, 'modified');
  const meta: RuleMeta = {
    id,
    title: titleNode.text,
    level,
    tags,
    origin: 'sigma',
    source: { file, line: doc.loc.line, column: doc.loc.column },
    ...(nameNode ? { name: nameNode.text } : {}),
    ...(description ? { description: description.text } : {}),
    ...(statusNode ? { status: statusNode.text } : {}),
    ...(author !== undefined ? { author } : {}),
    ...(references ? { references } : {}),
    ...(falsePositives ? { falsePositives } : {}),
    ...(date?.kind === 'scalar' && date.type !== 'null' ? { date: date.text } : {}),
    ...(modified?.kind === 'scalar' && modified.type !== 'null' ? { modified: modified.text } : {}),
  };
  return meta;
}

function parseLogsource(root: YMap, file: string): { logsource: Record<string, string | readonly string[]>; loc: Loc } {
  const node = getValue(root, 'logsource');
  if (node === undefined) throw new LocatedError('sigma.logsource.missing', `'logsource' is required`, locate(file, root.loc));
  if (node.kind !== 'map') throw new LocatedError('sigma.logsource.shape', `'logsource' must be a map, got ${describe(node)}`, locate(file, node.loc));
  const out: Record<string, string | readonly string[]> = {};
  for (const p of node.pairs) {
    const v = p.value;
    if (v.kind === 'scalar') {
      if (v.type !== 'null') out[p.key] = v.text;
    } else if (v.kind === 'seq' && v.items.every((i) => i.kind === 'scalar')) {
      out[p.key] = v.items.map((i) => (i as YScalar).text);
    } else {
      throw new LocatedError('sigma.logsource.shape', `logsource '${p.key}' must be a string, got ${describe(v)}`, locate(file, v.loc));
    }
  }
  if (Object.keys(out).length === 0) throw new LocatedError('sigma.logsource.shape', `'logsource' is empty`, locate(file, node.loc));
  return { logsource: out, loc: node.loc };
}

function parseFilter(root: YMap, filter: YMap, ctx: DetectionContext, base: Omit<DocBase, 'writtenId' | 'name' | 'title'>, ident: Pick<DocBase, 'writtenId' | 'name' | 'title'>): ParsedFilter {
  const { file } = ctx;
  const { logsource } = parseLogsource(root, file);
  const rulesNode = getValue(filter, 'rules');
  let targets: 'any' | string[];
  if (rulesNode === undefined) throw new LocatedError('sigma.filter.rules', `filter has no 'rules'`, locate(file, filter.loc));
  if (rulesNode.kind === 'scalar' && rulesNode.text === 'any') targets = 'any';
  else if (rulesNode.kind === 'scalar' && rulesNode.type !== 'null') targets = [rulesNode.text];
  else if (rulesNode.kind === 'seq') targets = stringList(rulesNode, file, 'rules', ctx.problems);
  else throw new LocatedError('sigma.filter.rules', `filter 'rules' must be a list of rule ids/names or 'any'`, locate(file, rulesNode.loc));
  const conditionNode = getValue(filter, 'condition');
  if (conditionNode?.kind === 'seq') throw new LocatedError('sigma.filter.condition', `a filter takes exactly one condition`, locate(file, conditionNode.loc));
  const detectionPart: YMap = { kind: 'map', loc: filter.loc, pairs: filter.pairs.filter((p) => p.key !== 'rules') };
  const lowered = lowerDetection(detectionPart, ctx);
  if (conditionNode?.kind === 'scalar' && !/\bnot\b/.test(conditionNode.text)) {
    // pySigma semantics: (rule) and (filter condition). The spec's example omits `not`.
    ctx.problems.push(warning(file, conditionNode.loc, 'sigma.filter.semantics', `filter condition '${conditionNode.text}' has no 'not': it is ANDed with the rule, so it restricts the rule to these events instead of excluding them`));
  }
  return { ...base, ...ident, kind: 'filter', logsource, targets, condition: lowered.condition };
}

function parseCorrelation(root: YMap, corr: YMap, meta: RuleMeta, base: Omit<DocBase, 'writtenId' | 'name' | 'title'>, ident: Pick<DocBase, 'writtenId' | 'name' | 'title'>): ParsedCorrelation {
  const { file, problems } = base;
  const fail = (loc: Loc, code: string, message: string): LocatedError => new LocatedError(code, message, locate(file, loc));
  const typeNode = getValue(corr, 'type');
  if (typeNode?.kind !== 'scalar' || !(CORRELATION_TYPES as readonly string[]).includes(typeNode.text)) {
    throw fail(typeNode?.loc ?? corr.loc, 'sigma.correlation.type', `correlation 'type' must be one of ${CORRELATION_TYPES.join(', ')}`);
  }
  const type = typeNode.text as CorrelationType;
  const temporal = type === 'temporal' || type === 'temporal_ordered';
  const rulesNode = getValue(corr, 'rules');
  const refs: { ref: string; loc: Loc }[] = [];
  if (rulesNode?.kind === 'scalar' && rulesNode.type !== 'null') refs.push({ ref: rulesNode.text, loc: rulesNode.loc });
  else if (rulesNode?.kind === 'seq') {
    for (const r of rulesNode.items) {
      if (r.kind !== 'scalar' || r.type === 'null') throw fail(r.loc, 'sigma.correlation.rules', `correlation 'rules' entries must be rule ids or names`);
      refs.push({ ref: r.text, loc: r.loc });
    }
  }
  if (refs.length === 0) throw fail(rulesNode?.loc ?? corr.loc, 'sigma.correlation.rules', `correlation needs 'rules' (a list of rule ids or names)`);
  if (temporal && refs.length < 2) problems.push(warning(file, rulesNode!.loc, 'sigma.correlation.rules', `a ${type} correlation normally references at least two rules`));
  const groupNode = getValue(corr, 'group-by');
  const groupBy = groupNode === undefined ? [] : stringList(groupNode, file, 'group-by', problems);
  const spanPair = getValue(corr, 'timespan') ?? getValue(corr, 'timeframe');
  if (spanPair === undefined) throw fail(corr.loc, 'sigma.correlation.timespan', `correlation needs 'timespan'`);
  const spanMatch = spanPair.kind === 'scalar' ? /^(\d+)([smhdwMy])$/.exec(spanPair.text.trim()) : null;
  if (spanMatch === null) throw fail(spanPair.loc, 'sigma.correlation.timespan', `timespan must be <number><s|m|h|d|w|M|y>, got ${describe(spanPair)}`);
  const timespanMs = Number(spanMatch[1]) * TIMESPAN_UNITS[spanMatch[2]!]!;
  if (timespanMs <= 0) throw fail(spanPair.loc, 'sigma.correlation.timespan', `timespan must be positive`);
  // Condition: exactly one operator; value_* also need `field`.
  const condNode = getValue(corr, 'condition');
  let condition: CorrelationCondition | null = null;
  let fields: string[] = [];
  if (condNode !== undefined && !(condNode.kind === 'scalar' && condNode.type === 'null')) {
    if (condNode.kind !== 'map') {
      throw fail(condNode.loc, 'sigma.correlation.condition', temporal && condNode.kind === 'scalar'
        ? `extended temporal conditions (a boolean expression over rule names) are not supported; use a map like {gte: 2}`
        : `correlation 'condition' must be a map like {gte: 10}`);
    }
    const ops = condNode.pairs.filter((p) => (CONDITION_OPS as readonly string[]).includes(p.key));
    const unknown = condNode.pairs.find((p) => !(CONDITION_OPS as readonly string[]).includes(p.key) && p.key !== 'field');
    if (unknown) throw fail(unknown.keyLoc, 'sigma.correlation.condition', `unknown condition key '${unknown.key}' (allowed: ${CONDITION_OPS.join(', ')}, field)`);
    if (ops.length !== 1) throw fail(condNode.loc, 'sigma.correlation.condition', `correlation condition needs exactly one of ${CONDITION_OPS.join(', ')} (found ${ops.length})`);
    const op = ops[0]!;
    if (op.value.kind !== 'scalar' || typeof op.value.value !== 'number') throw fail(op.value.loc, 'sigma.correlation.condition', `condition '${op.key}' needs a number, got ${describe(op.value)}`);
    condition = { op: op.key as CorrelationCondition['op'], value: op.value.value };
    const fieldNode = getValue(condNode, 'field');
    if (fieldNode !== undefined) fields = stringList(fieldNode, file, 'field', problems);
  } else if (!temporal) {
    throw fail(corr.loc, 'sigma.correlation.condition', `a ${type} correlation needs a 'condition'`);
  }
  if (type.startsWith('value_') && fields.length === 0) throw fail(condNode?.loc ?? corr.loc, 'sigma.correlation.field', `a ${type} correlation needs 'field' in its condition`);
  if (!type.startsWith('value_') && fields.length > 0) problems.push(warning(file, condNode!.loc, 'sigma.correlation.field', `'field' is ignored for ${type}`));
  let percentile: number | undefined;
  const pNode = getValue(corr, 'percentile');
  if (pNode !== undefined) {
    if (pNode.kind !== 'scalar' || typeof pNode.value !== 'number' || pNode.value < 0 || pNode.value > 100) throw fail(pNode.loc, 'sigma.correlation.percentile', `percentile must be a number from 0 to 100`);
    percentile = pNode.value;
  }
  if (type === 'value_percentile' && percentile === undefined) percentile = 50;
  const aliases: Record<string, Record<string, string>> = {};
  const aliasNode = getValue(corr, 'aliases');
  if (aliasNode !== undefined) {
    if (aliasNode.kind !== 'map') throw fail(aliasNode.loc, 'sigma.correlation.aliases', `'aliases' must be a map alias → {rule: field}`);
    for (const a of aliasNode.pairs) {
      if (a.value.kind !== 'map') throw fail(a.value.loc, 'sigma.correlation.aliases', `alias '${a.key}' must map rule names to field names`);
      const m: Record<string, string> = {};
      for (const p of a.value.pairs) {
        if (p.value.kind !== 'scalar' || p.value.type === 'null') throw fail(p.value.loc, 'sigma.correlation.aliases', `alias '${a.key}' for rule '${p.key}' needs a field name`);
        m[p.key] = p.value.text;
      }
      aliases[a.key] = m;
    }
  }
  const genNode = getValue(corr, 'generate') ?? getValue(root, 'generate');
  let generate = false;
  if (genNode !== undefined) {
    if (genNode.kind !== 'scalar' || genNode.type !== 'boolean') throw fail(genNode.loc, 'sigma.correlation.generate', `'generate' must be true or false`);
    generate = genNode.value as boolean;
  }
  return {
    ...base, ...ident, kind: 'correlation', meta, type, refs, groupBy, timespanMs, condition, fields,
    ...(percentile !== undefined ? { percentile } : {}), aliases, generate,
  };
}
