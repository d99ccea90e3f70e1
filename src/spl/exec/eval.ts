/**
 * eval/where semantics (spl-and-rba.md §2.4, §8.1-2): compiles an EvalExpr into a function of
 * the row. Unlike search:
 *  - string comparison is case-sensitive and `*` is not special (LIKE uses `%` and `_`);
 *  - unquoted words are field references; a missing field is null;
 *  - two numbers (or numeric texts) compare numerically, unless one side was written as a
 *    string literal ("1" ≠ "1.0"); a multivalue compares true when any value does;
 *  - arithmetic and concatenation with null give null; division by zero gives null;
 *  - AND/OR/XOR/NOT are three-valued (null = unknown); `where` keeps only TRUE rows.
 * Unknown functions and wrong argument counts are LocatedErrors at the call.
 */
import type { EvalBinaryOperator, EvalExpr } from '../ast.js';
import { assertNever } from '../../core/xml-tree.js';
import { EVAL_FUNCTIONS } from './functions.js';
import {
  type Evaluator,
  compareForEval,
  evalEquals,
  finite,
  isTextualExpr,
  literalString,
  not3,
  numericOf,
  scalarOf,
  textOfResult,
  valuesOfResult,
} from './functions/coerce.js';
import type { EvalFunction, EvalResult } from './types.js';
import { execError, textOf } from './values.js';
import { likeMatcher } from './wildcard.js';

/** Compiles an eval expression; throws a LocatedError for an unknown function or a bad arity. */
export function compileEvalExpr(expr: EvalExpr): EvalFunction {
  return compile(expr);
}

function compile(expr: EvalExpr): Evaluator {
  switch (expr.kind) {
    case 'eval-number': {
      const value = expr.value;
      return () => value;
    }
    case 'eval-string': {
      const value = expr.value;
      return () => value;
    }
    case 'eval-field': {
      const name = expr.name;
      return (row) => row.get(name) ?? null;
    }
    case 'eval-group':
      return compile(expr.inner);
    case 'eval-unary': {
      const operand = compile(expr.operand);
      if (expr.op === 'NOT') return (row, ctx) => not3(operand(row, ctx));
      return (row, ctx) => {
        const n = numericOf(operand(row, ctx));
        return n === null ? null : -n;
      };
    }
    case 'eval-binary':
      return compileBinary(expr.op, expr.left, expr.right);
    case 'eval-in':
      return compileIn(expr.operand, expr.values);
    case 'eval-call':
      return compileCall(expr);
    case 'macro':
      throw execError('spl.unexpanded-macro', `macro \`${expr.name}\` was not expanded`, expr.loc);
    default:
      return assertNever(expr, 'eval expression');
  }
}

function compileCall(expr: Extract<EvalExpr, { kind: 'eval-call' }>): Evaluator {
  const name = expr.name.toLowerCase();
  const spec = EVAL_FUNCTIONS.get(name);
  if (spec === undefined) throw execError('spl.unsupported-function', `unsupported eval function ${expr.name}()`, expr.loc);
  const n = expr.args.length;
  if (n < spec.min || n > spec.max) {
    const expected = spec.min === spec.max ? `${spec.min}` : spec.max >= 100 ? `at least ${spec.min}` : `${spec.min} to ${spec.max}`;
    throw execError('spl.bad-arity', `${expr.name}() takes ${expected} argument${expected === '1' ? '' : 's'}, got ${n}`, expr.loc);
  }
  return spec.build(expr.args.map(compile), expr.args, { name: expr.name, loc: expr.loc });
}

function compileBinary(op: EvalBinaryOperator, leftExpr: EvalExpr, rightExpr: EvalExpr): Evaluator {
  const left = compile(leftExpr);
  const right = compile(rightExpr);
  const textual = isTextualExpr(leftExpr) || isTextualExpr(rightExpr);
  switch (op) {
    case 'AND':
      return (row, ctx) => {
        const a = left(row, ctx);
        if (a === false) return false;
        const b = right(row, ctx);
        if (b === false) return false;
        return a === true && b === true ? true : null;
      };
    case 'OR':
      return (row, ctx) => {
        const a = left(row, ctx);
        if (a === true) return true;
        const b = right(row, ctx);
        if (b === true) return true;
        return a === false && b === false ? false : null;
      };
    case 'XOR':
      return (row, ctx) => {
        const a = left(row, ctx);
        const b = right(row, ctx);
        return typeof a === 'boolean' && typeof b === 'boolean' ? a !== b : null;
      };
    case '=':
    case '==':
      return (row, ctx) => evalEquals(left(row, ctx), right(row, ctx), textual);
    case '!=':
      return (row, ctx) => not3(evalEquals(left(row, ctx), right(row, ctx), textual));
    case '<':
    case '<=':
    case '>':
    case '>=':
      return compileOrdering(op, left, right, textual);
    case 'LIKE':
      return compileLike(left, rightExpr, right);
    case '+':
      return (row, ctx) => add(left(row, ctx), right(row, ctx), textual);
    case '.':
      return (row, ctx) => {
        const a = scalarOf(left(row, ctx));
        const b = scalarOf(right(row, ctx));
        return a === null || b === null ? null : textOf(a) + textOf(b);
      };
    case '-':
      return arithmetic(left, right, (x, y) => x - y);
    case '*':
      return arithmetic(left, right, (x, y) => x * y);
    case '/':
      return arithmetic(left, right, (x, y) => (y === 0 ? Number.NaN : x / y));
    case '%':
      return arithmetic(left, right, (x, y) => (y === 0 ? Number.NaN : x % y));
    default:
      return assertNever(op, 'eval operator');
  }
}

/** `+` adds two numbers and concatenates two texts; anything else (null included) is null. */
function add(a: EvalResult, b: EvalResult, textual: boolean): EvalResult {
  const x = scalarOf(a);
  const y = scalarOf(b);
  if (x === null || y === null) return null;
  if (!textual) {
    const nx = numericOf(x);
    const ny = numericOf(y);
    if (nx !== null && ny !== null) return finite(nx + ny);
  }
  return typeof x === 'string' && typeof y === 'string' ? x + y : null;
}

function arithmetic(left: Evaluator, right: Evaluator, f: (x: number, y: number) => number): Evaluator {
  return (row, ctx) => {
    const x = numericOf(left(row, ctx));
    if (x === null) return null;
    const y = numericOf(right(row, ctx));
    return y === null ? null : finite(f(x, y));
  };
}

function compileOrdering(op: '<' | '<=' | '>' | '>=', left: Evaluator, right: Evaluator, textual: boolean): Evaluator {
  const test = (c: number): boolean => (op === '<' ? c < 0 : op === '<=' ? c <= 0 : op === '>' ? c > 0 : c >= 0);
  return (row, ctx) => {
    const a = left(row, ctx);
    const b = right(row, ctx);
    const xs = valuesOfResult(a);
    const ys = valuesOfResult(b);
    if (xs.length === 0 || ys.length === 0) return null;
    for (const x of xs) for (const y of ys) if (test(compareForEval(x, y, textual))) return true;
    return false;
  };
}

function compileLike(subject: Evaluator, patternExpr: EvalExpr, pattern: Evaluator): Evaluator {
  const literal = literalString(patternExpr);
  const fixed = literal === null ? null : likeMatcher(literal);
  return (row, ctx) => {
    const values = valuesOfResult(subject(row, ctx));
    if (values.length === 0) return null;
    let test = fixed;
    if (test === null) {
      const p = textOfResult(pattern(row, ctx));
      if (p === null) return null;
      test = likeMatcher(p);
    }
    for (const v of values) if (test(textOf(v))) return true;
    return false;
  };
}

/** `x IN (a, b)`: exact equality with any listed value (no wildcards); null x → null. */
function compileIn(operandExpr: EvalExpr, valueExprs: readonly EvalExpr[]): Evaluator {
  const operand = compile(operandExpr);
  const values = valueExprs.map(compile);
  const textual = valueExprs.map((e) => isTextualExpr(e) || isTextualExpr(operandExpr));
  return (row, ctx) => {
    const x = operand(row, ctx);
    if (x === null) return null;
    for (let i = 0; i < values.length; i++) if (evalEquals(x, values[i]!(row, ctx), textual[i]!) === true) return true;
    return false;
  };
}
