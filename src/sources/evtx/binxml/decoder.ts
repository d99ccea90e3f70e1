/**
 * BinXml token reader. One reader handles three contexts that differ only in small ways:
 * template definitions (elements carry a u16 dependency id, substitutions are slots),
 * record-level fragments and nested BinXml values (no dependency id; a template instance or an
 * inline, template-less element tree).
 */
import type { LocatedError } from '../../../core/diagnostics.js';
import type { XmlAttributePart, XmlChild, XmlDocument } from '../../../core/xml-tree.js';
import type { ChunkContext, CompiledTemplate } from './chunk-context.js';
import { LIMITS, binxmlError, inlineNameSize, readName } from './chunk-context.js';
import type { InstantiationBudget, SubstitutionSlot, TemplateAttribute, TemplateNode } from './template.js';
import { instantiateNodes, makeElement } from './template.js';
import { decodeUtf16 } from './text-codec.js';
import { flattenRawInstance, newTemplatePlans, templateElementCount, type FlatFields } from './flat-plan.js';
import type { SubstitutionValue } from './values.js';
import { EMPTY_ARRAY, VALUE_TYPE, ValueDecodeError, decodeArray, decodeFieldScalar, decodeScalar, fixedSize, stringValue } from './values.js';

const TOKEN = Object.freeze({
  eof: 0x00,
  openStartElement: 0x01,
  closeStartElement: 0x02,
  closeEmptyElement: 0x03,
  endElement: 0x04,
  value: 0x05,
  attribute: 0x06,
  cdata: 0x07,
  charRef: 0x08,
  entityRef: 0x09,
  piTarget: 0x0a,
  piData: 0x0b,
  templateInstance: 0x0c,
  normalSubstitution: 0x0d,
  optionalSubstitution: 0x0e,
  fragmentHeader: 0x0f,
});

/** The 0x40 bit means "more follows" / "has attributes" on some tokens. */
const MORE_FLAG = 0x40;

/** Template definition header: next-definition offset, GUID, data size. */
const TEMPLATE_HEADER_SIZE = 24;

/**
 * A nested template instance kept uninstantiated (flat mode): its compiled template and its
 * values, which the template's flat plan turns into fields directly.
 */
export interface RawInstance {
  readonly kind: 'instance';
  readonly template: CompiledTemplate;
  readonly values: readonly FlatValue[];
}

/**
 * A substitution value as read in flat mode: nested instances may stay raw, and plain scalars
 * come as the field value itself (see decodeFieldScalar) rather than an XmlValue.
 */
export type FlatValue = SubstitutionValue | RawInstance | string | number | boolean;

/** State for decoding one record. */
class RecordDecoder {
  private tokensLeft = LIMITS.maxTokensPerRecord;
  readonly budget: InstantiationBudget;
  /** Flat mode: a value held an array (flat plans do not expand arrays). */
  sawArray = false;

  constructor(readonly ctx: ChunkContext) {
    this.budget = {
      nodes: LIMITS.maxNodesPerRecord,
      hasArrays: false,
      onExhausted: (): never => {
        throw binxmlError(ctx, 'too-large', `record expands to more than ${LIMITS.maxNodesPerRecord} nodes`, 0);
      },
    };
  }

  fail(code: string, message: string, offset: number): LocatedError {
    return binxmlError(this.ctx, code, message, offset);
  }

  private need(pos: number, size: number, end: number, what: string): void {
    if (pos + size > end || pos < 0) {
      throw this.fail('truncated', `${what} at 0x${pos.toString(16)} runs past the end of its data`, pos);
    }
  }

  private u8(pos: number, end: number, what: string): number {
    this.need(pos, 1, end, what);
    return this.ctx.bytes[pos]!;
  }

  private u16(pos: number, end: number, what: string): number {
    this.need(pos, 2, end, what);
    const b = this.ctx.bytes;
    return b[pos]! | (b[pos + 1]! << 8);
  }

  private u32(pos: number, end: number, what: string): number {
    this.need(pos, 4, end, what);
    const b = this.ctx.bytes;
    return (b[pos]! | (b[pos + 1]! << 8) | (b[pos + 2]! << 16) | (b[pos + 3]! << 24)) >>> 0;
  }

  private tick(pos: number): void {
    if (--this.tokensLeft < 0) {
      throw this.fail('too-large', `more than ${LIMITS.maxTokensPerRecord} tokens in one record`, pos);
    }
  }

  /**
   * Reads a name reference (u32 offset). When the offset is the current position the name
   * structure is stored right here and is skipped. Returns [name, next position].
   */
  private nameRef(pos: number, end: number, what: string): [string, number] {
    const offset = this.u32(pos, end, what);
    pos += 4;
    const name = readName(this.ctx, offset, pos - 4);
    if (offset === pos) {
      const size = inlineNameSize(this.ctx, offset);
      this.need(pos, size, end, `inline ${what}`);
      pos += size;
    }
    return [name, pos];
  }

  /** UTF-16 string with a u16 char count prefix (value tokens, CDATA, PI data). */
  private prefixedString(pos: number, end: number, what: string): [string, number] {
    const units = this.u16(pos, end, what);
    this.need(pos + 2, units * 2, end, what);
    return [decodeUtf16(this.ctx.bytes, this.ctx.buffer, pos + 2, units), pos + 2 + units * 2];
  }

  /**
   * Reads a fragment: fragment headers, template instances, inline elements and PIs until EOF or
   * `end`. `inTemplate` is true inside template definitions (dependency ids and slots).
   */
  readFragment(pos: number, end: number, depth: number, inTemplate: boolean): [TemplateNode[], number] {
    if (depth > LIMITS.maxDepth) throw this.fail('too-deep', `nesting deeper than ${LIMITS.maxDepth}`, pos);
    const nodes: TemplateNode[] = [];
    while (pos < end) {
      this.tick(pos);
      const token = this.ctx.bytes[pos]!;
      switch (token) {
        case TOKEN.eof:
          return [nodes, pos + 1];
        case TOKEN.fragmentHeader:
          this.need(pos, 4, end, 'fragment header');
          pos += 4;
          break;
        case TOKEN.templateInstance: {
          if (inTemplate) throw this.fail('bad-token', 'template instance inside a template definition', pos);
          const [children, next] = this.readTemplateInstance(pos, end, depth + 1);
          for (const c of children) nodes.push(c);
          pos = next;
          break;
        }
        case TOKEN.openStartElement:
        case TOKEN.openStartElement | MORE_FLAG: {
          const [el, next] = this.readElement(pos, end, depth + 1, inTemplate);
          nodes.push(el);
          pos = next;
          break;
        }
        case TOKEN.piTarget: {
          const [pi, next] = this.readPi(pos, end);
          nodes.push(pi);
          pos = next;
          break;
        }
        default:
          throw this.fail('bad-token', `unexpected token 0x${token.toString(16)} in fragment`, pos);
      }
    }
    return [nodes, pos];
  }

  private readPi(pos: number, end: number): [XmlChild, number] {
    const [target, afterTarget] = this.nameRef(pos + 1, end, 'PI target');
    pos = afterTarget;
    let data = '';
    if (pos < end && this.ctx.bytes[pos] === TOKEN.piData) [data, pos] = this.prefixedString(pos + 1, end, 'PI data');
    return [{ kind: 'pi', target, data }, pos];
  }

  private readSubstitution(pos: number, end: number): [SubstitutionSlot, number] {
    const token = this.ctx.bytes[pos]!;
    const index = this.u16(pos + 1, end, 'substitution');
    this.need(pos + 3, 1, end, 'substitution');
    return [{ kind: 'substitution', index, optional: token === TOKEN.optionalSubstitution }, pos + 4];
  }

  /** Value token (0x05): a type byte then the value; strings carry a u16 char count. */
  private readValueToken(pos: number, end: number): [XmlAttributePart | null, number] {
    const type = this.u8(pos + 1, end, 'value token');
    pos += 2;
    if (type === VALUE_TYPE.string) {
      const [s, next] = this.prefixedString(pos, end, 'value text');
      return [s === '' ? null : stringValue(s), next];
    }
    const size = fixedValueTokenSize(type);
    if (size < 0) throw this.fail('bad-value', `unsupported value token type 0x${type.toString(16)}`, pos - 1);
    this.need(pos, size, end, 'value token');
    return [this.scalar(type, pos, size), pos + size];
  }

  private scalar(type: number, pos: number, size: number): XmlAttributePart | null {
    try {
      return decodeScalar(this.ctx.bytes, this.ctx.buffer, type, pos, size);
    } catch (e) {
      if (e instanceof ValueDecodeError) throw this.fail('bad-value', e.message, pos);
      throw e;
    }
  }

  private readElement(pos: number, end: number, depth: number, inTemplate: boolean): [TemplateNode, number] {
    if (depth > LIMITS.maxDepth) throw this.fail('too-deep', `elements nested deeper than ${LIMITS.maxDepth}`, pos);
    const hasAttributes = (this.ctx.bytes[pos]! & MORE_FLAG) !== 0;
    pos += inTemplate ? 3 : 1; // token [+ dependency id]
    // The element's data size is not needed (tokens are self-delimiting) and is not trusted.
    this.u32(pos, end, 'element data size');
    pos += 4;
    let name: string;
    [name, pos] = this.nameRef(pos, end, 'element name');
    const attributes: TemplateAttribute[] = [];
    if (hasAttributes) {
      this.u32(pos, end, 'attribute list size');
      pos += 4;
      while (pos < end) {
        const t = this.ctx.bytes[pos]! & ~MORE_FLAG;
        if (t !== TOKEN.attribute) break;
        this.tick(pos);
        let attrName: string;
        [attrName, pos] = this.nameRef(pos + 1, end, 'attribute name');
        const parts: (XmlAttributePart | SubstitutionSlot)[] = [];
        pos = this.readContent(pos, end, depth, inTemplate, parts, true);
        attributes.push({ name: attrName, parts });
      }
    }
    this.need(pos, 1, end, 'element close');
    const close = this.ctx.bytes[pos]!;
    if (close === TOKEN.closeEmptyElement) return [makeElement(name, attributes, []), pos + 1];
    if (close !== TOKEN.closeStartElement) {
      throw this.fail('bad-token', `unexpected token 0x${close.toString(16)} after start of <${name}>`, pos);
    }
    pos++;
    const children: TemplateNode[] = [];
    pos = this.readContent(pos, end, depth, inTemplate, children, false);
    this.need(pos, 1, end, `end of <${name}>`);
    if (this.ctx.bytes[pos] !== TOKEN.endElement) {
      throw this.fail('bad-token', `unexpected token 0x${this.ctx.bytes[pos]!.toString(16)} in <${name}>`, pos);
    }
    return [makeElement(name, attributes, children), pos + 1];
  }

  /**
   * Reads element content (or an attribute value when `inAttribute`) into `out`; stops before the
   * first token that does not belong there (EndElement, next attribute, close of start element).
   */
  private readContent(
    pos: number,
    end: number,
    depth: number,
    inTemplate: boolean,
    out: (TemplateNode | XmlAttributePart)[],
    inAttribute: boolean,
  ): number {
    while (pos < end) {
      const token = this.ctx.bytes[pos]!;
      this.tick(pos);
      switch (token & ~MORE_FLAG) {
        case TOKEN.value: {
          const [v, next] = this.readValueToken(pos, end);
          if (v !== null) out.push(v);
          pos = next;
          break;
        }
        case TOKEN.normalSubstitution:
        case TOKEN.optionalSubstitution: {
          if (token & MORE_FLAG) return pos;
          const [slot, next] = this.readSubstitution(pos, end);
          out.push(slot);
          pos = next;
          break;
        }
        case TOKEN.charRef: {
          const code = this.u16(pos + 1, end, 'character reference');
          out.push({ kind: 'charref', code });
          pos += 3;
          break;
        }
        case TOKEN.entityRef: {
          const [name, next] = this.nameRef(pos + 1, end, 'entity name');
          out.push({ kind: 'entity', name });
          pos = next;
          break;
        }
        case TOKEN.cdata: {
          if (inAttribute) return pos;
          const [text, next] = this.prefixedString(pos + 1, end, 'CDATA');
          out.push({ kind: 'cdata', text });
          pos = next;
          break;
        }
        case TOKEN.openStartElement: {
          if (inAttribute) return pos;
          const [el, next] = this.readElement(pos, end, depth + 1, inTemplate);
          out.push(el);
          pos = next;
          break;
        }
        case TOKEN.piTarget: {
          if (inAttribute || token !== TOKEN.piTarget) return pos;
          const [pi, next] = this.readPi(pos, end);
          out.push(pi);
          pos = next;
          break;
        }
        default:
          return pos;
      }
    }
    return pos;
  }

  /**
   * TemplateInstance: u8, u32 template id, u32 definition offset, [inline definition], then the
   * instance values. Returns the instantiated children and the position after the values.
   */
  readTemplateInstance(pos: number, end: number, depth: number): [XmlChild[], number] {
    const [template, valuesAt] = this.readInstanceHead(pos, end, depth);
    const [values, next, hasArrays] = this.readValues(valuesAt, end, depth, false) as [SubstitutionValue[], number, boolean];
    const children: XmlChild[] = [];
    const outer = this.budget.hasArrays;
    this.budget.hasArrays = hasArrays;
    instantiateNodes(template.nodes, values, children, this.budget);
    this.budget.hasArrays = outer;
    return [children, next];
  }

  /** The template an instance token names (compiled on first use) and where its values start. */
  private readInstanceHead(pos: number, end: number, depth: number): [CompiledTemplate, number] {
    if (depth > LIMITS.maxDepth) throw this.fail('too-deep', `templates nested deeper than ${LIMITS.maxDepth}`, pos);
    const tokenPos = pos;
    this.need(pos, 10, end, 'template instance');
    const definitionOffset = this.u32(pos + 6, end, 'template definition offset');
    pos += 10;
    const template = this.template(definitionOffset, tokenPos);
    if (definitionOffset === pos) {
      // Inline definition: the values follow it.
      if (template.end > end) throw this.fail('truncated', 'inline template definition runs past the record', pos);
      pos = template.end;
    }
    return [template, pos];
  }

  /**
   * Flat mode: reads a fragment that is exactly `[fragment headers] template-instance [EOF]`
   * (what nearly every record and nested EventData/UserData value is) without instantiating
   * it. Returns null when the fragment has any other shape; the tree path then reads it.
   * Token, depth and bounds checks are the tree path's, so this never accepts what it rejects.
   */
  readRawInstance(pos: number, end: number, depth: number): RawInstance | null {
    if (depth > LIMITS.maxDepth) throw this.fail('too-deep', `nesting deeper than ${LIMITS.maxDepth}`, pos);
    const b = this.ctx.bytes;
    while (pos < end && b[pos] === TOKEN.fragmentHeader) {
      this.tick(pos);
      this.need(pos, 4, end, 'fragment header');
      pos += 4;
    }
    if (pos >= end || b[pos] !== TOKEN.templateInstance) return null;
    this.tick(pos);
    const [template, valuesAt] = this.readInstanceHead(pos, end, depth + 1);
    // The tree path spends one node per template element it instantiates: spend the same.
    this.budget.nodes -= templateElementCount(template);
    if (this.budget.nodes < 0) this.budget.onExhausted();
    const [values, next] = this.readValues(valuesAt, end, depth + 1, true);
    if (next < end && b[next] !== TOKEN.eof) return null;
    if (next < end) this.tick(next);
    return { kind: 'instance', template, values };
  }

  private template(offset: number, at: number): CompiledTemplate {
    const ctx = this.ctx;
    const cached = ctx.templates.get(offset);
    if (cached !== undefined) {
      if ('nodes' in cached) return cached;
      throw cached;
    }
    if (ctx.compiling.has(offset)) {
      throw this.fail('bad-template', `template at 0x${offset.toString(16)} refers to itself`, at);
    }
    const chunkEnd = ctx.bytes.length;
    if (offset < 0 || offset + TEMPLATE_HEADER_SIZE > chunkEnd) {
      throw this.fail('bad-template', `template definition offset 0x${offset.toString(16)} is outside the chunk`, at);
    }
    const dataSize = this.u32(offset + 20, chunkEnd, 'template data size');
    const bodyStart = offset + TEMPLATE_HEADER_SIZE;
    if (dataSize > chunkEnd - bodyStart) {
      throw this.fail('bad-template', `template data size ${dataSize} runs past the chunk`, offset + 20);
    }
    ctx.compiling.add(offset);
    let result: CompiledTemplate | LocatedError;
    try {
      // Compiled at depth 0: a definition cannot hold template instances, and its cached form
      // must not depend on how deep the first record that used it was nested.
      const [nodes] = this.readFragment(bodyStart, bodyStart + dataSize, 0, true);
      result = { definitionOffset: offset, end: bodyStart + dataSize, nodes, plans: newTemplatePlans() };
    } catch (e) {
      if (!isLocatedError(e)) throw e;
      result = e;
    } finally {
      ctx.compiling.delete(offset);
    }
    // A definition is compiled once per chunk; a bad one fails every record that uses it.
    ctx.templates.set(offset, result);
    if ('nodes' in result) return result;
    throw result;
  }

  /** Instance values: u32 count, count × {u16 size, u8 type, u8 pad}, then the value bytes. */
  private readValues(pos: number, end: number, depth: number, flat: boolean): [FlatValue[], number, boolean] {
    const count = this.u32(pos, end, 'substitution count');
    pos += 4;
    if (count * 4 > end - pos) {
      throw this.fail('bad-size', `${count} substitution descriptors do not fit in the record`, pos - 4);
    }
    const b = this.ctx.bytes;
    const values: FlatValue[] = new Array<FlatValue>(count);
    let data = pos + count * 4;
    let hasArrays = false;
    for (let i = 0; i < count; i++) {
      const d = pos + i * 4;
      const size = b[d]! | (b[d + 1]! << 8);
      const type = b[d + 2]!;
      if (data + size > end) {
        throw this.fail('truncated', `substitution ${i} (${size} bytes, type 0x${type.toString(16)}) runs past the record`, data);
      }
      const value = flat ? this.flatValue(type, data, size, depth) : this.value(type, data, size, depth);
      if (value !== null && typeof value === 'object' && value.kind === 'array') hasArrays = true;
      values[i] = value;
      data += size;
    }
    if (hasArrays) this.sawArray = true;
    return [values, data, hasArrays];
  }

  /** Flat mode: a nested fragment that is a single template instance stays raw; scalars come bare. */
  private flatValue(type: number, pos: number, size: number, depth: number): FlatValue {
    if (type === VALUE_TYPE.binXml) {
      const raw = size > 0 ? this.readRawInstance(pos, pos + size, depth + 1) : null;
      if (raw !== null) return raw;
    } else if ((type & VALUE_TYPE.arrayFlag) === 0) {
      try {
        return decodeFieldScalar(this.ctx.bytes, this.ctx.buffer, type, pos, size);
      } catch (e) {
        if (e instanceof ValueDecodeError) throw this.fail('bad-value', e.message, pos);
        throw e;
      }
    }
    return this.value(type, pos, size, depth);
  }

  private value(type: number, pos: number, size: number, depth: number): SubstitutionValue {
    if (type === VALUE_TYPE.binXml) {
      if (size === 0) return null;
      const [nodes] = this.readFragment(pos, pos + size, depth + 1, false);
      const children: XmlChild[] = [];
      const outer = this.budget.hasArrays;
      this.budget.hasArrays = false;
      instantiateNodes(nodes, [], children, this.budget);
      this.budget.hasArrays = outer;
      return { kind: 'fragment', children };
    }
    if ((type & VALUE_TYPE.arrayFlag) === 0) return this.scalar(type, pos, size) as SubstitutionValue;
    let items: ReturnType<typeof decodeArray>;
    try {
      items = decodeArray(this.ctx.bytes, this.ctx.buffer, type, pos, size);
    } catch (e) {
      if (e instanceof ValueDecodeError) throw this.fail('bad-value', e.message, pos);
      throw e;
    }
    if (items.length === 0) return EMPTY_ARRAY;
    if (items.length === 1) return items[0] ?? EMPTY_ARRAY;
    return { kind: 'array', items };
  }
}

function isLocatedError(e: unknown): e is LocatedError {
  return e instanceof Error && e.name === 'LocatedError';
}

/** Bytes a non-string value token occupies, or -1 when the type cannot appear there. */
function fixedValueTokenSize(type: number): number {
  const size = fixedSize(type);
  return size === 0 ? -1 : size;
}

/**
 * Decodes the BinXml payload of one record, `[dataStart, dataEnd)` relative to the chunk start.
 * Throws a LocatedError (absolute file offset) on bad data.
 */
export function decodeRecord(ctx: ChunkContext, dataStart: number, dataEnd: number): XmlDocument {
  const end = Math.min(dataEnd, ctx.bytes.length);
  if (dataStart < 0 || dataStart > end) {
    throw binxmlError(ctx, 'bad-size', `record data range 0x${dataStart.toString(16)}..0x${dataEnd.toString(16)} is invalid`, Math.max(0, dataStart));
  }
  const decoder = new RecordDecoder(ctx);
  const [nodes] = decoder.readFragment(dataStart, end, 0, false);
  const children: XmlChild[] = [];
  instantiateNodes(nodes, [], children, decoder.budget);
  return { kind: 'document', children };
}

/**
 * The flat fields of a record taken straight from its substitution values through its
 * template's flat plan (flat-plan.ts), with no element tree. Returns null whenever that is not
 * possible (a shape no plan covers, arrays, bad data): the caller then uses `decodeRecord`,
 * whose tree `flattenTree` turns into exactly the same fields.
 */
export function decodeRecordFields(ctx: ChunkContext, dataStart: number, dataEnd: number): FlatFields | null {
  const end = Math.min(dataEnd, ctx.bytes.length);
  if (dataStart < 0 || dataStart > end) return null;
  const decoder = new RecordDecoder(ctx);
  try {
    const raw = decoder.readRawInstance(dataStart, end, 0);
    if (raw === null || decoder.sawArray) return null;
    return flattenRawInstance(raw);
  } catch {
    // The tree path reads the record again and reports the error with its location.
    return null;
  }
}
