/**
 * The search index: one compact entry per page, `[kind, title, url, snippet, keywords]`, written as a script
 * that assigns a global. A script (not fetched JSON) so search also works from file:// URLs.
 */
import type { SiteModel } from './model.js';
import { href } from './pages/links.js';

export type SearchKind = 'story' | 'detection' | 'sigma' | 'technique';
/** kind, title, url (from the site root), snippet shown under the result, further words searched. */
export type SearchEntry = readonly [SearchKind, string, string, string, string];

const MAX_TEXT = 300;
const MAX_SNIPPET = 160;

const snippet = (text: string | null | undefined): string => {
  const flat = (text ?? '').replace(/\s+/g, ' ').trim();
  return flat.length <= MAX_SNIPPET ? flat : `${flat.slice(0, MAX_SNIPPET - 1)}…`;
};

const squeeze = (parts: readonly (string | null | undefined)[]): string =>
  parts
    .filter((p): p is string => typeof p === 'string' && p.length > 0)
    .join(' ')
    .replace(/\s+/g, ' ')
    .slice(0, MAX_TEXT);

export function searchEntries(model: SiteModel): SearchEntry[] {
  const out: SearchEntry[] = [];
  for (const s of model.stories) out.push(['story', s.story.name, href.story(s.slug), snippet(s.story.description), squeeze([s.story.id, s.story.narrative])]);
  for (const d of model.detections) {
    const det = d.detection;
    out.push(['detection', det.name, href.detection(d.slug), snippet(det.description), squeeze([det.id, det.type, d.techniques.map((t) => `${t.id} ${t.technique?.name ?? ''}`).join(' '), det.dataSource.join(' '), det.tags.analyticStory.join(' '), det.description])]);
  }
  for (const r of model.sigma) {
    const m = r.rule.meta;
    const ls = r.rule.kind === 'detection' ? Object.values(r.rule.logsource).join(' ') : 'correlation';
    out.push(['sigma', m.title, href.sigma(r.slug), snippet(m.description), squeeze([m.id, m.level, m.status, ls, m.tags.join(' '), m.author, m.description])]);
  }
  for (const c of model.coverage.values()) out.push(['technique', `${c.technique.id} ${c.technique.name}`, href.technique(c.technique.id), snippet(`${c.detections.length} detections, ${c.sigma.length} Sigma rules`), squeeze(c.technique.tactics.map((t) => model.attack.tactic(t)?.name ?? t))]);
  return out;
}

/** JSON inside a script: `<`, U+2028 and U+2029 escaped so the text cannot close the script or break it. */
export function searchIndexScript(entries: readonly SearchEntry[]): string {
  const json = JSON.stringify(entries).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
  return `window.VIGIL_SEARCH = ${json};\n`;
}
