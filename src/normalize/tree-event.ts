/**
 * Builds a VigilEvent from an element tree (EVTX record or XML text). The flat field view
 * comes from `flattenTree`; renderings are produced lazily from the tree.
 *
 * OWNER NOTE: minimal version so sources can integrate; the renderers/flatten helper owns it.
 */
import type { Fields, Provenance, Rendering, VigilEvent } from '../core/event.js';
import { fieldNumber, fieldString } from '../core/event.js';
import type { XmlDocument } from '../core/xml-tree.js';
import { flattenTree } from './flatten-tree.js';
import { renderXml } from '../render/xml.js';
import { renderEvtxJson } from '../render/evtx-json.js';

export function eventFromTree(tree: XmlDocument, provenance: Provenance): VigilEvent {
  const fields: Fields = flattenTree(tree);
  const time = fieldString(fields, 'TimeCreated');
  return {
    fields,
    provenance,
    time,
    channel: fieldString(fields, 'Channel'),
    provider: fieldString(fields, 'Provider_Name'),
    eventId: fieldNumber(fields, 'EventID'),
    computer: fieldString(fields, 'Computer'),
    tree,
    render(kind: Rendering): string {
      return kind === 'xml' ? renderXml(tree) : JSON.stringify(renderEvtxJson(tree), null, 2);
    },
  };
}
