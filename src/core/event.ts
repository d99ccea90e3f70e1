/**
 * The one event model. Every source (EVTX, XML text, classic WinEventLog text, JSON, key=value)
 * yields `VigilEvent`s: flat fields in Windows/Sigma names, a few System facts pulled out for
 * routing and output, provenance, and the raw rendering produced only when asked for.
 */
import type { XmlDocument } from './xml-tree.js';

export type InputFormat =
  | 'evtx'
  | 'xml' // XmlWinEventLog, wevtutil qe /f:xml, Event Viewer "Save as XML"
  | 'winevtlog' // classic WinEventLog multi-line key=value text
  | 'evtx-json' // evtx_dump JSON / JSONL
  | 'ecs-json' // Winlogbeat / Elastic Agent ECS documents
  | 'flat-json' // one flat object per event
  | 'kv'; // plain key=value lines

export const INPUT_FORMATS: readonly InputFormat[] = ['evtx', 'xml', 'winevtlog', 'evtx-json', 'ecs-json', 'flat-json', 'kv'];

export type FieldScalar = string | number | boolean | null;
/** A field holds a scalar, or a list when the event repeats the name (duplicate or unnamed Data). */
export type FieldValue = FieldScalar | readonly FieldScalar[];
export type Fields = Readonly<Record<string, FieldValue>>;

export interface Provenance {
  /** Path as the user gave it (for archive members: `archive.zip!member.evtx`). */
  readonly file: string;
  readonly format: InputFormat;
  /** EventRecordID when the source has one. */
  readonly recordId: number | null;
  /** Byte offset of the record in the (decompressed) file. */
  readonly offset: number;
  /** 1-based line for text sources. */
  readonly line?: number;
  /** True when the record was carved from chunk slack rather than read from the live record list. */
  readonly recovered?: boolean;
}

/** Renderings an event can be asked for. */
export type Rendering = 'xml' | 'json';

export interface VigilEvent {
  readonly fields: Fields;
  readonly provenance: Provenance;
  /** ISO-8601 UTC (`...Z`) or null when the source carries no time. */
  readonly time: string | null;
  readonly channel: string | null;
  readonly provider: string | null;
  readonly eventId: number | null;
  readonly computer: string | null;
  /** The raw record rendered on demand (XML as Windows/libevtx write it, or evtx_dump JSON). */
  render(kind: Rendering): string;
  /** The element tree, for XML-shaped sources. */
  readonly tree?: XmlDocument;
  /**
   * When the source can list them cheaply: every value of `fields` (a list field's items may
   * come one by one, a value may come twice) and nothing else. Keyword searches, which read all
   * values, walk it instead of the object's keys. Absent or null: not known.
   */
  readonly fieldValues?: readonly FieldValue[] | null;
}

/** Reads a scalar field as a string, taking the first item of a list. */
export function fieldString(fields: Fields, name: string): string | null {
  const v = fields[name];
  if (v === undefined || v === null) return null;
  if (Array.isArray(v)) {
    const first = (v as readonly FieldScalar[])[0];
    return first === undefined || first === null ? null : String(first);
  }
  return String(v);
}

export function fieldNumber(fields: Fields, name: string): number | null {
  const s = fieldString(fields, name);
  if (s === null || s === '') return null;
  const n = s.startsWith('0x') || s.startsWith('0X') ? Number.parseInt(s, 16) : Number(s);
  return Number.isFinite(n) ? n : null;
}
