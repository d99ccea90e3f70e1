/**
 * Pipeline → CompiledSearch. INTERFACE STUB: implementation in progress.
 */
import type { Pipeline } from '../ast.js';
import type { CompiledSearch } from './types.js';

/** Compiles a macro-expanded pipeline; throws a LocatedError (code spl.unsupported-command, ...) when it cannot run. */
export function compileSearch(pipeline: Pipeline): CompiledSearch {
  void pipeline;
  throw new Error('compileSearch: not implemented yet');
}
