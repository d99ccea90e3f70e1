/**
 * SPL front end: lexer, parser, printer and macro expansion (no execution).
 *   const { text } = expandMacros(spl, lookup, { source });
 *   const ast = parseSpl(text, { ...source, text });
 */
import { LocatedError } from '../core/diagnostics.js';
import type { Pipeline } from './ast.js';
import { type ExpandOptions, type MacroLookup, expandMacros, originalOffset } from './macros.js';
import { type ParseOptions, parsePipelineText } from './parser.js';
import { printPipeline } from './printer.js';
import { type Source, makeSource, splError } from './source.js';

export type * from './ast.js';
export { stripLocs } from './ast.js';
export { type ExpandOptions, type ExpandedText, type MacroDefinition, type MacroExpansion, type MacroLookup, expandMacros, originalOffset } from './macros.js';
export { type ParseOptions, parseEvalExpressionText } from './parser.js';
export { printEvalExpr, printSearchExpr } from './printer.js';
export { type Source, lineColumnOf, makeSource } from './source.js';

/** Parses SPL text (macros are kept as `macro` nodes; expand them first with `expandMacros`). */
export function parseSpl(text: string, source?: Source, options?: ParseOptions): Pipeline {
  return parsePipelineText(text, source, options);
}

/** Prints a pipeline back to normalised SPL. */
export function printSpl(ast: Pipeline): string {
  return printPipeline(ast);
}

/**
 * Expands macros, then parses. A syntax error in the expanded text is reported at the original
 * text's location: inside a macro's expansion it points at the macro call and names the macro.
 */
export function parseSplWithMacros(text: string, lookup: MacroLookup, source?: Source, options?: ParseOptions & ExpandOptions): Pipeline {
  const original = source ?? makeSource(text);
  const expanded = expandMacros(text, lookup, { ...options, source: original });
  try {
    return parsePipelineText(expanded.text, { name: original.name, text: expanded.text }, options);
  } catch (e) {
    if (!(e instanceof LocatedError) || e.location.offset === undefined) throw e;
    const at = e.location.offset;
    const inside = expanded.expansions.find((x) => at >= x.outputStart && at < x.outputEnd);
    const message = inside === undefined ? e.message : `${e.message} (in the expansion of macro \`${inside.name}\`)`;
    throw splError({ ...original, text }, e.code, message, originalOffset(expanded, at));
  }
}
