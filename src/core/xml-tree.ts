/**
 * The element tree every XML-shaped source produces: the EVTX BinXml decoder and the
 * XmlWinEventLog text parser both build it, and the XML, evtx_dump-JSON and flat-field
 * renderers all read it. Nodes are plain immutable objects tagged by `kind`.
 *
 * A leaf value keeps two spellings because the renderers disagree on types: XML wants the
 * text Windows prints, evtx_dump JSON wants a typed scalar (EventID as a number, a
 * HexInt64 as a string).
 */

/** A JSON-typed scalar as evtx_dump would print it. */
export type JsonScalar = string | number | boolean | null;

/** A typed leaf: text as XML renders it, plus the JSON form. */
export interface XmlValue {
  readonly kind: 'value';
  readonly text: string;
  readonly json: JsonScalar;
}

/** `&#NN;` */
export interface XmlCharRef {
  readonly kind: 'charref';
  readonly code: number;
}

/** `&name;` (lt, gt, amp, quot, apos, or anything else the file names). */
export interface XmlEntityRef {
  readonly kind: 'entity';
  readonly name: string;
}

export interface XmlCData {
  readonly kind: 'cdata';
  readonly text: string;
}

export interface XmlProcessingInstruction {
  readonly kind: 'pi';
  readonly target: string;
  readonly data: string;
}

export interface XmlAttribute {
  readonly name: string;
  /** Attribute values can be made of several parts (values and references). */
  readonly parts: readonly XmlAttributePart[];
}

export type XmlAttributePart = XmlValue | XmlCharRef | XmlEntityRef;

export interface XmlElement {
  readonly kind: 'element';
  readonly name: string;
  readonly attributes: readonly XmlAttribute[];
  readonly children: readonly XmlChild[];
  /**
   * Set by the EVTX decoder when the element's only content was an optional substitution that
   * came out empty: libevtx leaves such an element out of its XML, the evtx crate keeps it as null.
   */
  readonly emptyOptional?: true;
}

export type XmlChild = XmlElement | XmlValue | XmlCharRef | XmlEntityRef | XmlCData | XmlProcessingInstruction;

/** One record's document: usually a single root element, possibly preceded by PIs. */
export interface XmlDocument {
  readonly kind: 'document';
  readonly children: readonly XmlChild[];
}

export function assertNever(x: never, what = 'value'): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(x)}`);
}

export const ENTITY_TEXT: Readonly<Record<string, string>> = Object.freeze({
  lt: '<',
  gt: '>',
  amp: '&',
  quot: '"',
  apos: "'",
});

/** Decoded text of an attribute (references resolved). */
export function attributeText(attr: XmlAttribute): string {
  let out = '';
  for (const part of attr.parts) out += partText(part);
  return out;
}

function partText(part: XmlAttributePart | XmlChild): string {
  switch (part.kind) {
    case 'value':
      return part.text;
    case 'charref':
      return String.fromCodePoint(part.code);
    case 'entity':
      return ENTITY_TEXT[part.name] ?? `&${part.name};`;
    case 'cdata':
      return part.text;
    case 'pi':
      return '';
    case 'element':
      return elementText(part);
    default:
      return assertNever(part, 'xml node');
  }
}

/** Concatenated decoded text of an element's content (descendants included). */
export function elementText(el: XmlElement): string {
  let out = '';
  for (const c of el.children) out += partText(c);
  return out;
}

export function getAttribute(el: XmlElement, name: string): string | undefined {
  for (const a of el.attributes) if (a.name === name) return attributeText(a);
  return undefined;
}

export function childElements(el: XmlElement): XmlElement[] {
  const out: XmlElement[] = [];
  for (const c of el.children) if (c.kind === 'element') out.push(c);
  return out;
}

export function firstChild(el: XmlElement, name: string): XmlElement | undefined {
  for (const c of el.children) if (c.kind === 'element' && c.name === name) return c;
  return undefined;
}

/** The root element of a document, if any. */
export function rootElement(doc: XmlDocument): XmlElement | undefined {
  for (const c of doc.children) if (c.kind === 'element') return c;
  return undefined;
}
