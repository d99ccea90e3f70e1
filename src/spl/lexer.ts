/**
 * SPL lexer. SPL is context-sensitive: in search-like arguments (`search`, tstats `where`,
 * command options) almost any run of characters is one bare word (`*\\AppData\\*`, `-70m@m`,
 * `cmd.exe`), while eval/where expressions have identifiers, numbers and arithmetic operators.
 * So the lexer is lazy and position-based: the parser asks for the token at an offset in a
 * mode, and nothing is tokenised ahead of need (graphql-js lexer idea, without the linked list).
 */
import { type Source, splError } from './source.js';

export type LexMode = 'search' | 'expr';

export type TokenKind =
  | 'eof'
  | 'pipe'
  | 'lbracket'
  | 'rbracket'
  | 'lparen'
  | 'rparen'
  | 'comma'
  | 'op'
  | 'word'
  | 'number'
  | 'string'
  | 'quoted-field'
  | 'macro';

export interface Token {
  readonly kind: TokenKind;
  /** Raw text of the token as written. */
  readonly text: string;
  /** Decoded value: escapes applied for strings, backticks removed for macros, text otherwise. */
  readonly value: string;
  readonly start: number;
  readonly end: number;
  /** True when whitespace or a comment separates this token from the previous character. */
  readonly spaceBefore: boolean;
}

/** Characters ending a bare search word (besides whitespace). `!` only ends it when followed by `=`. */
const SEARCH_BREAK = new Set(['|', '[', ']', '(', ')', '"', ',', '`', '=', '<', '>']);
const EXPR_OPS = ['==', '!=', '<=', '>=', '=', '<', '>', '+', '-', '*', '/', '%', '.'];
const SEARCH_OPS = ['==', '!=', '<=', '>=', '=', '<', '>'];

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 12 || c === 11 || c === 0xa0;
}

function isIdentStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 64 || c === 36 || c > 127;
}

function isIdentPart(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57);
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/**
 * Skips whitespace and ```` ``` comments ``` ````; returns the next significant offset.
 * An unterminated comment is an error (it would silently swallow the rest of the search).
 */
export function skipTrivia(source: Source, pos: number): number {
  const text = source.text;
  let i = pos;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (isSpace(c)) {
      i++;
      continue;
    }
    if (text.startsWith('```', i)) {
      const close = text.indexOf('```', i + 3);
      if (close < 0) throw splError(source, 'spl.lex.unterminated-comment', 'unterminated ``` comment', i);
      i = close + 3;
      continue;
    }
    break;
  }
  return i;
}

/**
 * Decodes an SPL quoted string starting at `start` (the opening quote character).
 * SPL rule: `\\`, `\"` (the quote) and `\|` are escapes; any other backslash sequence is kept as is.
 */
export function readQuoted(source: Source, start: number, quote: string): { value: string; end: number } {
  const text = source.text;
  let value = '';
  let i = start + 1;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === '\\' && i + 1 < text.length) {
      const next = text[i + 1]!;
      if (next === '\\' || next === quote || next === '|') {
        value += next;
      } else {
        value += ch + next;
      }
      i += 2;
      continue;
    }
    if (ch === quote) return { value, end: i + 1 };
    value += ch;
    i++;
  }
  const what = quote === '"' ? 'string' : 'quoted field name';
  throw splError(source, 'spl.lex.unterminated-string', `unterminated ${what} (missing closing ${quote})`, start);
}

function token(kind: TokenKind, source: Source, start: number, end: number, spaceBefore: boolean, value?: string): Token {
  const text = source.text.slice(start, end);
  return { kind, text, value: value ?? text, start, end, spaceBefore };
}

/** Reads the token at `pos` (trivia skipped first) in the given mode. */
export function readToken(source: Source, pos: number, mode: LexMode): Token {
  const text = source.text;
  const start = skipTrivia(source, pos);
  const spaceBefore = start > pos || pos === 0;
  if (start >= text.length) return token('eof', source, text.length, text.length, spaceBefore);
  const ch = text[start]!;
  switch (ch) {
    case '|':
      return token('pipe', source, start, start + 1, spaceBefore);
    case '[':
      return token('lbracket', source, start, start + 1, spaceBefore);
    case ']':
      return token('rbracket', source, start, start + 1, spaceBefore);
    case '(':
      return token('lparen', source, start, start + 1, spaceBefore);
    case ')':
      return token('rparen', source, start, start + 1, spaceBefore);
    case ',':
      return token('comma', source, start, start + 1, spaceBefore);
    case '"': {
      const { value, end } = readQuoted(source, start, '"');
      return token('string', source, start, end, spaceBefore, value);
    }
    case '`': {
      const close = text.indexOf('`', start + 1);
      if (close < 0) throw splError(source, 'spl.lex.unterminated-macro', 'unterminated macro call (missing closing backtick)', start);
      return token('macro', source, start, close + 1, spaceBefore, text.slice(start + 1, close));
    }
    default:
      break;
  }
  if (mode === 'search') {
    for (const op of SEARCH_OPS) if (text.startsWith(op, start)) return token('op', source, start, start + op.length, spaceBefore);
    let i = start;
    while (i < text.length) {
      const c = text[i]!;
      if (isSpace(text.charCodeAt(i)) || SEARCH_BREAK.has(c)) break;
      if (c === '!' && text[i + 1] === '=') break;
      if (text.startsWith('```', i)) break;
      i++;
    }
    return token('word', source, start, i, spaceBefore);
  }
  // expression mode
  const code = text.charCodeAt(start);
  if (ch === "'") {
    const { value, end } = readQuoted(source, start, "'");
    return token('quoted-field', source, start, end, spaceBefore, value);
  }
  if (isDigit(code)) {
    let i = start;
    while (i < text.length && isDigit(text.charCodeAt(i))) i++;
    if (text[i] === '.' && isDigit(text.charCodeAt(i + 1))) {
      i++;
      while (i < text.length && isDigit(text.charCodeAt(i))) i++;
    }
    if ((text[i] === 'e' || text[i] === 'E') && (isDigit(text.charCodeAt(i + 1)) || ((text[i + 1] === '+' || text[i + 1] === '-') && isDigit(text.charCodeAt(i + 2))))) {
      i += 2;
      while (i < text.length && isDigit(text.charCodeAt(i))) i++;
    }
    // A number glued to letters (`5m`, `1d`) is a word, not a number.
    if (i < text.length && isIdentStart(text.charCodeAt(i))) {
      while (i < text.length && isIdentPart(text.charCodeAt(i))) i++;
      return token('word', source, start, i, spaceBefore);
    }
    return token('number', source, start, i, spaceBefore);
  }
  if (isIdentStart(code)) {
    let i = start;
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (isIdentPart(c)) {
        i++;
        continue;
      }
      // Dotted data-model names (`Processes.process_name`): a dot glued on both sides.
      if (c === 46 && i + 1 < text.length && isIdentPart(text.charCodeAt(i + 1))) {
        i++;
        continue;
      }
      break;
    }
    return token('word', source, start, i, spaceBefore);
  }
  for (const op of EXPR_OPS) if (text.startsWith(op, start)) return token('op', source, start, start + op.length, spaceBefore);
  throw splError(source, 'spl.lex.unexpected-character', `unexpected character '${ch}' in expression`, start);
}
