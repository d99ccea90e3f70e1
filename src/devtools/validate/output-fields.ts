/**
 * Static analysis: which fields can a search's result rows carry? Walks the macro-expanded
 * pipeline command by command. Before any transforming command the rows are events, so any
 * field may be present ("open"); stats/tstats close the set to their BY fields and aggregation
 * names; rename, eval, convert, lookup, rex and bin add or move names; table and fields narrow it.
 * Commands whose output cannot be known statically (spath, foreach, join, append, unknown ones)
 * open the set again, so the analysis never reports a field missing that could be there.
 */
import type { Aggregation, Command, FieldName, Pipeline } from '../../spl/ast.js';
import type { Lookup } from '../../content/model.js';
import { assertNever } from '../../core/xml-tree.js';

export interface OutputFields {
  /** True when rows may carry fields we cannot name (events, or an opaque command). */
  readonly open: boolean;
  readonly fields: ReadonlySet<string>;
  /** Wildcard names (`Processes.*`) that rows may carry when they stay open-ended. */
  readonly patterns: readonly string[];
}

const MAX_PATTERN_LENGTH = 200;
/** Capturing renames use a regex; more stars than this could backtrack badly, so such renames are treated as opaque. */
const MAX_CAPTURE_STARS = 4;

function wildcardRegex(pattern: string): RegExp {
  const body = pattern.slice(0, MAX_PATTERN_LENGTH).split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('(.*)');
  return new RegExp(`^${body}$`);
}

/** Whole-name `*` match without a regex (linear backtracking on the last star only). */
export function wildcardMatch(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  let star = -1;
  let mark = 0;
  while (t < text.length) {
    if (p < pattern.length && pattern[p] !== '*' && pattern[p] === text[t]) {
      p++;
      t++;
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p++;
      mark = t;
    } else if (star >= 0) {
      p = star + 1;
      t = ++mark;
    } else return false;
  }
  while (p < pattern.length && pattern[p] === '*') p++;
  return p === pattern.length;
}

export function producesField(out: OutputFields, name: string): boolean {
  if (out.open || out.fields.has(name)) return true;
  return out.patterns.some((p) => wildcardMatch(p, name));
}

/** Splunk's default name of an aggregation without AS: `count`, `values(x)`, `dc(user)`. */
export function aggregationName(a: Aggregation): string {
  if (a.alias !== null) return a.alias.name;
  if (a.arg === null) return a.fn;
  return a.arg.kind === 'field-name' ? `${a.fn}(${a.arg.name})` : `${a.fn}(eval)`;
}

class State {
  open = true;
  fields = new Set<string>();
  patterns: string[] = [];

  has(name: string): boolean {
    return producesField(this, name);
  }

  close(names: Iterable<string>): void {
    this.open = false;
    this.fields = new Set(names);
    this.patterns = [];
  }

  add(name: string): void {
    if (name.includes('*')) this.patterns.push(name);
    else this.fields.add(name);
  }

  /** `rename from AS to`, with `*` capturing in both (Splunk's wildcard rename). */
  rename(from: string, to: string): void {
    if (!from.includes('*')) {
      if (this.fields.delete(from) || this.open || this.has(from)) this.add(to);
      return;
    }
    if ((from.match(/\*/g) ?? []).length > MAX_CAPTURE_STARS) {
      this.open = true;
      return;
    }
    const re = wildcardRegex(from);
    for (const f of [...this.fields]) {
      const m = re.exec(f);
      if (m === null) continue;
      this.fields.delete(f);
      let i = 1;
      this.fields.add(to.replace(/\*/g, () => m[i++] ?? ''));
    }
    // Open rows (or patterns) may hold names we never saw: the target pattern may appear.
    if (this.open || this.patterns.some((p) => p === from)) this.patterns.push(to);
  }

  /** `table a b*` / `fields + a b*`: keep only the named fields that may exist. */
  keep(list: readonly FieldName[]): void {
    const before = { open: this.open, fields: this.fields, patterns: this.patterns };
    const fields = new Set<string>();
    const patterns: string[] = [];
    for (const f of list) {
      if (!f.name.includes('*')) {
        if (producesField(before, f.name)) fields.add(f.name);
        continue;
      }
      for (const known of before.fields) if (wildcardMatch(f.name, known)) fields.add(known);
      if (before.open || before.patterns.length > 0) patterns.push(f.name);
    }
    this.open = false;
    this.fields = fields;
    this.patterns = patterns;
  }
}

const NAMED_GROUP = /\(\?P?<([A-Za-z_][A-Za-z0-9_]*)>/g;

function apply(state: State, c: Command, lookups: ReadonlyMap<string, Lookup>): void {
  switch (c.kind) {
    case 'search':
    case 'where':
    case 'regex':
    case 'dedup':
    case 'sort':
    case 'head-tail':
    case 'makemv':
    case 'mvexpand':
    case 'macro-command':
      return;
    case 'tstats':
      state.close([...c.by.map((f) => f.name), ...c.aggregations.map(aggregationName)]);
      return;
    case 'stats':
      if (c.name === 'stats') state.close([...c.by.map((f) => f.name), ...c.aggregations.map(aggregationName)]);
      else for (const a of c.aggregations) state.add(aggregationName(a));
      return;
    case 'eval':
      for (const a of c.assignments) state.add(a.field.name);
      return;
    case 'rename':
      for (const m of c.mappings) if (m.to !== null) state.rename(m.from.name, m.to.name);
      return;
    case 'table':
      state.keep(c.fields);
      return;
    case 'fields':
      if (c.mode === '-') for (const f of c.fields) state.fields.delete(f.name);
      else state.keep(c.fields);
      return;
    case 'convert':
      for (const conv of c.conversions) if (conv.alias !== null) state.add(conv.alias.name);
      return;
    case 'fillnull':
      for (const f of c.fields) state.add(f.name);
      return;
    case 'bin':
      if (c.alias !== null) state.add(c.alias.name);
      return;
    case 'rex':
      for (const m of c.regex.matchAll(NAMED_GROUP)) state.add(m[1]!);
      return;
    case 'lookup': {
      if (c.output !== null) {
        for (const m of c.output.fields) state.add((m.to ?? m.from).name);
        return;
      }
      const table = lookups.get(c.table);
      if (table?.table != null) for (const f of table.table.fields) state.add(f);
      else state.open = true;
      return;
    }
    case 'inputlookup': {
      const table = lookups.get(c.table);
      if (table?.table != null) state.close(table.table.fields);
      else state.close([]), (state.open = true);
      return;
    }
    case 'spath':
    case 'foreach':
    case 'join':
    case 'append':
    case 'from':
    case 'generic':
      state.open = true;
      return;
    default:
      assertNever(c);
  }
}

export function outputFields(pipeline: Pipeline, lookups: readonly Lookup[] = []): OutputFields {
  const byName = new Map(lookups.map((l) => [l.name, l]));
  for (const l of lookups) if (l.filename !== null && !byName.has(l.filename)) byName.set(l.filename, l);
  const state = new State();
  for (const c of pipeline.commands) apply(state, c, byName);
  return { open: state.open, fields: state.fields, patterns: state.patterns };
}
