/** Expands a detection's macros and parses its search; errors point into the detection file. */
import type { Diagnostic } from '../core/diagnostics.js';
import { LocatedError } from '../core/diagnostics.js';
import { type MacroLookup, type Pipeline, makeSource, parseSplWithMacros } from '../spl/index.js';
import type { Detection } from './model.js';
import { positionInValue } from './yaml-located.js';

export type SearchCheck =
  | { readonly kind: 'parsed'; readonly ast: Pipeline }
  | { readonly kind: 'failed'; readonly diagnostics: readonly Diagnostic[] };

export function checkDetectionSearch(detection: Detection, lookup: MacroLookup): SearchCheck {
  const positions = detection.searchPositions;
  const first = positionInValue(positions, 0);
  const source = makeSource(detection.search, detection.origin.file, first.line, first.column);
  try {
    return { kind: 'parsed', ast: parseSplWithMacros(detection.search, lookup, source) };
  } catch (e) {
    const at = e instanceof LocatedError && e.location.offset !== undefined ? e.location.offset : 0;
    const pos = positionInValue(positions, at);
    const code = e instanceof LocatedError ? e.code : 'content.search.internal';
    const message = e instanceof Error ? e.message : String(e);
    return {
      kind: 'failed',
      diagnostics: [{ severity: 'error', code, message: `detection '${detection.name}': ${message}`, location: { file: detection.origin.file, line: pos.line, column: pos.column } }],
    };
  }
}
