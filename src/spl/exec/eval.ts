/**
 * eval/where semantics (spl-and-rba.md §2.4). INTERFACE STUB: implementation in progress.
 */
import type { EvalExpr } from '../ast.js';
import type { EvalFunction } from './types.js';

/** Compiles an eval expression; throws a LocatedError for an unknown function. */
export function compileEvalExpr(expr: EvalExpr): EvalFunction {
  void expr;
  throw new Error('compileEvalExpr: not implemented yet');
}
