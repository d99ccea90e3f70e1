/** A Sigma rule's page: metadata, ATT&CK coverage, the rule as written, and how Vigil matches it. */
import type { Expr, Rule, ValueMatch } from '../../ir/nodes.js';
import { externalLink, h, type Html, paragraphs } from '../html.js';
import type { CatalogSigmaRule, SiteModel } from '../model.js';
import { attackTable } from './attack.js';
import type { ExplainView } from './detection.js';
import { conditionTextBlock, conditionTree, indicatorsTable, variantsTable } from './explain-view.js';
import { badge, codeBlock, commaList, crumbs, facts, list, notAvailable, page, section, table } from './layout.js';
import { href } from './links.js';

const ROOT = '../';
const MAX_EXPR_CHARS = 20_000;

function matchText(m: ValueMatch): string {
  switch (m.kind) {
    case 'pattern':
      return m.parts.map((p) => (p.kind === 'text' ? p.text : p.kind === 'any' ? '*' : '?')).join('') + (m.cased ? ' (cased)' : '');
    case 'regex':
      return `/${m.source}/${m.flags}`;
    case 'number':
      return `${m.op} ${m.value}`;
    case 'cidr':
      return `in ${m.network}`;
    case 'time-part':
      return `${m.part} ${m.op} ${m.value}`;
    default:
      return '?';
  }
}

/** The compiled IR condition as indented text (shown next to, or instead of, the explain stages). */
export function exprText(expr: Expr): string {
  const lines: string[] = [];
  let size = 0;
  const push = (depth: number, text: string): void => {
    if (size > MAX_EXPR_CHARS) return;
    const line = '  '.repeat(depth) + text;
    size += line.length;
    lines.push(size > MAX_EXPR_CHARS ? '… (cut)' : line);
  };
  const walk = (e: Expr, depth: number): void => {
    switch (e.kind) {
      case 'field':
        return push(depth, `${e.field} ${e.match.kind === 'pattern' ? '=' : '~'} ${matchText(e.match)}`);
      case 'keyword':
        return push(depth, `keyword ${matchText(e.match)}`);
      case 'exists':
        return push(depth, `${e.field} exists`);
      case 'null':
        return push(depth, `${e.field} is null`);
      case 'fieldref':
        return push(depth, `${e.field} ${e.op} field ${e.other}`);
      case 'const':
        return push(depth, String(e.value));
      case 'not':
        push(depth, 'NOT');
        return walk(e.item, depth + 1);
      case 'and':
      case 'or':
        push(depth, e.kind.toUpperCase());
        for (const item of e.items) walk(item, depth + 1);
        return;
      default:
        return push(depth, '?');
    }
  };
  walk(expr, 0);
  return lines.join('\n');
}

function irSection(rule: Rule): Html {
  if (rule.kind === 'correlation') {
    return facts([
      ['Correlation type', rule.type],
      ['Rules', commaList(rule.rules.map((r) => h`<code>${r}</code>`))],
      ['Group by', commaList(rule.groupBy.map((r) => h`<code>${r}</code>`))],
      ['Timespan', `${rule.timespanMs / 1000} s`],
      ['Condition', rule.condition === null ? 'all referenced rules seen' : `${rule.condition.op} ${rule.condition.value}`],
    ]);
  }
  return h`${rule.variants.map(
    (v) => h`<h3>Variant <code>${v.label}</code></h3>${facts([
      ['Channels', commaList(v.scope.channels.map((c) => h`<code>${c}</code>`))],
      ['Providers', commaList(v.scope.providers.map((c) => h`<code>${c}</code>`))],
      ['Event IDs', commaList(v.scope.eventIds.map((c) => h`${c}`))],
      ['Precondition', v.scope.extra === null ? '' : h`<code>${exprText(v.scope.extra)}</code>`],
    ])}${codeBlock(exprText(v.condition), 'ir')}`,
  )}`;
}

function explainSection(view: ExplainView, r: CatalogSigmaRule): Html {
  const e = view.explanation;
  if (e === null) {
    return h`${notAvailable('Stages, predicates and indicators', view.reason)}<h3>Compiled condition</h3>${irSection(r.rule)}`;
  }
  const stages = e.condition !== null ? conditionTree(e.condition) : r.rule.kind === 'correlation' ? irSection(r.rule) : h`<p class="muted">No condition stages.</p>`;
  return h`${variantsTable(e)}${conditionTextBlock(e)}<h3>Condition stages</h3>${stages}
<h3 id="indicators">Indicators</h3>${indicatorsTable(e.indicators, view.index, r.rule.meta.id)}
${e.notes.length > 0 ? list(e.notes) : ''}
<details><summary>Compiled condition (IR)</summary>${irSection(r.rule)}</details>`;
}

function loadStatus(r: CatalogSigmaRule): Html {
  const rep = r.report;
  if (rep === null) return h`<p class="muted">Loaded.</p>`;
  const problems = rep.problems.filter((p) => p.severity !== 'info');
  return h`<p>${badge(rep.status, rep.status === 'loaded' ? 'ok' : 'neutral')}</p>${problems.length === 0 ? '' : list(problems.map((p) => h`${p.severity}: ${p.message} <span class="muted">[${p.code}]</span>`))}`;
}

export function sigmaPage(model: SiteModel, r: CatalogSigmaRule, body: string | null, view: ExplainView, displayFile: string): string {
  const m = r.rule.meta;
  const logsource = r.rule.kind === 'detection' ? r.rule.logsource : null;
  const coverage = h`${attackTable(model, ROOT, r.techniques)}${
    r.tactics.length > 0 ? facts([['Tactics tagged', commaList(r.tactics.map((t) => h`${t.name}`))]]) : ''
  }${m.tags.length > 0 ? facts([['Tags', commaList(m.tags.map((t) => h`<code>${t}</code>`))]]) : ''}`;
  const top = facts([
    ['ID', h`<code>${m.id}</code>`],
    ['Status', m.status ?? ''],
    ['Severity', m.level],
    ['Kind', r.rule.kind],
    ['Log source', logsource === null ? '' : commaList(Object.entries(logsource).map(([k, v]) => h`${k}: <code>${v}</code>`))],
    ['Author', m.author ?? ''],
    ['Date', m.date ?? ''],
    ['Modified', m.modified ?? ''],
    ['Source', h`<code>${displayFile}${m.source.line !== undefined && m.source.line > 1 ? `:${m.source.line}` : ''}</code>`],
  ]);
  const content = h`${crumbs(ROOT, [['Sigma rules', href.sigmaIndex]])}
<h1>${m.title}</h1>
<p>${badge(m.level, `level-${m.level}`)} ${m.status !== undefined ? badge(m.status) : ''} ${r.techniques.map((x) => badge(x.id, 'tech'))}</p>
<div class="layout-2">
<div>
${section('description', 'Description', m.description === undefined ? h`<p class="muted">No description.</p>` : paragraphs(m.description))}
${section('attack', 'ATT&CK coverage', coverage)}
${section('false-positives', 'False positives', list((m.falsePositives ?? []).map((f) => h`${f}`)))}
</div>
<aside>${top}<h3>Vigil load status</h3>${loadStatus(r)}</aside>
</div>
${section('rule', 'Rule', body === null ? notAvailable('Rule text', 'the rule file could not be read when the site was built') : codeBlock(body, 'yaml'))}
${section('logic', 'Stages and predicates', explainSection(view, r))}
${section('references', 'References', list((m.references ?? []).map(externalLink)))}`;
  return page({ title: m.title, root: ROOT, section: 'sigma', body: content });
}

/** Rows of the Sigma index table. */
export function sigmaIndexRows(model: SiteModel, root: string): Html[][] {
  return model.sigma.map((r) => {
    const ls = r.rule.kind === 'detection' ? Object.values(r.rule.logsource).join(' / ') : 'correlation';
    return [h`<a href="${root + href.sigma(r.slug)}">${r.rule.meta.title}</a>`, h`${badge(r.rule.meta.level, `level-${r.rule.meta.level}`)}`, h`${r.rule.meta.status ?? ''}`, h`${ls}`, h`${r.techniques.map((t) => t.id).join(' ')}`];
  });
}

export { table };
