/**
 * Turns an evtx_dump JSON record back into the element tree, so JSON input yields the same
 * fields and renderings as the EVTX path (the inverse of `src/render/evtx-json.ts`):
 *
 * - `{"Event": {...}}`: the single key names the root element.
 * - `#attributes` → attributes; `#text` → text; any other key → child element(s); an array
 *   value repeats the element; `X_1`, `X_2` (evtx_dump's suffixes for repeated names) are
 *   elements named `X` when `X` came before; `X_attributes` (the crate's
 *   separate-attributes mode) holds X's attributes.
 * - Inside `EventData`: each key becomes `<Data Name="key">`, except `Data` (unnamed Data:
 *   `{"#text": v}` or `{"#text": [v, ...]}` or a bare value/array), `Binary` and `#attributes`.
 * - Scalars keep their JSON type in `XmlValue.json`; `null` is an empty element.
 * - evtx_dump loses some of the text Windows prints; GUIDs get their braces back in
 *   `XmlValue.text` (an upper-case bare GUID is what evtx_dump makes of a GUID value), so the
 *   fields and XML match the EVTX path. Not recoverable: timestamps cut to microseconds,
 *   HexInt64 without its zero padding, and trailing spaces evtx_dump trims.
 */
import type { JsonScalar, XmlAttribute, XmlChild, XmlDocument, XmlElement, XmlValue } from '../../core/xml-tree.js';

type Json = JsonScalar | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

export class EvtxJsonShapeError extends Error {
  override name = 'EvtxJsonShapeError';
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** evtx_dump prints GUID values bare and upper-case; Windows and the EVTX path write `{...}`. */
const BARE_GUID = /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/;

function leaf(v: JsonScalar): XmlValue {
  if (typeof v === 'string' && v.length === 36 && BARE_GUID.test(v)) return { kind: 'value', text: `{${v}}`, json: v };
  return { kind: 'value', text: v === null ? '' : String(v), json: v };
}

function element(name: string, attributes: XmlAttribute[], children: XmlChild[]): XmlElement {
  return { kind: 'element', name, attributes, children };
}

/** True when `obj` looks like an evtx_dump record: one `Event` object at the top. */
export function isEvtxJsonRecord(obj: unknown): obj is JsonObject {
  return isObject(obj) && isObject(obj['Event']);
}

export function treeFromEvtxJson(obj: unknown): XmlDocument {
  if (!isObject(obj)) throw new EvtxJsonShapeError('record is not a JSON object');
  const keys = Object.keys(obj);
  const rootName = keys.includes('Event') ? 'Event' : keys.length === 1 ? keys[0]! : null;
  if (rootName === null) throw new EvtxJsonShapeError('record has no single root key (expected "Event")');
  const rootValue = obj[rootName]!;
  return { kind: 'document', children: [elementFromJson(rootName, rootValue, [])] };
}

function attributesFrom(v: Json | undefined): XmlAttribute[] {
  if (!isObject(v)) return [];
  const out: XmlAttribute[] = [];
  for (const [name, value] of Object.entries(v)) {
    if (Array.isArray(value) || isObject(value)) out.push({ name, parts: [leaf(JSON.stringify(value))] });
    else out.push({ name, parts: value === null ? [] : [leaf(value)] });
  }
  return out;
}

function textChildren(v: Json): XmlChild[] {
  if (Array.isArray(v)) return v.flatMap((item) => textChildren(item));
  if (isObject(v)) return [leaf(JSON.stringify(v))];
  return v === null || v === '' ? [] : [leaf(v)];
}

function elementFromJson(name: string, value: Json, extraAttributes: XmlAttribute[]): XmlElement {
  if (!isObject(value)) {
    if (Array.isArray(value)) return element(name, extraAttributes, textChildren(value));
    return element(name, extraAttributes, value === null || value === '' ? [] : [leaf(value)]);
  }
  const attributes = [...extraAttributes, ...attributesFrom(value['#attributes'])];
  const children: XmlChild[] = [];
  if (value['#text'] !== undefined) children.push(...textChildren(value['#text']));
  if (name === 'EventData') children.push(...dataContainerChildren(value));
  else children.push(...childElements(value));
  return element(name, attributes, children);
}

const SUFFIXED = /^(.+)_(\d{1,4})$/;

function childElements(obj: JsonObject): XmlElement[] {
  const out: XmlElement[] = [];
  const keys = Object.keys(obj);
  // The separate-attributes layout is rare; only look for it when some key ends that way.
  const separate = keys.some((k) => k.endsWith('_attributes'));
  let seen: Set<string> | undefined;
  for (const key of keys) {
    if (key === '#attributes' || key === '#text') continue;
    const v = obj[key]!;
    let extra: XmlAttribute[] = [];
    if (separate) {
      if (key.endsWith('_attributes') && obj[key.slice(0, -'_attributes'.length)] !== undefined) continue;
      const sep = obj[`${key}_attributes`];
      if (sep !== undefined) extra = attributesFrom(sep);
    }
    let name = key;
    const last = key.charCodeAt(key.length - 1);
    if (last >= 0x30 && last <= 0x39) {
      const m = SUFFIXED.exec(key);
      if (m !== null && seen?.has(m[1]!) === true) name = m[1]!;
    }
    (seen ??= new Set()).add(name);
    if (Array.isArray(v) && v.some((item) => isObject(item))) {
      for (const item of v) out.push(elementFromJson(name, item, extra));
    } else {
      out.push(elementFromJson(name, v, extra));
    }
  }
  return out;
}

function dataElement(attributes: XmlAttribute[], v: Json): XmlElement {
  if (isObject(v)) return elementFromJson('Data', v, attributes);
  return element('Data', attributes, v === null || v === '' ? [] : Array.isArray(v) ? textChildren(v) : [leaf(v)]);
}

function dataContainerChildren(obj: JsonObject): XmlElement[] {
  const out: XmlElement[] = [];
  for (const [key, v] of Object.entries(obj)) {
    if (key === '#attributes' || key === '#text') continue;
    if (key === 'Binary') {
      out.push(elementFromJson('Binary', v, []));
      continue;
    }
    if (key === 'Data') {
      // Unnamed Data: evtx_dump writes {"#text": value-or-array}; accept bare values too.
      const texts = isObject(v) && v['#text'] !== undefined && Object.keys(v).every((k) => k === '#text') ? v['#text'] : v;
      if (Array.isArray(texts)) for (const t of texts) out.push(dataElement([], t));
      else if (isObject(texts)) out.push(elementFromJson('Data', texts, []));
      else out.push(dataElement([], texts));
      continue;
    }
    const nameAttr: XmlAttribute = { name: 'Name', parts: [leaf(key)] };
    if (Array.isArray(v)) for (const item of v) out.push(dataElement([nameAttr], item));
    else out.push(dataElement([nameAttr], v));
  }
  return out;
}

/** EventRecordID straight from the JSON, for provenance. */
export function evtxJsonRecordId(obj: JsonObject): number | null {
  const ev = obj['Event'];
  if (!isObject(ev)) return null;
  const sys = ev['System'];
  if (!isObject(sys)) return null;
  let id = sys['EventRecordID'];
  if (isObject(id)) id = id['#text'] ?? null;
  if (typeof id === 'number' && Number.isSafeInteger(id)) return id;
  if (typeof id === 'string' && /^\d{1,15}$/.test(id)) return Number(id);
  return null;
}
