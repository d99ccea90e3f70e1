/**
 * Flat plans: the flat fields of a record computed straight from its template instance, with no
 * element tree. Once per compiled template (so once per chunk) the template is turned into a
 * plan that says which field each substitution slot feeds; a record then only runs its plan
 * over its values. Nested EventData/UserData instances held in a slot get their own plan.
 *
 * A plan must give exactly what `flattenTree(decodeRecord(...))` gives, key order included,
 * so it follows flatten-tree.ts rule by rule. It covers the shapes real and generated logs use:
 * a root element whose sections are System and EventData (Data/Binary children with static
 * names), with one value or one slot per attribute and per element, plus sections in nested
 * instances or in static or fragment form (handed to `flattenSection`, the tree flattener).
 * Anything else (arrays, names from substitutions, mixed content, elements under System
 * children, UserData templates, ...) makes `flattenRawInstance` return null and the caller
 * builds the tree. test/corpus/flat-plan-*.test.ts checks the equality over the whole corpus.
 */
import type { FieldScalar, FieldValue, Fields } from '../../../core/event.js';
import type { XmlAttributePart, XmlChild, XmlElement, XmlValue } from '../../../core/xml-tree.js';
import {
  SYSTEM_NAMES,
  addSpacelessAliases,
  add,
  contentValue,
  dataName,
  flattenSection,
  isoTime,
  joinKey,
  put,
  type MutableFields,
} from '../../../normalize/flatten-tree.js';
import type { CompiledTemplate } from './chunk-context.js';
import type { FlatValue, RawInstance } from './decoder.js';
import type { SubstitutionSlot, TemplateAttribute, TemplateElement, TemplateNode } from './template.js';

/** One attribute value or element content: a fixed value (as its field value), or a substitution slot. */
type Part = { readonly kind: 'fixed'; readonly value: FieldScalar } | { readonly kind: 'slot'; readonly index: number; readonly optional: boolean };

interface AttributePlan {
  /** The field name it feeds. */
  readonly key: string;
  readonly part: Part;
}

/** A child element of System (flattenSystem). */
interface SystemItemPlan {
  readonly name: string;
  readonly attributes: readonly AttributePlan[];
  /** The element's only content, or null when it has none. */
  readonly content: Part | null;
  /** TimeCreated: its SystemTime attribute (null when absent); attributes and content are then ignored. */
  readonly systemTime: Part | null | undefined;
}

/** A Data or Binary child of EventData (flattenEventData). */
interface DataPlan {
  /** Field name, or null for an unnamed Data (collected into Data / Data[n]). */
  readonly key: string | null;
  /** A static element's value, computed once. */
  readonly staticValue: FieldScalar | undefined;
  readonly content: Part | null;
  /** Instantiated from a template element, so it can come out `emptyOptional` (and give no field). */
  readonly dynamic: boolean;
}

type SectionPlan =
  | { readonly kind: 'system'; readonly items: readonly SystemItemPlan[] }
  | {
      readonly kind: 'event-data';
      readonly attributes: readonly AttributePlan[];
      readonly data: readonly DataPlan[];
      /** Data names with spaces, which also get a space-less alias (see flatten-tree.ts). */
      readonly spacedNames: readonly string[];
    }
  /** A section with no slot: the tree flattener handles it as is. */
  | { readonly kind: 'static'; readonly element: XmlElement }
  /** A slot among the sections: a nested instance or fragment supplies sections at run time. */
  | { readonly kind: 'slot'; readonly index: number };

type InstancePlan = readonly SectionPlan[];

/**
 * What a plan's run writes, for value lists (FlatFields.values): a run can list the values it
 * stores when none of them is overwritten later (`put` onto a key already written; two `add`s
 * make a list and lose nothing) and no section of it goes through the tree flattener. Keys are
 * static in a plan, so this is worked out once per template.
 */
interface PlanWrites {
  /** Keys `put` sets. */
  readonly puts: ReadonlySet<string>;
  /** Every key written (space-less aliases aside: they only repeat values listed already). */
  readonly keys: ReadonlySet<string>;
  /** No value overwritten by a later one of the plan's own, no static section. */
  readonly listable: boolean;
  /** Sections a nested instance or a fragment fills at run time. */
  readonly slots: number;
}

interface NestedPlan {
  readonly sections: InstancePlan;
  readonly writes: PlanWrites;
}

/** A record template's plan; `nestedListable` caches `listableWith` per nested plan met. */
interface RootPlan extends NestedPlan {
  readonly nestedListable: Map<NestedPlan, boolean>;
}

/**
 * A record's flat fields and, when its plans allow, the values they hold as a list (keyword
 * searches read every value of every event, and walking a list is much cheaper than enumerating
 * the keys of an object that many fields have put in dictionary mode). The list holds every
 * value of `fields` (a list field's items may come one by one) and nothing else; a value may
 * come twice. Null when the plans cannot vouch for that.
 */
export interface FlatFields {
  readonly fields: Fields;
  readonly values: readonly FieldValue[] | null;
}

/** The values a run stores, while it can still vouch for them. */
class ValueList {
  readonly values: FieldValue[] = [];
  complete = true;

  constructor(readonly root: RootPlan) {}
}

/** Not plannable: the record goes through the tree. */
class NoPlan extends Error {}

/**
 * A template's plans, as a record's template (sections under its root) and as a nested
 * instance (sections themselves), and its element count; undefined until first asked for.
 * Kept on the template rather than in module-level WeakMaps: V8's scavenger treats a WeakMap's
 * values as live, so every chunk's plans (and the template nodes they point into) were
 * promoted to the old generation instead of dying young (measured: 12% of the flat read's
 * allocation survived a scavenge, 0.5% without).
 */
export interface TemplatePlans {
  root: RootPlan | null | undefined;
  nested: NestedPlan | null | undefined;
  elementCount: number | undefined;
}

export function newTemplatePlans(): TemplatePlans {
  return { root: undefined, nested: undefined, elementCount: undefined };
}

/** Fields of a record from its raw instance, or null when its shape needs the tree. */
export function flattenRawInstance(raw: RawInstance): FlatFields | null {
  const plan = rootPlanOf(raw.template);
  if (plan === null) return null;
  const out: MutableFields = {};
  const list = plan.writes.listable && plan.writes.slots <= 1 ? new ValueList(plan) : null;
  if (!runSections(plan.sections, raw.values, out, list)) return null;
  return { fields: out, values: list !== null && list.complete ? list.values : null };
}

/** Template elements the tree path instantiates for one instance (its node budget cost). */
export function templateElementCount(template: CompiledTemplate): number {
  return (template.plans.elementCount ??= countElements(template.nodes));
}

function countElements(nodes: readonly TemplateNode[]): number {
  let n = 0;
  for (const node of nodes) if (node.kind === 'template-element') n += 1 + countElements(node.children);
  return n;
}

// Not `??=` in the two below: null (not plannable) is a cached answer too.
function rootPlanOf(template: CompiledTemplate): RootPlan | null {
  const plans = template.plans;
  if (plans.root === undefined) {
    plans.root = planOrNull(() => {
      const sections = rootSections(template.nodes).map(sectionPlan);
      return { sections, writes: planWrites(sections), nestedListable: new Map() };
    });
  }
  return plans.root;
}

function nestedPlanOf(template: CompiledTemplate): NestedPlan | null {
  const plans = template.plans;
  if (plans.nested === undefined) {
    plans.nested = planOrNull(() => {
      const sections = template.nodes.map(sectionPlan);
      return { sections, writes: planWrites(sections) };
    });
  }
  return plans.nested;
}

/** The plan `make` builds, or null when the template is not plannable. */
function planOrNull<P>(make: () => P): P | null {
  try {
    return make();
  } catch (e) {
    if (!(e instanceof NoPlan)) throw e;
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// Compiling (once per template)

function planWrites(sections: InstancePlan): PlanWrites {
  const puts = new Set<string>();
  const keys = new Set<string>();
  let listable = true;
  let slots = 0;
  const write = (key: string, isPut: boolean): void => {
    if (isPut) {
      if (keys.has(key)) listable = false;
      puts.add(key);
    }
    keys.add(key);
  };
  for (const section of sections) {
    switch (section.kind) {
      case 'system':
        for (const item of section.items) {
          if (item.systemTime !== undefined) {
            if (item.systemTime !== null) write('TimeCreated', true);
            continue;
          }
          for (const a of item.attributes) write(a.key, true);
          if (item.content !== null) write(item.name, true);
        }
        break;
      case 'event-data': {
        for (const a of section.attributes) write(a.key, false);
        let unnamed = 0;
        for (const d of section.data) {
          if (d.key === null) unnamed++;
          else write(d.key, false);
        }
        if (unnamed > 0) write('Data', false);
        for (let i = 1; i <= unnamed; i++) write(`Data[${i}]`, true);
        break;
      }
      case 'static':
        if (section.element !== IGNORED) listable = false;
        break;
      case 'slot':
        slots++;
        break;
      default: {
        const never: never = section;
        throw new Error(`unknown section plan ${JSON.stringify(never)}`);
      }
    }
  }
  return { puts, keys, listable, slots };
}

/**
 * Whether a root plan's value list stays exact with this nested instance in its (only) slot:
 * the instance lists its own values, and no key of one is `put` by the other (whichever runs
 * first, that would overwrite a listed value).
 */
function listableWith(root: RootPlan, nested: NestedPlan): boolean {
  let ok = root.nestedListable.get(nested);
  if (ok === undefined) {
    const w = nested.writes;
    ok = w.listable && w.slots === 0 && ![...w.puts].some((k) => root.writes.keys.has(k)) && ![...w.keys].some((k) => root.writes.puts.has(k));
    root.nestedListable.set(nested, ok);
  }
  return ok;
}

/** The sections of a record's template: the children of its first element (rootElement). */
function rootSections(nodes: readonly TemplateNode[]): readonly TemplateNode[] {
  for (const node of nodes) {
    if (node.kind === 'template-element') return node.children;
    // A slot before the root could hold the root itself; a static root has nothing to plan.
    if (node.kind === 'substitution' || node.kind === 'element') throw new NoPlan();
  }
  throw new NoPlan();
}

function sectionPlan(node: TemplateNode): SectionPlan {
  switch (node.kind) {
    case 'substitution':
      return { kind: 'slot', index: node.index };
    case 'element':
      return { kind: 'static', element: node };
    case 'template-element':
      if (node.name === 'System') return { kind: 'system', items: systemItems(node.children) };
      if (node.name === 'EventData') return eventDataPlan(node);
      throw new NoPlan();
    default:
      // Text, references, CDATA and PIs between sections give no field.
      return { kind: 'static', element: IGNORED };
  }
}

/** A stand-in for section-level non-elements: flattenTree skips them, so they must add nothing. */
const IGNORED: XmlElement = { kind: 'element', name: '#ignored', attributes: [], children: [] };

function systemItems(children: readonly TemplateNode[]): SystemItemPlan[] {
  const items: SystemItemPlan[] = [];
  for (const c of children) {
    if (c.kind === 'substitution') throw new NoPlan(); // could hold elements
    if (c.kind !== 'element' && c.kind !== 'template-element') continue;
    const attributes = attributePlans(c, (a) => joinKey(c.name, a));
    const timeAttributes = c.attributes.filter((a) => a.name === 'SystemTime');
    if (c.name === 'TimeCreated' && timeAttributes.length > 1) throw new NoPlan();
    items.push({
      name: c.name,
      attributes,
      content: contentPart(c.children),
      systemTime: c.name === 'TimeCreated' ? (timeAttributes.length === 0 ? null : attributePart(timeAttributes[0]!.parts)) : undefined,
    });
  }
  return items;
}

function eventDataPlan(el: TemplateElement): SectionPlan {
  const attributes = attributePlans(el, (a) => `EventData_${a}`).filter((a) => !isNamespaceName(a.key.slice('EventData_'.length)));
  const data: DataPlan[] = [];
  for (const c of el.children) {
    if (c.kind === 'substitution') throw new NoPlan(); // could hold Data elements
    if (c.kind === 'element') {
      data.push(staticDataPlan(c));
      continue;
    }
    if (c.kind !== 'template-element') continue;
    if (c.name !== 'Data' && c.name !== 'Binary') throw new NoPlan(); // flattenLeaves territory
    data.push({ key: c.name === 'Binary' ? 'Binary' : dataKey(staticName(c.attributes)), staticValue: undefined, content: contentPart(c.children), dynamic: true });
  }
  const spacedNames = [...new Set(data.map((d) => d.key).filter((k): k is string => k !== null && k.includes(' ')))];
  return { kind: 'event-data', attributes, data, spacedNames };
}

function staticDataPlan(el: XmlElement): DataPlan {
  if (el.name !== 'Data' && el.name !== 'Binary') throw new NoPlan();
  const key = el.name === 'Binary' ? 'Binary' : dataKey(dataName(el));
  return { key, staticValue: contentValue(el.children), content: null, dynamic: false };
}

function dataKey(name: string | null): string | null {
  if (name === null || name === '') return null;
  return SYSTEM_NAMES.has(name) ? `EventData_${name}` : name;
}

/** The text of a template Data element's first Name attribute; a slot there means no plan. */
function staticName(attributes: readonly TemplateAttribute[]): string | null {
  for (const a of attributes) {
    if (a.name !== 'Name') continue;
    const part = attributePart(a.parts);
    const first = a.parts[0];
    if (part === null || part.kind !== 'fixed' || first?.kind !== 'value') throw new NoPlan();
    return first.text; // dataName reads the text, not the typed value
  }
  return null;
}

function attributePlans(el: XmlElement | TemplateElement, keyOf: (attribute: string) => string): AttributePlan[] {
  const plans: AttributePlan[] = [];
  for (const a of el.attributes) {
    const part = attributePart(a.parts);
    if (part !== null) plans.push({ key: keyOf(a.name), part });
  }
  return plans;
}

/** An attribute made of one value or one slot; no parts means the attribute is dropped (null). */
function attributePart(parts: readonly (XmlAttributePart | SubstitutionSlot)[]): Part | null {
  if (parts.length === 0) return null;
  if (parts.length > 1) throw new NoPlan();
  const p = parts[0]!;
  if (p.kind === 'value') return { kind: 'fixed', value: scalarOf(p) };
  if (p.kind === 'substitution') return { kind: 'slot', index: p.index, optional: p.optional };
  throw new NoPlan(); // a lone reference: rare, left to the tree
}

/** Element content made of at most one value or slot; anything richer means no plan. */
function contentPart(children: readonly (TemplateNode | XmlChild)[]): Part | null {
  if (children.length === 0) return null;
  if (children.length > 1) throw new NoPlan();
  const c = children[0]!;
  if (c.kind === 'value') return { kind: 'fixed', value: scalarOf(c) };
  if (c.kind === 'substitution') return { kind: 'slot', index: c.index, optional: c.optional };
  throw new NoPlan();
}

function isNamespaceName(name: string): boolean {
  return name === 'xmlns' || name.startsWith('xmlns:');
}

// ---------------------------------------------------------------------------------------------
// Running (once per record)

/** A slot value the plan cannot place (fragment, nested instance or array where a value goes). */
const UNPLACEABLE = Symbol('unplaceable');
/** A slot value that renders as nothing: the attribute is dropped, the element left empty. */
const ABSENT = Symbol('absent');

function scalarOf(v: XmlValue): FieldScalar {
  return typeof v.json === 'number' || typeof v.json === 'boolean' ? v.json : v.text;
}

/**
 * What one part resolves to for this record: its field value (a decoded value's text is never
 * empty unless the value is a string, so `'' ` stands for "renders no text" too).
 */
function resolve(part: Part, values: readonly FlatValue[]): FieldScalar | typeof ABSENT | typeof UNPLACEABLE {
  if (part.kind === 'fixed') return part.value;
  const v = values[part.index];
  if (v == null) return ABSENT;
  if (typeof v !== 'object') return v;
  if (v.kind === 'empty-array') return ABSENT;
  if (v.kind === 'value') return scalarOf(v);
  return UNPLACEABLE;
}

/** Runs a plan over a record's slot values into `out`; `list`, when given, receives each value stored. */
function runSections(plan: InstancePlan, values: readonly FlatValue[], out: MutableFields, list: ValueList | null): boolean {
  const listed = list === null ? null : list.values;
  for (const section of plan) {
    switch (section.kind) {
      case 'system':
        if (!runSystem(section.items, values, out, listed)) return false;
        break;
      case 'event-data':
        if (!runEventData(section.attributes, section.data, values, out, listed)) return false;
        if (section.spacedNames.length > 0) addSpacelessAliases(out, section.spacedNames);
        break;
      case 'static':
        if (section.element !== IGNORED) flattenSection(out, section.element);
        break;
      case 'slot':
        if (!runSlotSections(values[section.index], out, list)) return false;
        break;
      default: {
        const never: never = section;
        throw new Error(`unknown section plan ${JSON.stringify(never)}`);
      }
    }
  }
  return true;
}

/** A slot among the sections: its instance or fragment children become sections in place. */
function runSlotSections(v: FlatValue | undefined, out: MutableFields, list: ValueList | null): boolean {
  if (v == null || typeof v !== 'object') return true; // nothing, or text among sections: no field
  switch (v.kind) {
    case 'value':
    case 'empty-array':
      return true; // text among sections: no field
    case 'array':
      return false;
    case 'fragment':
      if (list !== null) list.complete = false; // the tree flattener lists nothing
      for (const c of v.children) if (c.kind === 'element') flattenSection(out, c);
      return true;
    case 'instance': {
      const plan = nestedPlanOf(v.template);
      if (plan === null) return false;
      if (list !== null && list.complete && !listableWith(list.root, plan)) list.complete = false;
      return runSections(plan.sections, v.values, out, list !== null && list.complete ? list : null);
    }
    default: {
      const never: never = v;
      throw new Error(`unknown value ${JSON.stringify(never)}`);
    }
  }
}

function runAttributes(
  attributes: readonly AttributePlan[],
  values: readonly FlatValue[],
  out: MutableFields,
  system: boolean,
  listed: FieldValue[] | null,
): boolean {
  for (const a of attributes) {
    const v = resolve(a.part, values);
    if (v === ABSENT) continue;
    if (v === UNPLACEABLE) return false;
    if (v === '') continue; // empty attributes give no field
    if (system) put(out, a.key, v);
    else add(out, a.key, v);
    if (listed !== null) listed.push(v);
  }
  return true;
}

function runSystem(items: readonly SystemItemPlan[], values: readonly FlatValue[], out: MutableFields, listed: FieldValue[] | null): boolean {
  for (const item of items) {
    if (item.systemTime !== undefined) {
      if (item.systemTime === null) continue;
      const t = resolve(item.systemTime, values);
      if (t === UNPLACEABLE) return false;
      if (t !== ABSENT) {
        const time = isoTime(String(t));
        put(out, 'TimeCreated', time);
        if (listed !== null) listed.push(time);
      }
      continue;
    }
    if (!runAttributes(item.attributes, values, out, true, listed)) return false;
    if (item.content === null) continue;
    const c = resolve(item.content, values);
    if (c === UNPLACEABLE) return false;
    if (c !== ABSENT && c !== '') {
      put(out, item.name, c);
      if (listed !== null) listed.push(c);
    }
  }
  return true;
}

function runEventData(
  attributes: readonly AttributePlan[],
  data: readonly DataPlan[],
  values: readonly FlatValue[],
  out: MutableFields,
  listed: FieldValue[] | null,
): boolean {
  if (!runAttributes(attributes, values, out, false, listed)) return false;
  let unnamed: FieldScalar[] | undefined;
  for (const d of data) {
    let value: FieldScalar;
    if (!d.dynamic) {
      value = d.staticValue!;
    } else if (d.content === null) {
      value = '';
    } else {
      const c = resolve(d.content, values);
      if (c === UNPLACEABLE) return false;
      if (c === ABSENT) {
        // An optional slot that came out Null leaves the element `emptyOptional`: no field.
        if (d.content.kind === 'slot' && d.content.optional && isNull(values[d.content.index])) continue;
        value = '';
      } else {
        value = c;
      }
    }
    if (d.key === null) (unnamed ??= []).push(value);
    else {
      add(out, d.key, value);
      if (listed !== null) listed.push(value);
    }
  }
  if (unnamed !== undefined) {
    add(out, 'Data', unnamed.length === 1 ? unnamed[0]! : unnamed);
    // `Data` holds the same values as `Data[1]`, `Data[2]`, ...: listed once, with those.
    for (let i = 0; i < unnamed.length; i++) {
      put(out, `Data[${i + 1}]`, unnamed[i]!);
      if (listed !== null) listed.push(unnamed[i]!);
    }
  }
  return true;
}

/** Null (not an empty array): what makes an optional element `emptyOptional`. */
function isNull(v: FlatValue | undefined): boolean {
  return v == null;
}
