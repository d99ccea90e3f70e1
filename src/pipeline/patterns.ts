/** Small helpers over IR values used by the logsource translations. */
import type { Expr, FieldMatch, PatternMatch, PatternPart, ValueMatch } from '../ir/nodes.js';

export const TRUE: Expr = { kind: 'const', value: true };
export const FALSE: Expr = { kind: 'const', value: false };

/** Joins adjacent text parts and drops empty ones (the IR keeps patterns canonical). */
export function normalizeParts(parts: readonly PatternPart[]): PatternPart[] {
  const out: PatternPart[] = [];
  for (const p of parts) {
    const last = out[out.length - 1];
    if (p.kind === 'text') {
      if (p.text === '') continue;
      if (last?.kind === 'text') out[out.length - 1] = { kind: 'text', text: last.text + p.text };
      else out.push(p);
    } else out.push(p);
  }
  return out;
}

/** A glob from our own data files: `*` any run, `?` one character, everything else literal. */
export function globParts(glob: string): PatternPart[] {
  const parts: PatternPart[] = [];
  let text = '';
  for (const ch of glob) {
    if (ch === '*' || ch === '?') {
      if (text) parts.push({ kind: 'text', text });
      text = '';
      parts.push(ch === '*' ? { kind: 'any' } : { kind: 'one' });
    } else text += ch;
  }
  if (text) parts.push({ kind: 'text', text });
  return parts;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** The whole-value RegExp a pattern means. */
export function patternRegExp(p: PatternMatch): RegExp {
  let src = '';
  for (const part of p.parts) {
    switch (part.kind) {
      case 'text':
        src += escapeRegExp(part.text);
        break;
      case 'any':
        src += '[\\s\\S]*';
        break;
      case 'one':
        src += '[\\s\\S]';
        break;
      default: {
        const never: never = part;
        throw new Error(`unknown pattern part ${JSON.stringify(never)}`);
      }
    }
  }
  return new RegExp(`^${src}$`, p.cased ? '' : 'i');
}

/**
 * Whether a rule value could match the text `value` (used on small finite tables, never on
 * events). Null when the value kind is not a text test (numbers, networks, time parts).
 */
export function valueMatchesText(match: ValueMatch, value: string): boolean | null {
  switch (match.kind) {
    case 'pattern':
      return patternRegExp(match).test(value);
    case 'regex':
      try {
        return new RegExp(match.source, match.flags.replace(/[^ims]/g, '')).test(value);
      } catch {
        return null;
      }
    case 'number':
    case 'cidr':
    case 'time-part':
      return null;
    default: {
      const never: never = match;
      throw new Error(`unknown value match ${JSON.stringify(never)}`);
    }
  }
}

export function exactMatch(field: string, text: string): FieldMatch {
  return { kind: 'field', field, match: { kind: 'pattern', parts: text === '' ? [] : [{ kind: 'text', text }], cased: false } };
}

export function patternMatch(field: string, parts: readonly PatternPart[], cased: boolean): FieldMatch {
  return { kind: 'field', field, match: { kind: 'pattern', parts: normalizeParts(parts), cased } };
}

/** AND with constant folding. */
export function and(items: readonly Expr[]): Expr {
  const out: Expr[] = [];
  for (const item of items) {
    if (item.kind === 'const') {
      if (!item.value) return FALSE;
      continue;
    }
    out.push(item);
  }
  if (out.length === 0) return TRUE;
  return out.length === 1 ? out[0]! : { kind: 'and', items: out };
}

/** OR with constant folding and removal of repeated alternatives. */
export function or(items: readonly Expr[]): Expr {
  const out: Expr[] = [];
  const seen = new Set<string>();
  for (const item of items) {
    if (item.kind === 'const') {
      if (item.value) return TRUE;
      continue;
    }
    const key = JSON.stringify(item);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(item);
  }
  if (out.length === 0) return FALSE;
  return out.length === 1 ? out[0]! : { kind: 'or', items: out };
}

export function not(item: Expr): Expr {
  if (item.kind === 'const') return item.value ? FALSE : TRUE;
  return { kind: 'not', item };
}
