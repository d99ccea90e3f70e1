/**
 * Shared pieces for the text readers that have no element tree of their own (WinEventLog
 * text, ECS and flat JSON, key=value lines): timestamp parsing, the canonical System fields,
 * building a VigilEvent with the same facts an EVTX record would give, and a synthesized
 * Event XML for `render('xml')`.
 *
 * Canonical field names are the ones the EVTX path produces (Sigma/Windows names):
 * `Channel`, `Provider_Name`, `EventID`, `Computer`, `EventRecordID`, `TimeCreated`.
 */
import type { FieldScalar, FieldValue, Fields, Provenance, Rendering, VigilEvent } from '../../core/event.js';
import type { XmlAttribute, XmlChild, XmlDocument, XmlElement, XmlValue } from '../../core/xml-tree.js';
import { renderXml } from '../../render/xml.js';

/** A mutable field bag while a record is being read; frozen into `Fields` at the end. */
export type FieldBag = Record<string, FieldScalar | FieldScalar[]>;

/** Adds a value; a repeated name turns into a list in order of appearance (Splunk's multivalue). */
export function addField(bag: FieldBag, name: string, value: FieldScalar): void {
  const prev = bag[name];
  if (prev === undefined) setOwn(bag, name, value);
  else if (Array.isArray(prev)) prev.push(value);
  else setOwn(bag, name, [prev, value]);
}

/** Sets a value, replacing what was there. `__proto__` becomes an ordinary own key. */
export function setOwn(bag: FieldBag, name: string, value: FieldScalar | FieldScalar[]): void {
  if (name === '__proto__') Object.defineProperty(bag, name, { value, enumerable: true, writable: true, configurable: true });
  else bag[name] = value;
}

export function firstScalar(v: FieldValue | undefined): FieldScalar | undefined {
  if (v === undefined) return undefined;
  if (Array.isArray(v)) return (v as readonly FieldScalar[])[0];
  return v as FieldScalar;
}

/** Parses an integer the way Windows writes them (decimal or 0x hex); null when it is not one. */
export function parseInteger(v: FieldScalar | undefined): number | null {
  if (v === undefined || v === null || typeof v === 'boolean') return null;
  if (typeof v === 'number') return Number.isSafeInteger(v) ? v : null;
  const s = v.trim();
  if (/^[0-9]{1,15}$/.test(s)) return Number(s);
  if (/^0[xX][0-9a-fA-F]{1,13}$/.test(s)) return Number.parseInt(s.slice(2), 16);
  return null;
}

const ISO_UTC = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?Z$/;
const ISO_ANY = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})([.,]\d{1,9})? ?(Z|[+-]\d{2}:?\d{2})?$/;
const US_TIME = /^(\d{1,2})\/(\d{1,2})\/(\d{2}|\d{4})[ T](\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))? ?([AaPp][Mm])?$/;
const DOTNET_DATE = /^\/Date\((-?\d{1,15})(?:[+-]\d{4})?\)\/$/;

/**
 * Parses the timestamps log exports carry into ISO-8601 UTC (`...Z`), or null. Times without
 * a zone (WinEventLog text, Sysmon UtcTime, `YYYY-MM-DD HH:MM:SS`) are taken as UTC; an
 * explicit `Z` keeps its fractional digits as written.
 */
export function parseTimestamp(value: FieldScalar | undefined): string | null {
  if (value === undefined || value === null || typeof value === 'boolean') return null;
  if (typeof value === 'number') return epochToIso(value);
  const s = value.trim();
  if (s === '') return null;
  let m = ISO_UTC.exec(s);
  if (m !== null) return validDate(+m[1]!, +m[2]!, +m[3]!, +m[4]!, +m[5]!, +m[6]!) ? s : null;
  m = ISO_ANY.exec(s);
  if (m !== null) {
    const [, y, mo, d, h, mi, se, frac, zone] = m;
    if (!validDate(+y!, +mo!, +d!, +h!, +mi!, +se!)) return null;
    const fraction = frac === undefined ? '' : `.${frac.slice(1)}`;
    if (zone === undefined || zone === 'Z') return `${y}-${mo}-${d}T${h}:${mi}:${se}${fraction === '' ? '' : fraction}Z`;
    const ms = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${se}${fraction.slice(0, 4)}${zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone}`);
    return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
  }
  m = US_TIME.exec(s);
  if (m !== null) {
    const [, mo, d, yRaw, hRaw, mi, se, frac, ampm] = m;
    const y = yRaw!.length === 2 ? 2000 + Number(yRaw) : Number(yRaw);
    let h = Number(hRaw);
    if (ampm !== undefined) {
      if (h < 1 || h > 12) return null;
      const pm = ampm.toLowerCase() === 'pm';
      if (h === 12) h = pm ? 12 : 0;
      else if (pm) h += 12;
    }
    if (!validDate(y, +mo!, +d!, h, +mi!, +se!)) return null;
    const fraction = frac === undefined ? '' : `.${frac}`;
    return `${String(y).padStart(4, '0')}-${pad2(+mo!)}-${pad2(+d!)}T${pad2(h)}:${mi}:${se}${fraction}Z`;
  }
  m = DOTNET_DATE.exec(s);
  if (m !== null) return epochToIso(Number(m[1]), true);
  if (/^\d{9,13}(?:\.\d+)?$/.test(s)) return epochToIso(Number(s));
  return null;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

function validDate(y: number, mo: number, d: number, h: number, mi: number, s: number): boolean {
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 60) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const days = mo === 2 ? (leap ? 29 : 28) : mo === 4 || mo === 6 || mo === 9 || mo === 11 ? 30 : 31;
  return d <= days;
}

/** Seconds (up to 11 integer digits) or milliseconds since 1970. */
function epochToIso(n: number, millis = false): string | null {
  if (!Number.isFinite(n)) return null;
  const ms = millis || Math.abs(n) >= 1e11 ? n : n * 1000;
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

/** The System facts every event carries, whatever the source. */
export interface SystemFacts {
  readonly time: string | null;
  readonly channel: string | null;
  readonly provider: string | null;
  readonly eventId: number | null;
  readonly computer: string | null;
  readonly recordId: number | null;
}

/** Reads the canonical facts back from a field bag built with canonical names. */
export function factsFromFields(fields: Fields): SystemFacts {
  const str = (name: string): string | null => {
    const v = firstScalar(fields[name]);
    return v === undefined || v === null || v === '' ? null : String(v);
  };
  return {
    time: parseTimestamp(firstScalar(fields['TimeCreated'])),
    channel: str('Channel'),
    provider: str('Provider_Name'),
    eventId: parseInteger(firstScalar(fields['EventID'])),
    computer: str('Computer'),
    recordId: parseInteger(firstScalar(fields['EventRecordID'])),
  };
}

/** Canonical names that live in System when an event is synthesized as XML. */
const SYSTEM_FIELDS = new Set(['Provider_Name', 'Provider_Guid', 'EventID', 'Version', 'Level', 'Task', 'Opcode', 'Keywords', 'TimeCreated', 'EventRecordID', 'Execution_ProcessID', 'Execution_ThreadID', 'Channel', 'Computer', 'Security_UserID']);

export interface TextEventInit {
  readonly fields: Fields;
  readonly provenance: Provenance;
  readonly facts: SystemFacts;
  /** The JSON rendering (original text for JSON sources). */
  readonly json: () => string;
  /** Fields that form EventData in the synthesized XML (default: every non-System field). */
  readonly eventData?: Fields;
}

/**
 * The event of a text line or block whose fields were gathered under canonical names: the
 * fields frozen, the System facts read back from them, JSON rendered from the fields.
 */
export function canonicalFieldsEvent(fields: FieldBag, file: string, format: Provenance['format'], at: { readonly offset: number; readonly line: number }): VigilEvent {
  const facts = factsFromFields(fields);
  const frozen = Object.freeze(fields);
  return textEvent({
    fields: frozen,
    facts,
    provenance: { file, format, recordId: facts.recordId, offset: at.offset, line: at.line },
    json: () => JSON.stringify(frozen),
  });
}

/** Builds an event whose XML rendering is synthesized from its fields on demand. */
export function textEvent(init: TextEventInit): VigilEvent {
  const { fields, facts } = init;
  return {
    fields,
    provenance: init.provenance,
    time: facts.time,
    channel: facts.channel,
    provider: facts.provider,
    eventId: facts.eventId,
    computer: facts.computer,
    render(kind: Rendering): string {
      return kind === 'json' ? init.json() : renderXml(synthesizeTree(fields, facts, init.eventData));
    },
  };
}

function value(text: string, json: FieldScalar = text): XmlValue {
  return { kind: 'value', text, json };
}

function element(name: string, attributes: XmlAttribute[], children: XmlChild[]): XmlElement {
  return { kind: 'element', name, attributes, children };
}

function attr(name: string, text: string): XmlAttribute {
  return { name, parts: [value(text)] };
}

function scalarText(v: FieldScalar): string {
  return v === null ? '' : String(v);
}

/** A valid XML name for a field that becomes an element (Data carries the name in an attribute). */
function textElement(name: string, v: FieldScalar | undefined): XmlElement {
  return element(name, [], v === undefined || v === null || v === '' ? [] : [value(scalarText(v), v)]);
}

/**
 * An Event document in the Windows shape: System from the canonical facts and fields, every
 * other field as `<Data Name=...>` (a list gives repeated Data elements).
 */
export function synthesizeTree(fields: Fields, facts: SystemFacts, eventData?: Fields): XmlDocument {
  const system: XmlElement[] = [];
  const providerAttrs: XmlAttribute[] = [];
  if (facts.provider !== null) providerAttrs.push(attr('Name', facts.provider));
  const guid = firstScalar(fields['Provider_Guid']);
  if (guid !== undefined && guid !== null) providerAttrs.push(attr('Guid', scalarText(guid)));
  system.push(element('Provider', providerAttrs, []));
  system.push(textElement('EventID', facts.eventId ?? undefined));
  for (const name of ['Version', 'Level', 'Task', 'Opcode', 'Keywords'] as const) {
    const v = firstScalar(fields[name]);
    if (v !== undefined) system.push(textElement(name, v));
  }
  system.push(element('TimeCreated', facts.time === null ? [] : [attr('SystemTime', facts.time)], []));
  system.push(textElement('EventRecordID', facts.recordId ?? undefined));
  const pid = firstScalar(fields['Execution_ProcessID']);
  const tid = firstScalar(fields['Execution_ThreadID']);
  if (pid !== undefined || tid !== undefined) {
    const ex: XmlAttribute[] = [];
    if (pid !== undefined && pid !== null) ex.push(attr('ProcessID', scalarText(pid)));
    if (tid !== undefined && tid !== null) ex.push(attr('ThreadID', scalarText(tid)));
    system.push(element('Execution', ex, []));
  }
  system.push(textElement('Channel', facts.channel ?? undefined));
  system.push(textElement('Computer', facts.computer ?? undefined));
  const sid = firstScalar(fields['Security_UserID']);
  system.push(element('Security', sid === undefined || sid === null ? [] : [attr('UserID', scalarText(sid))], []));

  const data: XmlElement[] = [];
  for (const [name, v] of Object.entries(eventData ?? fields)) {
    if (eventData === undefined && SYSTEM_FIELDS.has(name)) continue;
    const list: readonly FieldScalar[] = Array.isArray(v) ? (v as readonly FieldScalar[]) : [v as FieldScalar];
    for (const item of list) {
      data.push(element('Data', [attr('Name', name)], item === null || item === '' ? [] : [value(scalarText(item), item)]));
    }
  }
  const event = element('Event', [attr('xmlns', 'http://schemas.microsoft.com/win/2004/08/events/event')], [
    element('System', [], system),
    element('EventData', [], data),
  ]);
  return { kind: 'document', children: [event] };
}

/** Most items per batch a text reader yields (readers also end a batch at each input chunk). */
export const TEXT_BATCH_SIZE = 1000;
