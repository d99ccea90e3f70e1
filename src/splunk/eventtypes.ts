/**
 * Event types and tags (`mappings/splunk/eventtypes.yml`): which eventtypes a Splunk row
 * belongs to, and the tags they add. Each eventtype is a list of alternatives, each a set of
 * whole-value field tests (case-insensitive, `*` wildcards) over the row being built.
 */
import { isMap, isScalar, isSeq, type YAMLMap } from 'yaml';
import { LocatedError } from '../core/diagnostics.js';
import type { Row, SplValue } from '../spl/exec/types.js';
import { readYamlFile } from './yaml-file.js';
import type { YamlData } from '../core/yaml-data.js';

/** One field test: the value must equal (ignoring case) or match one of these. */
interface FieldTest {
  readonly field: string;
  readonly exact: ReadonlySet<string>; // lower-cased
  readonly patterns: readonly Wildcard[];
  /** For `eventtype` tests: the names, lower-cased. */
  readonly names: readonly string[];
}

interface CompiledEventtype {
  readonly name: string;
  /** Any alternative; within one, every test (eventtype tests read earlier results). */
  readonly alternatives: readonly (readonly FieldTest[])[];
  readonly tags: readonly string[];
}

export interface EventtypeTable {
  readonly file: string;
  readonly entries: readonly CompiledEventtype[];
  /** Every row field some test reads: the classification depends on nothing else. */
  readonly fields: readonly string[];
  /** Classifications by the values of `fields` (rows repeat a few source/EventCode combinations). */
  readonly memo: Map<string, Classification>;
}

/** Bound on memoised classifications; the memo starts over when full. */
const MAX_MEMO = 4096;
const MAX_MEMO_KEY = 1024;

export interface Classification {
  /** Sorted, as Splunk lists them. */
  readonly eventtypes: readonly string[];
  readonly tags: readonly string[];
}

/** A Splunk `*` wildcard, lower-cased and split at the stars (no regex: linear, no backtracking blow-up). */
export interface Wildcard {
  readonly parts: readonly string[];
}

export function compileWildcard(pattern: string): Wildcard {
  return { parts: pattern.toLowerCase().split(/\*+/) };
}

/** Whole-value match of a lower-cased text: first part a prefix, last a suffix, the rest in order between. */
export function wildcardMatches(w: Wildcard, lower: string): boolean {
  const parts = w.parts;
  const first = parts[0]!;
  const last = parts[parts.length - 1]!;
  if (parts.length === 1) return lower === first;
  if (lower.length < first.length + last.length || !lower.startsWith(first) || !lower.endsWith(last)) return false;
  let at = first.length;
  const end = lower.length - last.length;
  for (let i = 1; i < parts.length - 1; i++) {
    const found = lower.indexOf(parts[i]!, at);
    if (found < 0 || found + parts[i]!.length > end) return false;
    at = found + parts[i]!.length;
  }
  return true;
}

function fail(y: YamlData, node: unknown, message: string): never {
  throw new LocatedError('splunk.eventtypes', message, y.where(node));
}

function compileTest(y: YamlData, field: string, node: unknown, known: ReadonlySet<string>): FieldTest {
  const items = isSeq(node) ? node.items : [node];
  const exact = new Set<string>();
  const patterns: Wildcard[] = [];
  for (const item of items) {
    if (!isScalar(item) || item.value === null || typeof item.value === 'object') fail(y, item, `eventtype test '${field}' takes text values`);
    const text = String(item.value);
    if (field === 'eventtype' && !known.has(text.toLowerCase())) fail(y, item, `eventtype '${text}' is not defined above this entry`);
    if (text.includes('*')) patterns.push(compileWildcard(text));
    else exact.add(text.toLowerCase());
  }
  return { field, exact, patterns, names: [...exact] };
}

/** Parses and checks the eventtypes file; throws a LocatedError at the first problem. */
export function loadEventtypes(file: string): EventtypeTable {
  const y = readYamlFile(file, 'splunk.eventtypes');
  const root = y.root;
  if (!isMap(root)) fail(y, root, 'the eventtypes file must be a mapping with an `eventtypes` list');
  const list = (root as YAMLMap).get('eventtypes', true);
  if (!isSeq(list)) fail(y, root, '`eventtypes` must be a list');
  const entries: CompiledEventtype[] = [];
  const known = new Set<string>();
  for (const item of list.items) {
    if (!isMap(item)) fail(y, item, 'each eventtype must be a mapping');
    const map = item as YAMLMap;
    for (const pair of map.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : '';
      if (!['name', 'origin', 'search', 'match', 'tags'].includes(key)) fail(y, pair.key, `unknown eventtype key '${key}'`);
    }
    const name = map.get('name');
    if (typeof name !== 'string' || name === '') fail(y, item, 'an eventtype needs a `name`');
    if (known.has(name.toLowerCase())) fail(y, item, `eventtype '${name}' is defined twice`);
    const match = map.get('match', true);
    if (!isSeq(match) || match.items.length === 0) fail(y, item, `eventtype '${name}': \`match\` must be a non-empty list`);
    const alternatives = match.items.map((alt) => {
      if (!isMap(alt) || alt.items.length === 0) fail(y, alt, `eventtype '${name}': each alternative is a non-empty mapping`);
      return (alt as YAMLMap).items.map((pair) => compileTest(y, isScalar(pair.key) ? String(pair.key.value) : '', pair.value, known));
    });
    const tagsNode = map.get('tags', true);
    const tags = tagsNode === undefined ? [] : isSeq(tagsNode) ? tagsNode.items.map((t) => (isScalar(t) ? String(t.value) : fail(y, t, 'tags are text'))) : fail(y, tagsNode, '`tags` must be a list');
    entries.push({ name, alternatives, tags });
    known.add(name.toLowerCase());
  }
  const fields = [...new Set(entries.flatMap((e) => e.alternatives.flatMap((tests) => tests.map((t) => t.field)).filter((f) => f !== 'eventtype')))];
  return { file, entries, fields, memo: new Map() };
}

/** A row's values of one field, lower-cased (cached per classification). */
function lowerValues(row: Row, field: string, cache: Map<string, readonly string[]>): readonly string[] {
  let t = cache.get(field);
  if (t === undefined) {
    const v: SplValue | undefined = row.get(field);
    t = v === undefined ? [] : (Array.isArray(v) ? v : [v]).map((x) => String(x).toLowerCase());
    cache.set(field, t);
  }
  return t;
}

function valueMatches(test: FieldTest, values: readonly string[]): boolean {
  for (const lower of values) {
    if (test.exact.has(lower)) return true;
    for (const p of test.patterns) if (wildcardMatches(p, lower)) return true;
  }
  return false;
}

/** The eventtypes and tags of a row (the row is not changed). */
export function classify(table: EventtypeTable, row: Row): Classification {
  let key = '';
  for (const f of table.fields) {
    const v = row.get(f);
    key += (v === undefined ? '\u0000' : Array.isArray(v) ? v.join('\u0002') : String(v)) + '\u0001';
  }
  const known = table.memo.get(key);
  if (known !== undefined) return known;
  const found = classifyRow(table, row);
  if (key.length > MAX_MEMO_KEY) return found; // odd, long values: not worth keeping
  if (table.memo.size >= MAX_MEMO) table.memo.clear();
  table.memo.set(key, found);
  return found;
}

function classifyRow(table: EventtypeTable, row: Row): Classification {
  const names: string[] = [];
  const matched = new Set<string>(); // lower-cased
  const tags = new Set<string>();
  const cache = new Map<string, readonly string[]>();
  for (const et of table.entries) {
    const holds = et.alternatives.some((tests) =>
      tests.every((t) => (t.field === 'eventtype' ? t.names.some((n) => matched.has(n)) : valueMatches(t, lowerValues(row, t.field, cache)))),
    );
    if (!holds) continue;
    names.push(et.name);
    matched.add(et.name.toLowerCase());
    for (const tag of et.tags) tags.add(tag);
  }
  return Object.freeze({ eventtypes: Object.freeze(names.sort()), tags: Object.freeze([...tags].sort()) });
}
