/**
 * Expr → predicate over the per-event context. Each node carries an estimated cost, and the
 * children of `and`/`or` run cheapest first (exists/null/exact < prefix/suffix < contains <
 * wildcard < number/cidr/time < regex < keyword), short-circuiting. Several pattern tests on
 * the same field under one `or` are fused so the field is read once, with exact literals in a
 * Set (the common `Image|endswith: [list]` selection costs one lookup plus a loop of endsWith).
 */
import type { Expr, FieldRef, ValueMatch } from '../ir/nodes.js';
import { assertNever } from '../core/xml-tree.js';
import type { EventContext, FieldSlots, FieldText } from './event-context.js';
import { inNetwork, parseIpRepeated, parseNetwork } from './ip.js';
import type { NeedleIndex, NeedleRegistry } from './needles.js';
import { compilePattern } from './pattern.js';
import { compileSafeRegex, minMatchLength, repeatedCharTest, requiredLiteral, trimLeadingRepetition } from './regex-guard.js';
import { compare, parseNumber, parseTimestamp, timePart } from './scalars.js';

export type Predicate = (ctx: EventContext) => boolean;

export interface CompiledNode {
  readonly cost: number;
  readonly test: Predicate;
}

/** A test of one text value. */
export interface TextTester {
  readonly cost: number;
  /** Reads the case-folded view of the value (case-insensitive patterns, rewritten `i` regexes). */
  readonly folded: boolean;
  readonly test: (text: string) => boolean;
  /** Set for whole-value literal patterns: lets `or` fuse them into a Set lookup. */
  readonly exact?: string;
  /** Set for substring patterns: field tests use the shared needle scan (needles.ts) instead. */
  readonly contains?: string;
}

export interface MatchCounters {
  regexInputsTruncated: number;
}

export class CompileError extends Error {}

export const COST = {
  presence: 1,
  exact: 2,
  affix: 3,
  fieldref: 4,
  contains: 5,
  number: 6,
  cidr: 7,
  wildcard: 8,
  time: 9,
  regex: 20,
  regexBacktracking: 30,
  keyword: 60,
} as const;

export function compileValue(match: ValueMatch, counters: MatchCounters): TextTester {
  switch (match.kind) {
    case 'pattern': {
      const p = compilePattern(match);
      const folded = !match.cased;
      switch (p.shape) {
        case 'everything':
          return { cost: COST.presence, folded, test: p.test };
        case 'exact':
          return { cost: COST.exact, folded, test: p.test, exact: p.literal };
        case 'prefix':
        case 'suffix':
          return { cost: COST.affix, folded, test: p.test };
        case 'contains':
          return { cost: COST.contains, folded, test: p.test, contains: p.literal };
        case 'wildcard':
          return { cost: COST.wildcard, folded, test: p.test };
        default:
          return assertNever(p.shape);
      }
    }
    case 'regex': {
      const r = compileSafeRegex(match.source, match.flags);
      if (!r.ok) throw new CompileError(r.message);
      // Only whether a match exists is asked: the first atom's repetition can be cut to its least.
      const trimmed = trimLeadingRepetition(match.source, match.flags);
      const t = trimmed === match.source ? r : compileSafeRegex(trimmed, match.flags);
      const { regex, inputCap, folded, linear } = t.ok ? t.value : r.value;
      // A literal every match contains, tested first (on the text the regex will see).
      const caseless = match.flags.includes('i');
      const literal = caseless && !folded ? null : requiredLiteral(match.source);
      const needle = literal === null ? null : caseless ? literal.toLowerCase() : literal;
      const usable = needle !== null && !(caseless && /[^\x00-\x7f]/.test(needle));
      const counting = repeatedCharTest(match.source, match.flags);
      const run = counting ?? ((s: string): boolean => regex.test(s));
      const search = (s: string): boolean => {
        if (s.length > inputCap) {
          counters.regexInputsTruncated++;
          return run(s.slice(0, inputCap));
        }
        return run(s);
      };
      const literalFirst = usable ? (s: string): boolean => s.includes(needle!) && search(s) : search;
      // A text shorter than every match is settled by its length (`.{1000,}` on a short value).
      const least = minMatchLength(match.source, match.flags);
      const test = least > 1 ? (s: string): boolean => s.length >= least && literalFirst(s) : literalFirst;
      return { cost: linear ? COST.regex : COST.regexBacktracking, folded, test };
    }
    case 'number': {
      const { op, value } = match;
      if (!Number.isFinite(value)) throw new CompileError(`number comparison with a non-finite value ${value}`);
      return {
        cost: COST.number,
        folded: false,
        test: (s) => {
          const n = parseNumber(s);
          return n !== null && compare(op, n, value);
        },
      };
    }
    case 'cidr': {
      const net = parseNetwork(match.network);
      if (net === null) throw new CompileError(`invalid network "${match.network}"`);
      return {
        cost: COST.cidr,
        folded: false,
        test: (s) => {
          const ip = parseIpRepeated(s);
          return ip !== null && inNetwork(ip.ip, net);
        },
      };
    }
    case 'time-part': {
      const { part, op, value } = match;
      return {
        cost: COST.time,
        folded: false,
        test: (s) => {
          const ms = parseTimestamp(s);
          return ms !== null && compare(op, timePart(ms, part), value);
        },
      };
    }
    default:
      return assertNever(match);
  }
}

function anyText(t: FieldText, test: (s: string) => boolean): boolean {
  if (t === null) return false;
  if (typeof t === 'string') return test(t);
  for (const s of t) if (test(s)) return true;
  return false;
}

function fieldPredicate(slot: number, folded: boolean, test: (s: string) => boolean): Predicate {
  if (folded) {
    return (ctx) => {
      const t = ctx.foldedText(slot);
      if (typeof t === 'string') return test(t);
      return t !== null && anyText(t, test);
    };
  }
  return (ctx) => {
    const t = ctx.text(slot);
    if (typeof t === 'string') return test(t);
    return t !== null && anyText(t, test);
  };
}

function fieldRefTest(op: FieldRef['op']): (a: string, b: string) => boolean {
  switch (op) {
    case 'eq':
      return (a, b) => a === b;
    case 'contains':
      return (a, b) => a.includes(b);
    case 'startswith':
      return (a, b) => a.startsWith(b);
    case 'endswith':
      return (a, b) => a.endsWith(b);
    default:
      return assertNever(op);
  }
}

function toList(t: FieldText): readonly string[] {
  return t === null ? [] : typeof t === 'string' ? [t] : t;
}

const TRUE: CompiledNode = { cost: 0, test: () => true };
const FALSE: CompiledNode = { cost: 0, test: () => false };

/** A keyword substring needle a compiled condition reads (the engine narrows keyword scans by route). */
export interface KeywordNeedle {
  readonly index: NeedleIndex;
  readonly id: number;
}

export class ExprCompiler {
  /** While not null, every keyword needle compiled is recorded here. */
  keywordNeedles: KeywordNeedle[] | null = null;

  constructor(
    private readonly slots: FieldSlots,
    private readonly counters: MatchCounters,
    private readonly needles: NeedleRegistry,
  ) {}

  compile(expr: Expr): CompiledNode {
    switch (expr.kind) {
      case 'const':
        return expr.value ? TRUE : FALSE;
      case 'field': {
        const t = compileValue(expr.match, this.counters);
        const slot = this.slots.slot(expr.field);
        if (t.contains !== undefined) {
          const index = this.needles.get(slot, t.folded);
          const id = index.id(t.contains);
          return { cost: t.cost, test: (ctx) => index.has(ctx, id) };
        }
        return { cost: t.cost, test: fieldPredicate(slot, t.folded, t.test) };
      }
      case 'keyword': {
        const t = compileValue(expr.match, this.counters);
        const folded = t.folded;
        if (t.contains !== undefined) {
          const index = this.needles.get(null, folded);
          const id = index.id(t.contains);
          this.keywordNeedles?.push({ index, id });
          return { cost: COST.keyword, test: (ctx) => index.has(ctx, id) };
        }
        const test = t.test;
        return { cost: COST.keyword + t.cost, test: (ctx) => ctx.allTexts(folded).some(test) };
      }
      case 'exists': {
        const slot = this.slots.slot(expr.field);
        return { cost: COST.presence, test: (ctx) => ctx.value(slot) !== undefined };
      }
      case 'null': {
        const slot = this.slots.slot(expr.field);
        return {
          cost: COST.presence,
          test: (ctx) => {
            const v = ctx.value(slot);
            return v === undefined || v === null || (Array.isArray(v) && v.length === 0);
          },
        };
      }
      case 'fieldref': {
        const a = this.slots.slot(expr.field);
        const b = this.slots.slot(expr.other);
        const cmp = fieldRefTest(expr.op);
        const folded = !expr.cased;
        return {
          cost: COST.fieldref,
          test: (ctx) => {
            const left = toList(folded ? ctx.foldedText(a) : ctx.text(a));
            if (left.length === 0) return false;
            const right = toList(folded ? ctx.foldedText(b) : ctx.text(b));
            for (const x of left) for (const y of right) if (cmp(x, y)) return true;
            return false;
          },
        };
      }
      case 'not': {
        const inner = this.compile(expr.item);
        if (inner === TRUE) return FALSE;
        if (inner === FALSE) return TRUE;
        const test = inner.test;
        return { cost: inner.cost, test: (ctx) => !test(ctx) };
      }
      case 'and':
        return this.compileJunction(expr.items, true);
      case 'or':
        return this.compileJunction(expr.items, false);
      default:
        return assertNever(expr);
    }
  }

  private compileJunction(items: readonly Expr[], isAnd: boolean): CompiledNode {
    const flat: Expr[] = [];
    flattenJunction(items, isAnd ? 'and' : 'or', flat);
    const nodes: CompiledNode[] = [];
    // Fuse `or` pattern tests on one field (same case view) into one field read.
    const fused = new Map<string, { slot: number; folded: boolean; exact: Set<string>; others: TextTester[] }>();
    for (const e of flat) {
      if (!isAnd && e.kind === 'field' && e.match.kind === 'pattern') {
        const t = compileValue(e.match, this.counters);
        const key = `${t.folded ? 'f' : 'r'}:${e.field}`;
        let group = fused.get(key);
        if (group === undefined) {
          group = { slot: this.slots.slot(e.field), folded: t.folded, exact: new Set(), others: [] };
          fused.set(key, group);
        }
        if (t.exact !== undefined) group.exact.add(t.exact);
        else group.others.push(t);
        continue;
      }
      const n = this.compile(e);
      if (n === (isAnd ? FALSE : TRUE)) return n;
      if (n === (isAnd ? TRUE : FALSE)) continue;
      nodes.push(n);
    }
    for (const g of fused.values()) {
      const plain = g.others.filter((t) => t.contains === undefined);
      const substrings = g.others.filter((t) => t.contains !== undefined);
      const parts: CompiledNode[] = [];
      if (g.exact.size > 0 || plain.length > 0) parts.push(fusedNode(g.slot, g.folded, g.exact, plain));
      if (substrings.length > 0) {
        const index = this.needles.get(g.slot, g.folded);
        const ids = substrings.map((t) => index.id(t.contains!));
        parts.push({
          cost: COST.contains,
          test: (ctx) => {
            for (let i = 0; i < ids.length; i++) if (index.has(ctx, ids[i]!)) return true;
            return false;
          },
        });
      }
      if (parts.length === 1) nodes.push(parts[0]!);
      else {
        const [a, b] = [parts[0]!.test, parts[1]!.test];
        nodes.push({ cost: parts[0]!.cost + parts[1]!.cost, test: (ctx) => a(ctx) || b(ctx) });
      }
    }
    if (nodes.length === 0) return isAnd ? TRUE : FALSE;
    if (nodes.length === 1) return nodes[0]!;
    nodes.sort((a, b) => a.cost - b.cost);
    const cost = nodes.reduce((s, n) => s + n.cost, 0);
    const tests: Predicate[] = [];
    for (const n of nodes) tests.push(n.test);
    if (tests.length === 2) {
      const [a, b] = tests as [Predicate, Predicate];
      return { cost, test: isAnd ? (ctx) => a(ctx) && b(ctx) : (ctx) => a(ctx) || b(ctx) };
    }
    if (isAnd) {
      return {
        cost,
        test: (ctx) => {
          for (let i = 0; i < tests.length; i++) if (!tests[i]!(ctx)) return false;
          return true;
        },
      };
    }
    return {
      cost,
      test: (ctx) => {
        for (let i = 0; i < tests.length; i++) if (tests[i]!(ctx)) return true;
        return false;
      },
    };
  }
}

/**
 * The items of nested junctions of one kind, in order (`a and (b and c)` gives a, b, c). A plain
 * function with an index loop: the IR's item arrays come in several shapes, and a closure made
 * per call with a for-of loop over them was deoptimized hundreds of times while a large rule set
 * compiled.
 */
function flattenJunction(list: readonly Expr[], kind: 'and' | 'or', out: Expr[]): void {
  for (let i = 0; i < list.length; i++) {
    const e = list[i]!;
    if (e.kind === kind) flattenJunction(e.items, kind, out);
    else out.push(e);
  }
}

function fusedNode(slot: number, folded: boolean, exact: Set<string>, others: TextTester[]): CompiledNode {
  others.sort((a, b) => a.cost - b.cost);
  const tests = others.map((t) => t.test);
  const cost = (exact.size > 0 ? COST.exact : 0) + others.reduce((s, t) => s + t.cost, 0);
  let check: (s: string) => boolean;
  if (tests.length === 0) {
    if (exact.size === 1) {
      const only = exact.values().next().value as string;
      check = (s) => s === only;
    } else check = (s) => exact.has(s);
  } else if (exact.size === 0 && tests.length === 1) {
    check = tests[0]!;
  } else {
    check = (s) => {
      if (exact.size > 0 && exact.has(s)) return true;
      for (let i = 0; i < tests.length; i++) if (tests[i]!(s)) return true;
      return false;
    };
  }
  return { cost, test: fieldPredicate(slot, folded, check) };
}

/** Field names an expression reads (for a finding's `matched` fields). */
export function referencedFields(expr: Expr, out: Set<string> = new Set()): Set<string> {
  switch (expr.kind) {
    case 'field':
    case 'exists':
    case 'null':
      out.add(expr.field);
      break;
    case 'fieldref':
      out.add(expr.field);
      out.add(expr.other);
      break;
    case 'keyword':
    case 'const':
      break;
    case 'not':
      referencedFields(expr.item, out);
      break;
    case 'and':
    case 'or':
      for (const e of expr.items) referencedFields(e, out);
      break;
    default:
      assertNever(expr);
  }
  return out;
}
