/**
 * The self-contained HTML report of `vigil hunt --format html`: one file with inline CSS, SVG
 * and script and a Content-Security-Policy that forbids every network request, so it opens
 * offline and leaks nothing when a responder opens it. The summary, risk tables, tactics, the
 * timeline chart and the detections table are plain HTML (readable without script); the
 * drill-down table is drawn by the inline script from the embedded findings.
 */
import type { Level } from '../../ir/nodes.js';
import type { AttackCatalog, EntityRisk, Notable, RiskNotable } from '../../risk/index.js';
import { isoOf, rowHost } from '../hunt/detection-record.js';
import { REPORT_LEVELS, type ReportCounts } from './report-collect.js';

export interface ReportModel {
  readonly counts: ReportCounts;
  /** Drill-down items embedded, and those left out by the caps. */
  readonly kept: number;
  readonly leftOut: number;
  /** Null when risk was turned off (--no-risk). */
  readonly risk: { readonly events: number; readonly entities: readonly EntityRisk[]; readonly incidents: readonly RiskNotable[]; readonly notables: readonly Notable[] } | null;
  readonly catalog: AttackCatalog;
}

/** Entities, incidents and notables listed (the counts say how many there were). */
export const MAX_TABLE_ROWS = 500;
/** Bars in the timeline chart at most (buckets are widened to fit). */
const MAX_BARS = 120;
/** Bar widths the chart picks from: the narrowest that fits the data's span in MAX_BARS. */
const BAR_WIDTHS: readonly [number, string][] = [
  [60_000, 'minute'],
  [5 * 60_000, '5 minutes'],
  [15 * 60_000, '15 minutes'],
  [30 * 60_000, '30 minutes'],
  [3_600_000, 'hour'],
  [3 * 3_600_000, '3 hours'],
  [6 * 3_600_000, '6 hours'],
  [12 * 3_600_000, '12 hours'],
  [86_400_000, 'day'],
  [7 * 86_400_000, 'week'],
  [30 * 86_400_000, '30 days'],
  [365 * 86_400_000, '365 days'],
];

/** The bar width for a span: the narrowest listed one (at least the bucket) giving at most MAX_BARS bars. */
export function barWidth(spanMs: number, bucketMs: number): [number, string] {
  for (const w of BAR_WIDTHS) if (w[0] >= bucketMs && spanMs / w[0] < MAX_BARS) return w;
  const days = Math.ceil(spanMs / MAX_BARS / 86_400_000);
  return [days * 86_400_000, `${days} days`];
}

export const LEVEL_COLOURS: Readonly<Record<Level, string>> = {
  critical: '#8e0000',
  high: '#e53935',
  medium: '#fb8c00',
  low: '#fdd835',
  informational: '#90a4ae',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** JSON safe inside a <script> element (no `</script>`, no HTML comment openers). */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

function shortTime(epochSeconds: number): string {
  return isoOf(Math.floor(epochSeconds)).replace('T', ' ').replace('Z', '');
}

function isoShort(iso: string | null): string {
  return iso === null ? '-' : iso.replace('T', ' ').replace(/(\.\d+)?Z$/, '');
}

function table(id: string, head: readonly string[], rows: readonly string[][], note = ''): string {
  if (rows.length === 0) return `<p class="empty">None.</p>`;
  const th = head.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('\n');
  return `<table id="${id}"><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table>${note}`;
}

function levelBadge(level: string): string {
  return `<span class="lvl lvl-${escapeHtml(level)}">${escapeHtml(level)}</span>`;
}

function moreNote(shown: number, total: number): string {
  return shown < total ? `<p class="note">${total - shown} more not listed (JSONL output lists all).</p>` : '';
}

function summarySection(m: ReportModel): string {
  const c = m.counts;
  const cards: [string, string][] = [
    ['Findings', String(c.total)],
    ...REPORT_LEVELS.map((l): [string, string] => [l, String(c.byLevel[l])]),
    ['Sigma matches', String(c.byKind.match)],
    ['Correlations', String(c.byKind.correlation)],
    ['Detection rows', String(c.byKind.detection)],
    ['Hosts', String(c.computers.size)],
  ];
  if (m.risk !== null) {
    cards.push(['Risk events', String(m.risk.events)], ['Entities', String(m.risk.entities.length)], ['Risk incidents', String(m.risk.incidents.length)], ['Notables', String(m.risk.notables.length)]);
  }
  const span = c.first === null ? 'no timed findings' : `${isoShort(c.first)} – ${isoShort(c.last)} UTC`;
  return (
    `<section id="summary"><h2>Summary</h2><p>Findings from ${span}.</p><div class="cards">` +
    cards.map(([k, v]) => `<div class="card${REPORT_LEVELS.includes(k as Level) ? ` c-${k}` : ''}"><div class="num">${escapeHtml(v)}</div><div>${escapeHtml(k)}</div></div>`).join('') +
    `</div></section>`
  );
}

function tacticNames(ids: readonly string[], catalog: AttackCatalog): string {
  return ids.map((id) => catalog.tactic(id)?.name ?? id).join(', ');
}

/** An entity's detections, highest score first: the top few, the rest folded away. */
function contributing(e: EntityRisk): string {
  const li = (d: EntityRisk['detections'][number]): string =>
    `<li>${escapeHtml(d.detection.name)} <span class="muted">(${escapeHtml(d.detection.type)}: ${d.score} from ${d.count} event${d.count === 1 ? '' : 's'})</span></li>`;
  const sorted = [...e.detections].sort((a, b) => b.score - a.score);
  const top = sorted.slice(0, 5).map(li).join('');
  const rest = sorted.slice(5);
  return `<ul class="contrib">${top}</ul>` + (rest.length > 0 ? `<details><summary>${rest.length} more</summary><ul class="contrib">${rest.map(li).join('')}</ul></details>` : '');
}

function entitySection(m: ReportModel): string {
  if (m.risk === null) return `<section id="risk"><h2>Risk-ranked entities</h2><p class="empty">Risk was turned off (--no-risk).</p></section>`;
  const shown = m.risk.entities.slice(0, MAX_TABLE_ROWS);
  const rows = shown.map((e, i) => [
    String(i + 1),
    `<b>${e.risk_score}</b>`,
    escapeHtml(e.risk_object_type),
    `<span class="entity">${escapeHtml(e.risk_object)}</span>`,
    String(e.risk_event_count),
    escapeHtml(tacticNames(e.mitre_tactic_id, m.catalog) || '-'),
    contributing(e),
    `${escapeHtml(shortTime(e.first_time))}<br>${escapeHtml(shortTime(e.last_time))}`,
  ]);
  return (
    `<section id="risk"><h2>Risk-ranked entities</h2><p>${m.risk.entities.length} entities from ${m.risk.events} risk events; contributing detections with their total score.</p>` +
    table('entities', ['Rank', 'Score', 'Type', 'Entity', 'Events', 'Tactics', 'Contributing detections', 'First / last'], rows, moreNote(shown.length, m.risk.entities.length)) +
    `</section>`
  );
}

function incidentSection(m: ReportModel): string {
  if (m.risk === null) return '';
  const shown = m.risk.incidents.slice(0, MAX_TABLE_ROWS);
  const rows = shown.map((i) => [
    escapeHtml(shortTime(i._time)),
    levelBadge(i.severity),
    escapeHtml(`${i.risk_object_type}=${i.risk_object}`),
    String(i.peak.risk_score),
    escapeHtml(i.mitre_tactic.join(', ') || '-'),
    escapeHtml(i.rule_title),
  ]);
  return `<section id="incidents"><h2>Risk incidents</h2>${table('incident-table', ['Time', 'Severity', 'Entity', 'Peak score', 'Tactics', 'Rule'], rows, moreNote(shown.length, m.risk.incidents.length))}</section>`;
}

function notableSection(m: ReportModel): string {
  if (m.risk === null) return '';
  const shown = m.risk.notables.slice(0, MAX_TABLE_ROWS);
  const rows = shown.map((n) => [escapeHtml(shortTime(n._time)), levelBadge(n.severity), escapeHtml(rowHost(n.fields)), escapeHtml(n.rule_title), n.risk_score === null ? '-' : String(n.risk_score)]);
  return `<section id="notables"><h2>Notables</h2>${table('notable-table', ['Time', 'Severity', 'Host', 'Rule', 'Risk score'], rows, moreNote(shown.length, m.risk.notables.length))}</section>`;
}

function tacticSection(m: ReportModel): string {
  const counts = m.counts.tactics;
  const order = (name: string): number => m.catalog.tactics().find((t) => t.name === name)?.order ?? Number.MAX_SAFE_INTEGER;
  const names = [...counts.keys()].sort((a, b) => order(a) - order(b) || (a < b ? -1 : 1));
  const max = Math.max(1, ...counts.values());
  const rows = names.map((n) => {
    const id = m.catalog.tactic(n)?.id ?? '';
    const v = counts.get(n) ?? 0;
    return [escapeHtml(id), escapeHtml(n), String(v), `<div class="hbar" style="width:${Math.max(1, Math.round((v / max) * 100))}%"></div>`];
  });
  return `<section id="tactics"><h2>ATT&amp;CK tactics</h2><p>Findings and detection rows per tactic (from the rules' ATT&amp;CK tags and the detections' techniques).</p>${table('tactic-table', ['Id', 'Tactic', 'Findings', ''], rows)}</section>`;
}

/** Stacked bars of findings per time bucket, coloured by level. */
export function timelineSvg(c: ReportCounts): string {
  if (c.buckets.size === 0) return `<p class="empty">No timed findings.</p>`;
  const keys = [...c.buckets.keys()];
  const [width, bucketText] = barWidth(Math.max(...keys) + c.bucketMs - Math.min(...keys), c.bucketMs);
  const start = Math.floor(Math.min(...keys) / width) * width;
  const n = Math.floor((Math.max(...keys) - start) / width) + 1;
  const bars: Record<Level, number>[] = Array.from({ length: n }, () => ({ critical: 0, high: 0, medium: 0, low: 0, informational: 0 }));
  for (const [k, counts] of c.buckets) {
    const b = bars[Math.min(n - 1, Math.floor((k - start) / width))]!;
    for (const l of REPORT_LEVELS) b[l] += counts[l];
  }
  const W = 960;
  const H = 220;
  const left = 40;
  const bottom = 30;
  const top = 10;
  const plotW = W - left - 10;
  const plotH = H - top - bottom;
  const max = Math.max(1, ...bars.map((b) => REPORT_LEVELS.reduce((a, l) => a + b[l], 0)));
  const bw = plotW / n;
  const parts: string[] = [];
  const label = (ms: number): string => new Date(ms).toISOString().slice(0, width >= 86_400_000 ? 10 : 16).replace('T', ' ');
  for (const [i, b] of bars.entries()) {
    let y = top + plotH;
    for (const l of [...REPORT_LEVELS].reverse()) {
      if (b[l] === 0) continue;
      const h = (b[l] / max) * plotH;
      y -= h;
      const x = left + i * bw;
      parts.push(
        `<rect class="bar lvl-${l}" x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${Math.max(1, bw - 1).toFixed(1)}" height="${Math.max(2, h).toFixed(1)}" fill="${LEVEL_COLOURS[l]}"><title>${escapeHtml(label(start + i * width))} UTC: ${b[l]} ${l}</title></rect>`,
      );
    }
  }
  const ticks: string[] = [];
  const tickCount = Math.min(6, n);
  for (let t = 0; t < tickCount; t++) {
    const i = tickCount === 1 ? 0 : Math.round((t * (n - 1)) / (tickCount - 1));
    const x = left + i * bw + bw / 2;
    const anchor = tickCount > 1 && t === 0 ? 'start' : tickCount > 1 && t === tickCount - 1 ? 'end' : 'middle';
    const tx = anchor === 'start' ? left + i * bw : anchor === 'end' ? left + (i + 1) * bw : x;
    ticks.push(`<text x="${tx.toFixed(1)}" y="${H - 10}" text-anchor="${anchor}">${escapeHtml(label(start + i * width))}</text>`);
  }
  const axis = `<line x1="${left}" y1="${top + plotH}" x2="${W - 10}" y2="${top + plotH}" stroke="#666"/><text x="${left - 6}" y="${top + 10}" text-anchor="end">${max}</text><text x="${left - 6}" y="${top + plotH}" text-anchor="end">0</text>`;
  const legend = REPORT_LEVELS.map((l) => `<span class="key"><i style="background:${LEVEL_COLOURS[l]}"></i>${l}</span>`).join(' ');
  return (
    `<svg id="timeline-chart" role="img" aria-label="Findings per ${bucketText} by level" viewBox="0 0 ${W} ${H}" width="100%" preserveAspectRatio="xMinYMin meet">${axis}${parts.join('')}${ticks.join('')}</svg>` +
    `<p class="legend">One bar per ${bucketText} (UTC). ${legend}${c.untimed > 0 ? ` · ${c.untimed} findings without a time are not drawn.` : ''}</p>`
  );
}

function detectionsSection(m: ReportModel): string {
  const c = m.counts;
  const levelRows = REPORT_LEVELS.map((l) => [levelBadge(l), String(c.byLevel[l])]);
  const rows = c.rules.map((r) => [levelBadge(r.level), escapeHtml(r.title), escapeHtml(r.kind), String(r.count), escapeHtml(r.tactics.join(', ') || '-'), `<code>${escapeHtml(r.id)}</code>`]);
  return (
    `<section id="levels"><h2>Detections by level</h2>${table('level-table', ['Level', 'Findings'], levelRows)}` +
    table('rule-table', ['Level', 'Rule / detection', 'Kind', 'Findings', 'Tactics', 'Id'], rows) +
    `<p class="note">Splunk-style detection rows take the severity ES would give their notable (from the detection's highest risk score); informational without risk.</p></section>`
  );
}

const STYLE = `
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1d2329;background:#f5f6f8}
header{background:#1d2b3a;color:#fff;padding:14px 24px}header h1{margin:0;font-size:20px}header p{margin:4px 0 0;color:#c8d2dc}
main{padding:8px 24px 40px;max-width:1400px}section{background:#fff;border:1px solid #dde1e6;border-radius:6px;padding:8px 16px 14px;margin:14px 0}
h2{font-size:16px;margin:8px 0}table{border-collapse:collapse;width:100%;font-size:13px}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #e8eaee;vertical-align:top}
th{background:#eef1f4}.cards{display:flex;flex-wrap:wrap;gap:8px}.card{border:1px solid #dde1e6;border-radius:6px;padding:6px 12px;min-width:90px;background:#fafbfc}
.card .num{font-size:20px;font-weight:600}.card.c-critical{border-left:6px solid #8e0000}.card.c-high{border-left:6px solid #e53935}.card.c-medium{border-left:6px solid #fb8c00}
.card.c-low{border-left:6px solid #fdd835}.card.c-informational{border-left:6px solid #90a4ae}.lvl{display:inline-block;padding:0 6px;border-radius:3px;font-size:12px;color:#fff}
.lvl-critical{background:#8e0000}.lvl-high{background:#e53935}.lvl-medium{background:#fb8c00}.lvl-low{background:#fdd835;color:#333}.lvl-informational{background:#90a4ae}
rect.bar{stroke:none;background:none}svg text{font-size:11px;fill:#444}.legend .key i{display:inline-block;width:10px;height:10px;margin:0 3px 0 8px}
.hbar{height:10px;background:#5c7c99;border-radius:2px}.contrib{margin:0;padding-left:16px}.muted{color:#6b7580}.note{color:#6b7580;font-size:12px}.empty{color:#6b7580}
.entity{font-weight:600}#findings td:first-child,#notable-table td:first-child,#incident-table td:first-child{white-space:nowrap}#findings tr.finding{cursor:pointer}#findings tr.finding:hover{background:#f0f4f8}#findings tr.detail td{background:#fafbfc}
.fields td:first-child{font-family:ui-monospace,monospace;white-space:nowrap;color:#3b4a5a}.fields td{white-space:pre-wrap;word-break:break-all;font-family:ui-monospace,monospace;font-size:12px}
.fields tr.hit td{background:#fff6d6}.controls{display:flex;gap:8px;align-items:center;margin:6px 0}.controls input{width:320px;padding:3px 6px}
`;

/** The drill-down: filters, pages, and a fields table under each clicked row. */
const SCRIPT = `
(function(){
  var items = JSON.parse(document.getElementById('report-data').textContent);
  var PAGE = 100, page = 0, shown = items;
  var body = document.querySelector('#findings tbody');
  var q = document.getElementById('filter'), lv = document.getElementById('level-filter'), info = document.getElementById('page-info');
  function el(tag, cls, text){ var e = document.createElement(tag); if (cls) e.className = cls; if (text != null) e.textContent = text; return e; }
  function summary(obj){ var out = []; for (var k in obj) out.push(k + '=' + obj[k]); return out.join(' '); }
  function detail(it){
    var tr = el('tr', 'detail'), td = el('td'); td.colSpan = 6;
    var meta = el('p', 'muted', [it.kind, it.channel, it.file ? 'file ' + it.file : null, it.record_id != null ? 'record ' + it.record_id : null, it.techniques.join(' ')].filter(Boolean).join(' · '));
    td.appendChild(meta);
    var t = el('table', 'fields'), src = it.fields || it.matched;
    for (var k in src){ var r = el('tr', Object.prototype.hasOwnProperty.call(it.matched, k) ? 'hit' : ''); r.appendChild(el('td', '', k)); r.appendChild(el('td', '', src[k])); t.appendChild(r); }
    if (it.fields){ for (var m in it.matched){ if (!(m in it.fields)){ var r2 = el('tr', 'hit'); r2.appendChild(el('td', '', m)); r2.appendChild(el('td', '', it.matched[m])); t.appendChild(r2); } } }
    td.appendChild(t); tr.appendChild(td); return tr;
  }
  function draw(){
    body.textContent = '';
    var from = page * PAGE, to = Math.min(shown.length, from + PAGE);
    for (var i = from; i < to; i++) (function(it){
      var tr = el('tr', 'finding');
      tr.appendChild(el('td', '', (it.time || '-').replace('T', ' ').replace(/(\\.\\d+)?Z$/, '')));
      var lc = el('td'); lc.appendChild(el('span', 'lvl lvl-' + it.level, it.level)); tr.appendChild(lc);
      tr.appendChild(el('td', '', it.computer || '-'));
      tr.appendChild(el('td', '', it.event_id || (it.kind === 'correlation' ? 'corr' : '-')));
      tr.appendChild(el('td', '', it.title));
      var s = summary(it.matched); tr.appendChild(el('td', 'muted', s.length > 160 ? s.slice(0, 159) + '…' : s));
      var open = null;
      tr.addEventListener('click', function(){ if (open){ open.remove(); open = null; } else { open = detail(it); tr.after(open); } });
      body.appendChild(tr);
    })(shown[i]);
    info.textContent = shown.length === 0 ? 'no findings match' : (from + 1) + '–' + to + ' of ' + shown.length;
  }
  function apply(){
    var text = q.value.toLowerCase(), level = lv.value;
    shown = items.filter(function(it){
      if (level && it.level !== level) return false;
      if (!text) return true;
      return (it.title + ' ' + (it.computer || '') + ' ' + summary(it.matched)).toLowerCase().indexOf(text) >= 0;
    });
    page = 0; draw();
  }
  q.addEventListener('input', apply); lv.addEventListener('change', apply);
  document.getElementById('prev').addEventListener('click', function(){ if (page > 0){ page--; draw(); } });
  document.getElementById('next').addEventListener('click', function(){ if ((page + 1) * PAGE < shown.length){ page++; draw(); } });
  draw();
})();
`;

function drillDownHead(m: ReportModel): string {
  const note =
    m.leftOut > 0
      ? `<p class="note" id="left-out"><b>${m.leftOut} of ${m.counts.total} findings are not embedded</b> (the report keeps the ${m.kept} most severe, to stay a manageable size); every finding is in the counts and the chart above, and in the JSONL or CSV output.</p>`
      : `<p class="note">All ${m.counts.total} findings; click a row for the event's fields (fields the rule matched are highlighted).</p>`;
  const options = ['<option value="">all levels</option>', ...REPORT_LEVELS.map((l) => `<option value="${l}">${l}</option>`)].join('');
  return (
    `<section id="drill-down"><h2>Findings</h2>${note}` +
    `<div class="controls"><input id="filter" type="search" placeholder="filter: rule, host, field value"><select id="level-filter">${options}</select>` +
    `<button id="prev" type="button">‹ prev</button><button id="next" type="button">next ›</button><span id="page-info" class="muted"></span></div>` +
    `<table id="findings"><thead><tr><th>Time (UTC)</th><th>Level</th><th>Computer</th><th>Event</th><th>Rule / detection</th><th>Matched</th></tr></thead><tbody></tbody></table>` +
    `<noscript><p>The drill-down needs script; the JSONL output holds the same data.</p></noscript></section>`
  );
}

/**
 * Writes the report through `write`, the embedded findings in pieces so the page is never one
 * string in memory. Returns false when the output stopped taking text.
 */
export async function writeHtmlReport(m: ReportModel, items: readonly string[], write: (text: string) => Promise<boolean>): Promise<boolean> {
  const csp = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:";
  const head =
    `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="${csp}">` +
    `<meta name="viewport" content="width=device-width, initial-scale=1"><title>Vigil hunt report</title><style>${STYLE}</style></head><body>\n` +
    `<header><h1>Vigil hunt report</h1><p>${m.counts.total} findings on ${m.counts.computers.size} hosts${m.risk !== null && m.risk.entities[0] !== undefined ? ` · highest risk: ${escapeHtml(m.risk.entities[0].risk_object)} (${m.risk.entities[0].risk_score})` : ''}</p></header><main>\n`;
  const sections = [
    summarySection(m),
    entitySection(m),
    `<section id="timeline"><h2>Timeline of findings</h2>${timelineSvg(m.counts)}</section>`,
    incidentSection(m),
    tacticSection(m),
    detectionsSection(m),
    notableSection(m),
    drillDownHead(m),
  ];
  if (!(await write(head + sections.join('\n') + '\n</main>\n<script id="report-data" type="application/json">['))) return false;
  let piece = '';
  for (const [i, json] of items.entries()) {
    piece += (i === 0 ? '' : ',\n') + json.replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
    if (piece.length >= 1 << 20) {
      if (!(await write(piece))) return false;
      piece = '';
    }
  }
  return write(piece + `]</script>\n<script>${SCRIPT}</script>\n</body></html>\n`);
}
