/**
 * Builds a VigilEvent from an element tree (EVTX record or XML text). The flat field view
 * comes from `flattenTree`; the raw renderings are produced on first use and then kept.
 */
import type { FieldScalar, Fields, Provenance, Rendering, VigilEvent } from '../core/event.js';
import type { XmlDocument } from '../core/xml-tree.js';
import { flattenTree } from './flatten-tree.js';
import { renderXml } from '../render/xml.js';
import { renderEvtxJson } from '../render/evtx-json.js';

export function eventFromTree(tree: XmlDocument, provenance: Provenance): VigilEvent {
  const fields: Fields = flattenTree(tree);
  let xml: string | undefined;
  let json: string | undefined;
  return {
    fields,
    provenance,
    ...factsFromFields(fields),
    tree,
    render(kind: Rendering): string {
      if (kind === 'xml') return (xml ??= renderTree(tree, kind));
      return (json ??= renderTree(tree, kind));
    },
  };
}

/** A raw rendering of a tree, as `VigilEvent.render` returns it. */
export function renderTree(tree: XmlDocument, kind: Rendering): string {
  return kind === 'xml' ? renderXml(tree) : JSON.stringify(renderEvtxJson(tree), null, 2);
}

/** The routing facts `eventFromTree` pulls out of the flat fields. */
export function factsFromFields(fields: Fields): Pick<VigilEvent, 'time' | 'channel' | 'provider' | 'eventId' | 'computer'> {
  const eventId = fields['EventID'];
  return {
    // flattenTree already turned SystemTime into ISO-8601 UTC.
    time: stringField(fields['TimeCreated']),
    channel: stringField(fields['Channel']),
    provider: stringField(fields['Provider_Name']),
    eventId: typeof eventId === 'number' ? eventId : numberFromText(stringField(eventId)),
    computer: stringField(fields['Computer']),
  };
}

function stringField(v: FieldScalar | readonly FieldScalar[] | undefined): string | null {
  if (v === undefined || v === null) return null;
  if (Array.isArray(v)) return v.length > 0 && v[0] !== null ? String(v[0]) : null;
  return String(v);
}

function numberFromText(s: string | null): number | null {
  if (s === null || s === '') return null;
  const n = Number(s);
  return Number.isInteger(n) ? n : null;
}
