/** OWNER NOTE: placeholder; the renderers helper replaces this. */
import type { XmlDocument } from '../core/xml-tree.js';
export function renderXml(_doc: XmlDocument): string {
  throw new Error('renderXml: not implemented yet');
}
