/**
 * Text eval functions (spl-and-rba.md §1.3, §2.4): match, like, replace, case and trimming,
 * substr, len, urldecode, printf, tostring, hashes. Functions that transform text apply to
 * every value of a multivalue argument; the others read its first value.
 */
import { createHash } from 'node:crypto';
import type { EvalExpr } from '../../ast.js';
import { LocatedError } from '../../../core/diagnostics.js';
import { cachedSplRegex, compileSplRegex, regexInput } from '../pcre.js';
import type { EvalResult, ExecContext, Row, SplScalar } from '../types.js';
import { numberOf, textOf } from '../values.js';
import { likeMatcher } from '../wildcard.js';
import {
  type CallSite,
  type Evaluator,
  type FunctionTable,
  fnSpec,
  firstOf,
  literalString,
  numericOf,
  resultOf,
  textOfResult,
  valuesOfResult,
  warnOnceAt,
} from './coerce.js';

/** Reads a regex argument: compiled once when it is a literal, per distinct text otherwise. */
export function regexArgument(
  args: readonly Evaluator[],
  exprs: readonly EvalExpr[],
  index: number,
  site: CallSite,
  flags = '',
): (row: Row, ctx: ExecContext) => RegExp | null {
  const expr = exprs[index]!;
  const literal = literalString(expr);
  if (literal !== null) {
    const regex = compileSplRegex(literal, expr.loc, { flags });
    return () => regex;
  }
  const arg = args[index]!;
  const seen = new Set<string>();
  return (row, ctx) => {
    const pattern = textOfResult(arg(row, ctx));
    if (pattern === null) return null;
    try {
      return cachedSplRegex(pattern, expr.loc, flags);
    } catch (e) {
      if (!(e instanceof LocatedError)) throw e;
      warnOnceAt(seen, ctx, pattern, e.code, `${site.name}(): ${e.message}`, expr.loc);
      return null;
    }
  };
}

/** Applies a text transformation to every value (null in → null out). */
function mapText(r: EvalResult, ctx: ExecContext, fn: (text: string) => SplScalar | null): EvalResult {
  const values = valuesOfResult(r);
  if (values.length === 0) return null;
  const out: SplScalar[] = [];
  for (const v of values) {
    const mapped = fn(textOf(v));
    if (mapped !== null) out.push(mapped);
  }
  return resultOf(out, ctx);
}

/** A one-argument function mapping each value's text. */
const textMap = (fn: (text: string) => SplScalar | null) =>
  fnSpec(1, 1, ([a]) => (row, ctx) => mapText(a!(row, ctx), ctx, fn));

/** `trim(s[, chars])`-style functions: the characters to strip default to whitespace. */
function trimSpec(which: 'both' | 'left' | 'right') {
  return fnSpec(1, 2, ([a, chars]) => (row, ctx) => {
    const set = chars === undefined ? ' \t\n\r\f\v' : textOfResult(chars(row, ctx));
    if (set === null) return null;
    return mapText(a!(row, ctx), ctx, (t) => trimChars(t, set, which));
  });
}

function trimChars(text: string, set: string, which: 'both' | 'left' | 'right'): string {
  let start = 0;
  let end = text.length;
  if (which !== 'right') while (start < end && set.includes(text[start]!)) start++;
  if (which !== 'left') while (end > start && set.includes(text[end - 1]!)) end--;
  return text.slice(start, end);
}

/** substr(s, start[, length]): 1-based; a negative start counts from the end. */
export function substr(text: string, start: number, length: number | null): string {
  const s = Math.trunc(start);
  let from = s > 0 ? s - 1 : s < 0 ? Math.max(0, text.length + s) : 0;
  from = Math.min(from, text.length);
  if (length === null) return text.slice(from);
  const n = Math.trunc(length);
  return n <= 0 ? '' : text.slice(from, from + n);
}

/** Decodes `%XX` escapes as UTF-8 bytes; malformed sequences stay as written. */
export function urldecode(text: string): string {
  return text.replace(/(?:%[0-9a-fA-F]{2})+/g, (run) => {
    const bytes = Buffer.from(run.replace(/%/g, ''), 'hex');
    const decoded = bytes.toString('utf8');
    return decoded.includes('\ufffd') ? safeLatin(run, bytes) : decoded;
  });
}

/** Invalid UTF-8: decode byte by byte only where valid, keep the rest as written. */
function safeLatin(run: string, bytes: Buffer): string {
  try {
    return decodeURIComponent(run);
  } catch {
    return bytes.every((b) => b < 0x80) ? bytes.toString('latin1') : run;
  }
}

/**
 * A `replace()` replacement template: `\1`..`\9` insert groups, `\\` a backslash; anything
 * else (including `$`) is literal — unlike a JavaScript replacement string.
 */
function replacementOf(template: string): (groups: readonly (string | undefined)[]) => string {
  const parts: (string | number)[] = [];
  let lit = '';
  for (let i = 0; i < template.length; i++) {
    const c = template[i]!;
    const n = template[i + 1];
    if (c === '\\' && n !== undefined && n >= '0' && n <= '9') {
      if (lit !== '') parts.push(lit);
      lit = '';
      parts.push(Number(n));
      i++;
    } else if (c === '\\' && n === '\\') {
      lit += '\\';
      i++;
    } else {
      lit += c;
    }
  }
  if (lit !== '') parts.push(lit);
  return (groups) => parts.map((p) => (typeof p === 'number' ? (groups[p] ?? '') : p)).join('');
}

function replaceText(text: string, regex: RegExp, build: (groups: readonly (string | undefined)[]) => string, ctx: ExecContext): string {
  const cap = ctx.limits.maxRegexInput;
  const head = text.length > cap ? text.slice(0, cap) : text;
  const tail = text.length > cap ? text.slice(cap) : '';
  const replaced = head.replace(regex, (...m: unknown[]) => {
    // Arguments: match, groups..., offset, input[, named groups].
    const named = typeof m[m.length - 1] === 'object' && m[m.length - 1] !== null;
    const groups = m.slice(0, m.length - (named ? 3 : 2)) as (string | undefined)[];
    return build(groups);
  });
  return replaced + tail;
}

/** Tests each value with a regex (unanchored); null for a null input. */
function anyValueMatches(r: EvalResult, regex: RegExp, ctx: ExecContext): boolean | null {
  const values = valuesOfResult(r);
  if (values.length === 0) return null;
  for (const v of values) if (regex.test(regexInput(textOf(v), ctx))) return true;
  return false;
}

// ------------------------------------------------------------------ printf / tostring

const PRINTF_SPEC = /%([-+ 0#]*)(\d+)?(?:\.(\d+))?([sdiufFeEgGxXoc%])/g;
/** Bounds on printf width and precision (hostile formats must not allocate gigabytes). */
const MAX_PRINTF_WIDTH = 4096;
const MAX_PRINTF_PRECISION = 100;

/** C-style printf with the common conversions (flags - + space 0 #, width, precision). */
export function printf(format: string, args: readonly EvalResult[]): string {
  let next = 0;
  return format.replace(PRINTF_SPEC, (_all, flags: string, width: string | undefined, precision: string | undefined, conv: string) => {
    if (conv === '%') return '%';
    const arg = args[next++] ?? null;
    const p = precision === undefined ? null : Math.min(Number(precision), MAX_PRINTF_PRECISION);
    let body: string;
    const n = numericOf(arg);
    switch (conv) {
      case 's':
        body = textOfResult(arg) ?? '';
        if (p !== null) body = body.slice(0, p);
        break;
      case 'c':
        body = textOfResult(arg)?.slice(0, 1) ?? '';
        break;
      case 'd':
      case 'i':
      case 'u':
        body = n === null ? '0' : Math.trunc(n).toString();
        break;
      case 'f':
      case 'F':
        body = (n ?? 0).toFixed(p ?? 6);
        break;
      case 'e':
      case 'E':
        body = (n ?? 0).toExponential(p ?? 6).replace(/e([+-])(\d)$/, 'e$10$2');
        if (conv === 'E') body = body.toUpperCase();
        break;
      case 'g':
      case 'G':
        body = String(Number((n ?? 0).toPrecision(p === null || p === 0 ? 6 : p)));
        if (conv === 'G') body = body.toUpperCase();
        break;
      case 'x':
      case 'X':
      case 'o': {
        const v = Math.trunc(n ?? 0);
        body = (v < 0 ? v >>> 0 : v).toString(conv === 'o' ? 8 : 16);
        if (conv === 'X') body = body.toUpperCase();
        if (flags.includes('#') && v !== 0) body = (conv === 'o' ? '0' : conv === 'x' ? '0x' : '0X') + body;
        break;
      }
      default:
        body = '';
    }
    if (n !== null && 'dDiufFeEgG'.includes(conv) && n >= 0) {
      if (flags.includes('+')) body = '+' + body;
      else if (flags.includes(' ')) body = ' ' + body;
    }
    const w = width === undefined ? 0 : Math.min(Number(width), MAX_PRINTF_WIDTH);
    if (body.length >= w) return body;
    if (flags.includes('-')) return body.padEnd(w);
    if (flags.includes('0') && conv !== 's' && conv !== 'c') {
      const sign = /^[+\- ]/.test(body) ? body[0]! : '';
      return sign + body.slice(sign.length).padStart(w - sign.length, '0');
    }
    return body.padStart(w);
  });
}

/** tostring(x[, "hex" | "commas" | "duration"]). */
export function tostring(r: EvalResult, format: string | null): string | null {
  if (typeof r === 'boolean') return r ? 'True' : 'False';
  const v = firstOf(r);
  if (v === null) return null;
  if (format === null) return textOf(v);
  const n = numberOf(v);
  if (n === null) return textOf(v);
  switch (format.toLowerCase()) {
    case 'hex':
      return (n < 0 ? '-0x' : '0x') + Math.trunc(Math.abs(n)).toString(16).toUpperCase();
    case 'commas': {
      const rounded = Number.isInteger(n) ? n.toFixed(0) : n.toFixed(2);
      const [int, frac] = rounded.split('.');
      const grouped = int!.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
      return frac === undefined ? grouped : `${grouped}.${frac}`;
    }
    case 'duration': {
      const total = Math.trunc(n);
      const days = Math.floor(total / 86400);
      const rest = total - days * 86400;
      const hms = [Math.floor(rest / 3600), Math.floor((rest % 3600) / 60), rest % 60].map((x) => String(x).padStart(2, '0')).join(':');
      return days > 0 ? `${days}+${hms}` : hms;
    }
    default:
      return textOf(v);
  }
}

function hashSpec(algorithm: string) {
  return fnSpec(1, 1, ([a]) => (row, ctx) => {
    const t = textOfResult(a!(row, ctx));
    return t === null ? null : createHash(algorithm).update(t, 'utf8').digest('hex');
  });
}

export const TEXT_FUNCTIONS: FunctionTable = {
  len: fnSpec(1, 1, ([a]) => (row, ctx) => {
    const t = textOfResult(a!(row, ctx));
    return t === null ? null : t.length;
  }),
  lower: textMap((t) => t.toLowerCase()),
  upper: textMap((t) => t.toUpperCase()),
  urldecode: textMap(urldecode),
  trim: trimSpec('both'),
  ltrim: trimSpec('left'),
  rtrim: trimSpec('right'),
  substr: fnSpec(2, 3, ([s, start, length]) => (row, ctx) => {
    const from = numericOf(start!(row, ctx));
    const n = length === undefined ? null : numericOf(length(row, ctx));
    if (from === null || (length !== undefined && n === null)) return null;
    return mapText(s!(row, ctx), ctx, (t) => substr(t, from, n));
  }),
  match: fnSpec(2, 2, (args, exprs, site) => {
    const regexOf = regexArgument(args, exprs, 1, site);
    const subject = args[0]!;
    return (row, ctx) => {
      const regex = regexOf(row, ctx);
      return regex === null ? null : anyValueMatches(subject(row, ctx), regex, ctx);
    };
  }),
  like: fnSpec(2, 2, ([s, p], exprs) => {
    const literal = literalString(exprs[1]);
    const fixed = literal === null ? null : likeMatcher(literal);
    return (row, ctx) => {
      const values = valuesOfResult(s!(row, ctx));
      if (values.length === 0) return null;
      let test = fixed;
      if (test === null) {
        const pattern = textOfResult(p!(row, ctx));
        if (pattern === null) return null;
        test = likeMatcher(pattern);
      }
      return values.some((v) => test(textOf(v)));
    };
  }),
  replace: fnSpec(3, 3, (args, exprs, site) => {
    const regexOf = regexArgument(args, exprs, 1, site, 'g');
    const literal = literalString(exprs[2]);
    const fixed = literal === null ? null : replacementOf(literal);
    const [subject, , replacement] = args;
    return (row, ctx) => {
      const regex = regexOf(row, ctx);
      if (regex === null) return null;
      let build = fixed;
      if (build === null) {
        const template = textOfResult(replacement!(row, ctx));
        if (template === null) return null;
        build = replacementOf(template);
      }
      const b = build;
      return mapText(subject!(row, ctx), ctx, (t) => replaceText(t, regex, b, ctx));
    };
  }),
  printf: fnSpec(1, 100, ([format, ...rest]) => (row, ctx) => {
    const f = textOfResult(format!(row, ctx));
    return f === null ? null : printf(f, rest.map((a) => a(row, ctx)));
  }),
  tostring: fnSpec(1, 2, ([a, format]) => (row, ctx) => {
    const f = format === undefined ? null : textOfResult(format(row, ctx));
    return tostring(a!(row, ctx), f);
  }),
  md5: hashSpec('md5'),
  sha1: hashSpec('sha1'),
  sha256: hashSpec('sha256'),
  sha512: hashSpec('sha512'),
};
