/** The overview, the list pages (stories, detections, Sigma rules) and the search page. */
import { h } from '../html.js';
import { coverageCount, type SiteModel } from '../model.js';
import { techniqueChips } from './attack.js';
import { badge, page, section, table } from './layout.js';
import { href } from './links.js';
import { sigmaIndexRows } from './sigma.js';

export function homePage(model: SiteModel): string {
  const root = '';
  const covered = [...model.coverage.values()].filter((c) => c.technique.parent === null).sort((a, b) => coverageCount(model, b.technique.id) - coverageCount(model, a.technique.id) || a.technique.id.localeCompare(b.technique.id));
  const cards = [
    [href.stories, 'Analytic stories', model.stories.length],
    [href.detections, 'Splunk-style detections', model.detections.length],
    [href.sigmaIndex, 'Sigma rules', model.sigma.length],
    [href.matrix, 'ATT&CK techniques covered', covered.length],
  ] as const;
  const body = h`<h1>Detection catalog</h1>
<p>Every analytic story, Splunk-style detection and Sigma rule loaded by <code>vigil catalog build</code>, with ATT&amp;CK coverage and search.</p>
<div class="cards">${cards.map(([link, label, n]) => h`<a class="card" href="${root + link}"><strong>${n}</strong><span>${label}</span></a>`)}</div>
${section('top-techniques', 'Most covered techniques', covered.length === 0 ? h`<p class="muted">No technique is covered.</p>` : table(['Technique', 'Name', 'Detections', 'Sigma rules'], covered.slice(0, 15).map((c) => [h`<a href="${root + href.technique(c.technique.id)}">${c.technique.id}</a>`, c.technique.name, String(c.detections.length), String(c.sigma.length)])))}
${section('stories', 'Stories', table(['Story', 'Detections'], model.stories.map((s) => [h`<a href="${root + href.story(s.slug)}">${s.story.name}</a>`, String(s.detections.length)])))}`;
  return page({ title: 'Overview', root, section: 'home', body });
}

export function storiesIndexPage(model: SiteModel): string {
  const root = '../';
  const body = h`<h1>Analytic stories</h1>${table(
    ['Story', 'Description', 'Detections'],
    model.stories.map((s) => [h`<a href="${root + href.story(s.slug)}">${s.story.name}</a>`, excerpt(s.story.description), String(s.detections.length)]),
  )}`;
  return page({ title: 'Analytic stories', root, section: 'stories', body });
}

export function detectionsIndexPage(model: SiteModel): string {
  const root = '../';
  const body = h`<h1>Detections</h1><p>${model.detections.length} Splunk-style detections.</p>${table(
    ['Detection', 'Type', 'Technique', 'Stories'],
    model.detections.map((d) => [h`<a href="${root + href.detection(d.slug)}">${d.detection.name}</a>`, badge(d.detection.type, 'type'), techniqueChips(model, root, d.techniques), d.stories.map((s) => s.name).join(', ')]),
  )}`;
  return page({ title: 'Detections', root, section: 'detections', body });
}

export function sigmaIndexPage(model: SiteModel): string {
  const root = '../';
  const notRun = model.sigmaNotRun;
  const body = h`<h1>Sigma rules</h1><p>${model.sigma.length} rules Vigil runs${notRun.length > 0 ? `; ${notRun.length} more documents are listed at the end (not for Windows event logs, or not loadable)` : ''}.</p>
${table(['Rule', 'Severity', 'Status', 'Log source', 'Techniques'], sigmaIndexRows(model, root), 'sigma-list')}
${notRun.length === 0 ? '' : section('not-run', 'Documents Vigil does not run', h`<details><summary>${notRun.length} documents</summary>${table(['Title', 'Status', 'File', 'Reason'], notRun.map((r) => [r.title ?? '—', r.status, h`<code>${r.file}</code>`, r.problems.find((p) => p.severity === 'error')?.message ?? r.problems[0]?.message ?? '']))}</details>`)}`;
  return page({ title: 'Sigma rules', root, section: 'sigma', body });
}

export function searchPage(): string {
  const body = h`<h1>Search</h1>
<form class="search-form" action="search.html" method="get" role="search">
<input id="q" type="search" name="q" autocomplete="off" placeholder="Name, technique (T1505), field, tag…" aria-label="Search">
</form>
<p id="search-status" class="muted">Type to search stories, detections, Sigma rules and techniques.</p>
<ol id="results" class="results"></ol>
<noscript><p class="na">Search needs JavaScript; the lists under Stories, Detections and Sigma rules work without it.</p></noscript>`;
  return page({ title: 'Search', root: '', section: 'search', body, scripts: ['assets/search-index.js', 'assets/search.js'] });
}

function excerpt(text: string, max = 220): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}
