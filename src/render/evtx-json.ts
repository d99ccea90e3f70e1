/** OWNER NOTE: placeholder; the renderers helper replaces this. */
import type { XmlDocument } from '../core/xml-tree.js';
export function renderEvtxJson(_doc: XmlDocument): unknown {
  throw new Error('renderEvtxJson: not implemented yet');
}
