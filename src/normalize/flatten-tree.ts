/**
 * The flat field view of an event tree: the names detection rules use (Sigma / Windows names).
 * docs/fields.md describes it for users; this is the implementer's summary.
 *
 * System (Event/System):
 *   Provider_Name, Provider_Guid, Provider_EventSourceName   <Provider> attributes
 *   EventID (number), EventID_Qualifiers                      <EventID Qualifiers=..>n</EventID>
 *   Version, Level, Task, Opcode, Keywords, EventRecordID, Channel, Computer   leaf text
 *   TimeCreated                                               TimeCreated/@SystemTime, ISO-8601 UTC
 *   Correlation_ActivityID, Correlation_RelatedActivityID, Execution_ProcessID,
 *   Execution_ThreadID, Security_UserID                       attributes
 *   Any other System leaf or attribute follows the same pattern (`Element`, `Element_Attr`).
 * EventData:
 *   <Data Name="X">v</Data>   → X = v; an empty Data gives ''.
 *   a repeated Name           → a list, in document order.
 *   unnamed <Data>            → Data (a scalar when there is one, a list when several; empty
 *                               ones are '' so positions hold) and Data[1], Data[2], ... (1-based).
 *   <Binary>                  → Binary (hex text); other elements flatten like UserData.
 *   EventData/@Name           → EventData_Name.
 * UserData (and non-Data EventData children): every leaf element below the wrapper becomes
 *   `LeafName` = text, every attribute `Element_Attr` (xmlns attributes skipped); a name seen
 *   again becomes a list.
 * RenderingInfo (XmlWinEventLog / forwarded events): Message (RenderingInfo_Message when the
 *   payload already has a Message field), and RenderingInfo_Level,
 *   RenderingInfo_Task, RenderingInfo_Opcode, RenderingInfo_Channel, RenderingInfo_Provider,
 *   RenderingInfo_Keywords (list when several Keyword), RenderingInfo_Culture.
 * Elements the EVTX decoder flags `emptyOptional` give no field: Windows and libevtx leave
 *   them out of the event's XML (XmlWinEventLog has no trace of them).
 * Collisions: System fields win. A payload name equal to a System field name (Channel,
 *   Computer, EventID, ...) is stored as `EventData_<name>` / `UserData_<name>` instead.
 * Types: a value whose XmlValue.json is a number or boolean keeps that type; everything
 *   else is the text Windows prints (XmlValue.text; GUIDs with braces, 100 ns timestamps).
 *   References (&amp; ...) are decoded.
 *
 * Hot path: runs for every event, so no regexes, no intermediate arrays beyond lists.
 */
import type { FieldScalar, FieldValue, Fields } from '../core/event.js';
import {
  type XmlAttribute,
  type XmlAttributePart,
  type XmlChild,
  type XmlDocument,
  type XmlElement,
  ENTITY_TEXT,
  rootElement,
} from '../core/xml-tree.js';

export type MutableFields = Record<string, FieldScalar | FieldScalar[]>;

/** Field names the System section owns; payload names equal to them get a section prefix. */
export const SYSTEM_NAMES: ReadonlySet<string> = new Set([
  'Provider_Name',
  'Provider_Guid',
  'Provider_EventSourceName',
  'EventID',
  'EventID_Qualifiers',
  'Version',
  'Level',
  'Task',
  'Opcode',
  'Keywords',
  'TimeCreated',
  'EventRecordID',
  'Correlation_ActivityID',
  'Correlation_RelatedActivityID',
  'Execution_ProcessID',
  'Execution_ThreadID',
  'Channel',
  'Computer',
  'Security_UserID',
]);

const MAX_DEPTH = 32;

export function flattenTree(doc: XmlDocument): Fields {
  const out: MutableFields = {};
  const root = rootElement(doc);
  if (root === undefined) return out;
  for (const section of root.children) if (section.kind === 'element') flattenSection(out, section);
  return out;
}

/**
 * Adds the fields of one section (a child element of the root). The EVTX flat plans
 * (src/sources/evtx/binxml/flat-plan.ts) call it for sections they have no plan of their own for.
 */
export function flattenSection(out: MutableFields, section: XmlElement): void {
  switch (section.name) {
    case 'System':
      flattenSystem(out, section);
      break;
    case 'EventData':
      flattenEventData(out, section);
      break;
    case 'UserData':
      flattenLeaves(out, section, 'UserData_', 0);
      break;
    case 'RenderingInfo':
      flattenRenderingInfo(out, section);
      break;
    default:
      // DebugData, ProcessingErrorData and the like: leaves, prefixed on collision.
      flattenLeaves(out, section, `${section.name}_`, 0);
  }
}

function flattenSystem(out: MutableFields, system: XmlElement): void {
  for (const el of system.children) {
    if (el.kind !== 'element') continue;
    const name = el.name;
    if (name === 'TimeCreated') {
      const t = attributeValue(el, 'SystemTime');
      if (t !== undefined) put(out, 'TimeCreated', isoTime(String(t)));
      continue;
    }
    for (const a of el.attributes) {
      const v = partsValue(a.parts);
      if (v === '') continue; // libevtx drops empty attributes too
      put(out, joinKey(name, a.name), v);
    }
    if (hasContent(el.children)) put(out, name, contentValue(el.children));
  }
}

function flattenEventData(out: MutableFields, eventData: XmlElement): void {
  for (const a of eventData.attributes) {
    const v = partsValue(a.parts);
    if (v !== '' && !isNamespaceAttribute(a)) add(out, `EventData_${a.name}`, v);
  }
  let unnamed: FieldScalar[] | undefined;
  let spaced: string[] | undefined;
  for (const el of eventData.children) {
    if (el.kind !== 'element' || el.emptyOptional === true) continue;
    if (el.name === 'Data') {
      const value = contentValue(el.children);
      const name = dataName(el);
      if (name === null || name === '') {
        (unnamed ??= []).push(value);
        continue;
      }
      const key = SYSTEM_NAMES.has(name) ? `EventData_${name}` : name;
      if (key.includes(' ') && !(spaced ??= []).includes(key)) spaced.push(key);
      add(out, key, value);
    } else if (el.name === 'Binary') {
      add(out, 'Binary', contentValue(el.children));
    } else {
      flattenLeaves(out, el, 'EventData_', 1);
    }
  }
  if (unnamed !== undefined) {
    add(out, 'Data', unnamed.length === 1 ? unnamed[0]! : unnamed);
    for (let i = 0; i < unnamed.length; i++) put(out, `Data[${i + 1}]`, unnamed[i]!);
  }
  if (spaced !== undefined) addSpacelessAliases(out, spaced);
}

/**
 * Some providers (Microsoft Defender: `Threat Name`, `Process Name`) put spaces in Data names,
 * while Sigma rules name those fields without them (`ThreatName`). Each such name also gets its
 * space-less spelling, unless the event already has a field of that name.
 */
export function addSpacelessAliases(out: MutableFields, names: readonly string[]): void {
  for (const name of names) {
    const alias = name.replaceAll(' ', '');
    if (alias === '' || Object.prototype.hasOwnProperty.call(out, alias)) continue;
    const value = out[name];
    if (value !== undefined) add(out, alias, value);
  }
}

/** Leaves by element name, attributes as `Element_Attr`, lists on collision. */
function flattenLeaves(out: MutableFields, el: XmlElement, prefix: string, depth: number): void {
  if (depth > MAX_DEPTH) return;
  for (const a of el.attributes) {
    if (isNamespaceAttribute(a)) continue;
    const v = partsValue(a.parts);
    if (v === '') continue;
    const key = joinKey(el.name, a.name);
    add(out, SYSTEM_NAMES.has(key) ? prefix + key : key, v);
  }
  let hasChildElement = false;
  for (const c of el.children) {
    if (c.kind !== 'element' || c.emptyOptional === true) continue;
    hasChildElement = true;
    flattenLeaves(out, c, prefix, depth + 1);
  }
  // The section element itself (depth 0) is never a leaf field.
  if (!hasChildElement && depth > 0) {
    const name = el.name === 'Data' ? (dataName(el) ?? 'Data') : el.name;
    add(out, SYSTEM_NAMES.has(name) ? prefix + name : name, contentValue(el.children));
  }
}

function flattenRenderingInfo(out: MutableFields, info: XmlElement): void {
  const culture = attributeValue(info, 'Culture');
  if (culture !== undefined && culture !== '') put(out, 'RenderingInfo_Culture', culture);
  for (const el of info.children) {
    if (el.kind !== 'element') continue;
    if (el.name === 'Message') {
      // An EventData field called Message keeps its name; the rendered text then moves aside.
      const key = Object.prototype.hasOwnProperty.call(out, 'Message') ? 'RenderingInfo_Message' : 'Message';
      put(out, key, contentValue(el.children));
    } else if (el.name === 'Keywords') {
      for (const k of el.children) if (k.kind === 'element') add(out, 'RenderingInfo_Keywords', contentValue(k.children));
    } else {
      add(out, `RenderingInfo_${el.name}`, contentValue(el.children));
    }
  }
}

/**
 * `Element_Attr` keys, cached: a fresh concatenated string must be internalised on every
 * property store, which dominated the System section's cost. Bounded so odd inputs cannot
 * grow it without limit.
 */
const KEY_CACHE = new Map<string, Map<string, string>>();
let keyCacheSize = 0;
const MAX_CACHED_KEYS = 4096;

export function joinKey(element: string, attribute: string): string {
  let inner = KEY_CACHE.get(element);
  const hit = inner?.get(attribute);
  if (hit !== undefined) return hit;
  const key = `${element}_${attribute}`;
  if (keyCacheSize < MAX_CACHED_KEYS) {
    if (inner === undefined) {
      inner = new Map();
      KEY_CACHE.set(element, inner);
    }
    inner.set(attribute, key);
    keyCacheSize++;
  }
  return key;
}

export function dataName(el: XmlElement): string | null {
  for (const a of el.attributes) if (a.name === 'Name') return textOfParts(a.parts);
  return null;
}

function attributeValue(el: XmlElement, name: string): FieldScalar | undefined {
  for (const a of el.attributes) if (a.name === name) return partsValue(a.parts);
  return undefined;
}

function isNamespaceAttribute(a: XmlAttribute): boolean {
  return a.name === 'xmlns' || a.name.startsWith('xmlns:');
}

/** A lone typed value keeps its type; otherwise the decoded text. */
function partsValue(parts: readonly XmlAttributePart[]): FieldScalar {
  if (parts.length === 1) {
    const p = parts[0]!;
    if (p.kind === 'value') return typeof p.json === 'number' || typeof p.json === 'boolean' ? p.json : p.text;
  }
  return textOfParts(parts);
}

export function contentValue(children: readonly XmlChild[]): FieldScalar {
  if (children.length === 1) {
    const c = children[0]!;
    if (c.kind === 'value') return typeof c.json === 'number' || typeof c.json === 'boolean' ? c.json : c.text;
  }
  let s = '';
  for (const c of children) s += childText(c);
  return s;
}

function hasContent(children: readonly XmlChild[]): boolean {
  for (const c of children) {
    if (c.kind === 'element' || c.kind === 'pi') continue;
    if ((c.kind === 'value' || c.kind === 'cdata') && c.text === '') continue;
    return true;
  }
  return false;
}

function textOfParts(parts: readonly XmlAttributePart[]): string {
  if (parts.length === 1 && parts[0]!.kind === 'value') return parts[0]!.text;
  let s = '';
  for (const p of parts) s += childText(p);
  return s;
}

function childText(c: XmlChild): string {
  switch (c.kind) {
    case 'value':
    case 'cdata':
      return c.text;
    case 'charref':
      return String.fromCodePoint(c.code);
    case 'entity':
      return ENTITY_TEXT[c.name] ?? `&${c.name};`;
    case 'element': {
      let s = '';
      for (const cc of c.children) s += childText(cc);
      return s;
    }
    case 'pi':
      return '';
  }
}

/**
 * SystemTime as ISO-8601 UTC. Windows/libevtx text (`...T..:..:..[.fffffff]Z`) is kept as is
 * (100 ns precision); other spellings go through Date and come out as `toISOString()`.
 */
export function isoTime(text: string): string {
  const n = text.length;
  if (n >= 20 && text.charCodeAt(n - 1) === 90 /* Z */ && text.charCodeAt(10) === 84 /* T */ && text.charCodeAt(4) === 45) return text;
  const ms = Date.parse(text.includes('T') || text.includes('Z') ? text : `${text.replace(' ', 'T')}Z`);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : text;
}

export function put(out: MutableFields, key: string, value: FieldScalar): void {
  if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  else out[key] = value;
}

/** Adds a value; a second value for the same name turns the field into a list. */
export function add(out: MutableFields, key: string, value: FieldValue): void {
  const existing = Object.prototype.hasOwnProperty.call(out, key) ? out[key] : undefined;
  if (existing === undefined) {
    if (Array.isArray(value)) {
      if (key === '__proto__') Object.defineProperty(out, key, { value: [...value], enumerable: true, writable: true, configurable: true });
      else out[key] = [...(value as readonly FieldScalar[])];
    } else put(out, key, value as FieldScalar);
    return;
  }
  const list: FieldScalar[] = Array.isArray(existing) ? existing : [existing as FieldScalar];
  if (Array.isArray(value)) for (const v of value as readonly FieldScalar[]) list.push(v);
  else list.push(value as FieldScalar);
  if (!Array.isArray(existing)) {
    if (key === '__proto__') Object.defineProperty(out, key, { value: list, enumerable: true, writable: true, configurable: true });
    else out[key] = list;
  }
}
