/**
 * The macros a detection's search calls, with their definitions, including macros called from
 * inside those definitions (as Splunk expands them). Found by scanning backtick calls, which is
 * all a catalog needs; the SPL parser does the real expansion when a search runs.
 */
import type { Macro } from '../content/index.js';

export interface MacroUse {
  readonly name: string;
  readonly arity: number;
  /** Null when no definition was found (the search cannot expand). */
  readonly macro: Macro | null;
  /** 0 for calls in the search itself, 1+ for calls inside other macros' definitions. */
  readonly depth: number;
}

const MAX_DEPTH = 6;
const MAX_USES = 200;
const CALL = /`([A-Za-z0-9_.:-]+)(?:\(([^`]*)\))?`/g;

/** Number of arguments in `a, "b,c", d` (commas inside quotes do not split). */
export function macroArity(args: string | undefined): number {
  if (args === undefined || args.trim().length === 0) return 0;
  let count = 1;
  let quote: string | null = null;
  for (let i = 0; i < args.length; i++) {
    const c = args[i]!;
    if (quote !== null) {
      if (c === '\\') i++;
      else if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === ',') count++;
  }
  return count;
}

export function findMacroUses(search: string, resolve: (name: string, arity: number) => Macro | undefined): MacroUse[] {
  const out: MacroUse[] = [];
  const seen = new Set<string>();
  const visit = (text: string, depth: number): void => {
    if (depth > MAX_DEPTH) return;
    for (const m of text.matchAll(CALL)) {
      if (out.length >= MAX_USES) return;
      const name = m[1]!;
      const arity = macroArity(m[2]);
      const key = `${name}(${arity})`;
      if (seen.has(key)) continue;
      seen.add(key);
      const macro = resolve(name, arity) ?? null;
      out.push({ name, arity, macro, depth });
      if (macro !== null) visit(macro.definition, depth + 1);
    }
  };
  visit(search, 0);
  return out;
}
