/**
 * SPL regular expressions (PCRE) → safe JavaScript RegExp (spl-and-rba.md §2.8, §8.6).
 *
 * The pattern text reaching here has had SPL string escapes applied by the parser; this layer
 * only deals with regex syntax. Translation:
 *  - `(?P<n>`, `(?'n'` → `(?<n>`; `(?P=n)`, `\g{n}`, `\k{n}` → back-references JS understands;
 *  - inline flags anywhere — `(?i)`, `(?is)`, `(?-i)`, `(?i:...)` — are applied by rewriting the
 *    pattern in their scope: case-insensitivity turns every letter into a two-case class (`a` →
 *    `[aA]`), dot-all turns `.` into `[\s\S]`. So no `i`/`s` flag is ever used: the result stays
 *    eligible for V8's linear-time engine, and captured text keeps its original case. Only a
 *    leading `(?m)` becomes the `m` flag (a mid-pattern `m` is refused);
 *  - `\Q...\E` quoted literals, `\A`, `\z`, `\Z` (as end of text), `\h`, `\v`, `\R`, `\e`, `\x{..}`,
 *    POSIX classes `[[:alpha:]]`;
 *  - PCRE-only constructs (possessive quantifiers, atomic groups, recursion, conditionals,
 *    `\K`, `\G`, Unicode properties) → LocatedError 'spl.unsupported-regex'.
 * The result goes through `compileSafeRegex` (src/engine/regex-guard.ts): a pattern that cannot
 * run on the linear engine and has nested quantifiers is refused ('spl.unsafe-regex'); one that
 * runs on the backtracking engine has its input capped (CappedRegExp).
 * Approximations: `$` and `\Z` match only at the very end (PCRE also before a final newline);
 * back-references under `(?i)` compare case-sensitively.
 */
import { LocatedError } from '../../core/diagnostics.js';
import { BACKTRACKING_INPUT_CAP, compileSafeRegex } from '../../engine/regex-guard.js';
import type { ExecContext } from './types.js';

export interface TranslatedRegex {
  readonly source: string;
  /** JavaScript flags: `m` at most (case and dot-all are rewritten into the source). */
  readonly flags: string;
}

export interface SplRegexOptions {
  /** Extra JavaScript flags (`g`, `y`); `i` is honoured by rewriting the pattern. */
  readonly flags?: string;
}

class RegexProblem extends Error {
  constructor(
    readonly code: 'spl.unsupported-regex' | 'spl.bad-regex',
    message: string,
  ) {
    super(message);
  }
}

const unsupported = (what: string, at: number): RegexProblem =>
  new RegexProblem('spl.unsupported-regex', `${what} (at ${at}) has no JavaScript equivalent`);

/** The `[...]` body for each POSIX class name. */
const POSIX_CLASSES: Readonly<Record<string, string>> = {
  alpha: 'a-zA-Z',
  digit: '0-9',
  alnum: 'a-zA-Z0-9',
  upper: 'A-Z',
  lower: 'a-z',
  space: ' \\t\\n\\r\\f\\v',
  blank: ' \\t',
  punct: '!-\\/:-@\\[-`{-~',
  xdigit: '0-9A-Fa-f',
  word: '\\w',
  cntrl: '\\x00-\\x1f\\x7f',
  print: ' -~',
  graph: '!-~',
};

const VERTICAL_SPACE = '\\n\\x0b\\f\\r\\x85\\u2028\\u2029';

interface Scope {
  readonly ignoreCase: boolean;
  readonly dotAll: boolean;
}

/** The other-case form of a letter, or null for characters without case (or multi-char case forms). */
function otherCase(c: string): string | null {
  const lower = c.toLowerCase();
  const upper = c.toUpperCase();
  if (lower.length !== 1 || upper.length !== 1 || lower === upper) return null;
  return c === lower ? upper : lower;
}

function escapeLiteral(c: string): string {
  return /[\\^$.*+?()[\]{}|/-]/.test(c) ? '\\' + c : c;
}

/** Translates PCRE text into JavaScript source and flags; throws RegexProblem. */
function translate(pattern: string, ignoreCase: boolean): TranslatedRegex {
  const src = pattern;
  let out = '';
  let multiline = false;
  let scope: Scope = { ignoreCase, dotAll: false };
  const stack: Scope[] = [];
  /** Whether the last emitted item was a quantifier (a following `+` would make it possessive). */
  let afterQuantifier = false;

  const literal = (c: string): string => {
    const other = scope.ignoreCase ? otherCase(c) : null;
    return other === null ? escapeLiteral(c) : `[${c}${other}]`;
  };

  let i = 0;
  // Leading flag groups: only here may `m` appear (it becomes the JS flag).
  for (;;) {
    const m = /^\(\?([a-zA-Z]+)\)/.exec(src.slice(i));
    if (m === null) break;
    for (const f of m[1]!) {
      if (f === 'm') multiline = true;
      else scope = applyFlag(scope, f, true, i);
    }
    i += m[0].length;
  }

  for (; i < src.length; i++) {
    const c = src[i]!;
    const wasQuantifier: boolean = afterQuantifier;
    afterQuantifier = false;
    if (c === '\\') {
      const [text, next] = translateEscape(src, i, multiline, literal);
      out += text;
      i = next - 1;
      continue;
    }
    if (c === '[') {
      const [text, next] = translateClass(src, i, scope);
      out += text;
      i = next - 1;
      continue;
    }
    if (c === '(') {
      const [text, next, newScope] = translateGroupOpen(src, i, scope, stack);
      out += text;
      scope = newScope;
      i = next - 1;
      continue;
    }
    if (c === ')') {
      scope = stack.pop() ?? scope;
      out += ')';
      continue;
    }
    if (c === '.') {
      out += scope.dotAll ? '[\\s\\S]' : '.';
      continue;
    }
    if (c === '*' || c === '+' || c === '?') {
      if (wasQuantifier && c === '+') throw unsupported('possessive quantifier', i);
      out += c;
      // `x*?` is lazy: the `?` ends the quantifier; `x*+` was refused above.
      afterQuantifier = !(wasQuantifier && c === '?');
      continue;
    }
    if (c === '{') {
      const m = /^\{\d+(,\d*)?\}/.exec(src.slice(i, i + 24));
      if (m !== null) {
        out += m[0];
        i += m[0].length - 1;
        afterQuantifier = true;
        continue;
      }
      out += '\\{';
      continue;
    }
    if (c === '}') {
      out += '\\}';
      continue;
    }
    if (c === '^' || c === '$' || c === '|') {
      out += c;
      continue;
    }
    out += literal(c);
  }
  return { source: out, flags: multiline ? 'm' : '' };
}

function applyFlag(scope: Scope, flag: string, on: boolean, at: number): Scope {
  switch (flag) {
    case 'i':
      return { ...scope, ignoreCase: on };
    case 's':
      return { ...scope, dotAll: on };
    default:
      throw unsupported(`inline flag '${flag}'`, at);
  }
}

/** `(` and what follows it: returns the emitted text, the index after the opener and the new scope. */
function translateGroupOpen(src: string, i: number, scope: Scope, stack: Scope[]): [string, number, Scope] {
  if (src[i + 1] !== '?') {
    stack.push(scope);
    return ['(', i + 1, scope];
  }
  const rest = src.slice(i + 2, i + 200);
  const named = /^(?:P<|<(?![=!])|')([A-Za-z_][A-Za-z0-9_]*)[>']/.exec(rest);
  if (named !== null) {
    stack.push(scope);
    return [`(?<${named[1]}>`, i + 2 + named[0].length, scope];
  }
  const backref = /^P=([A-Za-z_][A-Za-z0-9_]*)\)/.exec(rest);
  if (backref !== null) return [`\\k<${backref[1]}>`, i + 2 + backref[0].length, scope];
  if (rest.startsWith('#')) {
    const end = src.indexOf(')', i);
    if (end < 0) throw new RegexProblem('spl.bad-regex', `unterminated (?# comment at ${i}`);
    return ['', end + 1, scope];
  }
  for (const opener of [':', '=', '!', '<=', '<!']) {
    if (rest.startsWith(opener)) {
      stack.push(scope);
      return [`(?${opener}`, i + 2 + opener.length, scope];
    }
  }
  if (rest.startsWith('>')) throw unsupported('atomic group (?>', i);
  if (rest.startsWith('|')) throw unsupported('branch-reset group (?|', i);
  if (rest.startsWith('(')) throw unsupported('conditional group (?(', i);
  if (/^(R|[0-9+-]\d*\)|&|P>)/.test(rest)) throw unsupported('recursion', i);
  const flags = /^([a-zA-Z]*)(?:-([a-zA-Z]+))?([:)])/.exec(rest);
  if (flags !== null) {
    let inner = scope;
    for (const f of flags[1]!) inner = applyFlag(inner, f, true, i);
    for (const f of flags[2] ?? '') inner = applyFlag(inner, f, false, i);
    const next = i + 2 + flags[0].length;
    if (flags[3] === ')') return ['', next, inner]; // rest of the enclosing group
    stack.push(scope);
    return ['(?:', next, inner];
  }
  throw new RegexProblem('spl.bad-regex', `unknown group syntax '(?${rest.slice(0, 3)}' at ${i}`);
}

/** An escape outside a class: returns the emitted text and the index after it. */
function translateEscape(src: string, i: number, multiline: boolean, literal: (c: string) => string): [string, number] {
  const n = src[i + 1];
  if (n === undefined) throw new RegexProblem('spl.bad-regex', 'pattern ends with a lone backslash');
  switch (n) {
    case 'A':
      return [multiline ? '(?<![\\s\\S])' : '^', i + 2];
    case 'z':
    case 'Z':
      return [multiline ? '(?![\\s\\S])' : '$', i + 2];
    case 'Q': {
      const end = src.indexOf('\\E', i + 2);
      const text = src.slice(i + 2, end < 0 ? src.length : end);
      return [[...text].map(literal).join(''), end < 0 ? src.length : end + 2];
    }
    case 'E':
      return ['', i + 2];
    case 'h':
      return ['[ \\t]', i + 2];
    case 'H':
      return ['[^ \\t]', i + 2];
    case 'v':
      return [`[${VERTICAL_SPACE}]`, i + 2];
    case 'V':
      return [`[^${VERTICAL_SPACE}]`, i + 2];
    case 'R':
      return ['(?:\\r\\n|[\\n\\x0b\\f\\r\\x85\\u2028\\u2029])', i + 2];
    case 'e':
      return ['\\x1b', i + 2];
    case 'a':
      return ['\\x07', i + 2];
    case 'x':
      return hexEscape(src, i);
    case 'g':
    case 'k':
      return namedBackReference(src, i);
    default:
      break;
  }
  if (n === 'u' && /^[0-9a-fA-F]{4}$/.test(src.slice(i + 2, i + 6))) return [src.slice(i, i + 6), i + 6];
  if ('KGXCNpPLlUuo'.includes(n)) throw unsupported(`escape \\${n}`, i);
  // A letter escaped for no reason is the letter itself in PCRE-compatible patterns we accept.
  if (/[A-Za-z]/.test(n) && !'bBdDwWsSnrtfc'.includes(n)) throw unsupported(`escape \\${n}`, i);
  if (n === 'c') return ['\\c' + (src[i + 2] ?? ''), i + 3];
  if (/[A-Za-z0-9]/.test(n)) return ['\\' + n, i + 2];
  return [escapeLiteral(n), i + 2];
}

function hexEscape(src: string, i: number): [string, number] {
  const braced = /^\{([0-9a-fA-F]{1,6})\}/.exec(src.slice(i + 2, i + 12));
  if (braced !== null) {
    const code = Number.parseInt(braced[1]!, 16);
    if (code > 0xffff) throw unsupported('escape \\x{...} above U+FFFF', i);
    return ['\\u' + code.toString(16).padStart(4, '0'), i + 2 + braced[0].length];
  }
  const two = /^[0-9a-fA-F]{1,2}/.exec(src.slice(i + 2, i + 4));
  if (two === null) return ['\\x00', i + 2];
  return ['\\x' + two[0].padStart(2, '0'), i + 2 + two[0].length];
}

/** `\g1`, `\g{1}`, `\g{name}`, `\k<name>`, `\k'name'`, `\k{name}` → JS back-references. */
function namedBackReference(src: string, i: number): [string, number] {
  const rest = src.slice(i + 2, i + 80);
  const numbered = /^(?:\{(\d+)\}|(\d+))/.exec(rest);
  if (src[i + 1] === 'g' && numbered !== null) return ['\\' + (numbered[1] ?? numbered[2]), i + 2 + numbered[0].length];
  const named = /^(?:<([A-Za-z_]\w*)>|'([A-Za-z_]\w*)'|\{([A-Za-z_]\w*)\})/.exec(rest);
  if (named === null) throw unsupported(`escape \\${src[i + 1]}`, i);
  return [`\\k<${named[1] ?? named[2] ?? named[3]}>`, i + 2 + named[0].length];
}

/** A character class from `[` to its `]`; returns the emitted class and the index after it. */
function translateClass(src: string, start: number, scope: Scope): [string, number] {
  let out = '[';
  let i = start + 1;
  if (src[i] === '^') {
    out += '^';
    i++;
  }
  // A `]` first in the class is literal in PCRE but would close it in JS.
  if (src[i] === ']') {
    out += '\\]';
    i++;
  }
  for (; i < src.length; i++) {
    const c = src[i]!;
    if (c === ']') return [out + ']', i + 1];
    if (c === '[' && src[i + 1] === ':') {
      const m = /^\[:(\^?)([a-z]+):\]/.exec(src.slice(i, i + 12));
      if (m !== null) {
        const body = POSIX_CLASSES[m[2]!];
        if (body === undefined || m[1] === '^') throw unsupported(`POSIX class ${m[0]}`, i);
        out += body;
        i += m[0].length - 1;
        continue;
      }
    }
    if (c === '\\') {
      const n = src[i + 1];
      if (n === undefined) break;
      if (n === 'h') out += ' \\t';
      else if (n === 'v') out += VERTICAL_SPACE;
      else if (n === 'e') out += '\\x1b';
      else if (n === 'a') out += '\\x07';
      else if (n === 'x') {
        const [text, next] = hexEscape(src, i);
        out += text;
        i = next - 1;
        continue;
      } else if ('pPQEHVRNgk'.includes(n)) throw unsupported(`escape \\${n} in a character class`, i);
      else out += '\\' + n;
      i++;
      continue;
    }
    if (src[i + 1] === '-' && src[i + 2] !== undefined && src[i + 2] !== ']' && src[i + 2] !== '\\') {
      const hi = src[i + 2]!;
      if (hi < c) throw new RegexProblem('spl.bad-regex', `character range ${c}-${hi} out of order at ${i}`);
      out += `${escapeClassChar(c)}-${escapeClassChar(hi)}`;
      if (scope.ignoreCase) out += otherCaseRanges(c.charCodeAt(0), hi.charCodeAt(0));
      i += 2;
      continue;
    }
    out += escapeClassChar(c);
    if (scope.ignoreCase) out += otherCase(c) ?? '';
  }
  throw new RegexProblem('spl.bad-regex', `character class opened at ${start} is never closed`);
}

function escapeClassChar(c: string): string {
  return c === '[' || c === ']' || c === '\\' || c === '^' ? '\\' + c : c;
}

/** For a range lo..hi, the ranges of the other case of its ASCII letters. */
function otherCaseRanges(lo: number, hi: number): string {
  let out = '';
  const add = (from: number, to: number, shift: number): void => {
    const a = Math.max(lo, from);
    const b = Math.min(hi, to);
    if (a > b) return;
    out += a === b ? String.fromCharCode(a + shift) : `${String.fromCharCode(a + shift)}-${String.fromCharCode(b + shift)}`;
  };
  add(65, 90, 32); // A-Z → a-z
  add(97, 122, -32); // a-z → A-Z
  return out;
}

/** Translates an SPL (PCRE) pattern to JavaScript; throws LocatedError 'spl.unsupported-regex' / 'spl.bad-regex'. */
export function translateSplRegex(pattern: string, loc?: { readonly start: number }, ignoreCase = false): TranslatedRegex {
  try {
    return translate(pattern, ignoreCase);
  } catch (e) {
    if (e instanceof RegexProblem) throw new LocatedError(e.code, `regular expression ${shown(pattern)}: ${e.message}`, { file: '', offset: loc?.start ?? 0 });
    throw e;
  }
}

function shown(pattern: string): string {
  return `"${pattern.length > 80 ? pattern.slice(0, 80) + '…' : pattern}"`;
}

/**
 * A RegExp running on the backtracking engine: it searches at most `cap` characters of its
 * input (the guard's bound for polynomial backtracking). `exec` is what test/match/replace/split
 * call, so overriding it covers them all.
 */
export class CappedRegExp extends RegExp {
  readonly cap: number;
  constructor(pattern: string | RegExp, flags?: string, cap: number = BACKTRACKING_INPUT_CAP) {
    super(pattern, flags);
    this.cap = cap;
  }

  override exec(text: string): RegExpExecArray | null {
    return super.exec(text.length > this.cap ? text.slice(0, this.cap) : text);
  }
}

/**
 * PCRE text (after SPL string decoding) → a safe JavaScript RegExp. Throws LocatedError
 * 'spl.unsupported-regex' (PCRE-only syntax), 'spl.bad-regex' (invalid), 'spl.unsafe-regex'
 * (could backtrack catastrophically).
 */
export function compileSplRegex(pattern: string, loc?: { readonly start: number }, options: SplRegexOptions = {}): RegExp {
  const extra = options.flags ?? '';
  const translated = translateSplRegex(pattern, loc, extra.includes('i'));
  const flags = [...new Set(translated.flags + extra.replace(/[is]/g, ''))].join('');
  const offset = { file: '', offset: loc?.start ?? 0 };
  try {
    new RegExp(translated.source, flags);
  } catch (e) {
    throw new LocatedError('spl.bad-regex', `invalid regular expression ${shown(pattern)}: ${(e as Error).message}`, offset);
  }
  const safe = compileSafeRegex(translated.source, flags);
  if (!safe.ok) throw new LocatedError('spl.unsafe-regex', `regular expression ${shown(pattern)} refused: ${safe.message}`, offset);
  if (safe.value.linear) return safe.value.regex;
  return new CappedRegExp(translated.source, flags, safe.value.inputCap);
}

const CACHE_LIMIT = 256;
const cache = new Map<string, RegExp | LocatedError>();

/**
 * compileSplRegex for patterns only known per row (a field as the regex argument): results,
 * errors included, are memoised in a small bounded cache.
 */
export function cachedSplRegex(pattern: string, loc?: { readonly start: number }, flags = ''): RegExp {
  const key = flags + '/' + pattern;
  let hit = cache.get(key);
  if (hit === undefined) {
    try {
      hit = compileSplRegex(pattern, loc, { flags });
    } catch (e) {
      if (!(e instanceof LocatedError)) throw e;
      hit = e;
    }
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(key, hit);
  }
  if (hit instanceof LocatedError) throw hit;
  return hit;
}

/** The part of `text` a regex test may see (ExecLimits.maxRegexInput). */
export function regexInput(text: string, ctx: ExecContext): string {
  const cap = ctx.limits.maxRegexInput;
  return text.length > cap ? text.slice(0, cap) : text;
}
