/**
 * Textual macro expansion, as Splunk does it before parsing (spl-and-rba.md §3):
 * `` `name` `` and `` `name(a, b)` `` are replaced by the definition of the macro with that name
 * and arity, `$arg$` is substituted everywhere in the definition (even inside quotes), and the
 * result is expanded again (nested macros). No parentheses are added. Backticks inside quoted
 * strings and ```` ``` comments ``` ```` are left alone.
 *
 * Bounds: nesting depth, cycle detection (a macro reached again through its own expansion) and an
 * output size cap. Every error is located at the macro call in the ORIGINAL text.
 */
import { splitMacroCall } from './parser.js';
import { type Source, makeSource, splError } from './source.js';

export interface MacroDefinition {
  readonly definition: string;
  /** Parameter names in order (`args = a, b` in macros.conf); empty for a macro without arguments. */
  readonly args: readonly string[];
}

/** Finds the macro `name` taking `arity` arguments (Splunk overloads macros by arity). */
export type MacroLookup = (name: string, arity: number) => MacroDefinition | undefined;

export interface MacroExpansion {
  readonly name: string;
  readonly arity: number;
  /** Offsets of the backticked call in the original text. */
  readonly start: number;
  readonly end: number;
  /** Offsets of its (fully expanded) replacement in the output text. */
  readonly outputStart: number;
  readonly outputEnd: number;
}

export interface ExpandedText {
  readonly text: string;
  /** Top-level expansions in text order: the source map from output offsets to original ones. */
  readonly expansions: readonly MacroExpansion[];
}

export interface ExpandOptions {
  readonly source?: Source;
  /** Maximum nesting of macros inside macros (default 20). */
  readonly maxDepth?: number;
  /** Maximum expanded length in characters (default 1,000,000). */
  readonly maxLength?: number;
  /**
   * Remove the quotes of an argument written as one quoted word (`("Processes")` → `Processes`),
   * which is what Splunk's token concatenation yields for the common ESCU uses (default true).
   */
  readonly unquoteArguments?: boolean;
}

const DEFAULT_MAX_DEPTH = 20;
const DEFAULT_MAX_LENGTH = 1_000_000;
const NAMED_ARGUMENT = /^([A-Za-z0-9_-]+)\s*=([\s\S]*)$/;
/** A quoted argument that means the same without its quotes (no spaces, breakers or escapes). */
const QUOTED_WORD = /^"([A-Za-z0-9_.:*@\/-]*)"$/;

interface Context {
  readonly source: Source;
  readonly lookup: MacroLookup;
  readonly maxDepth: number;
  readonly maxLength: number;
  readonly unquote: boolean;
  outputLength: number;
}

export function expandMacros(text: string, lookup: MacroLookup, options: ExpandOptions = {}): ExpandedText {
  const source = options.source ?? makeSource(text);
  const ctx: Context = {
    source: source.text === text ? source : { ...source, text },
    lookup,
    maxDepth: options.maxDepth ?? DEFAULT_MAX_DEPTH,
    maxLength: options.maxLength ?? DEFAULT_MAX_LENGTH,
    unquote: options.unquoteArguments ?? true,
    outputLength: 0,
  };
  const expansions: MacroExpansion[] = [];
  const out = expandText(ctx, text, 0, [], null, expansions);
  return { text: out, expansions };
}

/** Maps an offset in the expanded text back to the original: inside an expansion → the macro call. */
export function originalOffset(expanded: ExpandedText, outputOffset: number): number {
  let shift = 0;
  for (const e of expanded.expansions) {
    if (outputOffset < e.outputStart) break;
    if (outputOffset < e.outputEnd) return e.start;
    shift = e.end - e.outputEnd;
  }
  return outputOffset + shift;
}

/**
 * Expands one text. `origin` is the offset of the top-level call in the original text when
 * expanding a definition (errors are reported there), or null for the original text itself.
 */
function expandText(
  ctx: Context,
  text: string,
  depth: number,
  stack: readonly string[],
  origin: number | null,
  expansions: MacroExpansion[] | null,
): string {
  let out = '';
  let i = 0;
  const append = (s: string): void => {
    out += s;
    if (depth === 0) {
      ctx.outputLength = out.length;
      if (ctx.outputLength > ctx.maxLength) {
        throw splError(ctx.source, 'spl.macro.too-long', `macro expansion exceeds ${ctx.maxLength} characters`, origin ?? i);
      }
    } else if (out.length > ctx.maxLength) {
      throw splError(ctx.source, 'spl.macro.too-long', `macro expansion exceeds ${ctx.maxLength} characters`, origin ?? i);
    }
  };
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === '"') {
      // Quoted values are never expanded; an unterminated quote is left for the parser to report.
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const end = Math.min(j + 1, text.length);
      append(text.slice(i, end));
      i = end;
      continue;
    }
    if (text.startsWith('```', i)) {
      const close = text.indexOf('```', i + 3);
      const end = close < 0 ? text.length : close + 3;
      append(text.slice(i, end));
      i = end;
      continue;
    }
    if (ch !== '`') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"' && text[j] !== '`') j++;
      append(text.slice(i, j));
      i = j;
      continue;
    }
    const at = origin ?? i;
    const close = text.indexOf('`', i + 1);
    if (close < 0) throw splError(ctx.source, 'spl.macro.unterminated', `unterminated macro call (missing closing backtick)${chain(stack)}`, at);
    const inner = text.slice(i + 1, close);
    const call = splitMacroCall(inner);
    if (call === null) throw splError(ctx.source, 'spl.macro.malformed', `malformed macro call \`${inner}\`${chain(stack)}`, at);
    const arity = call.args?.length ?? 0;
    const key = `${call.name}(${arity})`;
    const definition = ctx.lookup(call.name, arity);
    if (definition === undefined) {
      throw splError(ctx.source, 'spl.macro.unknown', `unknown macro \`${call.name}\` with ${arity} argument${arity === 1 ? '' : 's'}${chain(stack)}`, at);
    }
    if (stack.includes(key)) {
      throw splError(ctx.source, 'spl.macro.cycle', `macro \`${call.name}\` expands to itself: ${[...stack, key].join(' → ')}`, at);
    }
    if (depth + 1 > ctx.maxDepth) {
      throw splError(ctx.source, 'spl.macro.too-deep', `macros nested deeper than ${ctx.maxDepth} levels${chain(stack)}`, at);
    }
    if (definition.args.length !== arity) {
      throw splError(ctx.source, 'spl.macro.arity', `macro \`${call.name}\` declares ${definition.args.length} argument names but is called with ${arity}`, at);
    }
    const values = bindArguments(ctx, call.args ?? [], definition.args);
    const substituted = definition.definition.replace(/\$([A-Za-z0-9_-]+)\$/g, (whole, name: string) => values.get(name) ?? whole);
    const replacement = expandText(ctx, substituted, depth + 1, [...stack, key], at, null);
    const outputStart = out.length;
    append(replacement);
    expansions?.push({ name: call.name, arity, start: i, end: close + 1, outputStart, outputEnd: out.length });
    i = close + 1;
  }
  return out;
}

/** Positional or named (`name(a=1, b=2)`) arguments → parameter name → value. */
function bindArguments(ctx: Context, args: readonly string[], names: readonly string[]): Map<string, string> {
  const values = new Map<string, string>();
  const named = args.map((a) => NAMED_ARGUMENT.exec(a));
  const allNamed = args.length > 0 && named.every((m) => m !== null && names.includes(m[1]!)) && new Set(named.map((m) => m![1])).size === args.length;
  args.forEach((arg, index) => {
    const match = named[index];
    const name = allNamed && match !== null && match !== undefined ? match[1]! : names[index]!;
    const raw = (allNamed && match !== null && match !== undefined ? match[2]! : arg).trim();
    const unquoted = ctx.unquote ? QUOTED_WORD.exec(raw) : null;
    values.set(name, unquoted !== null ? unquoted[1]! : raw);
  });
  return values;
}

function chain(stack: readonly string[]): string {
  return stack.length === 0 ? '' : ` (inside ${stack.join(' → ')})`;
}
