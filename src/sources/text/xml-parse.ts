/**
 * A small strict XML parser for one event document (XmlWinEventLog line, wevtutil output,
 * one `<Event>` of an Event Viewer export). It builds the same tree the EVTX BinXml decoder
 * builds, so every renderer and the flattener treat text and binary sources alike:
 *
 * - text runs become `value` nodes whose `json` is the text; `&name;` and `&#NN;` stay
 *   `entity`/`charref` nodes; CDATA and processing instructions are kept; comments are dropped;
 * - whitespace-only text is dropped when it only separates child elements, CDATA or PIs, or
 *   is all the content and holds a line break (pretty-printing); it is kept otherwise
 *   (`<Data> </Data>`, and everywhere in mixed content);
 * - System leaves that evtx_dump prints as numbers (EventID, Version, Level, Task, Opcode,
 *   EventRecordID, Execution ProcessID/ThreadID, EventID Qualifiers) get numeric `json`, GUID
 *   attributes lose their braces in `json` and SystemTime is cut to microseconds in `json`,
 *   so the evtx_dump JSON of a text event reads like the one of its EVTX record. `text`
 *   always stays exactly as written.
 *
 * Errors are `LocatedError`s with the byte offset (`baseOffset` + position) and the line and
 * column inside `text`. Nesting is bounded by MAX_DEPTH; there is no DTD support (a DOCTYPE
 * is rejected, so no entity expansion can blow up).
 */
import { LocatedError } from '../../core/diagnostics.js';
import type {
  XmlAttribute,
  XmlAttributePart,
  XmlChild,
  XmlDocument,
  XmlElement,
  XmlValue,
} from '../../core/xml-tree.js';

export const MAX_DEPTH = 64;
const MAX_ATTRIBUTES = 256;

// Character codes used by the scanner.
const LT = 60; // <
const GT = 62; // >
const AMP = 38; // &
const SLASH = 47; // /
const EQ = 61; // =
const QUOT = 34; // "
const APOS = 39; // '
const QMARK = 63; // ?
const BANG = 33; // !
const HASH = 35; // #

interface OpenElement {
  readonly name: string;
  readonly attributes: XmlAttribute[];
  readonly children: XmlChild[];
  readonly start: number;
  /** Holds a child element, CDATA section or PI: blank text beside them is layout. */
  hasElementChild: boolean;
}

/** System leaves evtx_dump types as numbers (element name → parent must be System). */
const NUMERIC_SYSTEM_ELEMENTS: ReadonlySet<string> = new Set(['EventID', 'Version', 'Level', 'Task', 'Opcode', 'EventRecordID']);

export function parseXmlDocument(text: string, file: string, baseOffset = 0): XmlDocument {
  return new XmlTextParser(text, file, baseOffset).parseDocument();
}

class XmlTextParser {
  private pos = 0;
  private readonly stack: OpenElement[] = [];

  constructor(
    private readonly src: string,
    private readonly file: string,
    private readonly baseOffset: number,
  ) {}

  parseDocument(): XmlDocument {
    const top: XmlChild[] = [];
    const src = this.src;
    const end = src.length;
    if (src.charCodeAt(0) === 0xfeff) this.pos = 1;
    let root: XmlElement | undefined;
    while (this.pos < end) {
      const c = src.charCodeAt(this.pos);
      if (isSpace(c)) {
        this.pos++;
        continue;
      }
      if (c !== LT) this.fail('xml.text-outside-root', 'text outside the root element');
      const next = src.charCodeAt(this.pos + 1);
      if (next === QMARK) {
        const pi = this.parsePi();
        if (pi !== null) top.push(pi);
      } else if (next === BANG) {
        if (src.startsWith('<!--', this.pos)) this.skipComment();
        else if (src.startsWith('<!DOCTYPE', this.pos)) this.fail('xml.doctype', 'DOCTYPE declarations are not supported');
        else this.fail('xml.markup', 'unexpected markup outside the root element');
      } else {
        if (root !== undefined) this.fail('xml.second-root', 'a second root element');
        root = this.parseElementTree();
        top.push(root);
      }
    }
    if (root === undefined) this.fail('xml.no-root', 'no root element');
    return { kind: 'document', children: top };
  }

  /** Parses one element and everything inside it, iteratively (bounded depth). */
  private parseElementTree(): XmlElement {
    const src = this.src;
    const end = src.length;
    let result: XmlElement | undefined;
    this.openTag();
    if (this.stack.length === 0) return this.lastClosed!;
    while (this.stack.length > 0) {
      if (this.pos >= end) {
        const open = this.stack[this.stack.length - 1]!;
        this.failAt(open.start, 'xml.unclosed', `element <${open.name}> is not closed`);
      }
      const c = src.charCodeAt(this.pos);
      if (c === LT) {
        const next = src.charCodeAt(this.pos + 1);
        if (next === SLASH) {
          result = this.closeTag();
        } else if (next === BANG) {
          if (src.startsWith('<![CDATA[', this.pos)) this.parseCData();
          else if (src.startsWith('<!--', this.pos)) this.skipComment();
          else this.fail('xml.markup', 'unexpected markup');
        } else if (next === QMARK) {
          const pi = this.parsePi();
          if (pi !== null) {
            this.current().children.push(pi);
            this.current().hasElementChild = true;
          }
        } else {
          this.openTag();
          result = this.lastClosed;
        }
      } else if (c === AMP) {
        this.current().children.push(this.parseReference());
      } else {
        this.parseText();
      }
    }
    if (result === undefined) this.fail('xml.internal', 'element tree ended without a root');
    return result;
  }

  private lastClosed: XmlElement | undefined;

  private current(): OpenElement {
    return this.stack[this.stack.length - 1]!;
  }

  /** `<name attr="v" ...>` or `<name .../>`; pushes an open element or appends a closed one. */
  private openTag(): void {
    const src = this.src;
    const start = this.pos;
    this.pos++; // '<'
    const name = this.readName('element');
    const attributes: XmlAttribute[] = [];
    for (;;) {
      const hadSpace = this.skipSpaces();
      const c = src.charCodeAt(this.pos);
      if (c === GT) {
        this.pos++;
        if (this.stack.length >= MAX_DEPTH) this.failAt(start, 'xml.too-deep', `elements nested deeper than ${MAX_DEPTH}`);
        this.markElementChild();
        this.stack.push({ name, attributes, children: [], start, hasElementChild: false });
        this.lastClosed = undefined;
        return;
      }
      if (c === SLASH) {
        if (src.charCodeAt(this.pos + 1) !== GT) this.fail('xml.tag', `expected '/>' in <${name}>`);
        this.pos += 2;
        if (this.stack.length >= MAX_DEPTH) this.failAt(start, 'xml.too-deep', `elements nested deeper than ${MAX_DEPTH}`);
        const el = this.finishElement(name, attributes, []);
        this.appendClosed(el);
        return;
      }
      if (Number.isNaN(c)) this.failAt(start, 'xml.tag', `start tag <${name}> is not terminated`);
      if (!hadSpace) this.fail('xml.tag', `expected whitespace before an attribute in <${name}>`);
      if (attributes.length >= MAX_ATTRIBUTES) this.fail('xml.attributes', 'too many attributes');
      attributes.push(this.parseAttribute(attributes));
    }
  }

  private markElementChild(): void {
    if (this.stack.length > 0) this.stack[this.stack.length - 1]!.hasElementChild = true;
  }

  private appendClosed(el: XmlElement): void {
    this.markElementChild();
    if (this.stack.length > 0) this.current().children.push(el);
    this.lastClosed = el;
  }

  private closeTag(): XmlElement {
    const src = this.src;
    const start = this.pos;
    this.pos += 2; // '</'
    const name = this.readName('end tag');
    this.skipSpaces();
    if (src.charCodeAt(this.pos) !== GT) this.fail('xml.tag', `end tag </${name}> is not terminated`);
    this.pos++;
    const open = this.stack.pop()!;
    if (open.name !== name) this.failAt(start, 'xml.mismatch', `end tag </${name}> does not match <${open.name}>`);
    const children = isLayoutOnlyText(open) ? dropBlankText(open.children) : open.children;
    const el = this.finishElement(open.name, open.attributes, children);
    this.appendClosed(el);
    return el;
  }

  /** Builds the element node, typing the System leaves evtx_dump prints as numbers. */
  private finishElement(name: string, attributes: XmlAttribute[], children: XmlChild[]): XmlElement {
    const parent = this.stack.length > 0 ? this.stack[this.stack.length - 1]!.name : '';
    if (parent === 'System') {
      if (NUMERIC_SYSTEM_ELEMENTS.has(name) && children.length === 1) {
        const only = children[0]!;
        if (only.kind === 'value') children = [numericValue(only)];
      }
      if (attributes.length > 0) attributes = typeSystemAttributes(name, attributes);
    }
    return { kind: 'element', name, attributes, children };
  }

  private parseAttribute(existing: readonly XmlAttribute[]): XmlAttribute {
    const src = this.src;
    const name = this.readName('attribute');
    for (const a of existing) if (a.name === name) this.fail('xml.duplicate-attribute', `duplicate attribute ${name}`);
    this.skipSpaces();
    if (src.charCodeAt(this.pos) !== EQ) this.fail('xml.attribute', `expected '=' after attribute ${name}`);
    this.pos++;
    this.skipSpaces();
    const quote = src.charCodeAt(this.pos);
    if (quote !== QUOT && quote !== APOS) this.fail('xml.attribute', `attribute ${name} value is not quoted`);
    this.pos++;
    const parts: XmlAttributePart[] = [];
    let runStart = this.pos;
    for (;;) {
      const c = src.charCodeAt(this.pos);
      if (c === quote) {
        if (this.pos > runStart) parts.push(textValue(src.slice(runStart, this.pos)));
        this.pos++;
        return { name, parts };
      }
      if (Number.isNaN(c)) this.fail('xml.attribute', `attribute ${name} value is not terminated`);
      if (c === LT) this.fail('xml.attribute', `'<' in attribute ${name} value`);
      if (c === AMP) {
        if (this.pos > runStart) parts.push(textValue(src.slice(runStart, this.pos)));
        parts.push(this.parseReference());
        runStart = this.pos;
        continue;
      }
      this.pos++;
    }
  }

  /** `&name;`, `&#NN;` or `&#xHH;` at pos. */
  private parseReference(): XmlAttributePart {
    const src = this.src;
    const start = this.pos;
    const semi = src.indexOf(';', start + 1);
    if (semi < 0 || semi - start > 40) this.fail('xml.reference', "'&' does not start a reference (write &amp;)");
    if (src.charCodeAt(start + 1) === HASH) {
      const hex = src.charCodeAt(start + 2) === 120; // 'x'
      const digits = src.slice(start + (hex ? 3 : 2), semi);
      if (digits.length === 0 || !(hex ? isHexDigits(digits) : isDecimalDigits(digits))) {
        this.fail('xml.reference', `bad character reference ${src.slice(start, semi + 1)}`);
      }
      const code = Number.parseInt(digits, hex ? 16 : 10);
      if (code === 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) {
        this.fail('xml.reference', `character reference ${src.slice(start, semi + 1)} is out of range`);
      }
      this.pos = semi + 1;
      return { kind: 'charref', code };
    }
    const name = src.slice(start + 1, semi);
    if (!isNameString(name)) this.fail('xml.reference', `bad entity reference ${src.slice(start, semi + 1)}`);
    this.pos = semi + 1;
    return { kind: 'entity', name };
  }

  private parseText(): void {
    const src = this.src;
    const start = this.pos;
    let i = start;
    const end = src.length;
    while (i < end) {
      const c = src.charCodeAt(i);
      if (c === LT || c === AMP) break;
      if (c === GT && src.charCodeAt(i - 1) === 93 && src.charCodeAt(i - 2) === 93) {
        this.pos = i;
        this.fail('xml.text', "']]>' in text");
      }
      i++;
    }
    this.pos = i;
    this.current().children.push(textValue(src.slice(start, i)));
  }

  private parseCData(): void {
    const start = this.pos + 9;
    const close = this.src.indexOf(']]>', start);
    if (close < 0) this.fail('xml.cdata', 'CDATA section is not terminated');
    const open = this.current();
    open.children.push({ kind: 'cdata', text: this.src.slice(start, close) });
    open.hasElementChild = true;
    this.pos = close + 3;
  }

  private skipComment(): void {
    const close = this.src.indexOf('-->', this.pos + 4);
    if (close < 0) this.fail('xml.comment', 'comment is not terminated');
    this.pos = close + 3;
  }

  /** `<?target data?>`; the XML declaration yields null (it is not part of the tree). */
  private parsePi(): XmlChild | null {
    const start = this.pos;
    this.pos += 2;
    const target = this.readName('processing instruction');
    const close = this.src.indexOf('?>', this.pos);
    if (close < 0) this.failAt(start, 'xml.pi', 'processing instruction is not terminated');
    let dataStart = this.pos;
    while (dataStart < close && isSpace(this.src.charCodeAt(dataStart))) dataStart++;
    if (dataStart === this.pos && dataStart < close) this.fail('xml.pi', 'expected whitespace after the PI target');
    const data = this.src.slice(dataStart, close);
    this.pos = close + 2;
    if (target.toLowerCase() === 'xml') {
      if (start !== 0 && this.src.slice(0, start).trim() !== '') this.failAt(start, 'xml.declaration', 'XML declaration not at the start');
      return null;
    }
    return { kind: 'pi', target, data };
  }

  private readName(what: string): string {
    const src = this.src;
    const start = this.pos;
    let i = start;
    const end = src.length;
    while (i < end && isNameChar(src.charCodeAt(i))) i++;
    if (i === start || !isNameStart(src.charCodeAt(start))) this.fail('xml.name', `expected a ${what} name`);
    this.pos = i;
    return src.slice(start, i);
  }

  private skipSpaces(): boolean {
    const start = this.pos;
    while (isSpace(this.src.charCodeAt(this.pos))) this.pos++;
    return this.pos > start;
  }

  private fail(code: string, message: string): never {
    return this.failAt(this.pos, code, message);
  }

  private failAt(at: number, code: string, message: string): never {
    const pos = Math.min(at, this.src.length);
    let line = 1;
    let lineStart = 0;
    for (let i = this.src.indexOf('\n'); i >= 0 && i < pos; i = this.src.indexOf('\n', i + 1)) {
      line++;
      lineStart = i + 1;
    }
    const offset = this.baseOffset + Buffer.byteLength(this.src.slice(0, pos), 'utf8');
    throw new LocatedError(code, message, { file: this.file, offset, line, column: pos - lineStart + 1 });
  }
}

function textValue(text: string): XmlValue {
  return { kind: 'value', text, json: text };
}

function numericValue(v: XmlValue): XmlValue {
  return isDecimalDigits(v.text) && v.text.length <= 15 ? { kind: 'value', text: v.text, json: Number(v.text) } : v;
}

/** evtx_dump-like JSON spellings for System attributes (text stays as written). */
function typeSystemAttributes(element: string, attributes: XmlAttribute[]): XmlAttribute[] {
  let out: XmlAttribute[] | undefined;
  for (let i = 0; i < attributes.length; i++) {
    const a = attributes[i]!;
    if (a.parts.length !== 1) continue;
    const v = a.parts[0]!;
    if (v.kind !== 'value') continue;
    let json: string | number | undefined;
    if ((element === 'Execution' && (a.name === 'ProcessID' || a.name === 'ThreadID')) || (element === 'EventID' && a.name === 'Qualifiers')) {
      if (isDecimalDigits(v.text) && v.text.length <= 15) json = Number(v.text);
    } else if (a.name === 'Guid' || a.name === 'ActivityID' || a.name === 'RelatedActivityID') {
      if (v.text.length === 38 && v.text.charCodeAt(0) === 123 && v.text.charCodeAt(37) === 125) json = v.text.slice(1, 37);
    } else if (a.name === 'SystemTime') {
      json = microsecondTime(v.text);
    }
    if (json === undefined || json === v.json) continue;
    out ??= attributes.slice();
    out[i] = { name: a.name, parts: [{ kind: 'value', text: v.text, json }] };
  }
  return out ?? attributes;
}

/** `2020-10-08T11:03:46.617920300Z` → `2020-10-08T11:03:46.617920Z` (evtx_dump precision). */
function microsecondTime(text: string): string {
  const dot = text.indexOf('.');
  if (dot < 0 || !text.endsWith('Z')) return text;
  const frac = text.slice(dot + 1, -1);
  if (frac.length <= 6 || !isDecimalDigits(frac)) return text;
  return `${text.slice(0, dot + 1)}${frac.slice(0, 6)}Z`;
}

function dropBlankText(children: XmlChild[]): XmlChild[] {
  let blank = 0;
  for (const c of children) if (c.kind === 'value' && isBlank(c.text)) blank++;
  if (blank === 0) return children;
  const out: XmlChild[] = [];
  for (const c of children) if (!(c.kind === 'value' && isBlank(c.text))) out.push(c);
  return out;
}

/**
 * Blank text is layout when it only separates elements/CDATA/PIs (no real text or reference
 * beside them: mixed content keeps every character), or is all the content and breaks a line.
 */
function isLayoutOnlyText(open: OpenElement): boolean {
  if (!open.hasElementChild) return hasLineBreakOnlyText(open.children);
  for (const c of open.children) {
    if (c.kind === 'charref' || c.kind === 'entity') return false;
    if (c.kind === 'value' && !isBlank(c.text)) return false;
  }
  return true;
}

/** True when the content is only whitespace text that contains a line break (pretty-printing). */
function hasLineBreakOnlyText(children: readonly XmlChild[]): boolean {
  if (children.length === 0) return false;
  let lineBreak = false;
  for (const c of children) {
    if (c.kind !== 'value' || !isBlank(c.text)) return false;
    if (c.text.includes('\n')) lineBreak = true;
  }
  return lineBreak;
}

function isBlank(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (!isSpace(s.charCodeAt(i))) return false;
  return true;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9;
}

function isNameStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 58 || c >= 0xc0;
}

function isNameChar(c: number): boolean {
  return isNameStart(c) || (c >= 48 && c <= 57) || c === 45 || c === 46 || c === 0xb7;
}

function isNameString(s: string): boolean {
  if (s.length === 0 || !isNameStart(s.charCodeAt(0))) return false;
  for (let i = 1; i < s.length; i++) if (!isNameChar(s.charCodeAt(i))) return false;
  return true;
}

function isDecimalDigits(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

function isHexDigits(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

