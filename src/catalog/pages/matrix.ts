/** The ATT&CK coverage matrix (techniques by tactic, shaded by coverage) and one page per covered technique. */
import type { AttackTechnique } from '../../risk/attack.js';
import { h, type Html } from '../html.js';
import { coverageCount, type SiteModel, type TechniqueCoverage } from '../model.js';
import { badge, commaList, crumbs, facts, page, section, table } from './layout.js';
import { href } from './links.js';

/** Shade class by number of covering detections and rules: 0, 1, 2-3, 4-9, 10+. */
export function shade(count: number): string {
  if (count === 0) return 'c0';
  if (count === 1) return 'c1';
  if (count < 4) return 'c2';
  if (count < 10) return 'c3';
  return 'c4';
}

/** Current (not revoked, not deprecated) top-level techniques of each tactic, by name. */
export function matrixColumns(model: SiteModel, techniques: readonly AttackTechnique[]): { tacticId: string; name: string; techniques: AttackTechnique[] }[] {
  const current = techniques.filter((t) => t.parent === null && t.replacedBy === null && !t.deprecated);
  return model.attack.tactics().map((tactic) => ({
    tacticId: tactic.id,
    name: tactic.name,
    techniques: current.filter((t) => t.tactics.includes(tactic.id)).sort((a, b) => a.name.localeCompare(b.name)),
  }));
}

export function matrixPage(model: SiteModel, techniques: readonly AttackTechnique[]): string {
  const root = '../';
  const columns = matrixColumns(model, techniques);
  const cols = columns.map((c) => {
    const covered = c.techniques.filter((t) => coverageCount(model, t.id) > 0).length;
    const cells = c.techniques.map((t) => {
      const n = coverageCount(model, t.id);
      const cov = model.coverage.get(t.id);
      const title = cov === undefined ? `${t.id} ${t.name}: not covered` : `${t.id} ${t.name}: ${cov.detections.length} detections, ${cov.sigma.length} Sigma rules`;
      const label = h`<span class="lbl"><span class="tid">${t.id}</span> ${t.name}</span>${n > 0 ? h`<span class="n">${n}</span>` : ''}`;
      return h`<li class="cell ${shade(n)}" title="${title}">${n > 0 ? h`<a href="${root + href.technique(t.id)}">${label}</a>` : h`<span>${label}</span>`}</li>`;
    });
    return h`<div class="tactic"><h3>${c.name}<small>${covered} / ${c.techniques.length} covered</small></h3><ul>${cells}</ul></div>`;
  });
  const totalCovered = new Set(columns.flatMap((c) => c.techniques.filter((t) => coverageCount(model, t.id) > 0).map((t) => t.id))).size;
  const totalShown = new Set(columns.flatMap((c) => c.techniques.map((t) => t.id))).size;
  const legend = ['c0:none', 'c1:1', 'c2:2–3', 'c3:4–9', 'c4:10 or more'].map((x) => {
    const [cls, label] = x.split(':') as [string, string];
    return h`<span class="swatch ${cls}">${label}</span>`;
  });
  const body = h`<h1>ATT&amp;CK coverage</h1>
<p>${totalCovered} of ${totalShown} techniques are covered by at least one detection or Sigma rule (a sub-technique counts for its parent). Shade: number of detections and rules.</p>
<p class="legend">${legend}</p>
<input type="checkbox" id="only-covered" class="toggle"><label for="only-covered" class="toggle-label">Show only covered techniques</label>
<div class="matrix-wrap"><div class="matrix">${cols}</div></div>
${model.unknownTechniques.length > 0 ? h`<p class="muted">Ids in the content that are not in the ATT&amp;CK table: ${model.unknownTechniques.join(', ')}</p>` : ''}`;
  return page({ title: 'ATT&CK coverage', root, section: 'attack', body });
}

export function techniquePage(model: SiteModel, cov: TechniqueCoverage, subs: readonly AttackTechnique[]): string {
  const root = '../';
  const t = cov.technique;
  const tactics = t.tactics.map((id) => model.attack.tactic(id)?.name ?? id);
  const subRows = subs.map((s) => [
    model.coverage.has(s.id) ? h`<a href="${root + href.technique(s.id)}">${s.id}</a>` : h`${s.id}`,
    s.name,
    String(coverageCount(model, s.id)),
  ]);
  const body = h`${crumbs(root, [['ATT&CK matrix', href.matrix]])}
<h1><span class="tid">${t.id}</span> ${t.name}</h1>
${facts([
    ['Tactics', commaList(tactics.map((x) => h`${x}`))],
    ['Parent', t.parent === null ? '' : model.coverage.has(t.parent) ? h`<a href="${root + href.technique(t.parent)}">${t.parent}</a>` : t.parent],
    ['Covered by', `${cov.detections.length} detections, ${cov.sigma.length} Sigma rules`],
  ])}
${subRows.length > 0 ? section('subtechniques', 'Sub-techniques', table(['ID', 'Name', 'Covered by'], subRows)) : ''}
${section('detections', 'Detections', cov.detections.length === 0 ? h`<p class="muted">None.</p>` : table(['Detection', 'Type'], cov.detections.map((d) => [h`<a href="${root + href.detection(d.slug)}">${d.detection.name}</a>`, badge(d.detection.type, 'type')])))}
${section('sigma', 'Sigma rules', cov.sigma.length === 0 ? h`<p class="muted">None.</p>` : table(['Rule', 'Severity', 'Status'], cov.sigma.map((r) => [h`<a href="${root + href.sigma(r.slug)}">${r.rule.meta.title}</a>`, badge(r.rule.meta.level, `level-${r.rule.meta.level}`), r.rule.meta.status ?? ''])))}`;
  return page({ title: `${t.id} ${t.name}`, root, section: 'attack', body });
}

export type { Html };
