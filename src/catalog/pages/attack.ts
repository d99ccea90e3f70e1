/** ATT&CK tables shared by detection and Sigma pages. */
import { h, type Html, join } from '../html.js';
import type { SiteModel, TechniqueRef } from '../model.js';
import { commaList, table } from './layout.js';
import { href } from './links.js';

export function techniqueLink(model: SiteModel, root: string, id: string, label: string = id): Html {
  return model.coverage.has(id) ? h`<a href="${root + href.technique(id)}">${label}</a>` : h`${label}`;
}

/** ID, technique name and tactics; unknown ids are kept and marked. */
export function attackTable(model: SiteModel, root: string, refs: readonly TechniqueRef[]): Html {
  if (refs.length === 0) return h`<p class="muted">No ATT&amp;CK technique is mapped.</p>`;
  const rows = refs.map((r) => [
    techniqueLink(model, root, r.id),
    r.technique === null ? h`<span class="muted">not in the ATT&amp;CK table</span>` : r.technique.name,
    commaList(r.tactics.map((t) => h`${t.name}`)),
  ]);
  return table(['ID', 'Technique', 'Tactic'], rows, 'attack');
}

/** `T1505.004` chips for index tables. */
export function techniqueChips(model: SiteModel, root: string, refs: readonly TechniqueRef[]): Html {
  return refs.length === 0 ? h`<span class="muted">—</span>` : join(refs.map((r) => techniqueLink(model, root, r.id)), ' ');
}
