/** An analytic story's page: description, narrative, its detections, references. */
import { externalLink, h, paragraphs } from '../html.js';
import type { CatalogStory, SiteModel } from '../model.js';
import { techniqueChips } from './attack.js';
import { badge, commaList, crumbs, facts, list, page, section, table } from './layout.js';
import { href } from './links.js';

const ROOT = '../';

export function storyPage(model: SiteModel, s: CatalogStory): string {
  const st = s.story;
  const detections =
    s.detections.length === 0
      ? h`<p class="muted">No detection of this catalog names the story.</p>`
      : table(
          ['Detection', 'Technique', 'Type'],
          s.detections.map((d) => [h`<a href="${ROOT + href.detection(d.slug)}">${d.detection.name}</a>`, techniqueChips(model, ROOT, d.techniques), badge(d.detection.type, 'type')]),
          'story-detections',
        );
  const body = h`${crumbs(ROOT, [['Stories', href.stories]])}
<h1>${st.name}</h1>
<div class="layout-2">
<div>
${section('description', 'Description', paragraphs(st.description))}
${section('narrative', 'Narrative', paragraphs(st.narrative))}
</div>
<aside>${facts([
    ['ID', st.id === null ? '' : h`<code>${st.id}</code>`],
    ['Category', commaList(st.category.map((c) => h`${c}`))],
    ['Use case', st.usecase ?? ''],
    ['Product', commaList(st.product.map((c) => h`${c}`))],
    ['Author', st.author ?? ''],
    ['Version', st.version === null ? '' : String(st.version)],
    ['Date', st.date ?? ''],
    ['Detections', String(s.detections.length)],
  ])}</aside>
</div>
${section('detections', 'Detections', detections)}
${section('references', 'References', list(st.references.map(externalLink)))}`;
  return page({ title: st.name, root: ROOT, section: 'stories', body });
}
