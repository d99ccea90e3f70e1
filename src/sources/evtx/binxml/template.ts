/**
 * Compiled BinXml: an element tree with substitution slots. A template definition is compiled
 * once per chunk; each record then only decodes its values and fills the slots. Subtrees without
 * slots are frozen into shared XmlChild nodes at compile time, so instantiation copies nothing
 * that cannot change.
 */
import type { XmlAttribute, XmlAttributePart, XmlChild, XmlElement, XmlValue } from '../../../core/xml-tree.js';
import { assertNever } from '../../../core/xml-tree.js';
import type { SubstitutionValue } from './values.js';
import { stringValue } from './values.js';

export interface SubstitutionSlot {
  readonly kind: 'substitution';
  readonly index: number;
  /**
   * 0x0e rather than 0x0d. Either kind renders nothing when its value is Null or empty, and an
   * attribute left empty is dropped. libevtx also drops an element whose content was an empty
   * optional substitution; we keep it, empty, as the evtx crate does (`"Binary": null`).
   */
  readonly optional: boolean;
}

export interface TemplateAttribute {
  readonly name: string;
  readonly parts: readonly (XmlAttributePart | SubstitutionSlot)[];
}

export interface TemplateElement {
  readonly kind: 'template-element';
  readonly name: string;
  readonly attributes: readonly TemplateAttribute[];
  readonly children: readonly TemplateNode[];
  /** Slots directly in this element (children first, then attributes): where arrays expand. */
  readonly slots: readonly number[];
  /** The attributes when none has a slot (shared by every instance), else null. */
  readonly staticAttributes: readonly XmlAttribute[] | null;
}

/** A compiled node: a frozen shared node, a slot, or an element containing slots. */
export type TemplateNode = XmlChild | SubstitutionSlot | TemplateElement;

/** Counts nodes produced for one record so array expansion cannot explode. */
export interface InstantiationBudget {
  nodes: number;
  /** Whether the values being instantiated contain any array (skips the expansion scan if not). */
  hasArrays: boolean;
  readonly onExhausted: () => never;
}

function hasSlot(parts: readonly (XmlAttributePart | SubstitutionSlot)[]): boolean {
  for (const p of parts) if (p.kind === 'substitution') return true;
  return false;
}

/** Builds an element node, freezing it when nothing inside depends on substitution values. */
export function makeElement(
  name: string,
  attributes: readonly TemplateAttribute[],
  children: readonly TemplateNode[],
): XmlElement | TemplateElement {
  let dynamic = false;
  for (const a of attributes) if (hasSlot(a.parts)) dynamic = true;
  for (const c of children) if (c.kind === 'substitution' || c.kind === 'template-element') dynamic = true;
  if (dynamic) {
    const slots: number[] = [];
    for (const c of children) if (c.kind === 'substitution') slots.push(c.index);
    for (const a of attributes) for (const p of a.parts) if (p.kind === 'substitution') slots.push(p.index);
    const staticAttributes = attributes.some((a) => hasSlot(a.parts))
      ? null
      : (attributes.filter((a) => a.parts.length > 0) as XmlAttribute[]);
    return { kind: 'template-element', name, attributes, children, slots, staticAttributes };
  }
  return {
    kind: 'element',
    name,
    attributes: attributes.filter((a) => a.parts.length > 0) as XmlAttribute[],
    children: children as XmlChild[],
  };
}

/** Text of a value spliced into an attribute (nested fragments flatten to their text). */
function fragmentText(children: readonly XmlChild[]): string {
  let s = '';
  for (const c of children) {
    switch (c.kind) {
      case 'value':
      case 'cdata':
        s += c.text;
        break;
      case 'element':
        s += fragmentText(c.children);
        break;
      case 'charref':
        s += String.fromCodePoint(c.code);
        break;
      case 'entity':
        s += `&${c.name};`;
        break;
      case 'pi':
        break;
      default:
        assertNever(c, 'xml node');
    }
  }
  return s;
}

/** Index of the first slot (children, then attributes) holding an array; -1 if none. */
function firstArraySlot(el: TemplateElement, values: readonly SubstitutionValue[]): number {
  for (const index of el.slots) {
    const v = values[index];
    if (v != null && v.kind === 'array') return index;
  }
  return -1;
}

/** How many copies of `el` its array slots would produce (the product of their lengths). */
function expansionSize(el: TemplateElement, values: readonly SubstitutionValue[]): number {
  let product = 1;
  const seen = new Set<number>();
  for (const index of el.slots) {
    const v = values[index];
    if (v != null && v.kind === 'array' && !seen.has(index)) {
      seen.add(index);
      product *= v.items.length;
    }
  }
  return product;
}

function instantiateAttributes(
  templateAttributes: readonly TemplateAttribute[],
  values: readonly SubstitutionValue[],
): XmlAttribute[] {
  const attributes: XmlAttribute[] = [];
  for (const a of templateAttributes) {
    const parts: XmlAttributePart[] = [];
    for (const p of a.parts) {
      if (p.kind !== 'substitution') {
        parts.push(p);
        continue;
      }
      const v = values[p.index];
      if (v == null) continue;
      if (v.kind === 'value') parts.push(v);
      else if (v.kind === 'fragment') {
        const text = fragmentText(v.children);
        if (text !== '') parts.push(stringValue(text));
      }
    }
    // Empty attributes are left out, as libevtx and the crate's JSON do.
    if (parts.length > 0) attributes.push({ name: a.name, parts });
  }
  return attributes;
}

function instantiateElement(
  el: TemplateElement,
  values: readonly SubstitutionValue[],
  out: XmlChild[],
  budget: InstantiationBudget,
  arrayItem = false,
): void {
  const arraySlot = budget.hasArrays ? firstArraySlot(el, values) : -1;
  if (arraySlot >= 0) {
    if (expansionSize(el, values) > budget.nodes) budget.onExhausted();
    // MS-EVEN6 3.1.4.7.5: an array repeats its containing element once per item.
    const array = values[arraySlot] as { readonly items: readonly (XmlValue | null)[] };
    const perItem = values.slice();
    for (const item of array.items) {
      perItem[arraySlot] = item;
      // An empty item still stands for one element: libevtx and python-evtx both print it.
      instantiateElement(el, perItem, out, budget, true);
    }
    return;
  }
  if (--budget.nodes < 0) budget.onExhausted();
  const attributes = el.staticAttributes ?? instantiateAttributes(el.attributes, values);
  const children: XmlChild[] = [];
  instantiateNodes(el.children, values, children, budget);
  if (!arrayItem && children.length === 0 && el.children.length > 0 && onlyAbsentOptionalSlots(el.children, values)) {
    out.push({ kind: 'element', name: el.name, attributes, children, emptyOptional: true });
  } else {
    out.push({ kind: 'element', name: el.name, attributes, children });
  }
}

/** True when every child is an optional substitution whose value is absent (Null or empty, not an empty array). */
function onlyAbsentOptionalSlots(nodes: readonly TemplateNode[], values: readonly SubstitutionValue[]): boolean {
  for (const n of nodes) {
    if (n.kind !== 'substitution' || !n.optional) return false;
    const v = values[n.index];
    if (v != null && v.kind === 'empty-array') return false;
  }
  return true;
}

/** Appends the instantiated form of `nodes` to `out`. */
export function instantiateNodes(
  nodes: readonly TemplateNode[],
  values: readonly SubstitutionValue[],
  out: XmlChild[],
  budget: InstantiationBudget,
): void {
  for (const n of nodes) {
    switch (n.kind) {
      case 'template-element':
        instantiateElement(n, values, out, budget);
        break;
      case 'substitution': {
        const v = values[n.index];
        if (v == null) break;
        switch (v.kind) {
          case 'value':
            out.push(v);
            break;
          case 'fragment':
            for (const c of v.children) out.push(c);
            break;
          case 'array':
            // Only reachable outside any element (fragment root): keep the items in order.
            for (const item of v.items) if (item !== null) out.push(item);
            break;
          case 'empty-array':
            break;
          default:
            assertNever(v, 'substitution value');
        }
        break;
      }
      case 'element':
      case 'value':
      case 'charref':
      case 'entity':
      case 'cdata':
      case 'pi':
        out.push(n);
        break;
      default:
        assertNever(n, 'template node');
    }
  }
}
