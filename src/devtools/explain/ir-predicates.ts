/**
 * IR expressions → explain predicates, condition trees and indicators. Pure functions over the
 * shared rule IR, so every rule front end that lowers into it is explained the same way.
 */
import { assertNever } from '../../core/xml-tree.js';
import type { Expr, PatternMatch, PatternPart, ValueMatch } from '../../ir/nodes.js';
import type { ConditionNode, Indicator, MatchOp, Predicate } from './types.js';

/** Field name used for field-less tests (Sigma keywords, SPL raw terms). */
export const ANY_FIELD = '*';

/** Bound on tree nodes converted, so a pathological rule cannot blow up the output. */
const MAX_NODES = 20_000;

export interface OpValue {
  readonly op: MatchOp;
  readonly value: string;
  readonly caseSensitive: boolean;
}

/** Glob text of pattern parts: `*` and `?` for wildcards (literal `*`/`?` are rare in rules). */
export function globText(parts: readonly PatternPart[]): string {
  return parts.map((p) => (p.kind === 'text' ? p.text : p.kind === 'any' ? '*' : '?')).join('');
}

/** A whole-value pattern → the plainest operator that says the same thing. */
export function patternOp(p: PatternMatch): OpValue {
  const parts = p.parts;
  const caseSensitive = p.cased;
  const lead = parts[0]?.kind === 'any';
  const trail = parts.length > 1 && parts[parts.length - 1]?.kind === 'any';
  const inner = parts.slice(lead ? 1 : 0, trail ? parts.length - 1 : parts.length);
  if (inner.length === 0) return { op: lead ? 'wildcard' : 'equals', value: lead ? '*' : '', caseSensitive };
  if (inner.length === 1 && inner[0]!.kind === 'text') {
    const text = inner[0]!.text;
    const op: MatchOp = lead && trail ? 'contains' : lead ? 'endswith' : trail ? 'startswith' : 'equals';
    return { op, value: text, caseSensitive };
  }
  return { op: 'wildcard', value: globText(parts), caseSensitive };
}

export function valueMatchOp(m: ValueMatch): OpValue {
  switch (m.kind) {
    case 'pattern':
      return patternOp(m);
    case 'regex':
      return { op: 'regex', value: m.flags.length > 0 ? `(?${m.flags})${m.source}` : m.source, caseSensitive: !m.flags.includes('i') };
    case 'number':
      return { op: m.op === 'eq' ? 'equals' : m.op, value: String(m.value), caseSensitive: true };
    case 'cidr':
      return { op: 'cidr', value: m.network, caseSensitive: true };
    case 'time-part':
      return { op: 'time-part', value: `${m.part} ${m.op} ${m.value}`, caseSensitive: true };
    default:
      return assertNever(m, 'value match');
  }
}

/** The indicator for one test; values are case-folded unless the match is case-sensitive. Regexes are kept as written (folding would change escapes like `\D`). */
export function makeIndicator(field: string | null, op: MatchOp, value: string, caseSensitive: boolean): Indicator {
  const folded = caseSensitive || op === 'regex' ? value : value.toLowerCase();
  return { field: field ?? ANY_FIELD, op, value: folded };
}

/** `*` matches anything: it says nothing about what a rule looks for. */
export function isMatchAll(op: MatchOp, value: string): boolean {
  return op === 'wildcard' && /^\*+$/.test(value);
}

export function indicatorKey(i: Indicator): string {
  return `${i.field}\u0000${i.op}\u0000${i.value}`;
}

/** A single IR leaf as a predicate (null for and/or/not/const). */
export function leafPredicate(e: Expr): Predicate | null {
  switch (e.kind) {
    case 'field': {
      const m = valueMatchOp(e.match);
      return { field: e.field, op: m.op, values: [m.value], modifiers: m.caseSensitive && e.match.kind === 'pattern' ? ['cased'] : [], caseSensitive: m.caseSensitive };
    }
    case 'keyword': {
      const m = valueMatchOp(e.match);
      return { field: null, op: m.op, values: [m.value], modifiers: m.caseSensitive && e.match.kind === 'pattern' ? ['cased'] : [], caseSensitive: m.caseSensitive };
    }
    case 'exists':
      return { field: e.field, op: 'exists', values: [], modifiers: [], caseSensitive: false };
    case 'null':
      return { field: e.field, op: 'null', values: [], modifiers: [], caseSensitive: false };
    case 'fieldref':
      return { field: e.field, op: 'fieldref', values: [`${e.op}:${e.other}`], modifiers: e.cased ? ['cased'] : [], caseSensitive: e.cased };
    case 'and':
    case 'or':
    case 'not':
    case 'const':
      return null;
    default:
      return assertNever(e, 'expression');
  }
}

/** Same field, operator and modifiers: values of such leaves can be shown as one predicate. */
function groupKey(p: Predicate): string | null {
  if (p.op === 'exists' || p.op === 'null') return null;
  return `${p.field ?? ''}\u0000${p.op}\u0000${p.modifiers.join('|')}`;
}

/**
 * An IR expression → a condition tree. ORed (or ANDed) leaves on one field with one operator
 * merge into one predicate with several values (ANDed ones get the `all` modifier), which is
 * how Sigma wrote them.
 */
export function exprToNode(e: Expr, extraModifiers: readonly string[] = [], budget = { left: MAX_NODES }): ConditionNode {
  if (--budget.left < 0) return { kind: 'opaque', text: '…' };
  const leaf = leafPredicate(e);
  if (leaf !== null) return { kind: 'predicate', predicate: withModifiers(leaf, extraModifiers) };
  switch (e.kind) {
    case 'const':
      return { kind: 'const', value: e.value };
    case 'not':
      return { kind: 'not', item: exprToNode(e.item, extraModifiers, budget) };
    case 'and':
    case 'or': {
      const items = mergeLeaves(e.items, e.kind, extraModifiers, budget);
      return items.length === 1 ? items[0]! : { kind: e.kind, items };
    }
    default:
      throw new Error(`unexpected expression kind ${e.kind}`);
  }
}

function withModifiers(p: Predicate, extra: readonly string[]): Predicate {
  if (extra.length === 0) return p;
  const modifiers = [...new Set([...extra, ...p.modifiers])];
  return { ...p, modifiers };
}

function mergeLeaves(items: readonly Expr[], kind: 'and' | 'or', extra: readonly string[], budget: { left: number }): ConditionNode[] {
  const out: ConditionNode[] = [];
  const groups = new Map<string, number>();
  for (const item of items) {
    const leaf = leafPredicate(item);
    if (leaf === null) {
      out.push(exprToNode(item, extra, budget));
      continue;
    }
    const p = withModifiers(leaf, extra);
    const key = groupKey(p);
    const at = key === null ? undefined : groups.get(key);
    if (at === undefined) {
      if (key !== null) groups.set(key, out.length);
      out.push({ kind: 'predicate', predicate: p });
      continue;
    }
    const prev = out[at] as { kind: 'predicate'; predicate: Predicate };
    const modifiers = kind === 'and' && !prev.predicate.modifiers.includes('all') ? ['all', ...prev.predicate.modifiers] : prev.predicate.modifiers;
    out[at] = { kind: 'predicate', predicate: { ...prev.predicate, values: [...prev.predicate.values, ...p.values], modifiers } };
  }
  return out;
}

/**
 * The tests a rule makes positively (not under `not`): its indicators. `limit` bounds the
 * output for rules with huge expansions.
 */
export function exprIndicators(e: Expr, into: Indicator[], limit = 5_000): void {
  const walk = (x: Expr, negated: boolean): void => {
    if (into.length >= limit) return;
    switch (x.kind) {
      case 'and':
      case 'or':
        for (const item of x.items) walk(item, negated);
        return;
      case 'not':
        walk(x.item, !negated);
        return;
      case 'const':
        return;
      case 'field':
      case 'keyword':
      case 'exists':
      case 'fieldref': {
        if (negated) return;
        const p = leafPredicate(x)!;
        for (const v of p.values.length > 0 ? p.values : ['']) if (!isMatchAll(p.op, v)) into.push(makeIndicator(p.field, p.op, v, p.caseSensitive));
        return;
      }
      case 'null':
        // `Field: null` is the absence of something: not an indicator of what is looked for.
        return;
      default:
        assertNever(x, 'expression');
    }
  };
  walk(e, false);
}

/** Keeps the first of equal indicators, in order. */
export function distinctIndicators(list: readonly Indicator[]): Indicator[] {
  const seen = new Set<string>();
  const out: Indicator[] = [];
  for (const i of list) {
    const k = indicatorKey(i);
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(i);
  }
  return out;
}
