/**
 * Field-name views. A view renames and derives fields so an event reads the way a given
 * consumer expects: `windows` (the Windows/Sigma names every source already produces),
 * `splunk` (what Splunk's Windows add-on extracts: EventCode, dest, signature_id, ...), `cim`
 * (CIM data-model names such as Endpoint.Processes). Every rule lives in a data file under
 * `mappings/views/`; this module only loads, validates and evaluates them.
 *
 * File shape (see docs/views.md for the full reference):
 *
 *   view: splunk                  # the name users pass to --view
 *   description: ...
 *   keep_fields: true             # start from all source fields (false: only the targets below)
 *   conditions:                   # named conditions, reusable in `when`
 *     process_creation: [{ channel: Security, event_id: 4688 }, { provider: ..., event_id: 1 }]
 *   fields:
 *     EventCode: '@event_id'      # shorthand for [{ from: '@event_id' }]
 *     user:                       # ordered rules: the first that yields a value wins
 *       - { when: { channel: Security }, from: TargetUserName, ignore: ['-'] }
 *       - { from: [SubjectUserName, User] }          # first present of several
 *       - { when: process_creation, value: unknown } # a constant
 *     process_name: { from: Image, transform: [basename] }
 *     source: { template: 'XmlWinEventLog:{@channel}' }
 *
 * Names starting with `@` read the event's own facts (channel, event_id, provider, computer,
 * time, record_id, file, format) rather than a field.
 */
import { mappingsDir } from '../core/mappings-dir.js';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { isMap, isScalar, isSeq, type Node as YamlNode, type Scalar, type YAMLMap } from 'yaml';
import type { FieldScalar, FieldValue, Fields, InputFormat, VigilEvent } from '../core/event.js';
import { INPUT_FORMATS } from '../core/event.js';
import { LocatedError, type SourceLocation } from '../core/diagnostics.js';
import { YamlData } from '../core/yaml-data.js';
import { assertNever } from '../core/xml-tree.js';

// ---------------------------------------------------------------------------------------------
// Compiled model

export const EVENT_FACTS = ['channel', 'event_id', 'provider', 'computer', 'time', 'record_id', 'file', 'format'] as const;
export type EventFact = (typeof EVENT_FACTS)[number];

export const TRANSFORMS = [
  'basename',
  'hex-to-decimal',
  'lowercase',
  'uppercase',
  'trim',
  'first-token',
  'arguments',
  'unquote',
  'dirname',
] as const;
export type TransformName = (typeof TRANSFORMS)[number];

export type ValueSource =
  | { readonly kind: 'field'; readonly name: string }
  | { readonly kind: 'fact'; readonly fact: EventFact };

export interface Condition {
  readonly channels: ReadonlySet<string> | null; // lower-cased
  readonly providers: ReadonlySet<string> | null; // lower-cased
  readonly eventIds: ReadonlySet<number> | null;
  readonly formats: ReadonlySet<InputFormat> | null;
  /** Globs (`*` = any run) over the input's file name, case-insensitive; any of them. */
  readonly files: readonly RegExp[] | null;
  /** Fields (or `@facts`) that must all be present and non-empty. */
  readonly has: readonly ValueSource[] | null;
  /** Field values (lower-cased) required: each listed field must have one of its values. */
  readonly fieldValues: ReadonlyMap<string, ReadonlySet<string>> | null;
}

/** Any of these conditions (an empty list never matches; `null` in a rule means "always"). */
export type When = readonly Condition[];

export type TemplatePart =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'ref'; readonly source: ValueSource; readonly transforms: readonly TransformName[] };

export type Producer =
  | { readonly kind: 'from'; readonly sources: readonly ValueSource[] }
  | { readonly kind: 'value'; readonly value: FieldScalar }
  | { readonly kind: 'template'; readonly parts: readonly TemplatePart[] };

export interface FieldRule {
  readonly when: When | null;
  readonly produce: Producer;
  /** Values treated as absent (compared as text, after transforms). */
  readonly ignore: ReadonlySet<string>;
  /** Value translation (keys lower-cased text, after transforms); an unlisted value is absent. */
  readonly map: ReadonlyMap<string, FieldScalar> | null;
  /** The value (as text, before transforms) must match this for the rule to apply. */
  readonly match: RegExp | null;
  readonly transforms: readonly TransformName[];
  readonly location: SourceLocation;
}

export interface FieldTarget {
  readonly name: string;
  readonly rules: readonly FieldRule[];
}

export interface ViewDefinition {
  readonly name: string;
  readonly description: string;
  readonly file: string;
  readonly keepFields: boolean;
  readonly targets: readonly FieldTarget[];
  /** The file's named conditions, for callers that decide more than field values (data sets). */
  readonly conditions: ReadonlyMap<string, When>;
  /** Top-level keys the caller allowed beyond the view keys (`compileView` options), as plain data. */
  readonly extras: Readonly<Record<string, unknown>>;
}

export interface CompileViewOptions {
  /** Extra top-level keys this kind of file may carry (returned in `extras`, not interpreted). */
  readonly extraKeys?: readonly string[];
}

// ---------------------------------------------------------------------------------------------
// Loading and validation (every problem is collected with file:line:column)

interface LoadContext {
  readonly yaml: YamlData;
  readonly errors: LocatedError[];
}

function locate(ctx: LoadContext, node: YamlNode | null | undefined): SourceLocation {
  return ctx.yaml.where(node);
}

function fail(ctx: LoadContext, node: YamlNode | null | undefined, code: string, message: string): null {
  ctx.errors.push(new LocatedError(`view.${code}`, message, locate(ctx, node)));
  return null;
}

function scalarValue(node: unknown): FieldScalar | undefined {
  if (!isScalar(node)) return undefined;
  const v = (node as Scalar).value;
  if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  return undefined;
}

function stringOf(ctx: LoadContext, node: unknown, what: string): string | null {
  const v = scalarValue(node);
  if (typeof v === 'string' && v.length > 0) return v;
  return fail(ctx, node as YamlNode, 'expected-string', `${what} must be a non-empty string`);
}

/** A scalar or a list of scalars, as a list of nodes. */
function listOf(node: unknown): unknown[] {
  return isSeq(node) ? [...node.items] : [node];
}

function mapEntries(ctx: LoadContext, node: unknown, what: string): Array<[Scalar, unknown]> | null {
  if (!isMap(node)) return fail(ctx, node as YamlNode, 'expected-map', `${what} must be a mapping`);
  const out: Array<[Scalar, unknown]> = [];
  for (const pair of (node as YAMLMap).items) {
    if (!isScalar(pair.key) || typeof pair.key.value !== 'string') {
      fail(ctx, pair.key as YamlNode, 'bad-key', `${what}: keys must be strings`);
      continue;
    }
    out.push([pair.key, pair.value]);
  }
  return out;
}

/** A mapping whose keys may be any scalar (numbers too), as text. */
function mapEntriesAnyKey(ctx: LoadContext, node: unknown, what: string): Array<[string, unknown]> | null {
  if (!isMap(node)) return fail(ctx, node as YamlNode, 'expected-map', `${what} must be a mapping`);
  const out: Array<[string, unknown]> = [];
  for (const pair of (node as YAMLMap).items) {
    const k = scalarValue(pair.key);
    if (k === undefined || k === null) fail(ctx, pair.key as YamlNode, 'bad-key', `${what}: keys must be scalars`);
    else out.push([String(k), pair.value]);
  }
  return out;
}

function checkKeys(ctx: LoadContext, entries: Array<[Scalar, unknown]>, allowed: readonly string[], what: string): void {
  for (const [key] of entries) {
    const name = key.value as string;
    if (!allowed.includes(name)) {
      fail(ctx, key, 'unknown-key', `${what}: unknown key '${name}' (expected one of: ${allowed.join(', ')})`);
    }
  }
}

function parseSource(ctx: LoadContext, node: unknown, text: string): ValueSource | null {
  if (text.startsWith('@')) {
    const fact = text.slice(1);
    if ((EVENT_FACTS as readonly string[]).includes(fact)) return { kind: 'fact', fact: fact as EventFact };
    return fail(ctx, node as YamlNode, 'unknown-fact', `unknown event fact '${text}' (expected one of: ${EVENT_FACTS.map((f) => '@' + f).join(', ')})`);
  }
  return { kind: 'field', name: text };
}

function parseTransforms(ctx: LoadContext, node: unknown): TransformName[] {
  const out: TransformName[] = [];
  for (const item of listOf(node)) {
    const name = stringOf(ctx, item, 'transform');
    if (name === null) continue;
    if (!(TRANSFORMS as readonly string[]).includes(name)) {
      fail(ctx, item as YamlNode, 'unknown-transform', `unknown transform '${name}' (expected one of: ${TRANSFORMS.join(', ')})`);
      continue;
    }
    out.push(name as TransformName);
  }
  return out;
}

const TEMPLATE_REF = /\{([^{}]*)\}/g;

function parseTemplate(ctx: LoadContext, node: unknown): TemplatePart[] | null {
  const text = stringOf(ctx, node, 'template');
  if (text === null) return null;
  const parts: TemplatePart[] = [];
  let last = 0;
  let ok = true;
  for (const m of text.matchAll(TEMPLATE_REF)) {
    const at = m.index ?? 0;
    if (at > last) parts.push({ kind: 'text', text: text.slice(last, at) });
    const [refName, ...transformNames] = (m[1] ?? '').split('|').map((s) => s.trim());
    if (!refName) {
      fail(ctx, node as YamlNode, 'bad-template', `template '${text}': empty {} reference`);
      ok = false;
    } else {
      const source = parseSource(ctx, node, refName);
      const transforms: TransformName[] = [];
      for (const t of transformNames) {
        if ((TRANSFORMS as readonly string[]).includes(t)) transforms.push(t as TransformName);
        else {
          fail(ctx, node as YamlNode, 'unknown-transform', `template '${text}': unknown transform '${t}'`);
          ok = false;
        }
      }
      if (source === null) ok = false;
      else parts.push({ kind: 'ref', source, transforms });
    }
    last = at + m[0].length;
  }
  if (last < text.length) parts.push({ kind: 'text', text: text.slice(last) });
  if (!parts.some((p) => p.kind === 'ref')) {
    fail(ctx, node as YamlNode, 'bad-template', `template '${text}' references no field; use 'value' for a constant`);
    ok = false;
  }
  return ok ? parts : null;
}

const CONDITION_KEYS = ['channel', 'provider', 'event_id', 'format', 'file', 'has', 'fields'] as const;

/** Longest file glob accepted; file names are short and the glob must stay cheap. */
const MAX_GLOB = 256;

/** A file-name glob as an anchored, case-insensitive RegExp (`*` any run, `?` one character). */
export function fileGlob(glob: string): RegExp {
  let body = '';
  for (const ch of glob.slice(0, MAX_GLOB)) {
    if (ch === '*') body += body.endsWith('.*') ? '' : '.*'; // collapse runs: no stacked quantifiers
    else if (ch === '?') body += '.';
    else body += ch.replace(/[.+^${}()|[\]\\-]/g, '\\$&');
  }
  return new RegExp(`^${body}$`, 'is');
}

function parseConditionObject(ctx: LoadContext, node: unknown): Condition | null {
  const entries = mapEntries(ctx, node, 'condition');
  if (entries === null) return null;
  checkKeys(ctx, entries, CONDITION_KEYS, 'condition');
  let channels: Set<string> | null = null;
  let providers: Set<string> | null = null;
  let eventIds: Set<number> | null = null;
  let formats: Set<InputFormat> | null = null;
  let files: RegExp[] | null = null;
  let has: ValueSource[] | null = null;
  let fieldValues: Map<string, Set<string>> | null = null;
  for (const [key, value] of entries) {
    switch (key.value as string) {
      case 'channel':
        channels = new Set(listOf(value).map((v) => stringOf(ctx, v, 'channel')?.toLowerCase()).filter((v): v is string => !!v));
        break;
      case 'provider':
        providers = new Set(listOf(value).map((v) => stringOf(ctx, v, 'provider')?.toLowerCase()).filter((v): v is string => !!v));
        break;
      case 'event_id':
        eventIds = new Set();
        for (const item of listOf(value)) {
          const n = scalarValue(item);
          if (typeof n === 'number' && Number.isInteger(n) && n >= 0) eventIds.add(n);
          else fail(ctx, item as YamlNode, 'bad-event-id', 'event_id must be a non-negative integer or a list of them');
        }
        break;
      case 'format':
        formats = new Set();
        for (const item of listOf(value)) {
          const f = stringOf(ctx, item, 'format');
          if (f === null) continue;
          if ((INPUT_FORMATS as readonly string[]).includes(f)) formats.add(f as InputFormat);
          else fail(ctx, item as YamlNode, 'bad-format', `unknown input format '${f}' (expected one of: ${INPUT_FORMATS.join(', ')})`);
        }
        break;
      case 'file':
        files = [];
        for (const item of listOf(value)) {
          const g = stringOf(ctx, item, 'file');
          if (g !== null) files.push(fileGlob(g));
        }
        break;
      case 'has':
        has = [];
        for (const item of listOf(value)) {
          const name = stringOf(ctx, item, 'has');
          const source = name === null ? null : parseSource(ctx, item, name);
          if (source !== null) has.push(source);
        }
        break;
      case 'fields':
        fieldValues = new Map();
        for (const [fieldKey, allowed] of mapEntries(ctx, value, 'fields') ?? []) {
          const set = new Set<string>();
          for (const item of listOf(allowed)) {
            const v = scalarValue(item);
            if (v === undefined || v === null) fail(ctx, item as YamlNode, 'bad-value', `fields: '${String(fieldKey.value)}' takes scalars`);
            else set.add(String(v).toLowerCase());
          }
          fieldValues.set(fieldKey.value as string, set);
        }
        break;
      default:
        break; // reported by checkKeys
    }
  }
  if (channels === null && providers === null && eventIds === null && formats === null && files === null && has === null && fieldValues === null) {
    return fail(ctx, node as YamlNode, 'empty-condition', 'a condition needs at least one of: ' + CONDITION_KEYS.join(', '));
  }
  return { channels, providers, eventIds, formats, files, has, fieldValues };
}

/** A `when`: a named condition, an inline condition, or a list of either (any of them). */
function parseWhen(ctx: LoadContext, node: unknown, named: ReadonlyMap<string, When>): When | null {
  const out: Condition[] = [];
  let ok = true;
  for (const item of listOf(node)) {
    if (isScalar(item)) {
      const name = stringOf(ctx, item, 'condition name');
      const found = name === null ? undefined : named.get(name);
      if (found === undefined) {
        if (name !== null) fail(ctx, item, 'unknown-condition', `unknown condition '${name}' (define it under 'conditions')`);
        ok = false;
      } else out.push(...found);
    } else {
      const c = parseConditionObject(ctx, item);
      if (c === null) ok = false;
      else out.push(c);
    }
  }
  return ok ? out : null;
}

const RULE_KEYS = ['from', 'value', 'template', 'when', 'transform', 'ignore', 'match', 'map'] as const;

function parseRule(ctx: LoadContext, node: unknown, target: string, named: ReadonlyMap<string, When>): FieldRule | null {
  const location = locate(ctx, node as YamlNode);
  // Shorthand: `target: SourceField` or `target: '@fact'`.
  if (isScalar(node)) {
    const text = stringOf(ctx, node, `field '${target}'`);
    const source = text === null ? null : parseSource(ctx, node, text);
    if (source === null) return null;
    return { when: null, produce: { kind: 'from', sources: [source] }, ignore: new Set(), match: null, map: null, transforms: [], location };
  }
  const entries = mapEntries(ctx, node, `rule for '${target}'`);
  if (entries === null) return null;
  checkKeys(ctx, entries, RULE_KEYS, `rule for '${target}'`);
  const get = (k: string): unknown => entries.find(([key]) => key.value === k)?.[1];
  const has = (k: string): boolean => entries.some(([key]) => key.value === k);

  const producers = ['from', 'value', 'template'].filter(has);
  if (producers.length !== 1) {
    return fail(ctx, node as YamlNode, 'bad-rule', `rule for '${target}' needs exactly one of 'from', 'value', 'template' (has ${producers.length === 0 ? 'none' : producers.join(', ')})`);
  }
  let produce: Producer | null = null;
  if (has('from')) {
    const sources: ValueSource[] = [];
    for (const item of listOf(get('from'))) {
      const text = stringOf(ctx, item, 'from');
      const s = text === null ? null : parseSource(ctx, item, text);
      if (s !== null) sources.push(s);
    }
    if (sources.length > 0) produce = { kind: 'from', sources };
    else fail(ctx, node as YamlNode, 'bad-rule', `rule for '${target}': 'from' names no field`);
  } else if (has('value')) {
    const v = get('value');
    const scalar = scalarValue(v);
    if (scalar === undefined) fail(ctx, v as YamlNode, 'bad-value', `rule for '${target}': 'value' must be a scalar`);
    else produce = { kind: 'value', value: scalar };
  } else {
    const parts = parseTemplate(ctx, get('template'));
    if (parts !== null) produce = { kind: 'template', parts };
  }
  const when = has('when') ? parseWhen(ctx, get('when'), named) : null;
  const transforms = has('transform') ? parseTransforms(ctx, get('transform')) : [];
  const ignore = new Set<string>();
  if (has('ignore')) {
    for (const item of listOf(get('ignore'))) {
      const v = scalarValue(item);
      if (v === undefined || v === null) fail(ctx, item as YamlNode, 'bad-ignore', `rule for '${target}': 'ignore' takes scalars`);
      else ignore.add(String(v));
    }
  }
  let match: RegExp | null = null;
  if (has('match')) {
    const text = stringOf(ctx, get('match'), 'match');
    if (text !== null) {
      try {
        match = new RegExp(text);
      } catch (err) {
        fail(ctx, get('match') as YamlNode, 'bad-regex', `rule for '${target}': bad regular expression: ${(err as Error).message}`);
      }
    }
  }
  if (produce === null || (has('when') && when === null)) return null;
  let map: Map<string, FieldScalar> | null = null;
  if (has('map')) {
    map = new Map();
    for (const [key, value] of mapEntriesAnyKey(ctx, get('map'), `rule for '${target}': map`) ?? []) {
      const v = scalarValue(value);
      if (v === undefined || v === null) fail(ctx, value as YamlNode, 'bad-map', `rule for '${target}': map values must be scalars`);
      else map.set(key.toLowerCase(), v);
    }
  }
  return { when, produce, ignore, match, map, transforms, location };
}

const VIEW_KEYS = ['view', 'description', 'keep_fields', 'conditions', 'fields'] as const;

/** Parses and validates one view file. Throws an AggregateError of LocatedErrors listing every problem. */
export function compileView(text: string, file: string, options: CompileViewOptions = {}): ViewDefinition {
  const yaml = new YamlData(file, text, 'view.yaml');
  const ctx: LoadContext = { yaml, errors: [...yaml.syntaxErrors] };
  if (ctx.errors.length > 0) throw viewErrors(ctx);
  const entries = mapEntries(ctx, yaml.root, 'view file');
  if (entries === null) throw viewErrors(ctx);
  const extraKeys = options.extraKeys ?? [];
  checkKeys(ctx, entries, [...VIEW_KEYS, ...extraKeys], 'view file');
  const get = (k: string): unknown => entries.find(([key]) => key.value === k)?.[1];

  const name = stringOf(ctx, get('view') ?? yaml.root, "'view' (the view's name)") ?? '';
  const descriptionNode = get('description');
  const description = descriptionNode === undefined ? '' : stringOf(ctx, descriptionNode, 'description') ?? '';
  const keepNode = get('keep_fields');
  const keep = keepNode === undefined ? false : scalarValue(keepNode);
  if (typeof keep !== 'boolean') fail(ctx, keepNode as YamlNode, 'bad-keep-fields', "'keep_fields' must be true or false");

  const named = new Map<string, When>();
  const conditionsNode = get('conditions');
  if (conditionsNode !== undefined) {
    for (const [key, value] of mapEntries(ctx, conditionsNode, 'conditions') ?? []) {
      const when = parseWhen(ctx, value, named);
      if (when !== null) named.set(key.value as string, when);
    }
  }
  const targets: FieldTarget[] = [];
  const fieldsNode = get('fields');
  if (fieldsNode === undefined) fail(ctx, yaml.root, 'no-fields', "a view needs 'fields' (use '{}' for none)");
  else {
    for (const [key, value] of mapEntries(ctx, fieldsNode, 'fields') ?? []) {
      const target = key.value as string;
      const rules: FieldRule[] = [];
      const items = isSeq(value) ? value.items : [value];
      if (items.length === 0) fail(ctx, key, 'no-rules', `field '${target}' has no rules`);
      for (const item of items) {
        const rule = parseRule(ctx, item, target, named);
        if (rule !== null) rules.push(rule);
      }
      targets.push({ name: target, rules });
    }
  }
  if (ctx.errors.length > 0) throw viewErrors(ctx);
  const extras: Record<string, unknown> = {};
  for (const [key, value] of entries) {
    const k = key.value as string;
    if (extraKeys.includes(k)) extras[k] = (value as YamlNode | null)?.toJSON?.() ?? (isScalar(value) ? (value as Scalar).value : null);
  }
  return Object.freeze({ name, description, file, keepFields: keep === true, targets, conditions: named, extras: Object.freeze(extras) });
}

function viewErrors(ctx: LoadContext): AggregateError {
  return new AggregateError(ctx.errors, `${ctx.errors.length} error(s) in view file ${ctx.yaml.file}`);
}

// ---------------------------------------------------------------------------------------------
// Locating mappings/ at run time

/** The repository's `mappings/views` folder, found relative to this module (src/ or dist/src/). */
export function defaultViewsDir(): string {
  return mappingsDir('views');
}

/** Loads every `*.yml` view in a folder. Throws an AggregateError of LocatedErrors if any is invalid. */
export function loadViews(dir: string = defaultViewsDir()): ReadonlyMap<string, ViewDefinition> {
  const views = new Map<string, ViewDefinition>();
  const errors: LocatedError[] = [];
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.yml') || f.endsWith('.yaml')).sort();
  } catch (err) {
    throw new AggregateError([new LocatedError('view.no-mappings', `cannot read the views folder: ${(err as Error).message}`, { file: dir })], `no views folder at ${dir}`);
  }
  for (const f of files) {
    const file = path.join(dir, f);
    try {
      const view = compileView(readFileSync(file, 'utf8'), file);
      const clash = views.get(view.name);
      if (clash) errors.push(new LocatedError('view.duplicate', `view '${view.name}' is also defined in ${clash.file}`, { file }));
      else views.set(view.name, view);
    } catch (err) {
      if (err instanceof AggregateError) errors.push(...(err.errors as LocatedError[]));
      else errors.push(new LocatedError('view.read', (err as Error).message, { file }));
    }
  }
  if (errors.length > 0) throw new AggregateError(errors, `${errors.length} error(s) in views under ${dir}`);
  return views;
}

let registry: ReadonlyMap<string, ViewDefinition> | null = null;

/** The views shipped in the repository (loaded once). */
export function shippedViews(): ReadonlyMap<string, ViewDefinition> {
  registry ??= loadViews();
  return registry;
}

/** Looks a view up by name; throws an Error naming the available views when unknown. */
export function getView(name: string): ViewDefinition {
  const views = shippedViews();
  const view = views.get(name);
  if (!view) throw new Error(`unknown view '${name}' (available: ${[...views.keys()].join(', ')})`);
  return view;
}

// ---------------------------------------------------------------------------------------------
// Evaluation

/** Applies a view (by name, from the shipped mappings, or a compiled definition) to one event. */
export function applyView(event: VigilEvent, view: string | ViewDefinition): Fields {
  const def = typeof view === 'string' ? getView(view) : view;
  if (def.keepFields && def.targets.length === 0) return event.fields; // identity view: no copy
  const out: Record<string, FieldValue> = def.keepFields ? { ...event.fields } : {};
  forEachTargetValue(event, def, (name, value) => {
    out[name] = value;
  });
  return out;
}

/**
 * Evaluates only the view's targets (not `keep_fields`), handing each produced value to `sink`
 * in file order: for callers that build their own record and want to skip the copy.
 */
export function forEachTargetValue(event: VigilEvent, def: ViewDefinition, sink: (name: string, value: FieldValue) => void): void {
  // Rules share their (named) conditions: each is decided once per event.
  const memo = new Map<Condition, boolean>();
  for (const target of def.targets) {
    for (const rule of target.rules) {
      if (rule.when !== null && !whenHoldsMemo(rule.when, event, memo)) continue;
      const value = produceValue(rule, event);
      if (value !== undefined) {
        sink(target.name, value);
        break;
      }
    }
  }
}

function whenHoldsMemo(when: When, event: VigilEvent, memo: Map<Condition, boolean>): boolean {
  for (const c of when) {
    let holds = memo.get(c);
    if (holds === undefined) {
      holds = conditionHolds(c, event);
      memo.set(c, holds);
    }
    if (holds) return true;
  }
  return false;
}

/** True when any condition of the `when` holds for the event. */
export function whenHolds(when: When, event: VigilEvent): boolean {
  for (const c of when) if (conditionHolds(c, event)) return true;
  return false;
}

function conditionHolds(c: Condition, event: VigilEvent): boolean {
  if (c.eventIds !== null && (event.eventId === null || !c.eventIds.has(event.eventId))) return false;
  if (c.channels !== null && (event.channel === null || !c.channels.has(event.channel.toLowerCase()))) return false;
  if (c.providers !== null && (event.provider === null || !c.providers.has(event.provider.toLowerCase()))) return false;
  if (c.formats !== null && !c.formats.has(event.provenance.format)) return false;
  if (c.files !== null && !fileMatches(c.files, event.provenance.file)) return false;
  if (c.has !== null) for (const s of c.has) if (isAbsent(firstScalar(readSource(s, event)))) return false;
  if (c.fieldValues !== null) for (const [name, allowed] of c.fieldValues) if (!anyValueIn(event.fields[name], allowed)) return false;
  return true;
}

function anyValueIn(v: FieldValue | undefined, allowed: ReadonlySet<string>): boolean {
  if (v === undefined || v === null) return false;
  if (Array.isArray(v)) return (v as readonly FieldScalar[]).some((item) => item !== null && allowed.has(String(item).toLowerCase()));
  return allowed.has(String(v).toLowerCase());
}

/** Globs match the file's base name (archive members: the member's), as users name files. */
function fileMatches(globs: readonly RegExp[], file: string): boolean {
  const cut = Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\'), file.lastIndexOf('!'));
  const base = cut < 0 ? file : file.slice(cut + 1);
  for (const g of globs) if (g.test(base)) return true;
  return false;
}

function readSource(source: ValueSource, event: VigilEvent): FieldValue | undefined {
  switch (source.kind) {
    case 'field':
      return event.fields[source.name];
    case 'fact':
      return readFact(source.fact, event);
    default:
      return assertNever(source, 'value source');
  }
}

function readFact(fact: EventFact, event: VigilEvent): FieldScalar {
  switch (fact) {
    case 'channel':
      return event.channel;
    case 'event_id':
      return event.eventId;
    case 'provider':
      return event.provider;
    case 'computer':
      return event.computer;
    case 'time':
      return event.time;
    case 'record_id':
      return event.provenance.recordId;
    case 'file':
      return event.provenance.file;
    case 'format':
      return event.provenance.format;
    default:
      return assertNever(fact, 'event fact');
  }
}

function isAbsent(v: FieldScalar | undefined): boolean {
  return v === undefined || v === null || v === '';
}

/** Runs `match`, transforms and `ignore` over one scalar; undefined when it drops out. */
function refine(rule: FieldRule, v: FieldScalar): FieldScalar | undefined {
  if (isAbsent(v)) return undefined;
  if (rule.match !== null && !rule.match.test(String(v))) return undefined;
  let out: FieldScalar = v;
  for (const t of rule.transforms) {
    const next = applyTransform(t, out);
    if (next === undefined || isAbsent(next)) return undefined;
    out = next;
  }
  if (rule.map !== null) {
    const mapped = rule.map.get(String(out).toLowerCase());
    if (mapped === undefined) return undefined;
    out = mapped;
  }
  if (rule.ignore.size > 0 && rule.ignore.has(String(out))) return undefined;
  return out;
}

function refineValue(rule: FieldRule, v: FieldValue | undefined): FieldValue | undefined {
  if (v === undefined) return undefined;
  if (Array.isArray(v)) {
    const kept: FieldScalar[] = [];
    for (const item of v as readonly FieldScalar[]) {
      const r = refine(rule, item);
      if (r !== undefined) kept.push(r);
    }
    if (kept.length === 0) return undefined;
    return kept.length === 1 ? (kept[0] as FieldScalar) : kept;
  }
  return refine(rule, v as FieldScalar);
}

/** The rule's value for the event, its `when` already decided. */
function produceValue(rule: FieldRule, event: VigilEvent): FieldValue | undefined {
  const p = rule.produce;
  switch (p.kind) {
    case 'from':
      for (const source of p.sources) {
        const v = refineValue(rule, readSource(source, event));
        if (v !== undefined) return v;
      }
      return undefined;
    case 'value':
      return p.value === null ? undefined : p.value;
    case 'template': {
      let text = '';
      for (const part of p.parts) {
        if (part.kind === 'text') {
          text += part.text;
          continue;
        }
        let v: FieldScalar | undefined = firstScalar(readSource(part.source, event));
        for (const t of part.transforms) v = isAbsent(v) ? undefined : applyTransform(t, v as FieldScalar);
        if (isAbsent(v)) return undefined;
        text += String(v);
      }
      return refine(rule, text);
    }
    default:
      return assertNever(p, 'producer');
  }
}

function firstScalar(v: FieldValue | undefined): FieldScalar | undefined {
  if (Array.isArray(v)) return (v as readonly FieldScalar[])[0];
  return v as FieldScalar | undefined;
}

const FIRST_TOKEN = /^\s*(?:"([^"]*)"?|(\S+))/;

/** One transform over one scalar; undefined when the value cannot be converted. */
export function applyTransform(t: TransformName, v: FieldScalar): FieldScalar | undefined {
  switch (t) {
    case 'basename': {
      const s = String(v);
      const cut = Math.max(s.lastIndexOf('\\'), s.lastIndexOf('/'));
      return cut < 0 ? s : s.slice(cut + 1);
    }
    case 'hex-to-decimal': {
      if (typeof v === 'number') return v;
      const s = String(v).trim();
      if (/^0x[0-9a-f]+$/i.test(s)) {
        const n = Number.parseInt(s.slice(2), 16);
        return Number.isSafeInteger(n) ? n : s.toLowerCase();
      }
      if (/^\d+$/.test(s)) {
        const n = Number(s);
        return Number.isSafeInteger(n) ? n : s;
      }
      return undefined;
    }
    case 'lowercase':
      return String(v).toLowerCase();
    case 'uppercase':
      return String(v).toUpperCase();
    case 'trim':
      return String(v).trim();
    case 'first-token': {
      const m = FIRST_TOKEN.exec(String(v));
      return m ? (m[1] ?? m[2] ?? '') : '';
    }
    case 'arguments': {
      const s = String(v);
      const m = FIRST_TOKEN.exec(s);
      return m ? s.slice(m[0].length).trim() : '';
    }
    case 'dirname': {
      const s = String(v);
      const cut = Math.max(s.lastIndexOf('\\'), s.lastIndexOf('/'));
      return cut <= 0 ? undefined : s.slice(0, cut);
    }
    case 'unquote': {
      const s = String(v).trim();
      return s.length >= 2 && s.startsWith('"') && s.endsWith('"') ? s.slice(1, -1) : s;
    }
    default:
      return assertNever(t, 'transform');
  }
}
