/**
 * Sigma string values: wildcards and the three escapes (`\*`, `\?`, `\\`). Every other
 * backslash is literal, including a trailing one (sigma.md §1.4, §6.1).
 */
import type { PatternPart } from '../ir/nodes.js';

export function parseSigmaString(raw: string): PatternPart[] {
  const parts: PatternPart[] = [];
  let text = '';
  const flush = (): void => {
    if (text.length > 0) parts.push({ kind: 'text', text });
    text = '';
  };
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c === '\\') {
      const next = raw[i + 1];
      if (next === '*' || next === '?' || next === '\\') {
        text += next;
        i++;
      } else {
        text += c;
      }
    } else if (c === '*') {
      flush();
      // Consecutive `*` mean the same as one.
      if (parts.at(-1)?.kind !== 'any') parts.push({ kind: 'any' });
    } else if (c === '?') {
      flush();
      parts.push({ kind: 'one' });
    } else {
      text += c;
    }
  }
  flush();
  return parts;
}

export function literalParts(text: string): PatternPart[] {
  return text.length === 0 ? [] : [{ kind: 'text', text }];
}

export function hasWildcards(parts: readonly PatternPart[]): boolean {
  return parts.some((p) => p.kind !== 'text');
}

/** The literal text of a wildcard-free pattern. */
export function partsText(parts: readonly PatternPart[]): string {
  return parts.map((p) => (p.kind === 'text' ? p.text : '')).join('');
}

export function withLeadingAny(parts: readonly PatternPart[]): PatternPart[] {
  return parts[0]?.kind === 'any' ? [...parts] : [{ kind: 'any' }, ...parts];
}

export function withTrailingAny(parts: readonly PatternPart[]): PatternPart[] {
  return parts.at(-1)?.kind === 'any' ? [...parts] : [...parts, { kind: 'any' }];
}

export function normalizeParts(parts: readonly PatternPart[]): PatternPart[] {
  const out: PatternPart[] = [];
  for (const p of parts) {
    const last = out.at(-1);
    if (p.kind === 'text') {
      if (p.text.length === 0) continue;
      if (last?.kind === 'text') out[out.length - 1] = { kind: 'text', text: last.text + p.text };
      else out.push(p);
    } else if (p.kind === 'any' && last?.kind === 'any') {
      continue;
    } else {
      out.push(p);
    }
  }
  return out;
}

const ANY_MARK = '\u0000';
const ONE_MARK = '\u0001';

/** Encode wildcards as control characters so text transforms (windash) can see neighbours. */
export function partsToMarked(parts: readonly PatternPart[]): string {
  return parts.map((p) => (p.kind === 'text' ? p.text : p.kind === 'any' ? ANY_MARK : ONE_MARK)).join('');
}

export function markedToParts(marked: string): PatternPart[] {
  const parts: PatternPart[] = [];
  let text = '';
  for (const c of marked) {
    if (c === ANY_MARK || c === ONE_MARK) {
      if (text) parts.push({ kind: 'text', text });
      text = '';
      parts.push(c === ANY_MARK ? { kind: 'any' } : { kind: 'one' });
    } else text += c;
  }
  if (text) parts.push({ kind: 'text', text });
  return normalizeParts(parts);
}
