/**
 * Sigma condition grammar: hand-written lexer and recursive-descent parser.
 * Precedence, loosest first: or < and < not < `x of` < parentheses (sigma.md §1.6).
 */

export type CondNode =
  | { readonly kind: 'id'; readonly name: string; readonly offset: number }
  | { readonly kind: 'of'; readonly quantifier: 'one' | 'all'; readonly pattern: string | null; readonly offset: number }
  | { readonly kind: 'and' | 'or'; readonly left: CondNode; readonly right: CondNode }
  | { readonly kind: 'not'; readonly item: CondNode };

export class ConditionError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** Character offset inside the condition string. */
    readonly offset: number,
  ) {
    super(message);
  }
}

type TokenKind = 'word' | 'lparen' | 'rparen' | 'end';
interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  readonly offset: number;
}

const WORD = /[A-Za-z0-9_\-*.]/;
const MAX_CONDITION_LENGTH = 100_000;
const MAX_DEPTH = 200;

export function tokenize(text: string): Token[] {
  if (text.length > MAX_CONDITION_LENGTH) throw new ConditionError('sigma.condition.size', 'condition too long', 0);
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) { i++; continue; }
    if (c === '(') { tokens.push({ kind: 'lparen', text: c, offset: i }); i++; continue; }
    if (c === ')') { tokens.push({ kind: 'rparen', text: c, offset: i }); i++; continue; }
    if (c === '|') {
      const after = text.slice(i + 1).trim();
      if (/^near\b/.test(after)) {
        throw new ConditionError('sigma.legacy.near', `deprecated '| near' aggregation (Sigma v1); Sigma v2 uses temporal correlation rules`, i);
      }
      const fn = /^([a-z]+)\s*\(/.exec(after)?.[1];
      throw new ConditionError('sigma.legacy.aggregation', `deprecated aggregation '| ${fn !== undefined ? `${fn}(...)` : after.slice(0, 20)}' in the condition (Sigma v1); Sigma v2 uses correlation rules`, i);
    }
    if (WORD.test(c)) {
      const start = i;
      while (i < text.length && WORD.test(text[i]!)) i++;
      tokens.push({ kind: 'word', text: text.slice(start, i), offset: start });
      continue;
    }
    throw new ConditionError('sigma.condition.syntax', `unexpected character '${c}'`, i);
  }
  tokens.push({ kind: 'end', text: '', offset: text.length });
  return tokens;
}

const KEYWORDS = new Set(['and', 'or', 'not', 'of', '1', 'all', 'any', 'them']);
const UPPER_OPERATORS = new Set(['AND', 'OR', 'NOT', 'OF', 'ALL', 'ANY', 'THEM', 'And', 'Or', 'Not']);

/** Parses a condition; `identifiers` lets us tell an uppercase operator from a search id named `OR`. */
export function parseCondition(text: string, identifiers: ReadonlySet<string>): CondNode {
  const tokens = tokenize(text);
  let pos = 0;
  let depth = 0;
  const peek = (): Token => tokens[pos]!;
  const next = (): Token => tokens[pos++]!;
  const isWord = (t: Token, w: string): boolean => t.kind === 'word' && t.text === w;
  /** An error at an unexpected token, naming uppercase operators and legacy `near` precisely. */
  const unexpected = (t: Token, fallback: string): ConditionError => {
    if (t.kind === 'word' && UPPER_OPERATORS.has(t.text) && !identifiers.has(t.text)) {
      return new ConditionError('sigma.condition.case', `operator '${t.text}' must be lowercase ('${t.text.toLowerCase()}')`, t.offset);
    }
    if (t.kind === 'word' && t.text === 'near') {
      return new ConditionError('sigma.legacy.near', `deprecated 'near' aggregation; Sigma v2 uses temporal correlation rules`, t.offset);
    }
    return new ConditionError('sigma.condition.syntax', fallback, t.offset);
  };

  const parseOr = (): CondNode => {
    let left = parseAnd();
    while (isWord(peek(), 'or')) {
      next();
      left = { kind: 'or', left, right: parseAnd() };
    }
    return left;
  };
  const parseAnd = (): CondNode => {
    let left = parseNot();
    while (isWord(peek(), 'and')) {
      next();
      left = { kind: 'and', left, right: parseNot() };
    }
    return left;
  };
  const parseNot = (): CondNode => {
    if (isWord(peek(), 'not')) {
      next();
      if (++depth > MAX_DEPTH) throw new ConditionError('sigma.condition.size', 'condition nested too deeply', peek().offset);
      const item = parseNot();
      depth--;
      return { kind: 'not', item };
    }
    return parsePrimary();
  };
  const parsePrimary = (): CondNode => {
    const t = next();
    if (t.kind === 'lparen') {
      if (++depth > MAX_DEPTH) throw new ConditionError('sigma.condition.size', 'condition nested too deeply', t.offset);
      const inner = parseOr();
      depth--;
      const close = next();
      if (close.kind !== 'rparen') throw unexpected(close, `expected ')' to close the '(' at ${t.offset + 1}, found ${describeToken(close)}`);
      return inner;
    }
    if (t.kind === 'end') throw new ConditionError('sigma.condition.syntax', 'unexpected end of condition (an operand is missing)', t.offset);
    if (t.kind === 'rparen') throw new ConditionError('sigma.condition.syntax', `unexpected ')'`, t.offset);
    if (t.text === '1' || t.text === 'all' || t.text === 'any') {
      const of = next();
      if (!isWord(of, 'of')) throw new ConditionError('sigma.condition.syntax', `expected 'of' after '${t.text}', found ${describeToken(of)}`, of.offset);
      const target = next();
      if (target.kind !== 'word' || (KEYWORDS.has(target.text) && target.text !== 'them')) {
        throw new ConditionError('sigma.condition.syntax', `expected a search-identifier pattern or 'them' after '${t.text} of', found ${describeToken(target)}`, target.offset);
      }
      return { kind: 'of', quantifier: t.text === 'all' ? 'all' : 'one', pattern: target.text === 'them' ? null : target.text, offset: t.offset };
    }
    if (/^\d+$/.test(t.text) && isWord(peek(), 'of')) {
      throw new ConditionError('sigma.condition.syntax', `'${t.text} of' is not Sigma; only '1 of', 'any of' and 'all of' exist`, t.offset);
    }
    if (t.text === 'near') {
      throw new ConditionError('sigma.legacy.near', `deprecated 'near' aggregation; Sigma v2 uses temporal correlation rules`, t.offset);
    }
    if (KEYWORDS.has(t.text)) throw new ConditionError('sigma.condition.syntax', `unexpected '${t.text}' where a search identifier was expected`, t.offset);
    if (UPPER_OPERATORS.has(t.text) && !identifiers.has(t.text)) throw unexpected(t, '');
    if (t.text.includes('*')) throw new ConditionError('sigma.condition.syntax', `wildcard '${t.text}' is only allowed after '1 of' / 'all of'`, t.offset);
    return { kind: 'id', name: t.text, offset: t.offset };
  };

  const root = parseOr();
  const rest = peek();
  if (rest.kind !== 'end') {
    throw unexpected(rest, `unexpected ${describeToken(rest)} (expected 'and', 'or' or the end)`);
  }
  return root;
}

function describeToken(t: Token): string {
  switch (t.kind) {
    case 'end': return 'the end';
    case 'lparen': return "'('";
    case 'rparen': return "')'";
    case 'word': return `'${t.text}'`;
  }
}

/** Sigma `x of pattern` selection: fullmatch with `*`; `them` and patterns skip `_`-prefixed ids unless the pattern starts with `_`. */
export function selectIdentifiers(pattern: string | null, identifiers: readonly string[]): string[] {
  if (pattern === null) return identifiers.filter((id) => !id.startsWith('_'));
  const re = new RegExp(`^${pattern.split('*').map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return identifiers.filter((id) => re.test(id) && (pattern.startsWith('_') || !id.startsWith('_')));
}
