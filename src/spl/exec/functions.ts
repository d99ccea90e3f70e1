/**
 * The eval function table (spl-and-rba.md §1.3, §2.4): conditions and null handling, type
 * tests, time, CIDR and searchmatch here; text, multivalue, math and JSON functions in
 * `functions/`. Names are looked up lower-cased (`IF(` works like `if(`).
 */
import type { EvalExpr } from '../ast.js';
import { parseSpl } from '../index.js';
import { strftime, strptime } from '../time/format.js';
import { type TimeModifier, evaluateTimeModifier, parseTimeModifier } from '../time/relative.js';
import {
  type FunctionSpec,
  type FunctionTable,
  evalEquals,
  fnSpec,
  holds,
  isTextualExpr,
  literalString,
  numericOf,
  scalarOf,
  textOfResult,
  valuesOfResult,
} from './functions/coerce.js';
import { JSON_FUNCTIONS } from './functions/json.js';
import { MATH_FUNCTIONS } from './functions/math.js';
import { MULTIVALUE_FUNCTIONS } from './functions/multivalue.js';
import { type Cidr, cidrContains, parseCidr } from './functions/net.js';
import { TEXT_FUNCTIONS } from './functions/text.js';
import { compileSearchExpr } from './search-match.js';
import type { EvalResult, SearchPredicate } from './types.js';
import { execError, numberOf, textOf } from './values.js';

const constant = (v: EvalResult) => fnSpec(0, 0, () => () => v);

/** Pairs (condition, value) as in case() and validate(): an even number of arguments. */
function pairsSpec(pick: (condition: EvalResult) => boolean, name: string): FunctionSpec {
  return fnSpec(2, 200, (args, _exprs, site) => {
    if (args.length % 2 !== 0) throw execError('spl.bad-arity', `${name}() takes pairs of arguments (got ${args.length})`, site.loc);
    return (row, ctx) => {
      for (let i = 0; i < args.length; i += 2) if (pick(args[i]!(row, ctx))) return args[i + 1]!(row, ctx);
      return null;
    };
  });
}

const CONDITION_FUNCTIONS: FunctionTable = {
  if: fnSpec(3, 3, ([c, a, b]) => (row, ctx) => (holds(c!(row, ctx)) ? a!(row, ctx) : b!(row, ctx))),
  // First condition that is TRUE; NULL when none (ESCU ends with `true(), default`).
  case: pairsSpec(holds, 'case'),
  // First condition that is not TRUE gives its message.
  validate: pairsSpec((c) => !holds(c), 'validate'),
  coalesce: fnSpec(1, 200, (args) => (row, ctx) => {
    for (const a of args) {
      const v = a(row, ctx);
      if (v !== null) return v;
    }
    return null;
  }),
  nullif: fnSpec(2, 2, ([a, b], exprs) => {
    const textual = exprs.some(isTextualExpr);
    return (row, ctx) => {
      const x = a!(row, ctx);
      return evalEquals(x, b!(row, ctx), textual) === true ? null : x;
    };
  }),
  // in(x, "a", "b"): exact equality with any listed value, no wildcards; null x → null.
  in: fnSpec(2, 500, ([subject, ...list], exprs) => {
    const textual = exprs.slice(1).map(isTextualExpr);
    return (row, ctx) => {
      const x = subject!(row, ctx);
      if (x === null) return null;
      return list.some((v, i) => evalEquals(x, v(row, ctx), textual[i]!) === true);
    };
  }),
  isnull: fnSpec(1, 1, ([a]) => (row, ctx) => a!(row, ctx) === null),
  isnotnull: fnSpec(1, 1, ([a]) => (row, ctx) => a!(row, ctx) !== null),
  null: constant(null),
  true: constant(true),
  false: constant(false),
  isnum: fnSpec(1, 1, ([a]) => (row, ctx) => numericOf(a!(row, ctx)) !== null),
  isint: fnSpec(1, 1, ([a]) => (row, ctx) => {
    const n = numericOf(a!(row, ctx));
    return n !== null && Number.isInteger(n);
  }),
  isstr: fnSpec(1, 1, ([a]) => (row, ctx) => {
    const s = scalarOf(a!(row, ctx));
    return typeof s === 'string' && numberOf(s) === null;
  }),
  isbool: fnSpec(1, 1, ([a]) => (row, ctx) => typeof a!(row, ctx) === 'boolean'),
  typeof: fnSpec(1, 1, ([a]) => (row, ctx) => {
    const v = a!(row, ctx);
    if (v === null) return 'Invalid';
    if (typeof v === 'boolean') return 'Boolean';
    if (Array.isArray(v) && v.length > 1) return 'Multivalue';
    return numericOf(v) !== null ? 'Number' : 'String';
  }),
  cidrmatch: fnSpec(2, 2, ([c, ip], exprs) => {
    const literal = literalString(exprs[0]);
    const fixed = literal === null ? null : parseCidr(literal);
    return (row, ctx) => {
      let cidr: Cidr | null = fixed;
      if (literal === null) {
        const text = textOfResult(c!(row, ctx));
        cidr = text === null ? null : parseCidr(text);
      }
      const values = valuesOfResult(ip!(row, ctx));
      if (values.length === 0) return null;
      const block = cidr;
      return block !== null && values.some((v) => cidrContains(block, textOf(v)));
    };
  }),
  searchmatch: fnSpec(1, 1, (_args, exprs, site) => {
    const text = literalString(exprs[0]);
    if (text === null) throw execError('spl.bad-argument', 'searchmatch() needs a quoted search string', site.loc);
    const predicate = compileSearchText(text, site.loc);
    return (row, ctx) => predicate(row, ctx);
  }),
};

/** Compiles the search string of searchmatch() with search-command semantics. */
function compileSearchText(text: string, loc: { readonly start: number }): SearchPredicate {
  let expr;
  try {
    const pipeline = parseSpl(`search ${text}`);
    const first = pipeline.commands[0];
    if (pipeline.commands.length !== 1 || first?.kind !== 'search') throw new Error('expected a single search expression');
    expr = first.expr;
  } catch (e) {
    throw execError('spl.bad-argument', `searchmatch("${text}"): ${(e as Error).message}`, loc);
  }
  return expr === null ? () => true : compileSearchExpr(expr);
}

/** A time-modifier argument: parsed once when literal (errors located), per row otherwise. */
function modifierArgument(expr: EvalExpr): TimeModifier | null {
  const literal = literalString(expr);
  if (literal === null) return null;
  try {
    return parseTimeModifier(literal);
  } catch (e) {
    throw execError('spl.bad-time-modifier', `relative_time(): ${(e as Error).message}`, expr.loc);
  }
}

const TIME_FUNCTIONS: FunctionTable = {
  now: fnSpec(0, 0, () => (_row, ctx) => ctx.now),
  // time() is the wall clock (Splunk: the time the function runs), unlike now().
  time: fnSpec(0, 0, () => () => Date.now() / 1000),
  relative_time: fnSpec(2, 2, ([t, m], exprs) => {
    const fixed = modifierArgument(exprs[1]!);
    return (row, ctx) => {
      const time = numericOf(t!(row, ctx));
      if (time === null) return null;
      let modifier = fixed;
      if (modifier === null) {
        const text = textOfResult(m!(row, ctx));
        if (text === null) return null;
        try {
          modifier = parseTimeModifier(text);
        } catch {
          return null;
        }
      }
      try {
        return evaluateTimeModifier(modifier, time);
      } catch {
        return null;
      }
    };
  }),
  strftime: fnSpec(2, 2, ([t, f]) => (row, ctx) => {
    const time = numericOf(t!(row, ctx));
    const format = textOfResult(f!(row, ctx));
    if (time === null || format === null) return null;
    try {
      return strftime(time, format);
    } catch {
      return null;
    }
  }),
  strptime: fnSpec(2, 2, ([s, f]) => (row, ctx) => {
    const text = textOfResult(s!(row, ctx));
    const format = textOfResult(f!(row, ctx));
    return text === null || format === null ? null : strptime(text, format);
  }),
};

export const EVAL_FUNCTIONS: ReadonlyMap<string, FunctionSpec> = new Map(
  Object.entries({
    ...CONDITION_FUNCTIONS,
    ...TIME_FUNCTIONS,
    ...TEXT_FUNCTIONS,
    ...MULTIVALUE_FUNCTIONS,
    ...MATH_FUNCTIONS,
    ...JSON_FUNCTIONS,
  }),
);

/** The names eval supports (for documentation and `rules check` output). */
export function evalFunctionNames(): string[] {
  return [...EVAL_FUNCTIONS.keys()].sort();
}
