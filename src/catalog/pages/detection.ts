/** A Splunk-style detection's page: everything research.splunk.com shows for one, plus test status. */
import type { AlertAction, Deployment, DetectionRisk, RiskObject, ThreatObject } from '../../content/index.js';
import type { IndicatorIndex, RuleExplanation } from '../../devtools/explain/types.js';
import { externalLink, h, type Html, type HtmlPart, paragraphs } from '../html.js';
import type { CatalogDetection, SiteModel } from '../model.js';
import { resultsFor, TEST_PHASES, type TestCaseResult, type TestPhase } from '../test-results.js';
import { attackTable } from './attack.js';
import { conditionTree, indicatorsTable, pipelineTable } from './explain-view.js';
import { badge, codeBlock, commaList, crumbs, facts, list, notAvailable, page, section, table } from './layout.js';
import { href } from './links.js';

const ROOT = '../';

export interface ExplainView {
  readonly explanation: RuleExplanation | null;
  readonly index: IndicatorIndex | null;
  /** Why there is no explanation (API missing, or it failed on this rule). */
  readonly reason: string;
}

/** How a user produces the results this table reads. */
export const TEST_HOWTO = 'vigil test CONTENT_DIR --format json > test-results.json && vigil catalog build --out DIR --test-results test-results.json';

function riskObjectsTable(objects: readonly RiskObject[], threats: readonly ThreatObject[]): Html {
  const rows = [
    ...objects.map((o) => [h`<code>${o.field}</code>`, o.type, 'risk object', String(o.score)]),
    ...threats.map((t) => [h`<code>${t.field}</code>`, t.type, 'threat object', '—']),
  ];
  return rows.length === 0 ? h`<p class="muted">No risk or threat object.</p>` : table(['Field', 'Type', 'Role', 'Score'], rows, 'risk');
}

export function riskSection(risk: DetectionRisk | null): Html {
  if (risk === null) return h`<p class="muted">This detection creates no risk events (no risk block).</p>`;
  const message = h`<p><strong>Risk message:</strong> <q>${risk.message}</q></p>`;
  switch (risk.kind) {
    case 'tags':
      return h`${message}<p class="muted">Score = impact ${risk.impact} × confidence ${risk.confidence} / 100 = <strong>${risk.riskScore}</strong> for every risk object${
        risk.declaredRiskScore !== null && risk.declaredRiskScore !== risk.riskScore ? ` (the file says risk_score ${risk.declaredRiskScore}; the computed value is used)` : ''
      }.</p>${riskObjectsTable(risk.riskObjects, risk.threatObjects)}`;
    case 'rba':
      return h`${message}<p class="muted">Scores as written in the <code>rba</code> block.</p>${riskObjectsTable(risk.riskObjects, risk.threatObjects)}`;
    default:
      return h``;
  }
}

function actionRows(actions: readonly AlertAction[], hasRisk: boolean): (readonly [string, Html | string])[] {
  const notable = actions.find((a) => a.kind === 'notable');
  const risk = actions.find((a) => a.kind === 'risk');
  const rows: (readonly [string, Html | string])[] = [['Creates notable', notable !== undefined ? 'Yes' : 'No']];
  if (notable !== undefined && notable.kind === 'notable') {
    if (notable.ruleTitle !== null) rows.push(['Rule title', h`<code>${notable.ruleTitle}</code>`]);
    if (notable.ruleDescription !== null) rows.push(['Rule description', h`<code>${notable.ruleDescription}</code>`]);
    if (notable.nesFields.length > 0) rows.push(['Notable event fields', commaList(notable.nesFields.map((f) => h`<code>${f}</code>`))]);
  }
  const riskOn = risk !== undefined && risk.kind === 'risk' && risk.enabled && hasRisk;
  rows.push(['Creates risk event', riskOn ? 'True' : 'False']);
  for (const a of actions) if (a.kind === 'other') rows.push(['Other action', a.name]);
  return rows;
}

export function configurationSection(deployment: Deployment | null, hasRisk: boolean): Html {
  if (deployment === null) return h`<p class="muted">No deployment applies to this detection type.</p>`;
  const s = deployment.scheduling;
  const rows: (readonly [string, Html | string])[] = [
    // ESCU ships every detection disabled; it is enabled per site in ES content management.
    ['Disabled', 'true'],
    ['Cron schedule', s === null ? '—' : h`<code>${s.cronSchedule}</code>`],
    ['Earliest time', s === null ? '—' : h`<code>${s.earliestTime}</code>`],
    ['Latest time', s === null ? '—' : h`<code>${s.latestTime}</code>`],
    ['Schedule window', s?.scheduleWindow ?? '—'],
    ...actionRows(deployment.alertActions, hasRisk),
  ];
  return h`<p class="muted">From deployment <em>${deployment.name}</em>.</p>${table(['Setting', 'Value'], rows.map(([k, v]) => [k, v]), 'config')}`;
}

function phaseCell(r: TestCaseResult | null, phase: TestPhase): Html {
  if (r === null) return badge('not run', 'neutral');
  const p = r.phases[phase];
  return p === undefined ? h`<span class="muted">—</span>` : badge(p.outcome, statusClass(p.outcome));
}

function testSection(model: SiteModel, d: CatalogDetection): Html {
  const det = d.detection;
  const results = resultsFor(model.testResults, det.id, det.name);
  const resultOf = (name: string): TestCaseResult | null => results?.find((r) => r.test === name) ?? null;
  const row = (name: string, type: string, data: Html | string, r: TestCaseResult | null, missing: boolean): HtmlPart[] => [
    name,
    type,
    data,
    ...TEST_PHASES.map((p) => phaseCell(r, p)),
    r === null ? badge('not run', 'neutral') : badge(r.status, statusClass(r.status)),
    r?.message ?? (missing ? 'no result for this test in the results file' : ''),
  ];
  const named = det.tests.map((t) => row(t.name, t.testType ?? 'unit', commaList(t.attackData.map((a) => h`<code>${a.data}</code>`)), resultOf(t.name), results !== null));
  // Results for tests the detection file does not list are still shown.
  const extra = (results ?? []).filter((r) => !det.tests.some((t) => t.name === r.test)).map((r) => row(r.test, '—', '—', r, false));
  const rows = [...named, ...extra];
  const note =
    model.testResults === null
      ? h`<p class="na">Tests have not been run for this build: every status reads <em>not run</em>. Run them with <code>${TEST_HOWTO}</code>.</p>`
      : results === null
        ? h`<p class="na">The results file${model.testResultsFile !== null ? h` <code>${model.testResultsFile}</code>` : ''} has no entry for this detection.</p>`
        : h`<p class="muted">From <code>${model.testResultsFile ?? 'test results'}</code>${model.testResults.generated !== null ? `, ${model.testResults.generated}` : ''}.</p>`;
  if (rows.length === 0) return h`${note}<p class="muted">The detection declares no test.</p>`;
  return h`${note}${table(['Test', 'Type', 'Attack data', 'Validation', 'Unit', 'Integration', 'Result', 'Detail'], rows, 'tests')}`;
}

export function statusClass(status: string): string {
  const s = status.toLowerCase();
  if (s === 'pass' || s === 'passed' || s === 'ok' || s === 'success') return 'ok';
  if (s === 'fail' || s === 'failed' || s === 'error') return 'bad';
  return 'neutral';
}

function macrosSection(d: CatalogDetection): Html {
  if (d.macros.length === 0) return h`<p class="muted">The search calls no macro.</p>`;
  const sourceLabel: Record<string, string> = { yaml: 'content', conf: 'macros.conf', builtin: 'built-in (CIM)', 'default-filter': 'implicit empty filter' };
  const rows = d.macros.map((m) => [
    h`<code>${'\u2003'.repeat(m.depth)}${m.name}${m.arity > 0 ? `(${m.arity})` : ''}</code>`,
    m.macro === null ? h`<span class="bad">not defined</span>` : h`<code class="def">${m.macro.definition}</code>`,
    m.macro === null ? '—' : (sourceLabel[m.macro.source] ?? m.macro.source),
  ]);
  return table(['Macro', 'Definition', 'From'], rows, 'macros');
}

function dataSourceSection(d: CatalogDetection): Html {
  if (d.dataSources.length === 0) return h`<p class="muted">No data source is named.</p>`;
  const rows = d.dataSources.map(({ name, source }) => {
    if (source === null) return [name, h`<span class="muted">not in data_sources/</span>`, '—', '—', '—'];
    return [
      h`<span id="${'ds-' + name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}">${name}</span>`,
      platformOf(source.source, source.sourcetype),
      source.source === null ? '—' : h`<code>${source.source}</code>`,
      source.sourcetype === null ? '—' : h`<code>${source.sourcetype}</code>`,
      commaList(source.supportedTa.map((t) => (t.url !== null ? h`${externalLink(t.url)} <span class="muted">${t.name}${t.version !== null ? ` ${t.version}` : ''}</span>` : h`${t.name}`))),
    ];
  });
  return table(['Data source', 'Platform', 'Source', 'Sourcetype', 'Supported add-on'], rows, 'sources');
}

/** The platform a data source's events come from, read off its source names. */
export function platformOf(source: string | null, sourcetype: string | null): string {
  const text = `${source ?? ''} ${sourcetype ?? ''}`.toLowerCase();
  if (/wineventlog|windows|powershell|sysmon|xmlwineventlog/.test(text)) return 'Windows';
  if (/linux|syslog|auditd/.test(text)) return 'Linux';
  return '—';
}

function explainSection(view: ExplainView, id: string): Html {
  const e = view.explanation;
  if (e === null) return notAvailable('Stages and indicators', view.reason);
  const stages = e.pipeline.length > 0 ? pipelineTable(e.pipeline) : e.condition !== null ? conditionTree(e.condition) : h`<p class="muted">No stage.</p>`;
  return h`<h3>Stages</h3>${stages}<h3>Indicators</h3>${indicatorsTable(e.indicators, view.index, id)}${e.notes.length > 0 ? list(e.notes) : ''}`;
}

export function detectionPage(model: SiteModel, d: CatalogDetection, view: ExplainView): string {
  const det = d.detection;
  const t = det.tags;
  const top = facts([
    ['ID', h`<code>${det.id}</code>`],
    ['Type', det.type],
    ['Status', det.status ?? ''],
    ['Product', commaList(t.product.map((p) => h`${p}`))],
    ['Data source', commaList(d.dataSources.map((s) => h`${s.name}`))],
    ['Security domain', t.securityDomain ?? ''],
    ['Asset type', t.assetType ?? ''],
    ['Author', det.author ?? ''],
    ['Version', det.version === null ? '' : String(det.version)],
    ['Date', det.date ?? ''],
    ['File', h`<code>${det.origin.file}</code>`],
  ]);
  const attack = h`${attackTable(model, ROOT, d.techniques)}${facts([
    ['Kill chain phase', commaList(t.killChainPhases.map((x) => h`${x}`))],
    ['NIST', commaList(t.nist.map((x) => h`${x}`))],
    ['CIS', commaList(t.cis20.map((x) => h`${x}`))],
  ])}`;
  const stories = list(d.stories.map((s) => (s.slug !== null ? h`<a href="${ROOT + href.story(s.slug)}">${s.name}</a>` : h`${s.name} <span class="muted">(not in this catalog)</span>`)));
  const drilldowns =
    det.drilldownSearches.length === 0
      ? h``
      : section('drilldowns', 'Drilldown searches', table(['Name', 'Search', 'Earliest', 'Latest'], det.drilldownSearches.map((x) => [x.name, h`<code class="def">${x.search}</code>`, x.earliestOffset ?? '—', x.latestOffset ?? '—'])));
  const body = h`${crumbs(ROOT, [['Detections', href.detections]])}
<h1>${det.name}</h1>
<p>${badge(det.type, 'type')} ${det.status !== null ? badge(det.status) : ''} ${d.techniques.map((x) => badge(x.id, 'tech'))}</p>
<div class="layout-2">
<div>
${section('description', 'Description', paragraphs(det.description))}
${section('attack', 'ATT&CK', attack)}
</div>
<aside>${top}</aside>
</div>
${section('search', 'Search', codeBlock(det.search, 'spl'))}
${section('macros', 'Macros', macrosSection(d))}
${section('required-fields', 'Required fields', t.requiredFields.length === 0 ? h`<p class="muted">None listed.</p>` : h`<ul class="fields">${t.requiredFields.map((f) => h`<li><code>${f}</code></li>`)}</ul>`)}
${section('data-sources', 'Data sources', dataSourceSection(d))}
${section('how-to-implement', 'How to implement', paragraphs(det.howToImplement))}
${section('false-positives', 'Known false positives', paragraphs(det.knownFalsePositives))}
${section('stories', 'Associated analytic stories', stories)}
${section('risk', 'Risk', riskSection(det.risk))}
${section('configuration', 'Default configuration', configurationSection(d.deployment, det.risk !== null))}
${drilldowns}
${section('references', 'References', list(det.references.map(externalLink)))}
${section('tests', 'Test status', testSection(model, d))}
${section('explain', 'How it matches', explainSection(view, det.id))}`;
  return page({ title: det.name, root: ROOT, section: 'detections', body });
}
