/**
 * Regular expressions that cannot hang the engine, whatever the rule front end let through.
 *
 * Layers, in order:
 * 1. V8's linear-time engine. At load we turn on V8's fallback from the backtracking engine to
 *    its linear (automaton) engine after a bounded number of backtracks. A pattern that the
 *    linear engine accepts (probed by compiling it with the `l` flag) therefore runs in linear
 *    time on any input. The flags are process-wide V8 options set at run time.
 * 2. Case folding. The linear engine rejects the `i` flag, so an `i` pattern is rewritten to a
 *    lower-case pattern without `i` and searched in the event value folded once per event
 *    (ASCII letters and letter ranges only; anything else leaves the pattern as it is).
 * 3. What is left (look-arounds, back-references, non-foldable `i` patterns) runs on the
 *    backtracking engine. Such a pattern is refused when it has a quantified group that itself
 *    contains a quantifier or an alternation (the shapes of exponential backtracking), and the
 *    input it searches is capped at BACKTRACKING_INPUT_CAP characters so polynomial cases stay
 *    bounded too. Inputs to linear patterns are capped at LINEAR_INPUT_CAP.
 */
import v8 from 'node:v8';

export const LINEAR_INPUT_CAP = 1 << 20;
export const BACKTRACKING_INPUT_CAP = 16 * 1024;
/** Counted repetitions up to this bound (`{1,11}`) are not treated as unbounded. */
const MAX_SMALL_REPEAT = 16;

let linearEngineReady = false;

function enableLinearEngine(): void {
  if (linearEngineReady) return;
  linearEngineReady = true;
  v8.setFlagsFromString('--enable-experimental-regexp-engine');
  v8.setFlagsFromString('--enable-experimental-regexp-engine-on-excessive-backtracks');
  v8.setFlagsFromString('--regexp-backtracks-before-fallback=20000');
}

export interface SafeRegex {
  /** Search in this text view: raw value, or the case-folded one for rewritten `i` patterns. */
  readonly folded: boolean;
  readonly linear: boolean;
  readonly regex: RegExp;
  readonly inputCap: number;
}

export type SafeRegexResult = { readonly ok: true; readonly value: SafeRegex } | { readonly ok: false; readonly message: string };

function runsLinear(source: string, flags: string): boolean {
  try {
    new RegExp(source, flags + 'l');
    return true;
  } catch {
    return false;
  }
}

/** Lower-cases the literal letters of a pattern; null when that could change its meaning. */
export function foldPatternSource(source: string): string | null {
  let out = '';
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === '\\') {
      const e = source[i + 1];
      if (e === undefined) return null;
      // Escapes naming code points or properties could denote upper-case letters.
      if ('xucpPk'.includes(e)) return null;
      out += c + e;
      i++;
      continue;
    }
    if (inClass && c === ']') inClass = false;
    else if (!inClass && c === '[') inClass = true;
    else if (c === '(' && source[i + 1] === '?' && source[i + 2] === '<' && /[A-Za-z]/.test(source[i + 3] ?? '')) {
      // A named group: the name is not text to match.
      const close = source.indexOf('>', i);
      if (close < 0) return null;
      out += source.slice(i, close + 1);
      i = close;
      continue;
    }
    if (inClass && source[i + 1] === '-' && source[i + 2] !== undefined && source[i + 2] !== ']') {
      const lo = c;
      const hi = source[i + 2]!;
      if (hi === '\\') return null;
      const letters = (a: string, b: string): boolean => (a >= 'A' && b <= 'Z') || (a >= 'a' && b <= 'z');
      const touchesLetters = /[A-Za-z]/.test(lo) || /[A-Za-z]/.test(hi) || (lo < 'A' && hi > 'z');
      if (touchesLetters && !letters(lo, hi)) return null;
      out += lo.toLowerCase() + '-' + hi.toLowerCase();
      i += 2;
      continue;
    }
    const lower = c.toLowerCase();
    if (lower.length !== 1) return null;
    out += lower;
  }
  return out;
}

/**
 * True when a group repeated without a small bound (`*`, `+`, `{n,}`, `{n,m}` with m > 16)
 * contains a quantifier or an alternation: the shape of exponential backtracking.
 */
export function hasNestedQuantifier(source: string): boolean {
  // Per open group: did it contain a quantifier or `|`?
  const stack: boolean[] = [];
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === '\\') {
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') {
      inClass = true;
      continue;
    }
    if (c === '(') {
      stack.push(false);
      continue;
    }
    const quantifierAt = (j: number): boolean => {
      const q = source[j];
      return q === '*' || q === '+' || q === '?' || (q === '{' && /^\{\d+(,\d*)?\}/.test(source.slice(j)));
    };
    /** `*`, `+` or `{n,}` / `{n,m}` with a large m: a repetition that can multiply backtracking. */
    const repeatsAt = (j: number): boolean => {
      const q = source[j];
      if (q === '*' || q === '+') return true;
      if (q !== '{') return false;
      const m = /^\{(\d+)(,(\d*))?\}/.exec(source.slice(j));
      if (m === null) return false;
      if (m[2] === undefined) return false; // {n}: fixed count
      return m[3] === '' || Number(m[3]) > MAX_SMALL_REPEAT;
    };
    if (c === ')') {
      const risky = stack.pop() ?? false;
      if (risky && repeatsAt(i + 1)) return true;
      if (quantifierAt(i + 1) && stack.length > 0) stack[stack.length - 1] = true;
      if (risky && stack.length > 0) stack[stack.length - 1] = true;
      continue;
    }
    if (c === '|' && stack.length > 0) {
      stack[stack.length - 1] = true;
      continue;
    }
    if ((c === '*' || c === '+' || c === '{') && stack.length > 0 && quantifierAt(i)) stack[stack.length - 1] = true;
  }
  return false;
}

export function compileSafeRegex(source: string, flags: string): SafeRegexResult {
  enableLinearEngine();
  let regex: RegExp;
  try {
    regex = new RegExp(source, flags);
  } catch (e) {
    return { ok: false, message: `invalid regular expression /${source}/${flags}: ${(e as Error).message}` };
  }
  if (runsLinear(source, flags)) {
    return { ok: true, value: { folded: false, linear: true, regex, inputCap: LINEAR_INPUT_CAP } };
  }
  if (flags.includes('i')) {
    const folded = foldPatternSource(source);
    const rest = flags.replace('i', '');
    if (folded !== null && runsLinear(folded, rest)) {
      return { ok: true, value: { folded: true, linear: true, regex: new RegExp(folded, rest), inputCap: LINEAR_INPUT_CAP } };
    }
  }
  if (hasNestedQuantifier(source)) {
    return {
      ok: false,
      message: `regular expression /${source}/${flags} could backtrack catastrophically (nested quantifier) and cannot run on the linear-time engine`,
    };
  }
  return { ok: true, value: { folded: false, linear: false, regex, inputCap: BACKTRACKING_INPUT_CAP } };
}

const CLASS_ESCAPES = 'dDwWsSbBnrtfv0123456789cxukpP';

/** How many characters after an escape letter `e` (at `source[at - 1]`) belong to the escape. */
function escapeOperandLength(source: string, at: number, e: string): number {
  /** `{…}` or `<…>` right after the letter, delimiters included (0 when not there or unclosed). */
  const enclosed = (open: string, close: string): number => {
    if (source[at] !== open) return 0;
    const end = source.indexOf(close, at);
    return end < 0 ? 0 : end - at + 1;
  };
  const run = (re: RegExp, max: number): number => {
    let n = 0;
    while (n < max && at + n < source.length && re.test(source[at + n]!)) n++;
    return n;
  };
  switch (e) {
    case 'x':
      return run(/[0-9a-fA-F]/, 2);
    case 'u':
      return source[at] === '{' ? enclosed('{', '}') : run(/[0-9a-fA-F]/, 4);
    case 'c':
      return run(/[A-Za-z]/, 1);
    case 'k':
      return enclosed('<', '>');
    case 'p':
    case 'P':
      return enclosed('{', '}');
    default:
      // `\1`..`\9` back-references and `\0` octal-style escapes: the digits that follow go with them.
      return /[0-9]/.test(e) ? run(/[0-9]/, 3) : 0;
  }
}

/** One top-level piece of a pattern, with its quantifier (what is inside a group is not looked at). */
interface Atom {
  /** The one plain character it matches (`a`, `\.`); null for anything else. */
  readonly literal: string | null;
  /** Code units one repetition takes at least: 0 for a group, an assertion or a back-reference. */
  readonly width: number;
  /** Least number of repetitions (1 without a quantifier). */
  readonly min: number;
  /** No quantifier: exactly once. */
  readonly once: boolean;
}

/** Index of the `close` that ends what opens at `at` (`[` or `(`), escapes and classes skipped; the end of the text when unclosed. */
function closingIndex(source: string, at: number, close: ']' | ')'): number {
  let depth = 0;
  for (let i = at; i < source.length; i++) {
    const c = source[i]!;
    if (c === '\\') i++;
    else if (c === '[' && close === ')') i = closingIndex(source, i, ']');
    else if (c === '(' && close === ')') depth++;
    else if (c === close && (close === ']' || --depth === 0)) return i;
  }
  return source.length;
}

/** The quantifier at `at` (lazy `?` included): its least count and its length; null when there is none. */
function quantifierAt(source: string, at: number): { readonly min: number; readonly length: number } | null {
  const c = source[at];
  let min: number;
  let length = 1;
  if (c === '*' || c === '?') min = 0;
  else if (c === '+') min = 1;
  else if (c === '{') {
    const range = /^\{(\d+)(,\d*)?\}/.exec(source.slice(at));
    if (range === null) return null; // a literal `{` (Annex B)
    min = Number(range[1]);
    length = range[0].length;
  } else return null;
  if (source[at + length] === '?') length++;
  return { min, length };
}

/**
 * The top-level atoms of a pattern, in order; null when it has a top-level `|` (or ends in a lone
 * `\`). The shared reading behind `requiredLiteral` and `minMatchLength`; it errs on the side of
 * knowing less: an escape that is not a plain character, a class, `.`, and a `{` that opens no
 * quantifier are no literal.
 */
function topLevelAtoms(source: string): Atom[] | null {
  const atoms: Atom[] = [];
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    let literal: string | null = null;
    let width = 1;
    if (c === '\\') {
      const e = source[i + 1];
      if (e === undefined) return null;
      i++;
      if (CLASS_ESCAPES.includes(e)) {
        // The escape's operand (`\x41`, `\u{1F600}`, `\cA`, `\k<name>`, `\p{L}`, `\12`) is no literal text.
        i += escapeOperandLength(source, i + 1, e);
        // Assertions and back-references (`\1`, `\k<name>`) may match nothing.
        if (e === 'b' || e === 'B' || e === 'k' || (e >= '1' && e <= '9')) width = 0;
      } else literal = e;
    } else if (c === '[') {
      i = closingIndex(source, i, ']');
    } else if (c === '(' || c === ')') {
      // A group counts as nothing (a stray `)` too: such a pattern never compiles).
      if (c === '(') i = closingIndex(source, i, ')');
      width = 0;
    } else if (c === '|') {
      return null;
    } else if (c === '^' || c === '$' || c === '*' || c === '?' || c === '+') {
      // Anchors; a quantifier with nothing before it never compiles.
      width = 0;
    } else if (c !== '.' && c !== '{') {
      literal = c;
    }
    const q = quantifierAt(source, i + 1);
    if (q !== null) i += q.length;
    atoms.push({ literal, width, min: q?.min ?? 1, once: q === null });
  }
  return atoms;
}

/**
 * The longest literal every match must contain, or null. Used as a substring prefilter before
 * a regex runs. Conservative: a pattern with a top-level `|` gives null; groups, classes and
 * escapes that are not plain characters end a literal run; a character made optional by `?`,
 * `*` or `{0,...}` is dropped; one repeated by `+` or `{n,...}` ends the run after it.
 */
export function requiredLiteral(source: string): string | null {
  const atoms = topLevelAtoms(source);
  if (atoms === null) return null;
  let best: string | null = null;
  let run = '';
  const endRun = (): void => {
    if (run !== '' && (best === null || run.length > best.length)) best = run;
    run = '';
  };
  for (const a of atoms) {
    if (a.literal === null || a.min === 0) {
      endRun();
      continue;
    }
    run += a.literal;
    if (!a.once) endRun();
  }
  endRun();
  return best;
}

/**
 * A length every match has at least (in UTF-16 code units), 0 when unsure. Tested before a regex
 * runs: rules such as `.{1000,}` (an overlong command line) otherwise make the regex engine walk
 * every value of every event to learn that it is short. Conservative: a top-level `|`, or the
 * `v` flag (whose classes may match strings, even empty ones), gives 0; a group, a
 * back-reference and an assertion (`^`, `$`, `\b`, `\B`) count 0; any other atom (a character,
 * an escape, a class, `.`) counts 1 (with the `u` flag one code point is one or two units),
 * times the least count of its quantifier (`*`, `?`: 0; `+`: 1; `{n}`, `{n,}`, `{n,m}`: n).
 */
export function minMatchLength(source: string, flags = ''): number {
  if (flags.includes('v')) return 0;
  let total = 0;
  for (const a of topLevelAtoms(source) ?? []) total += a.width * a.min;
  return total;
}

const LINE_TERMINATORS = new Set([0x0a, 0x0d, 0x2028, 0x2029]);

/**
 * A test equal to the regex for `X.*X.*…X`: one punctuation character X, n times, `.*` between
 * (rules count obfuscation characters this way). It matches exactly when some line holds X at
 * least n times (the whole text with the `s` flag, where `.` crosses line ends). Counting is one
 * pass; a backtracking engine tries every split of each line. Null for any other pattern.
 */
export function repeatedCharTest(source: string, flags: string): ((s: string) => boolean) | null {
  let char: string | null = null;
  let count = 0;
  let i = 0;
  while (i < source.length) {
    if (count > 0) {
      if (!source.startsWith('.*', i)) return null;
      i += 2;
    }
    let c = source[i];
    if (c === undefined) return null;
    if (c === '\\') {
      c = source[i + 1];
      if (c === undefined || /[A-Za-z0-9]/.test(c)) return null;
      i += 2;
    } else {
      if (/[A-Za-z0-9.^$*+?()[\]{}|/\\]/.test(c) || c.charCodeAt(0) > 0x7e || c.charCodeAt(0) < 0x20) return null;
      i += 1;
    }
    if (char !== null && c !== char) return null;
    char = c;
    count++;
  }
  if (char === null || count < 2) return null;
  const x = char.charCodeAt(0);
  const acrossLines = flags.includes('s');
  return (s: string): boolean => {
    let seen = 0;
    for (let k = 0; k < s.length; k++) {
      const c = s.charCodeAt(k);
      if (c === x) {
        if (++seen >= count) return true;
      } else if (!acrossLines && LINE_TERMINATORS.has(c)) seen = 0;
    }
    return false;
  };
}

/** Escape letters after which `\` starts no single-character atom (assertions, back-references). */
const NOT_ONE_CHARACTER = 'bBk0123456789';

/**
 * A pattern that finds a match in the same texts as `source`, for a yes-or-no test, with the
 * repetition count of its first atom cut to the least (`\w+x` becomes `\wx`, `.*x` becomes `x`,
 * `a{2,5}x` becomes `a{2}x`), again while the new first atom is repeated. Where some text holds
 * `X{k}R` it holds `X{n}R` too, k − n characters on, and the reverse; a backtracking engine
 * instead tries every count at every start (`\w+`` over a long word without the backtick runs
 * in the square of its length). Only a single-character first atom (a character, an escape for
 * one, a class, `.`) is cut; a group, an anchor, a back-reference, a top-level `|`, the `g` or
 * `y` flag, or a pattern the cut would empty leave `source` as it is.
 */
export function trimLeadingRepetition(source: string, flags: string): string {
  if (flags.includes('g') || flags.includes('y') || topLevelAtoms(source) === null) return source;
  let pattern = source;
  for (;;) {
    const end = firstAtomEnd(pattern);
    if (end === null) return pattern;
    const q = quantifierAt(pattern, end);
    if (q === null) return pattern;
    const atom = pattern.slice(0, end);
    const rest = pattern.slice(end + q.length);
    const cut = (q.min === 0 ? '' : q.min === 1 ? atom : `${atom}{${q.min}}`) + rest;
    if (cut === '' || cut === pattern) return pattern;
    // `{n}` cannot be cut further: stop there rather than loop.
    if (q.min > 1) return cut;
    pattern = cut;
  }
}

/** Where the first atom ends when it is one character wide (see trimLeadingRepetition); null otherwise. */
function firstAtomEnd(source: string): number | null {
  const c = source[0];
  if (c === undefined) return null;
  if (c === '[') {
    const close = closingIndex(source, 0, ']');
    return close >= source.length ? null : close + 1;
  }
  if (c === '\\') {
    const e = source[1];
    if (e === undefined || NOT_ONE_CHARACTER.includes(e)) return null;
    return 2 + (CLASS_ESCAPES.includes(e) ? escapeOperandLength(source, 2, e) : 0);
  }
  if ('()|^$*+?{}'.includes(c)) return null;
  // A surrogate pair is one character only with the `u` or `v` flag: leave such a start alone.
  if (c.charCodeAt(0) >= 0xd800 && c.charCodeAt(0) <= 0xdfff) return null;
  return 1;
}
