/**
 * Renders an element tree as the JSON object `evtx_dump -o json` (omerbenamram/evtx, 0.9+)
 * prints for a record. Rules, as the crate applies them:
 *
 * - The document is `{ <root name>: value(root) }`.
 * - An element's value is `null` when it has no child element, no non-empty text and no
 *   non-empty attribute; a typed scalar when it has only text (`XmlValue.json`: a lone
 *   number or boolean stays typed, anything else is the concatenated text); otherwise an
 *   object: `#attributes` (non-empty attributes only, each typed the same way), then `#text`
 *   (text beside children), then one key per child element.
 * - Repeated child names get `_1`, `_2`, ... suffixes in document order (`Header`,
 *   `Header_1`); the crate tracks the first 64 distinct names per element only, later
 *   repeats of untracked names overwrite each other.
 * - Inside `EventData`/`UserData`: when any `Data` child has a non-empty `Name`, every such
 *   `Data` becomes `Name: value` (an empty Data is `""`, Data without a Name is dropped, a
 *   repeated Name keeps its first position and its last value, as a JSON parser reading the
 *   crate's duplicate keys does); otherwise all `Data` children become one
 *   `Data: {"#text": value}` or `Data: {"#text": [values...]}` at the first Data's place.
 *   Other children (`Binary`, UserData's wrapper element) follow the general rules.
 *
 * String content loses trailing whitespace, as the crate does since 0.8.5 (evtx issue #249,
 * `LogonProcessName` "Advapi  "): the SigmaHQ regression JSON never ends a string in spaces
 * where libevtx shows them.
 *
 * One deliberate difference: the crate writes entity and character references into JSON
 * strings verbatim (`&amp;`); we decode them (`&`), as older crate versions did, because our
 * XML text parser keeps references as nodes and `a &amp; b` must read `a & b`.
 * Integer-like keys (`Data Name="1"`) come first in a JS object, so key order can differ from
 * the crate's output for them; values are unaffected.
 */
import { type JsonScalar, type XmlAttribute, type XmlChild, type XmlDocument, type XmlElement, ENTITY_TEXT, assertNever, rootElement } from '../core/xml-tree.js';

export type EvtxJson = JsonScalar | EvtxJsonObject | EvtxJson[];
export interface EvtxJsonObject {
  [key: string]: EvtxJson;
}

const MAX_UNIQUE_NAMES = 64;

export function renderEvtxJson(doc: XmlDocument): EvtxJsonObject {
  const out: EvtxJsonObject = {};
  const root = rootElement(doc);
  if (root === undefined) return out;
  setKey(out, root.name, elementValue(root, false));
  return out;
}

function elementValue(el: XmlElement, isDataContainer: boolean): EvtxJson {
  const hasChildElement = hasElementChild(el);
  const hasText = hasNonEmptyText(el.children);
  if (!hasChildElement && !hasNonEmptyAttribute(el.attributes)) {
    return hasText ? contentValue(el.children) : null;
  }
  return elementObject(el, isDataContainer);
}

function elementObject(el: XmlElement, isDataContainer: boolean): EvtxJsonObject {
  const obj: EvtxJsonObject = {};
  const attrs = attributesObject(el.attributes);
  if (attrs !== null) obj['#attributes'] = attrs;
  if (hasNonEmptyText(el.children)) obj['#text'] = contentValue(el.children);

  const flattenNamedData = isDataContainer && hasNamedData(el);
  let positionalDone = false;
  // Counts of child names seen so far, for the `_N` suffixes.
  let counts: Map<string, number> | undefined;

  for (const child of el.children) {
    if (child.kind !== 'element') continue;
    if (isDataContainer && child.name === 'Data') {
      if (flattenNamedData) {
        const name = dataName(child);
        if (name === null || name === '') continue;
        setKey(obj, name, dataValue(child));
      } else if (!positionalDone) {
        positionalDone = true;
        setKey(obj, 'Data', { '#text': positionalData(el) });
      }
      continue;
    }
    counts ??= new Map();
    const seen = counts.get(child.name);
    let key = child.name;
    if (seen === undefined) {
      if (counts.size < MAX_UNIQUE_NAMES) counts.set(child.name, 1);
    } else {
      key = `${child.name}_${seen}`;
      counts.set(child.name, seen + 1);
    }
    setKey(obj, key, elementValue(child, child.name === 'EventData' || child.name === 'UserData'));
  }
  return obj;
}

function positionalData(container: XmlElement): EvtxJson {
  const values: EvtxJson[] = [];
  for (const c of container.children) if (c.kind === 'element' && c.name === 'Data') values.push(dataValue(c));
  return values.length === 1 ? values[0]! : values;
}

function dataValue(el: XmlElement): EvtxJson {
  const hasChildElement = hasElementChild(el);
  if (hasChildElement) return elementObject(el, false);
  if (!hasNonEmptyText(el.children)) return '';
  return contentValue(el.children);
}

function attributesObject(attributes: readonly XmlAttribute[]): EvtxJsonObject | null {
  let obj: EvtxJsonObject | null = null;
  for (const a of attributes) {
    if (!hasNonEmptyText(a.parts)) continue;
    obj ??= {};
    setKey(obj, a.name, contentValue(a.parts));
  }
  return obj;
}

function hasNamedData(el: XmlElement): boolean {
  for (const c of el.children) {
    if (c.kind === 'element' && c.name === 'Data') {
      for (const a of c.attributes) if (a.name === 'Name' && hasNonEmptyText(a.parts)) return true;
    }
  }
  return false;
}

function dataName(el: XmlElement): string | null {
  for (const a of el.attributes) if (a.name === 'Name') return textOf(a.parts);
  return null;
}

/** A lone typed value stays typed; anything else is the concatenated text (child elements skipped). */
function contentValue(nodes: readonly (XmlChild | XmlAttribute['parts'][number])[]): EvtxJson {
  let single: JsonScalar | undefined;
  let count = 0;
  for (const n of nodes) {
    if (n.kind === 'value') {
      if (isEmptyValue(n.json)) continue;
      count++;
      single = n.json;
    } else if (n.kind === 'charref' || n.kind === 'entity' || (n.kind === 'cdata' && n.text !== '')) {
      count += 2;
    }
  }
  if (count === 1 && (typeof single === 'number' || typeof single === 'boolean')) return single;
  return textOf(nodes).trimEnd();
}

function textOf(nodes: readonly (XmlChild | XmlAttribute['parts'][number])[]): string {
  let s = '';
  for (const n of nodes) {
    switch (n.kind) {
      case 'value':
        if (n.json !== null) s += typeof n.json === 'string' ? n.json : String(n.json);
        break;
      case 'charref':
        s += String.fromCodePoint(n.code);
        break;
      case 'entity':
        s += ENTITY_TEXT[n.name] ?? `&${n.name};`;
        break;
      case 'cdata':
        s += n.text;
        break;
      case 'pi':
      case 'element':
        break;
      default:
        assertNever(n, 'xml node');
    }
  }
  return s;
}

/** The crate treats NULL and empty strings (optional substitutions left empty) as no content. */
function isEmptyValue(json: JsonScalar): boolean {
  return json === null || json === '';
}

function hasNonEmptyText(nodes: readonly (XmlChild | XmlAttribute['parts'][number])[]): boolean {
  for (const n of nodes) {
    switch (n.kind) {
      case 'value':
        if (!isEmptyValue(n.json)) return true;
        break;
      case 'cdata':
        if (n.text !== '') return true;
        break;
      case 'charref':
      case 'entity':
        return true;
      case 'pi':
      case 'element':
        break;
      default:
        assertNever(n, 'xml node');
    }
  }
  return false;
}

function hasNonEmptyAttribute(attributes: readonly XmlAttribute[]): boolean {
  for (const a of attributes) if (hasNonEmptyText(a.parts)) return true;
  return false;
}

function hasElementChild(el: XmlElement): boolean {
  for (const c of el.children) if (c.kind === 'element') return true;
  return false;
}

/** Plain assignment, except for `__proto__`, which must become an own key. */
function setKey(obj: EvtxJsonObject, key: string, value: EvtxJson): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}
