/** Renders `vigil explain` data: condition stages, predicates, logsource variants, pipeline and indicators. */
import type { ConditionNode, Indicator, IndicatorIndex, PipelineStage, Predicate, RuleExplanation } from '../../devtools/explain/types.js';
import { h, type Html, join } from '../html.js';
import { codeBlock, commaList, table } from './layout.js';

const MAX_NODES = 2000;

function predicateText(p: Predicate): Html {
  const field = p.field ?? '(any field)';
  const joiner = p.modifiers.includes('all') ? ' and ' : ' or ';
  const values = p.values.length === 0 ? h`` : join(p.values.map((v) => h`<code class="v">${v}</code>`), h`<span class="op">${joiner}</span>`);
  const mods = p.modifiers.filter((m) => m !== 'all');
  const translated = p.translations === undefined ? [] : Object.entries(p.translations).filter(([, f]) => f !== p.field);
  return h`<code class="f">${field}</code> <span class="op">${p.op}</span> ${values}${mods.length > 0 ? h` <span class="muted">(${mods.join(', ')})</span>` : ''}${
    translated.length > 0 ? h`<span class="tr">${translated.map(([variant, f]) => h` <span class="badge">${variant}: ${f ?? 'absent'}</span>`)}</span>` : ''
  }`;
}

/** The condition as nested lists: selections and filters are labelled stages, leaves are predicates. */
export function conditionTree(node: ConditionNode): Html {
  let budget = MAX_NODES;
  const walk = (n: ConditionNode): Html => {
    if (--budget < 0) return h`<li class="muted">… (cut)</li>`;
    switch (n.kind) {
      case 'selection':
        return h`<li><span class="stage ${n.role}">${n.role}</span> <strong>${n.name}</strong><ul>${walk(n.body)}</ul></li>`;
      case 'and':
      case 'or':
        return h`<li><span class="op">${n.kind === 'and' ? 'all of' : 'any of'}</span><ul>${n.items.map(walk)}</ul></li>`;
      case 'of':
        return h`<li><span class="op">${n.quantifier === 'one' ? '1 of' : 'all of'} ${n.pattern ?? 'them'}</span><ul>${n.items.map(walk)}</ul></li>`;
      case 'not':
        return h`<li><span class="op">not</span><ul>${walk(n.item)}</ul></li>`;
      case 'predicate':
        return h`<li>${predicateText(n.predicate)}</li>`;
      case 'const':
        return h`<li><code>${String(n.value)}</code></li>`;
      case 'opaque':
        return h`<li><code>${n.text}</code></li>`;
      default:
        return h`<li class="muted">(unknown node)</li>`;
    }
  };
  return h`<ul class="tree">${walk(node)}</ul>`;
}

export function variantsTable(e: RuleExplanation): Html {
  const variants = e.logsource?.variants ?? [];
  if (variants.length === 0) return h``;
  return table(
    ['Variant', 'Channels', 'Providers', 'Event IDs', 'Precondition', 'Field names'],
    variants.map((v) => [
      h`<code>${v.label}</code>`,
      commaList(v.channels.map((c) => h`<code>${c}</code>`)),
      commaList(v.providers.map((c) => h`<code>${c}</code>`)),
      commaList(v.eventIds.map((c) => h`${c}`)),
      v.extra ?? '—',
      v.fieldMap ?? 'as written',
    ]),
  );
}

export function pipelineTable(stages: readonly PipelineStage[]): Html {
  return table(
    ['#', 'Command', 'What it does'],
    stages.map((s) => {
      const parts: Html[] = [];
      if (s.datamodel !== null) parts.push(h`<div>data model <code>${s.datamodel}</code></div>`);
      if (s.where !== null) parts.push(conditionTree(s.where));
      if (s.aggregations.length > 0) parts.push(h`<div>${commaList(s.aggregations.map((a) => h`<code>${a}</code>`))}</div>`);
      if (s.by.length > 0) parts.push(h`<div>by ${commaList(s.by.map((a) => h`<code>${a}</code>`))}</div>`);
      for (const x of s.expressions) parts.push(h`<div><code>${x}</code></div>`);
      if (s.renames.length > 0) parts.push(h`<div>${commaList(s.renames.map((r) => h`<code>${r.from}</code> → <code>${r.to}</code>`))}</div>`);
      if (s.lookup !== null) parts.push(h`<div>lookup <code>${s.lookup}</code></div>`);
      if (s.fields.length > 0) parts.push(h`<div>fields ${commaList(s.fields.map((a) => h`<code>${a}</code>`))}</div>`);
      if (parts.length === 0) parts.push(h`<code>${s.text}</code>`);
      return [String(s.index + 1), h`<code>${s.command}</code>`, join(parts)];
    }),
    'pipeline',
  );
}

/** Indicators with how many rules of the catalog look for the same (field, op, value). */
export function indicatorsTable(indicators: readonly Indicator[], index: IndicatorIndex | null, ruleId: string): Html {
  if (indicators.length === 0) return h`<p class="muted">No positive indicator (the rule only filters, or tests presence).</p>`;
  const headers = index === null ? ['Field', 'Operator', 'Value'] : ['Field', 'Operator', 'Value', `Rules with it (of ${index.ruleCount})`, 'Others'];
  const rows = indicators.map((i) => {
    const base = [h`<code>${i.field}</code>`, i.op, h`<code class="v">${i.value}</code>`];
    return index === null ? base : [...base, String(index.count(i)), String(index.othersSharing(i, ruleId))];
  });
  return table(headers, rows, 'indicators');
}

export function conditionTextBlock(e: RuleExplanation): Html {
  return e.conditionText.length === 0 ? h`` : codeBlock(e.conditionText.join('\n'), 'condition');
}
