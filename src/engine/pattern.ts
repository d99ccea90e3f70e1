/**
 * Wildcard patterns (`*`, `?`) compiled to the cheapest string test: exact, prefix, suffix,
 * contains, or a segment scan for the general case. No regex is built, so no pattern can make
 * matching backtrack: the general scan places each `*`-separated segment at its leftmost
 * position, which is enough because segments have a fixed length.
 *
 * `?` consumes one character; a UTF-16 surrogate pair counts as one character. Case-insensitive
 * patterns are folded (`toLowerCase`) here once and tested against values folded once per event.
 */
import type { PatternMatch, PatternPart } from '../ir/nodes.js';

export type PatternShape = 'everything' | 'exact' | 'prefix' | 'suffix' | 'contains' | 'wildcard';

export interface CompiledPattern {
  readonly shape: PatternShape;
  /** The literal for exact/prefix/suffix/contains (folded unless cased). */
  readonly literal: string;
  readonly cased: boolean;
  readonly test: (value: string) => boolean;
}

type SegmentItem = string | null; // null = `?`

interface Segment {
  readonly items: readonly SegmentItem[];
  readonly minLength: number;
  readonly maxLength: number;
}

/** Merges adjacent text, collapses runs of `*`, and folds text when case-insensitive. */
export function normalizeParts(parts: readonly PatternPart[], cased: boolean): PatternPart[] {
  const out: PatternPart[] = [];
  for (const p of parts) {
    const last = out[out.length - 1];
    if (p.kind === 'text') {
      if (p.text === '') continue;
      const text = cased ? p.text : p.text.toLowerCase();
      if (last !== undefined && last.kind === 'text') out[out.length - 1] = { kind: 'text', text: last.text + text };
      else out.push({ kind: 'text', text });
    } else if (p.kind === 'any') {
      if (last === undefined || last.kind !== 'any') out.push(p);
    } else {
      out.push(p);
    }
  }
  return out;
}

export function compilePattern(match: PatternMatch): CompiledPattern {
  const cased = match.cased;
  const parts = normalizeParts(match.parts, cased);
  const n = parts.length;
  const simple = (shape: PatternShape, literal: string, test: (v: string) => boolean): CompiledPattern => ({
    shape,
    literal,
    cased,
    test,
  });
  const isText = (i: number): boolean => parts[i]?.kind === 'text';
  const isAny = (i: number): boolean => parts[i]?.kind === 'any';
  const textAt = (i: number): string => {
    const p = parts[i];
    return p !== undefined && p.kind === 'text' ? p.text : '';
  };
  if (n === 0) return simple('exact', '', (v) => v === '');
  if (n === 1 && isAny(0)) return simple('everything', '', () => true);
  if (n === 1 && isText(0)) {
    const lit = textAt(0);
    return simple('exact', lit, (v) => v === lit);
  }
  if (n === 2 && isText(0) && isAny(1)) {
    const lit = textAt(0);
    return simple('prefix', lit, (v) => v.startsWith(lit));
  }
  if (n === 2 && isAny(0) && isText(1)) {
    const lit = textAt(1);
    return simple('suffix', lit, (v) => v.endsWith(lit));
  }
  if (n === 3 && isAny(0) && isText(1) && isAny(2)) {
    const lit = textAt(1);
    return simple('contains', lit, (v) => v.includes(lit));
  }
  return { shape: 'wildcard', literal: '', cased, test: wildcardTest(parts) };
}

function splitSegments(parts: readonly PatternPart[]): Segment[] {
  const segments: Segment[] = [];
  let items: SegmentItem[] = [];
  let min = 0;
  let max = 0;
  const close = (): void => {
    segments.push({ items, minLength: min, maxLength: max });
    items = [];
    min = 0;
    max = 0;
  };
  for (const p of parts) {
    if (p.kind === 'any') close();
    else if (p.kind === 'text') {
      items.push(p.text);
      min += p.text.length;
      max += p.text.length;
    } else {
      items.push(null);
      min += 1;
      max += 2;
    }
  }
  close();
  return segments;
}

/** Position after one character at `pos` (a surrogate pair is one character), or -1 at the end. */
function nextChar(s: string, pos: number): number {
  if (pos >= s.length) return -1;
  const c = s.charCodeAt(pos);
  if (c >= 0xd800 && c <= 0xdbff && pos + 1 < s.length) {
    const d = s.charCodeAt(pos + 1);
    if (d >= 0xdc00 && d <= 0xdfff) return pos + 2;
  }
  return pos + 1;
}

/** End of `seg` matched at `pos`, or -1. */
function matchSegmentAt(s: string, pos: number, seg: Segment): number {
  let p = pos;
  for (const item of seg.items) {
    if (item === null) {
      p = nextChar(s, p);
      if (p < 0) return -1;
    } else {
      if (!s.startsWith(item, p)) return -1;
      p += item.length;
    }
  }
  return p;
}

/** Leftmost placement of `seg` at or after `from`; returns its end, or -1. */
function findSegment(s: string, from: number, seg: Segment): number {
  const first = seg.items[0];
  const lead = typeof first === 'string' ? first : null;
  let p = from;
  // Each iteration moves p forward, so the loop is bounded by s.length.
  while (p + seg.minLength <= s.length) {
    if (lead !== null) {
      p = s.indexOf(lead, p);
      if (p < 0) return -1;
    }
    const end = matchSegmentAt(s, p, seg);
    if (end >= 0) return end;
    p++;
  }
  return -1;
}

function wildcardTest(parts: readonly PatternPart[]): (value: string) => boolean {
  const segments = splitSegments(parts);
  const anchoredStart = parts[0]?.kind !== 'any';
  const anchoredEnd = parts[parts.length - 1]?.kind !== 'any';
  const first = segments[0]!;
  const last = segments[segments.length - 1]!;
  const minTotal = segments.reduce((a, s) => a + s.minLength, 0);
  if (segments.length === 1) {
    // No `*` at all: text and `?` only, matched over the whole value.
    return (v) => matchSegmentAt(v, 0, first) === v.length;
  }
  return (v) => {
    if (v.length < minTotal) return false;
    let pos = 0;
    let i = 0;
    if (anchoredStart) {
      pos = matchSegmentAt(v, 0, first);
      if (pos < 0) return false;
      i = 1;
    }
    const middleEnd = anchoredEnd ? segments.length - 1 : segments.length;
    for (; i < middleEnd; i++) {
      const seg = segments[i]!;
      if (seg.items.length === 0) continue;
      pos = findSegment(v, pos, seg);
      if (pos < 0) return false;
    }
    if (!anchoredEnd) return true;
    // The last segment must end exactly at the end of the value.
    const lo = Math.max(pos, v.length - last.maxLength);
    for (let start = v.length - last.minLength; start >= lo; start--) {
      if (matchSegmentAt(v, start, last) === v.length) return true;
    }
    return false;
  };
}
