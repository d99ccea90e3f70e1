/**
 * Fields from the rendered `Message=` of classic WinEventLog text. Windows renders EventData
 * only inside the message, as labelled lines under section headings ("Creator Subject:" /
 * "\tAccount Name:\tkim"), as a sentence ("Changes to '...' at '...' have ...") or as a body of
 * free text (a PowerShell script block). Two layers:
 *
 * 1. Generic: every `Label: value` line gives a field named after the cleaned label
 *    (`New_Process_Name`, and `Creator_Subject.Account_Name` inside a section), the names
 *    Splunk's classic extraction gives.
 * 2. Mapped: `mappings/winevtlog/labels.yml` says, per event, which labels, sentence captures
 *    and bodies are which EventData names (`NewProcessName`, `ScriptBlockText`,
 *    `Configuration`), so rules written for the XML form match the classic form too.
 *
 * Everything is bounded: lines over 4 KiB are not read as labels, at most 500 labels per
 * message, sentence templates are matched with plain string searches on lines up to 64 KiB.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { isMap, isScalar, isSeq, type Node as YamlNode, type Pair } from 'yaml';
import { LocatedError, type SourceLocation } from '../../core/diagnostics.js';
import { YamlData } from '../../core/yaml-data.js';
import type { FieldScalar } from '../../core/event.js';
import { mappingsDir } from '../../core/mappings-dir.js';
import { type FieldBag, addField, setOwn } from './text-event.js';

const MAX_MESSAGE_LABELS = 500;
const MAX_LABEL_LINE = 4096;
/** A sentence or body-start line longer than this is not matched against templates. */
const MAX_TEMPLATE_LINE = 64 * 1024;
const MAX_TEMPLATE_LITERAL = 256;

// ---------------------------------------------------------------------------------------------
// Label lines

/** Splunk CLEAN_KEYS style: runs outside [A-Za-z0-9_] become `_`, trimmed. */
export function cleanLabel(label: string): string {
  return label.replace(/[^A-Za-z0-9_]+/g, '_').replace(/^_+|_+$/g, '');
}

// The label is lazy but capped at 80 characters and the line is anchored, so a hostile line
// costs at most a few thousand steps.
const LABEL_LINE = /^([ \t]*)([A-Za-z][A-Za-z0-9 _()'/#.&-]{0,79}?)[ \t]*:(?:[ \t]+(.*))?$/;

/** One `Label: value` line: cleaned label, the cleaned heading it sits under (or null), value. */
export interface LabelEntry {
  readonly section: string | null;
  readonly name: string;
  /** Trimmed (the generic fields' value). */
  readonly value: string;
  /** Only the separator before it removed: trailing blanks belong to EventData (a CommandLine). */
  readonly exact: string;
}

/**
 * Reads the `Label: value` lines of a message. An unindented label with no value opens a
 * section (`Creator Subject:`); indented labels below it belong to it; an unindented label with
 * a value closes it. Continuation text, label-less lines and lines over 4 KiB are skipped; at
 * most 500 entries.
 */
export function parseLabelLines(lines: readonly string[]): LabelEntry[] {
  const out: LabelEntry[] = [];
  let section: string | null = null;
  for (const line of lines) {
    if (out.length >= MAX_MESSAGE_LABELS) break;
    if (line.length > MAX_LABEL_LINE) continue;
    const m = LABEL_LINE.exec(line);
    if (m === null) continue;
    const [, indent, rawLabel, rawValue] = m;
    const name = cleanLabel(rawLabel!);
    if (name === '') continue;
    const value = (rawValue ?? '').trim();
    if (value === '') {
      if (indent === '') section = name;
      continue;
    }
    if (indent === '') section = null;
    out.push({ section, name, value, exact: rawValue!.replace(/^[ \t]+/, '') });
  }
  return out;
}

/**
 * The generic layer, in place into `fields`: each entry gives `name` (a repeated label becomes
 * a list in order, as Splunk's multivalue extraction does) and, inside a section,
 * `Section.name`, which tells repeated labels apart. Names already in `fields` (header keys,
 * canonical fields) are never overwritten: such a label is kept only as `Section.name`, or
 * `Message.name` outside a section.
 */
export function applyGenericLabels(entries: readonly LabelEntry[], fields: FieldBag): void {
  const reserved = new Set(Object.keys(fields));
  for (const { section, name, value } of entries) {
    const v: FieldScalar = value;
    if (section !== null) addField(fields, `${section}.${name}`, v);
    if (!reserved.has(name)) addField(fields, name, v);
    else if (section === null) addField(fields, `Message.${name}`, v);
  }
}

// ---------------------------------------------------------------------------------------------
// Sentence templates: literal text with `{Name}` captures and `{*}` skips

export type TemplatePart =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'capture'; readonly name: string }
  | { readonly kind: 'skip' };

export interface Template {
  readonly source: string;
  readonly parts: readonly TemplatePart[];
}

const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

/** Parses a template; a string is the reason it is invalid. */
export function parseTemplate(source: string): Template | string {
  const parts: TemplatePart[] = [];
  let i = 0;
  while (i < source.length) {
    const open = source.indexOf('{', i);
    const close = source.indexOf('}', i);
    if (close !== -1 && (open === -1 || close < open)) return `unmatched '}' at ${close}`;
    if (open === -1) {
      parts.push({ kind: 'text', text: source.slice(i) });
      break;
    }
    if (open > i) parts.push({ kind: 'text', text: source.slice(i, open) });
    const end = source.indexOf('}', open);
    if (end === -1) return `unmatched '{' at ${open}`;
    const name = source.slice(open + 1, end);
    if (parts.length > 0 && parts[parts.length - 1]!.kind !== 'text') return `two placeholders with no text between them at ${open}`;
    if (name === '*') parts.push({ kind: 'skip' });
    else if (FIELD_NAME.test(name)) parts.push({ kind: 'capture', name });
    else return `'{${name}}' is not a field name or {*}`;
    i = end + 1;
  }
  if (parts.length === 0) return 'empty template';
  for (const p of parts) if (p.kind === 'text' && p.text.length > MAX_TEMPLATE_LITERAL) return `literal text longer than ${MAX_TEMPLATE_LITERAL} characters`;
  return { source, parts };
}

/**
 * Matches a whole line against a template; the captures in order, or null. Literal text between
 * placeholders is found from the right (lastIndexOf), so earlier captures are greedy: in
 * "Changes to '{Configuration}' at '{ConfigPath}' ...", quotes inside the Configuration stay in
 * it. Plain string searches only: linear in the line for each literal.
 */
export function matchTemplate(template: Template, line: string): Array<readonly [string, string]> | null {
  if (line.length > MAX_TEMPLATE_LINE) return null;
  const parts = template.parts;
  let lo = 0;
  let hi = line.length;
  let first = 0;
  let last = parts.length;
  const head = parts[0]!;
  if (head.kind === 'text') {
    if (parts.length === 1) return line === head.text ? [] : null;
    if (!line.startsWith(head.text)) return null;
    lo = head.text.length;
    first = 1;
  }
  const tail = parts[last - 1]!;
  if (tail.kind === 'text') {
    if (hi - lo < tail.text.length || !line.endsWith(tail.text)) return null;
    hi -= tail.text.length;
    last -= 1;
  }
  // parts[first..last) is hole, text, hole, ..., hole (load rejects adjacent holes).
  const captures: Array<readonly [string, string]> = [];
  let end = hi;
  for (let i = last - 1; i >= first; i -= 2) {
    const hole = parts[i]!;
    let start = lo;
    if (i - 1 >= first) {
      const literal = parts[i - 1] as { readonly kind: 'text'; readonly text: string };
      const from = end - literal.text.length;
      const at = from < lo ? -1 : line.lastIndexOf(literal.text, from);
      if (at < lo) return null;
      start = at + literal.text.length;
      if (hole.kind === 'capture') captures.push([hole.name, line.slice(start, end)]);
      end = at;
    } else if (hole.kind === 'capture') {
      captures.push([hole.name, line.slice(start, end)]);
    }
  }
  return captures.reverse();
}

// ---------------------------------------------------------------------------------------------
// The label map (mappings/winevtlog/labels.yml)

export interface BodyRule {
  readonly start: Template;
  readonly field: string;
  readonly end: string;
}

export interface EventRule {
  readonly id: string;
  /** null: any EventCode. */
  readonly eventIds: ReadonlySet<number> | null;
  /** Lower-cased LogName / SourceName values; the rule applies when either matches. */
  readonly channels: ReadonlySet<string>;
  readonly sources: ReadonlySet<string>;
  readonly sentences: readonly Template[];
  readonly body: BodyRule | null;
  /** Cleaned heading → cleaned label → EventData name. */
  readonly sections: ReadonlyMap<string, ReadonlyMap<string, string>>;
  /** Cleaned label → EventData name, in any section. */
  readonly labels: ReadonlyMap<string, string>;
  readonly identity: boolean;
  readonly location: SourceLocation;
}

export interface LabelMap {
  readonly file: string;
  readonly protectedNames: ReadonlySet<string>;
  /** Lower-cased classic SourceName → the provider name the XML form carries. */
  readonly providers: ReadonlyMap<string, string>;
  readonly events: readonly EventRule[];
}

/** No mapped rules: only the generic layer applies. */
export const EMPTY_LABEL_MAP: LabelMap = { file: '', protectedNames: new Set(), providers: new Map(), events: [] };

interface LoadContext {
  readonly yaml: YamlData;
  readonly errors: LocatedError[];
}

function locate(ctx: LoadContext, node: unknown): SourceLocation {
  return ctx.yaml.where(node);
}

function fail(ctx: LoadContext, node: unknown, code: string, message: string): null {
  ctx.errors.push(new LocatedError(`winevtlog-labels.${code}`, message, locate(ctx, node)));
  return null;
}

/** A map's entries keyed by their string keys, or null (with an error) if it is not a map. */
function entriesOf(ctx: LoadContext, node: unknown, what: string): Array<readonly [string, unknown, Pair]> | null {
  if (!isMap(node)) return fail(ctx, node, 'not-a-map', `${what} must be a map`);
  const out: Array<readonly [string, unknown, Pair]> = [];
  for (const pair of node.items) {
    const key = pair.key;
    if (!isScalar(key) || typeof key.value !== 'string') fail(ctx, key, 'bad-key', `${what}: keys must be strings`);
    else out.push([key.value, pair.value, pair]);
  }
  return out;
}

function stringOf(ctx: LoadContext, node: unknown, what: string): string | null {
  if (isScalar(node) && typeof node.value === 'string' && node.value !== '') return node.value;
  return fail(ctx, node, 'not-a-string', `${what} must be a non-empty string`);
}

function listOf(ctx: LoadContext, node: unknown, what: string): unknown[] {
  if (isSeq(node)) return node.items;
  fail(ctx, node, 'not-a-list', `${what} must be a list`);
  return [];
}

function fieldNameOf(ctx: LoadContext, node: unknown, what: string): string | null {
  const s = stringOf(ctx, node, what);
  if (s === null) return null;
  return FIELD_NAME.test(s) ? s : fail(ctx, node, 'bad-field-name', `${what}: '${s}' is not a field name`);
}

function templateOf(ctx: LoadContext, node: unknown, what: string): Template | null {
  const s = stringOf(ctx, node, what);
  if (s === null) return null;
  const t = parseTemplate(s);
  return typeof t === 'string' ? fail(ctx, node, 'bad-template', `${what}: ${t}`) : t;
}

/** Label → name table; keys are cleaned like labels so they compare with parsed entries. */
function labelTable(ctx: LoadContext, node: unknown, what: string): Map<string, string> {
  const table = new Map<string, string>();
  for (const [label, value, pair] of entriesOf(ctx, node, what) ?? []) {
    const key = cleanLabel(label);
    if (key === '') fail(ctx, pair.key, 'bad-label', `${what}: '${label}' has no letters or digits`);
    const name = fieldNameOf(ctx, value, `${what}: '${label}'`);
    if (key !== '' && name !== null) table.set(key, name);
  }
  return table;
}

function checkKeys(ctx: LoadContext, entries: ReadonlyArray<readonly [string, unknown, Pair]>, allowed: readonly string[], what: string): void {
  for (const [key, , pair] of entries) {
    if (!allowed.includes(key)) fail(ctx, pair.key, 'unknown-key', `${what}: unknown key '${key}' (allowed: ${allowed.join(', ')})`);
  }
}

const EVENT_KEYS = ['id', 'event_ids', 'channels', 'sources', 'sentence', 'body', 'sections', 'labels', 'identity'] as const;

function parseBody(ctx: LoadContext, node: unknown, what: string): BodyRule | null {
  const entries = entriesOf(ctx, node, what);
  if (entries === null) return null;
  checkKeys(ctx, entries, ['start', 'field', 'end'], what);
  const get = (k: string): unknown => entries.find(([key]) => key === k)?.[1];
  const start = templateOf(ctx, get('start') ?? node, `${what}: start`);
  const field = fieldNameOf(ctx, get('field') ?? node, `${what}: field`);
  const end = stringOf(ctx, get('end') ?? node, `${what}: end`);
  return start === null || field === null || end === null ? null : { start, field, end };
}

function lowerSet(ctx: LoadContext, node: unknown, what: string): Set<string> {
  const out = new Set<string>();
  if (node === undefined) return out;
  for (const item of listOf(ctx, node, what)) {
    const s = stringOf(ctx, item, `${what} item`);
    if (s !== null) out.add(s.toLowerCase());
  }
  return out;
}

function parseEvent(ctx: LoadContext, node: unknown, index: number): EventRule | null {
  const what = `events[${index}]`;
  const entries = entriesOf(ctx, node, what);
  if (entries === null) return null;
  checkKeys(ctx, entries, EVENT_KEYS, what);
  const get = (k: string): unknown => entries.find(([key]) => key === k)?.[1];
  const id = stringOf(ctx, get('id') ?? node, `${what}: id`) ?? `#${index}`;
  const where = `event '${id}'`;

  let eventIds: Set<number> | null = null;
  if (get('event_ids') !== undefined) {
    eventIds = new Set();
    for (const item of listOf(ctx, get('event_ids'), `${where}: event_ids`)) {
      const v = isScalar(item) ? item.value : undefined;
      if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 65535) eventIds.add(v);
      else fail(ctx, item, 'bad-event-id', `${where}: event_ids takes integers 0-65535`);
    }
  }
  const channels = lowerSet(ctx, get('channels'), `${where}: channels`);
  const sources = lowerSet(ctx, get('sources'), `${where}: sources`);
  if (channels.size === 0 && sources.size === 0) fail(ctx, node, 'no-scope', `${where}: name at least one channel or source`);

  const sentences: Template[] = [];
  if (get('sentence') !== undefined) {
    for (const item of listOf(ctx, get('sentence'), `${where}: sentence`)) {
      const t = templateOf(ctx, item, `${where}: sentence`);
      if (t !== null) sentences.push(t);
    }
  }
  const body = get('body') === undefined ? null : parseBody(ctx, get('body'), `${where}: body`);
  const sections = new Map<string, Map<string, string>>();
  if (get('sections') !== undefined) {
    for (const [heading, table, pair] of entriesOf(ctx, get('sections'), `${where}: sections`) ?? []) {
      const key = cleanLabel(heading);
      if (key === '') fail(ctx, pair.key, 'bad-label', `${where}: section '${heading}' has no letters or digits`);
      else sections.set(key, labelTable(ctx, table, `${where}: section '${heading}'`));
    }
  }
  const labels = get('labels') === undefined ? new Map<string, string>() : labelTable(ctx, get('labels'), `${where}: labels`);
  let identity = false;
  const identityNode = get('identity');
  if (identityNode !== undefined) {
    if (isScalar(identityNode) && typeof identityNode.value === 'boolean') identity = identityNode.value;
    else fail(ctx, identityNode, 'bad-identity', `${where}: identity must be true or false`);
  }
  return { id, eventIds, channels, sources, sentences, body, sections, labels, identity, location: locate(ctx, node) };
}

/** Parses and validates a label map. Throws an AggregateError of LocatedErrors listing every problem. */
export function parseLabelMap(text: string, file: string): LabelMap {
  const yaml = new YamlData(file, text, 'winevtlog-labels.yaml');
  const ctx: LoadContext = { yaml, errors: [...yaml.syntaxErrors] };
  const top = ctx.errors.length === 0 ? entriesOf(ctx, yaml.root, 'label map') : null;
  const protectedNames = new Set<string>();
  const providers = new Map<string, string>();
  const events: EventRule[] = [];
  if (top !== null) {
    checkKeys(ctx, top, ['protected', 'providers', 'events'], 'label map');
    const get = (k: string): unknown => top.find(([key]) => key === k)?.[1];
    if (get('protected') !== undefined) {
      for (const item of listOf(ctx, get('protected'), 'protected')) {
        const name = stringOf(ctx, item, 'protected item');
        if (name !== null) protectedNames.add(name);
      }
    }
    if (get('providers') !== undefined) {
      for (const [sourceName, value] of entriesOf(ctx, get('providers'), 'providers') ?? []) {
        const provider = stringOf(ctx, value, `providers: '${sourceName}'`);
        if (provider !== null) providers.set(sourceName.toLowerCase(), provider);
      }
    }
    const ids = new Set<string>();
    listOf(ctx, get('events') ?? yaml.root, 'events').forEach((node, i) => {
      const rule = parseEvent(ctx, node, i);
      if (rule === null) return;
      if (ids.has(rule.id)) fail(ctx, node, 'duplicate-id', `event id '${rule.id}' is used twice`);
      ids.add(rule.id);
      events.push(rule);
    });
  }
  if (ctx.errors.length > 0) throw new AggregateError(ctx.errors, `${file}: ${ctx.errors.length} problem(s) in the WinEventLog label map`);
  return { file, protectedNames, providers, events };
}

let cached: { readonly map: LabelMap } | { readonly error: AggregateError } | null = null;

/** The shipped label map, read and validated once. Throws its AggregateError every time if invalid. */
export function loadLabelMap(): LabelMap {
  if (cached === null) {
    const file = path.join(mappingsDir('winevtlog', 'labels.yml'), 'labels.yml');
    try {
      cached = { map: parseLabelMap(readFileSync(file, 'utf8'), file) };
    } catch (err) {
      const error = err instanceof AggregateError ? err : new AggregateError([new LocatedError('winevtlog-labels.read', (err as Error).message, { file })], `cannot read ${file}`);
      cached = { error };
    }
  }
  if ('error' in cached) throw cached.error;
  return cached.map;
}

// ---------------------------------------------------------------------------------------------
// Applying it to one message

export interface EventIdentity {
  readonly eventId: number;
  /** LogName and SourceName as written (compared case-insensitively). */
  readonly channel: string | null;
  readonly source: string | null;
}

export function findEventRule(map: LabelMap, who: EventIdentity): EventRule | null {
  const channel = who.channel?.toLowerCase() ?? null;
  const source = who.source?.toLowerCase() ?? null;
  for (const rule of map.events) {
    if (rule.eventIds !== null && !rule.eventIds.has(who.eventId)) continue;
    if ((channel !== null && rule.channels.has(channel)) || (source !== null && rule.sources.has(source))) return rule;
  }
  return null;
}

interface BodySplit {
  /** Lines read for labels (everything outside the body). */
  readonly labelLines: readonly string[];
  readonly captures: Array<readonly [string, string]>;
}

/**
 * Splits off a body: the first line must match `start`; the body runs to the last line starting
 * with `end` (to the message's end when there is none: a truncated message), less the blank line
 * the template puts before `end`. Null when the first line does not match.
 */
function splitBody(rule: BodyRule, message: readonly string[]): BodySplit | null {
  const head = matchTemplate(rule.start, message[0] ?? '');
  if (head === null) return null;
  let endAt = message.length;
  for (let i = message.length - 1; i >= 1; i--) {
    if (message[i]!.startsWith(rule.end)) {
      endAt = i;
      break;
    }
  }
  let bodyEnd = endAt;
  if (endAt < message.length && bodyEnd > 1 && message[bodyEnd - 1]!.trim() === '') bodyEnd--;
  const text = message.slice(1, bodyEnd).join('\n');
  const captures = [...head];
  if (text !== '') captures.push([rule.field, text]);
  return { labelLines: [message[0]!, ...message.slice(endAt)], captures };
}

/** The EventData name a label maps to under a rule, or null. */
function mappedName(rule: EventRule, entry: LabelEntry): string | null {
  if (entry.section !== null) {
    const name = rule.sections.get(entry.section)?.get(entry.name);
    if (name !== undefined) return name;
  }
  const name = rule.labels.get(entry.name);
  if (name !== undefined) return name;
  return rule.identity && FIELD_NAME.test(entry.name) ? entry.name : null;
}

/**
 * Adds the message's fields to `fields` (which holds the header and canonical fields): the
 * generic label fields, then the EventData names the label map gives for this event. A mapped
 * name replaces a generic field of the same name; it never touches a protected name; over any
 * other header key it wins and the header value is kept as `Header.<Key>`. Empty values give
 * no field.
 */
export function extractMessageFields(message: readonly string[], fields: FieldBag, who: EventIdentity, map: LabelMap): void {
  const headerKeys = new Set(Object.keys(fields));
  const rule = findEventRule(map, who);
  const mapped: FieldBag = {};
  let labelLines: readonly string[] = message;
  if (rule !== null) {
    const captures: Array<readonly [string, string]> = [];
    const split = rule.body === null ? null : splitBody(rule.body, message);
    if (split !== null) {
      labelLines = split.labelLines;
      captures.push(...split.captures);
    }
    const first = message[0] ?? '';
    for (const t of rule.sentences) {
      const got = matchTemplate(t, first);
      if (got !== null) {
        captures.push(...got);
        break;
      }
    }
    for (const [name, value] of captures) if (value !== '') addField(mapped, name, value);
  }
  const entries = parseLabelLines(labelLines);
  applyGenericLabels(entries, fields);
  if (rule === null) return;
  for (const entry of entries) {
    const name = mappedName(rule, entry);
    if (name !== null) addField(mapped, name, entry.exact);
  }
  for (const name of Object.keys(mapped)) {
    if (map.protectedNames.has(name)) continue;
    if (headerKeys.has(name)) {
      const header = fields[name];
      if (header !== undefined && fields[`Header.${name}`] === undefined) setOwn(fields, `Header.${name}`, header);
    }
    setOwn(fields, name, mapped[name]!);
  }
}
