/**
 * Renders an element tree as the XML Windows and libevtx print (`evtxexport -f xml`):
 * `xmlns` is an ordinary attribute of Event, two spaces of indentation per level, an element
 * with no content is self-closing (`<Correlation/>`), an attribute whose value is empty is
 * left out (libevtx drops NULL substitutions), leaf text stays on the tag's line.
 *
 * An element the EVTX decoder flags `emptyOptional` (its only content was an optional
 * substitution that came out empty) is left out, as libevtx does; a parent left with no
 * content becomes self-closing (`<EventData/>`).
 *
 * Escaping: text escapes `&`, `<` and `>` (as libevtx and Event Viewer do; quotes stay
 * literal). Attribute values also escape `"` so the output always parses (libevtx writes
 * them raw). Entity and character references in the tree are written back as references,
 * CDATA as `<![CDATA[..]]>`, processing instructions as `<?target data?>`.
 *
 * Mixed content (text beside child elements) is written on one line in document order, so
 * indentation never changes its text; libevtx would print only the text there, but no
 * Windows event carries it.
 *
 * `indent: false` writes everything on one line (the XmlWinEventLog shape, double quotes).
 */
import { type XmlAttribute, type XmlChild, type XmlDocument, type XmlElement, assertNever } from '../core/xml-tree.js';

export interface RenderXmlOptions {
  /** Pretty-print as libevtx does (default true). */
  readonly indent?: boolean;
}

export function renderXml(doc: XmlDocument, opts?: RenderXmlOptions): string {
  const indent = opts?.indent ?? true;
  const out: string[] = [];
  for (const child of doc.children) writeBlockChild(out, child, 0, indent);
  const s = out.join('');
  return indent && s.endsWith('\n') ? s.slice(0, -1) : s;
}

function writeBlockChild(out: string[], child: XmlChild, level: number, indent: boolean): void {
  switch (child.kind) {
    case 'element':
      if (child.emptyOptional !== true) writeElement(out, child, level, indent);
      return;
    case 'pi':
    case 'cdata':
    case 'value':
    case 'charref':
    case 'entity': {
      const inline = inlineText(child);
      if (inline === '') return;
      if (indent) out.push(pad(level), inline, '\n');
      else out.push(inline);
      return;
    }
    default:
      assertNever(child, 'xml node');
  }
}

function writeElement(out: string[], el: XmlElement, level: number, indent: boolean): void {
  const layout = contentLayout(el.children);
  if (layout === 'mixed' && indent) {
    // Indenting mixed content would change its text; the whole element goes on one line.
    out.push(pad(level));
    writeElement(out, el, level, false);
    out.push('\n');
    return;
  }
  if (indent) out.push(pad(level));
  out.push('<', el.name);
  for (const attr of el.attributes) writeAttribute(out, attr);
  if (layout !== 'inline') {
    out.push(indent ? '>\n' : '>');
    for (const child of el.children) writeBlockChild(out, child, level + 1, indent);
    if (indent) out.push(pad(level));
    out.push('</', el.name, indent ? '>\n' : '>');
    return;
  }
  let content = '';
  for (const child of el.children) content += inlineText(child);
  if (content === '') out.push(indent ? '/>\n' : '/>');
  else out.push('>', content, '</', el.name, indent ? '>\n' : '>');
}

function writeAttribute(out: string[], attr: XmlAttribute): void {
  let value = '';
  for (const part of attr.parts) {
    switch (part.kind) {
      case 'value':
        value += escapeAttribute(part.text);
        break;
      case 'charref':
        value += `&#${part.code};`;
        break;
      case 'entity':
        value += `&${part.name};`;
        break;
      default:
        assertNever(part, 'attribute part');
    }
  }
  if (value !== '') out.push(' ', attr.name, '="', value, '"');
}

/**
 * `inline`: only text and references (stays on the tag's line); `block`: elements, CDATA or
 * PIs without text beside them (one per line, as libevtx writes them); `mixed`: both.
 */
function contentLayout(children: readonly XmlChild[]): 'inline' | 'block' | 'mixed' {
  let block = false;
  let text = false;
  for (const c of children) {
    if (c.kind === 'element' && c.emptyOptional === true) continue;
    if (c.kind === 'element' || c.kind === 'cdata' || c.kind === 'pi') block = true;
    else if (c.kind !== 'value' || c.text !== '') text = true;
  }
  return block ? (text ? 'mixed' : 'block') : 'inline';
}

function inlineText(child: XmlChild): string {
  switch (child.kind) {
    case 'value':
      return escapeText(child.text);
    case 'charref':
      return `&#${child.code};`;
    case 'entity':
      return `&${child.name};`;
    case 'cdata':
      return `<![CDATA[${child.text}]]>`;
    case 'pi':
      return child.data === '' ? `<?${child.target}?>` : `<?${child.target} ${child.data}?>`;
    case 'element':
      return '';
    default:
      return assertNever(child, 'xml node');
  }
}

const PADS: string[] = [];
function pad(level: number): string {
  let p = PADS[level];
  if (p === undefined) {
    p = '  '.repeat(level);
    PADS[level] = p;
  }
  return p;
}

/** Escapes `&`, `<`, `>` without allocating when there is nothing to escape. */
export function escapeText(s: string): string {
  let i = 0;
  const n = s.length;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 38 || c === 60 || c === 62) break;
  }
  if (i === n) return s;
  let out = s.slice(0, i);
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 38) out += '&amp;';
    else if (c === 60) out += '&lt;';
    else if (c === 62) out += '&gt;';
    else out += s[i];
  }
  return out;
}

function escapeAttribute(s: string): string {
  const t = escapeText(s);
  return t.includes('"') ? t.split('"').join('&quot;') : t;
}
