/**
 * Search-command semantics (spl-and-rba.md §2.1, §8.1-4): compiles a SearchExpr into a row
 * predicate. Everything that does not depend on the row (case-folded literals, wildcard
 * matchers, CIDR blocks, parsed time modifiers) is prepared once at compile time.
 *
 *  - `field=value`: field names case-sensitive, values case-insensitive; `*` anchored; `field=*`
 *    means "exists"; a multivalue field matches when any value does.
 *  - `=` compares text ("1" ≠ "1.0"), except that a row value that is a number (computed by
 *    stats/eval) equals a numeric literal numerically; CIDR literals match IP values.
 *  - `f!=v` needs `f` to exist and no value equal to v; `NOT f=v` also matches rows without f;
 *    `f!=*` matches nothing.
 *  - `< <= > >=`: numeric when both sides are numbers, else lexicographic on text.
 *  - Bare terms and phrases: case-insensitive substring of `_raw` (Splunk matches indexed
 *    segments; a substring test is the documented approximation). Without `_raw` (after a
 *    transforming command) any field value may contain the term.
 *  - `earliest=` / `latest=` compare `_time` with the modifier evaluated at the search's now().
 *  - `index=...` is always true: Vigil has no indexes, every event is in the one input.
 */
import type { FieldName, Loc, Pipeline, SearchExpr, SearchOperator, SearchValue } from '../ast.js';
import { assertNever } from '../../core/xml-tree.js';
import { type TimeModifier, evaluateTimeModifier, parseTimeModifier } from '../time/relative.js';
import { cidrContains, isCidrText, parseCidr } from './functions/net.js';
import type { ExecContext, Row, SearchPredicate, SplScalar, SplValue } from './types.js';
import { execError, numberOf, textOf, valuesOf } from './values.js';
import { unanchoredWildcardMatcher, wildcardMatcher } from './wildcard.js';

export interface SearchHooks {
  /** Compiles a `[ ... ]` subsearch term into a predicate; without it a subsearch is an error. */
  readonly subsearch?: (pipeline: Pipeline, loc: Loc) => SearchPredicate;
}

type ScalarTest = (v: SplScalar) => boolean;

const ALWAYS: SearchPredicate = () => true;
const NEVER: SearchPredicate = () => false;
const NON_ASCII = /[^\x00-\x7f]/;

/** Compiles a (macro-expanded) search expression into a predicate over rows. */
export function compileSearchExpr(expr: SearchExpr, hooks: SearchHooks = {}): SearchPredicate {
  switch (expr.kind) {
    case 'search-term':
      return compileTerm(expr.value);
    case 'search-compare':
      return compileCompare(expr.field, expr.op, expr.value);
    case 'search-in':
      return compileIn(expr.field, expr.values);
    case 'search-not': {
      // `NOT index=x` must not turn the always-true index term into always-false.
      if (isIndexTerm(expr.operand)) return ALWAYS;
      const inner = compileSearchExpr(expr.operand, hooks);
      return (row, ctx) => !inner(row, ctx);
    }
    case 'search-and':
      return allOf(expr.operands.map((o) => compileSearchExpr(o, hooks)));
    case 'search-or':
      return anyOf(expr.operands.map((o) => compileSearchExpr(o, hooks)));
    case 'search-group':
      return compileSearchExpr(expr.inner, hooks);
    case 'search-subsearch':
      if (hooks.subsearch === undefined) {
        throw execError('spl.subsearch-in-search', 'a [subsearch] inside a search expression is not supported here', expr.loc);
      }
      return hooks.subsearch(expr.pipeline, expr.loc);
    case 'macro':
      throw execError('spl.unexpanded-macro', `macro \`${expr.name}\` was not expanded`, expr.loc);
    default:
      return assertNever(expr, 'search expression');
  }
}

/** `index=...` / `index IN (...)`, possibly parenthesised. */
function isIndexTerm(expr: SearchExpr): boolean {
  if (expr.kind === 'search-group') return isIndexTerm(expr.inner);
  return (expr.kind === 'search-compare' || expr.kind === 'search-in') && expr.field.name === 'index';
}

function allOf(parts: readonly SearchPredicate[]): SearchPredicate {
  if (parts.length === 1) return parts[0]!;
  return (row, ctx) => {
    for (const p of parts) if (!p(row, ctx)) return false;
    return true;
  };
}

function anyOf(parts: readonly SearchPredicate[]): SearchPredicate {
  if (parts.length === 1) return parts[0]!;
  return (row, ctx) => {
    for (const p of parts) if (p(row, ctx)) return true;
    return false;
  };
}

// ------------------------------------------------------------------ values

/** `TERM(x)` / `CASE(x)` written as a value: the directive and its inner text, else null. */
function directiveOf(value: SearchValue): { readonly name: 'TERM' | 'CASE'; readonly inner: string } | null {
  if (value.kind !== 'function') return null;
  const m = /^(TERM|CASE)\(([\s\S]*)\)$/.exec(value.text);
  if (m === null) return null;
  return { name: m[1] as 'TERM' | 'CASE', inner: unquote(m[2]!) };
}

function unquote(text: string): string {
  const t = text.trim();
  return t.length >= 2 && t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1).replace(/\\(["\\|])/g, '$1') : t;
}

/** A value that is only stars: `field=*` (exists) or a bare `*` (everything). */
function isStarOnly(value: SearchValue): boolean {
  return value.kind === 'wildcard' && /^\*+$/.test(value.text);
}

function equalsFolded(text: string, folded: string): boolean {
  // Lower-casing keeps the length of ASCII text: a cheap early rejection.
  if (text.length !== folded.length && !NON_ASCII.test(text)) return false;
  return text.toLowerCase() === folded;
}

/** The test `field=value` applies to each value of the field. */
function equalityTest(value: SearchValue): ScalarTest {
  const directive = directiveOf(value);
  if (directive !== null) {
    if (directive.name === 'CASE') {
      if (directive.inner.includes('*')) {
        const m = wildcardMatcher(directive.inner, true);
        return (v) => m(textOf(v));
      }
      return (v) => textOf(v) === directive.inner;
    }
    return textEquality(directive.inner);
  }
  switch (value.kind) {
    case 'wildcard': {
      const m = wildcardMatcher(value.text, false);
      return (v) => m(textOf(v));
    }
    case 'string':
    case 'number':
    case 'function':
      return textEquality(value.text);
    default:
      return assertNever(value, 'search value');
  }
}

/** Case-insensitive text equality; numeric for number-typed row values; CIDR for IP blocks. */
function textEquality(text: string): ScalarTest {
  const folded = text.toLowerCase();
  const n = numberOf(text);
  const byText: ScalarTest = (v) => (typeof v === 'number' ? n !== null && v === n : equalsFolded(v, folded));
  if (!isCidrText(text)) return byText;
  const cidr = parseCidr(text)!;
  return (v) => cidrContains(cidr, textOf(v)) || byText(v);
}

/** `< <= > >=`: numeric when both are numbers, else lexicographic (code-unit order). */
function relationalTest(op: '<' | '<=' | '>' | '>=', value: SearchValue): ScalarTest {
  const text = value.kind === 'function' ? (directiveOf(value)?.inner ?? value.text) : value.text;
  const n = numberOf(text);
  const holds = (c: number): boolean => (op === '<' ? c < 0 : op === '<=' ? c <= 0 : op === '>' ? c > 0 : c >= 0);
  return (v) => {
    const vn = numberOf(v);
    if (vn !== null && n !== null) return holds(vn < n ? -1 : vn > n ? 1 : 0);
    const t = textOf(v);
    return holds(t < text ? -1 : t > text ? 1 : 0);
  };
}

function anyValue(v: SplValue | undefined, test: ScalarTest): boolean {
  if (v === undefined) return false;
  if (!Array.isArray(v)) return test(v as SplScalar);
  for (const x of v as readonly SplScalar[]) if (test(x)) return true;
  return false;
}

// ------------------------------------------------------------------ terms

function compileCompare(field: FieldName, op: SearchOperator, value: SearchValue): SearchPredicate {
  const name = field.name;
  // Vigil has no indexes: every event is in the one input, so `index=...` never filters.
  if (name === 'index') return ALWAYS;
  if ((name === 'earliest' || name === 'latest') && op === '=') return compileTimeBound(name, value);
  switch (op) {
    case '=': {
      if (isStarOnly(value)) return (row) => row.has(name);
      const test = equalityTest(value);
      return (row) => anyValue(row.get(name), test);
    }
    case '!=': {
      if (isStarOnly(value)) return NEVER;
      const test = equalityTest(value);
      return (row) => {
        const v = row.get(name);
        return v !== undefined && !anyValue(v, test);
      };
    }
    case '<':
    case '<=':
    case '>':
    case '>=': {
      const test = relationalTest(op, value);
      return (row) => anyValue(row.get(name), test);
    }
    default:
      return assertNever(op, 'search operator');
  }
}

function compileIn(field: FieldName, values: readonly SearchValue[]): SearchPredicate {
  const name = field.name;
  if (name === 'index') return ALWAYS;
  if (values.some(isStarOnly)) return (row) => row.has(name);
  const tests = values.map(equalityTest);
  const test: ScalarTest =
    tests.length === 1
      ? tests[0]!
      : (v) => {
          for (const t of tests) if (t(v)) return true;
          return false;
        };
  return (row) => anyValue(row.get(name), test);
}

/** A bare word or quoted phrase: case-insensitive substring of `_raw` (approximation, see top). */
function compileTerm(value: SearchValue): SearchPredicate {
  if (isStarOnly(value)) return ALWAYS;
  const directive = directiveOf(value);
  let test: (text: string) => boolean;
  if (directive !== null) {
    const inner = directive.inner;
    test = directive.name === 'CASE' ? (t) => t.includes(inner) : substringTest(inner);
  } else if (value.kind === 'wildcard') {
    test = unanchoredWildcardMatcher(value.text, false);
  } else {
    test = substringTest(value.text);
  }
  const scalarTest: ScalarTest = (v) => test(textOf(v));
  return (row) => rawMatches(row, scalarTest);
}

function substringTest(text: string): (t: string) => boolean {
  const folded = text.toLowerCase();
  return (t) => t.toLowerCase().includes(folded);
}

function rawMatches(row: Row, test: ScalarTest): boolean {
  const raw = row.get('_raw');
  if (raw !== undefined) return anyValue(raw, test);
  for (const v of row.values()) if (anyValue(v, test)) return true;
  return false;
}

/** `earliest=-24h@h` keeps `_time >= bound`; `latest=now` keeps `_time < bound`. */
function compileTimeBound(name: 'earliest' | 'latest', value: SearchValue): SearchPredicate {
  let modifier: TimeModifier;
  if (value.kind === 'function' && /^now\(\s*\)$/i.test(value.text)) {
    modifier = { kind: 'now' };
  } else {
    try {
      modifier = parseTimeModifier(value.text);
    } catch (e) {
      throw execError('spl.bad-time-modifier', `${name}=${value.text}: ${(e as Error).message}`, value.loc);
    }
  }
  let cachedNow = Number.NaN;
  let cachedBound = 0;
  const boundAt = (ctx: ExecContext): number => {
    if (ctx.now !== cachedNow) {
      cachedBound = evaluateTimeModifier(modifier, ctx.now);
      cachedNow = ctx.now;
    }
    return cachedBound;
  };
  return (row, ctx) => {
    const t = valuesOf(row.get('_time'))[0];
    const time = t === undefined ? null : numberOf(t);
    if (time === null) return false;
    const bound = boundAt(ctx);
    return name === 'earliest' ? time >= bound : time < bound;
  };
}

// ------------------------------------------------------------------ routing hints

/** Field names the expression reads (for routing); `_raw` when it has bare terms; [] = unknown. */
export function searchExprFields(expr: SearchExpr): string[] {
  const fields = new Set<string>();
  let unknown = false;
  const visit = (e: SearchExpr): void => {
    switch (e.kind) {
      case 'search-term':
        if (!isStarOnly(e.value)) fields.add('_raw');
        return;
      case 'search-compare':
      case 'search-in':
        if (e.field.name === 'index') return;
        if (e.kind === 'search-compare' && (e.field.name === 'earliest' || e.field.name === 'latest') && e.op === '=') fields.add('_time');
        else fields.add(e.field.name);
        return;
      case 'search-not':
        visit(e.operand);
        return;
      case 'search-and':
      case 'search-or':
        e.operands.forEach(visit);
        return;
      case 'search-group':
        visit(e.inner);
        return;
      case 'search-subsearch':
      case 'macro':
        unknown = true;
        return;
      default:
        assertNever(e, 'search expression');
    }
  };
  visit(expr);
  return unknown ? [] : [...fields];
}

const EVENT_CODE = /^\d+$/;

/** The literal EventCode of a value (`4688`, `"4688"`), or null for anything else. */
function eventCodeOf(value: SearchValue): string | null {
  if (value.kind !== 'number' && value.kind !== 'string') return null;
  return EVENT_CODE.test(value.text) ? value.text : null;
}

/**
 * The EventCode values an event must have to satisfy the expression (when the expression
 * requires `EventCode=N` or `EventCode IN (...)` with literal numbers), else null. Under AND
 * the requirements intersect; an OR needs every branch to require codes (their union).
 */
export function requiredEventCodes(expr: SearchExpr): string[] | null {
  const codes = codesOf(expr);
  return codes === null ? null : [...codes];
}

function codesOf(expr: SearchExpr): Set<string> | null {
  switch (expr.kind) {
    case 'search-compare': {
      if (expr.field.name !== 'EventCode' || expr.op !== '=') return null;
      const code = eventCodeOf(expr.value);
      return code === null ? null : new Set([code]);
    }
    case 'search-in': {
      if (expr.field.name !== 'EventCode') return null;
      const codes = expr.values.map(eventCodeOf);
      return codes.every((c) => c !== null) ? new Set(codes as string[]) : null;
    }
    case 'search-group':
      return codesOf(expr.inner);
    case 'search-and': {
      const required = expr.operands.map(codesOf).filter((c): c is Set<string> => c !== null);
      if (required.length === 0) return null;
      return required.reduce((acc, codes) => new Set([...acc].filter((c) => codes.has(c))));
    }
    case 'search-or': {
      const acc = new Set<string>();
      for (const operand of expr.operands) {
        const codes = codesOf(operand);
        if (codes === null) return null;
        for (const c of codes) acc.add(c);
      }
      return acc;
    }
    case 'search-term':
    case 'search-not':
    case 'search-subsearch':
    case 'macro':
      return null;
    default:
      return assertNever(expr, 'search expression');
  }
}
