/**
 * Splunk `*` wildcards (spl-and-rba.md §2.1, §8.3) and eval `like` patterns (§2.4), matched
 * without regular expressions: literal pieces are found with indexOf, so a pattern with many
 * stars costs at most O(text × pieces) and can never backtrack catastrophically.
 */

/** Lower-cases for Splunk's case-insensitive value matching. */
export function foldCase(text: string): string {
  return text.toLowerCase();
}

/**
 * Whole-value (anchored) match of a Splunk wildcard pattern: `*` matches any run of characters,
 * every other character (backslash included — it cannot escape `*` in search) is literal.
 */
export function wildcardMatcher(pattern: string, caseSensitive: boolean): (text: string) => boolean {
  const pieces = (caseSensitive ? pattern : foldCase(pattern)).split('*');
  const fold = caseSensitive ? (t: string) => t : foldCase;
  if (pieces.length === 1) {
    const literal = pieces[0]!;
    return (text) => fold(text) === literal;
  }
  return (text) => matchPieces(fold(text), pieces);
}

/**
 * Unanchored match of a wildcard pattern (bare search terms against `_raw`): the pieces must
 * appear in order somewhere in the text.
 */
export function unanchoredWildcardMatcher(pattern: string, caseSensitive: boolean): (text: string) => boolean {
  const pieces = (caseSensitive ? pattern : foldCase(pattern)).split('*').filter((p) => p !== '');
  const fold = caseSensitive ? (t: string) => t : foldCase;
  if (pieces.length === 0) return () => true;
  return (text) => matchPieces(fold(text), ['', ...pieces, '']);
}

/**
 * `pieces` is a pattern split on `*` (so stars sit between pieces). The first piece must be a
 * prefix, the last a suffix, the middle ones must occur in order; taking the leftmost occurrence
 * of each middle piece is always optimal, so no backtracking is needed.
 */
function matchPieces(text: string, pieces: readonly string[]): boolean {
  const first = pieces[0]!;
  const last = pieces[pieces.length - 1]!;
  if (text.length < first.length + last.length) return false;
  if (!text.startsWith(first) || !text.endsWith(last)) return false;
  let pos = first.length;
  const end = text.length - last.length;
  for (let i = 1; i < pieces.length - 1; i++) {
    const piece = pieces[i]!;
    if (piece === '') continue;
    const at = text.indexOf(piece, pos);
    if (at < 0 || at + piece.length > end) return false;
    pos = at + piece.length;
  }
  return true;
}

/**
 * eval `like`: `%` matches any run, `_` exactly one character, anchored to the whole value,
 * case-sensitive (spl-and-rba.md §2.4). Greedy two-pointer glob matching: O(text × pattern).
 */
export function likeMatcher(pattern: string, caseSensitive = true): (text: string) => boolean {
  const pat = caseSensitive ? pattern : foldCase(pattern);
  if (!pat.includes('_')) {
    // Only `%`: the cheaper piece matcher applies.
    const pieces = pat.split('%');
    const fold = caseSensitive ? (t: string) => t : foldCase;
    if (pieces.length === 1) return (text) => fold(text) === pat;
    return (text) => matchPieces(fold(text), pieces);
  }
  return (text) => globMatch(caseSensitive ? text : foldCase(text), pat);
}

/** Classic iterative glob match with one backtrack point (the last `%`). */
function globMatch(text: string, pat: string): boolean {
  let t = 0;
  let p = 0;
  let starP = -1;
  let starT = 0;
  while (t < text.length) {
    const c = pat[p];
    if (c === '%') {
      starP = p++;
      starT = t;
    } else if (c !== undefined && (c === '_' || c === text[t])) {
      p++;
      t++;
    } else if (starP >= 0) {
      p = starP + 1;
      t = ++starT;
    } else {
      return false;
    }
  }
  while (pat[p] === '%') p++;
  return p === pat.length;
}
