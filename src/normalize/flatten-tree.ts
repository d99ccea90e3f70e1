/** OWNER NOTE: placeholder; the renderers/flatten helper replaces this with the full view. */
import type { FieldScalar, Fields } from '../core/event.js';
import { type XmlDocument, type XmlElement, elementText, getAttribute, rootElement } from '../core/xml-tree.js';

export function flattenTree(doc: XmlDocument): Fields {
  const out: Record<string, FieldScalar | FieldScalar[]> = {};
  const root = rootElement(doc);
  if (!root) return out;
  for (const section of root.children) {
    if (section.kind !== 'element') continue;
    for (const el of section.children) {
      if (el.kind !== 'element') continue;
      add(out, el);
    }
  }
  return out;
}

function add(out: Record<string, FieldScalar | FieldScalar[]>, el: XmlElement): void {
  const name = getAttribute(el, 'Name') ?? el.name;
  out[name] = elementText(el);
}
