/** Text and JSON output of an explanation, with corpus counts when an index is given. */
import { predicateText, quoteValue } from './print-expr.js';
import type { ConditionNode, IndicatorIndex, PipelineStage, Predicate, RuleExplanation } from './types.js';

const INDENT = '  ';
const MAX_TREE_LINES = 2_000;

function translationsText(p: Predicate): string {
  if (p.translations === undefined || p.field === null) return '';
  const parts = Object.entries(p.translations)
    .filter(([, name]) => name !== p.field)
    .map(([label, name]) => `${label}: ${name ?? '(not in these events)'}`);
  return parts.length === 0 ? '' : `  {${parts.join('; ')}}`;
}

/** The condition tree, one node per line, indented by depth. */
export function conditionLines(node: ConditionNode, depth = 1, out: string[] = []): string[] {
  if (out.length >= MAX_TREE_LINES) return out;
  const pad = INDENT.repeat(depth);
  switch (node.kind) {
    case 'predicate':
      out.push(`${pad}${predicateText(node.predicate)}${translationsText(node.predicate)}`);
      break;
    case 'selection':
      out.push(`${pad}${node.role} ${node.name}:`);
      conditionLines(node.body, depth + 1, out);
      break;
    case 'and':
    case 'or':
      out.push(`${pad}${node.kind === 'and' ? 'all of' : 'any of'}:`);
      for (const i of node.items) conditionLines(i, depth + 1, out);
      break;
    case 'of':
      out.push(`${pad}${node.quantifier === 'all' ? 'all' : '1'} of ${node.pattern ?? 'them'}:`);
      for (const i of node.items) conditionLines(i, depth + 1, out);
      break;
    case 'not':
      out.push(`${pad}not:`);
      conditionLines(node.item, depth + 1, out);
      break;
    case 'const':
      out.push(`${pad}${node.value ? 'always' : 'never'}`);
      break;
    case 'opaque':
      out.push(`${pad}${node.text}`);
      break;
  }
  return out;
}

function stageLines(s: PipelineStage): string[] {
  const out = [`${INDENT}${s.index + 1}. ${s.command}: ${s.text}`];
  const more = (label: string, items: readonly string[]): void => {
    if (items.length > 0) out.push(`${INDENT.repeat(2)}${label}: ${items.join(', ')}`);
  };
  if (s.datamodel !== null) out.push(`${INDENT.repeat(2)}data model: ${s.datamodel}`);
  if (s.lookup !== null) out.push(`${INDENT.repeat(2)}lookup: ${s.lookup}`);
  more('aggregations', s.aggregations);
  more('by', s.by);
  more('expressions', s.expressions);
  more('renames', s.renames.map((r) => `${r.from} → ${r.to}`));
  more('fields', s.fields);
  if (s.where !== null) {
    out.push(`${INDENT.repeat(2)}predicates:`);
    conditionLines(s.where, 3, out);
  }
  return out;
}

function sharingText(n: number): string {
  return n === 1 ? '1 other rule in the corpus shares it' : `${n} other rules in the corpus share it`;
}

export function explanationText(e: RuleExplanation, index?: IndicatorIndex): string {
  const lines: string[] = [];
  const kind = e.kind === 'spl' ? 'Splunk-style detection' : e.kind === 'sigma' ? 'Sigma detection' : 'Sigma correlation';
  lines.push(`${e.title}`, `${INDENT}id: ${e.id}`, `${INDENT}kind: ${kind}${e.level !== null ? `, ${e.kind === 'spl' ? 'type' : 'level'} ${e.level}` : ''}`);
  lines.push(`${INDENT}source: ${e.source.file}${e.source.line !== null ? `:${e.source.line}` : ''}`);
  if (e.tags.length > 0) lines.push(`${INDENT}tags: ${e.tags.join(', ')}`);
  if (e.logsource !== null) {
    lines.push('', 'Log source: ' + Object.entries(e.logsource.written).map(([k, v]) => `${k}=${v}`).join(' '));
    for (const v of e.logsource.variants) {
      const where = [
        v.channels.length > 0 ? `channel ${v.channels.join(' | ')}` : 'any channel',
        v.providers.length > 0 ? `provider ${v.providers.join(' | ')}` : null,
        v.eventIds.length > 0 ? `EventID ${v.eventIds.join(', ')}` : null,
        v.extra !== null ? `where ${v.extra}` : null,
      ].filter((x): x is string => x !== null);
      lines.push(`${INDENT}variant ${v.label}: ${where.join(', ')}${v.fieldMap !== null ? ` (field names: ${v.fieldMap})` : ''}`);
    }
  }
  if (e.correlation !== null) {
    const c = e.correlation;
    lines.push('', `Correlation: ${c.type} within ${c.timespan}${c.condition !== null ? `, count ${c.condition}` : ''}`);
    if (c.groupBy.length > 0) lines.push(`${INDENT}group by: ${c.groupBy.join(', ')}`);
    if (c.fields.length > 0) lines.push(`${INDENT}fields: ${c.fields.join(', ')}`);
    lines.push(`${INDENT}rules:`);
    for (const r of c.rules) lines.push(`${INDENT.repeat(2)}${r.id}${r.title !== null ? `  ${r.title}` : ''}`);
    for (const [alias, per] of Object.entries(c.aliases)) lines.push(`${INDENT}alias ${alias}: ${Object.entries(per).map(([id, f]) => `${id} → ${f}`).join(', ')}`);
  }
  if (e.condition !== null) {
    lines.push('');
    if (e.conditionText.length > 0) lines.push(`Condition: ${e.conditionText.map((t) => t.trim().replace(/\s+/g, ' ')).join(' | ')}`);
    lines.push('Stages:');
    conditionLines(e.condition, 1, lines);
  }
  if (e.pipeline.length > 0) {
    lines.push('', 'Pipeline:');
    for (const s of e.pipeline) lines.push(...stageLines(s));
  }
  if (e.macros.length > 0) lines.push('', `Macros: ${e.macros.join(', ')}`);
  if (e.dataSources.length > 0) lines.push(`Data sources: ${e.dataSources.join(', ')}`);
  lines.push('', `Indicators (${e.indicators.length}):`);
  for (const i of e.indicators) {
    const shared = index === undefined ? '' : `  — ${sharingText(index.othersSharing(i, e.id))}`;
    lines.push(`${INDENT}${i.field} ${i.op} ${quoteValue(i.value)}${shared}`);
  }
  if (index !== undefined) lines.push(`${INDENT}(corpus: ${index.ruleCount} rules, ${index.size} distinct indicators)`);
  for (const n of e.notes) lines.push(`note: ${n}`);
  return lines.join('\n') + '\n';
}

/** The explanation as JSON-ready data, each indicator with `others` (rules sharing it) when indexed. */
export function explanationJson(e: RuleExplanation, index?: IndicatorIndex): unknown {
  return {
    ...e,
    indicators: e.indicators.map((i) => ({ ...i, ...(index !== undefined ? { others: index.othersSharing(i, e.id) } : {}) })),
    ...(index !== undefined ? { corpus: { rules: index.ruleCount, indicators: index.size } } : {}),
  };
}
