/**
 * Search-command semantics (spl-and-rba.md §2.1): compiles a SearchExpr into a row predicate.
 * INTERFACE STUB: implementation in progress.
 */
import type { SearchExpr } from '../ast.js';
import type { SearchPredicate } from './types.js';

/** Compiles a (macro-expanded) search expression into a predicate over rows. */
export function compileSearchExpr(expr: SearchExpr): SearchPredicate {
  void expr;
  throw new Error('compileSearchExpr: not implemented yet');
}

/** Field names the expression reads (for routing); `_raw` when it has bare terms. */
export function searchExprFields(expr: SearchExpr): string[] {
  void expr;
  return [];
}

/**
 * The EventCode values an event must have to satisfy the expression (when the expression
 * requires `EventCode=N` or `EventCode IN (...)` with literal numbers), else null.
 */
export function requiredEventCodes(expr: SearchExpr): string[] | null {
  void expr;
  return null;
}
