/**
 * SPL recursive-descent parser: one `parseX` per production, each documented with the grammar it
 * implements. Keywords of the search language (`AND OR NOT IN`) are uppercase only (lowercase
 * words are plain terms, as in Splunk); clause keywords of commands (`by`, `as`, `from`, `where`,
 * `OUTPUT`) are case-insensitive. Input size, token count and nesting depth are bounded.
 *
 * Precedence in search syntax (search command, tstats WHERE, inputlookup WHERE), loosest first:
 * implicit/explicit AND < OR < NOT < parentheses — so `a b OR c` is `a AND (b OR c)`.
 * In eval/where expressions: OR < XOR < AND < NOT < comparison < + - . < * / % < unary minus.
 */
import type {
  Aggregation,
  AggregationArg,
  AppendCommand,
  BinCommand,
  Command,
  CommandOption,
  Conversion,
  ConvertCommand,
  DatamodelRef,
  DedupCommand,
  EvalAssignment,
  EvalBinaryOperator,
  EvalCommand,
  EvalExpr,
  FieldMapping,
  FieldName,
  FieldsCommand,
  FillnullCommand,
  ForeachCommand,
  GenericCommand,
  HeadTailCommand,
  InputlookupCommand,
  JoinCommand,
  Loc,
  LookupCommand,
  MacroCall,
  MakemvCommand,
  MvexpandCommand,
  Pipeline,
  RegexCommand,
  RenameCommand,
  RexCommand,
  SearchCommand,
  SearchExpr,
  SearchOperator,
  SearchValue,
  SortCommand,
  SortKey,
  SpathCommand,
  StatsCommand,
  TableCommand,
  TstatsCommand,
  WhereCommand,
} from './ast.js';
import { type LexMode, type Token, readToken, readQuoted, skipTrivia } from './lexer.js';
import { type Source, makeSource, splError } from './source.js';
import type { LocatedError } from '../core/diagnostics.js';

export interface ParseOptions {
  /** Maximum nesting of parentheses, NOT chains, subsearches and calls (default 200). */
  readonly maxDepth?: number;
  /** Maximum number of tokens consumed (default 100,000). */
  readonly maxTokens?: number;
  /** Maximum text length in characters (default 1,000,000). */
  readonly maxLength?: number;
}

const DEFAULT_MAX_DEPTH = 200;
const DEFAULT_MAX_TOKENS = 100_000;
const DEFAULT_MAX_LENGTH = 1_000_000;

const SEARCH_OPERATORS: ReadonlySet<string> = new Set(['=', '!=', '<', '<=', '>', '>=', '==']);
const COMPARISON_OPERATORS: ReadonlySet<string> = new Set(['=', '==', '!=', '<', '<=', '>', '>=']);
const EXPR_KEYWORDS: ReadonlySet<string> = new Set(['AND', 'OR', 'NOT', 'XOR', 'LIKE', 'IN']);
const NUMBER_WORD = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** Parses a complete SPL pipeline. Throws LocatedError (file:line:column from `source`). */
export function parsePipelineText(text: string, source?: Source, options: ParseOptions = {}): Pipeline {
  const src = source ?? makeSource(text);
  const parser = new Parser(src.text === text ? src : { ...src, text }, options);
  return parser.parseTopLevel();
}

/** Parses a standalone eval expression (for tests and for the executor's `foreach` templates). */
export function parseEvalExpressionText(text: string, source?: Source, options: ParseOptions = {}): EvalExpr {
  const src = source ?? makeSource(text);
  const parser = new Parser(src.text === text ? src : { ...src, text }, options);
  const expr = parser.parseEvalExpr();
  parser.expectEnd('expr');
  return expr;
}

class Parser {
  private pos = 0;
  private depth = 0;
  private tokenCount = 0;
  private readonly maxDepth: number;
  private readonly maxTokens: number;
  private cache: { pos: number; mode: LexMode; token: Token } | null = null;

  constructor(
    private readonly source: Source,
    options: ParseOptions,
  ) {
    this.maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
    this.maxTokens = options.maxTokens ?? DEFAULT_MAX_TOKENS;
    const maxLength = options.maxLength ?? DEFAULT_MAX_LENGTH;
    if (source.text.length > maxLength) {
      throw this.error('spl.parse.too-long', `search text is ${source.text.length} characters, more than the limit of ${maxLength}`, 0);
    }
  }

  // ------------------------------------------------------------------ toolkit

  private error(code: string, message: string, offset: number): LocatedError {
    return splError(this.source, code, message, offset);
  }

  /** The next token in `mode`, without consuming it. */
  private peek(mode: LexMode = 'search'): Token {
    const c = this.cache;
    if (c !== null && c.pos === this.pos && c.mode === mode) return c.token;
    const token = readToken(this.source, this.pos, mode);
    this.cache = { pos: this.pos, mode, token };
    return token;
  }

  /** The token following `token`, in `mode`. */
  private after(token: Token, mode: LexMode = 'search'): Token {
    return readToken(this.source, token.end, mode);
  }

  private advance(token: Token): Token {
    this.tokenCount++;
    if (this.tokenCount > this.maxTokens) {
      throw this.error('spl.parse.too-many-tokens', `search has more than ${this.maxTokens} tokens`, token.start);
    }
    this.pos = token.end;
    return token;
  }

  private enter(offset: number): void {
    this.depth++;
    if (this.depth > this.maxDepth) throw this.error('spl.parse.too-deep', `nesting deeper than ${this.maxDepth} levels`, offset);
  }

  private leave(): void {
    this.depth--;
  }

  private describe(token: Token): string {
    return token.kind === 'eof' ? 'end of search' : `'${token.text}'`;
  }

  private unexpected(token: Token, expected: string): LocatedError {
    if (token.kind === 'rparen') return this.error('spl.parse.unbalanced-paren', "')' without a matching '('", token.start);
    return this.error('spl.parse.unexpected-token', `expected ${expected}, found ${this.describe(token)}`, token.start);
  }

  private expectKind(kind: Token['kind'], mode: LexMode, expected: string): Token {
    const token = this.peek(mode);
    if (token.kind !== kind) throw this.unexpected(token, expected);
    return this.advance(token);
  }

  /** Closing `)` for the `(` at `openOffset`; a missing one is reported at the opening parenthesis. */
  private expectClose(mode: LexMode, openOffset: number): Token {
    const token = this.peek(mode);
    if (token.kind === 'rparen') return this.advance(token);
    if (token.kind === 'eof' || token.kind === 'pipe' || token.kind === 'rbracket') {
      throw this.error('spl.parse.unclosed-paren', `'(' is never closed (found ${this.describe(token)})`, openOffset);
    }
    throw this.unexpected(token, "')'");
  }

  private isWord(token: Token, upper: string, caseInsensitive: boolean): boolean {
    if (token.kind !== 'word') return false;
    return caseInsensitive ? token.value.toUpperCase() === upper : token.value === upper;
  }

  private atSegmentEnd(token: Token): boolean {
    return token.kind === 'eof' || token.kind === 'pipe' || token.kind === 'rbracket';
  }

  /** `word =` ahead (a command option)? */
  private atOption(mode: LexMode = 'search'): boolean {
    const token = this.peek(mode);
    if (token.kind !== 'word') return false;
    const next = this.after(token, 'search');
    return next.kind === 'op' && next.text === '=';
  }

  expectEnd(mode: LexMode): void {
    const token = this.peek(mode);
    if (token.kind !== 'eof') throw this.unexpected(token, 'end of search');
  }

  private loc(start: number): Loc {
    return { start, end: this.pos };
  }

  // ------------------------------------------------------------------ pipeline

  /** TopLevel : Pipeline EOF */
  parseTopLevel(): Pipeline {
    const pipeline = this.parsePipeline();
    const token = this.peek();
    if (token.kind === 'rbracket') {
      throw this.error('spl.parse.unbalanced-bracket', "']' without a matching '['", token.start);
    }
    this.expectEnd('search');
    return pipeline;
  }

  /**
   * Pipeline : `|`? FirstSegment (`|` Command)*
   * FirstSegment : Command when a leading `|` or the word `search` starts it, else an implicit search.
   */
  private parsePipeline(): Pipeline {
    const first = this.peek();
    const start = first.start;
    const commands: Command[] = [];
    let leadingPipe = false;
    if (first.kind === 'pipe') {
      this.advance(first);
      leadingPipe = true;
      commands.push(this.parseCommand());
    } else if (first.kind === 'word' && first.value === 'search') {
      commands.push(this.parseCommand());
    } else {
      commands.push(this.parseImplicitSearch());
    }
    for (;;) {
      const token = this.peek();
      if (token.kind !== 'pipe') break;
      this.advance(token);
      commands.push(this.parseCommand());
    }
    return { kind: 'pipeline', leadingPipe, commands, loc: this.loc(start) };
  }

  /** ImplicitSearch : SearchExpr */
  private parseImplicitSearch(): SearchCommand {
    const token = this.peek();
    if (this.atSegmentEnd(token)) throw this.unexpected(token, 'a search');
    const expr = this.parseSearchExpr();
    return { kind: 'search', implicit: true, expr, loc: { start: token.start, end: this.pos } };
  }

  /** Command : Macro | Name Arguments — dispatches on the command name. */
  private parseCommand(): Command {
    const token = this.peek();
    if (token.kind === 'macro') {
      const macro = this.parseMacro();
      return { kind: 'macro-command', macro, loc: macro.loc };
    }
    if (token.kind !== 'word') throw this.unexpected(token, 'a command name');
    const name = token.value.toLowerCase();
    const start = token.start;
    this.advance(token);
    let command: Command;
    switch (name) {
      case 'search':
        command = this.parseSearchCommand(start);
        break;
      case 'tstats':
        command = this.parseTstats(start);
        break;
      case 'stats':
      case 'eventstats':
      case 'streamstats':
        command = this.parseStats(start, name);
        break;
      case 'eval':
        command = this.parseEval(start);
        break;
      case 'where':
        command = this.parseWhere(start);
        break;
      case 'rename':
        command = this.parseRename(start);
        break;
      case 'table':
        command = this.parseTable(start);
        break;
      case 'fields':
        command = this.parseFields(start);
        break;
      case 'convert':
        command = this.parseConvert(start);
        break;
      case 'lookup':
        command = this.parseLookup(start);
        break;
      case 'inputlookup':
        command = this.parseInputlookup(start);
        break;
      case 'rex':
        command = this.parseRex(start);
        break;
      case 'regex':
        command = this.parseRegex(start);
        break;
      case 'bin':
      case 'bucket':
        command = this.parseBin(start, name);
        break;
      case 'dedup':
        command = this.parseDedup(start);
        break;
      case 'sort':
        command = this.parseSort(start);
        break;
      case 'head':
      case 'tail':
        command = this.parseHeadTail(start, name);
        break;
      case 'fillnull':
        command = this.parseFillnull(start);
        break;
      case 'spath':
        command = this.parseSpath(start);
        break;
      case 'makemv':
        command = this.parseMakemv(start);
        break;
      case 'mvexpand':
        command = this.parseMvexpand(start);
        break;
      case 'join':
        command = this.parseJoin(start);
        break;
      case 'append':
        command = this.parseAppend(start);
        break;
      case 'foreach':
        command = this.parseForeach(start);
        break;
      case 'from':
        command = { kind: 'from', dataset: this.readRawArguments(), loc: this.loc(start) };
        break;
      default:
        command = this.parseGeneric(start, token.value);
        break;
    }
    const end = this.peek();
    if (!this.atSegmentEnd(end)) throw this.unexpected(end, `'|' or end of the ${name} command`);
    return command;
  }

  /** Subsearch : `[` Pipeline `]` */
  private parseSubsearch(): Pipeline {
    const open = this.expectKind('lbracket', 'search', "'[' (a subsearch)");
    this.enter(open.start);
    const inner = this.peek();
    if (inner.kind === 'rbracket' || inner.kind === 'eof') {
      if (inner.kind === 'eof') throw this.error('spl.parse.unclosed-bracket', "'[' is never closed", open.start);
      throw this.error('spl.parse.empty-subsearch', 'empty subsearch', open.start);
    }
    const pipeline = this.parsePipeline();
    const close = this.peek();
    if (close.kind !== 'rbracket') {
      if (close.kind === 'eof') throw this.error('spl.parse.unclosed-bracket', "'[' is never closed", open.start);
      throw this.unexpected(close, "']'");
    }
    this.advance(close);
    this.leave();
    return pipeline;
  }

  // ------------------------------------------------------------------ shared pieces

  /** Macro : `` `name` `` | `` `name(arg, ...)` `` */
  private parseMacro(): MacroCall {
    const token = this.expectKind('macro', 'search', 'a macro call');
    return macroFromToken(this.source, token);
  }

  /** Value : Word `(` Raw `)` | Word | String — classified as function, number, wildcard pattern or string. */
  private parseSearchValue(): SearchValue {
    const token = this.peek();
    if (token.kind !== 'word' && token.kind !== 'string') throw this.unexpected(token, 'a value');
    this.advance(token);
    if (token.kind === 'word' && this.atGluedParen()) return this.parseGluedFunction(token);
    return valueFromToken(token);
  }

  /** A `(` written right after the previous token, as in `TERM(x)` or `now()`. */
  private atGluedParen(): boolean {
    const next = this.peek();
    return next.kind === 'lparen' && !next.spaceBefore;
  }

  /** The rest of `name(...)` after `name`: the balanced group is kept as raw text. */
  private parseGluedFunction(name: Token): SearchValue {
    const open = this.peek();
    let depth = 0;
    for (;;) {
      const token = this.peek();
      if (token.kind === 'eof' || token.kind === 'pipe' || token.kind === 'rbracket') {
        throw this.error('spl.parse.unclosed-paren', `'(' is never closed (found ${this.describe(token)})`, open.start);
      }
      this.advance(token);
      if (token.kind === 'lparen') depth++;
      if (token.kind === 'rparen' && --depth === 0) break;
    }
    return { kind: 'function', text: this.source.text.slice(name.start, this.pos), loc: this.loc(name.start) };
  }

  /** Option : Word `=` (Value | Macro) */
  private parseOption(): CommandOption {
    const name = this.expectKind('word', 'search', 'an option name');
    this.expectKind('op', 'search', "'='");
    const next = this.peek();
    const value = next.kind === 'macro' ? this.parseMacro() : this.parseSearchValue();
    return { kind: 'option', name: name.value, value, loc: this.loc(name.start) };
  }

  /** Options : Option* */
  private parseOptions(): CommandOption[] {
    const options: CommandOption[] = [];
    while (this.atOption()) options.push(this.parseOption());
    return options;
  }

  /**
   * FieldName : (Word | String)+ with no space between the parts.
   * Adjacent parts are concatenated as Splunk's argument lexer does (`"Processes".*` → `Processes.*`,
   * which is what `drop_dm_object_name("Processes")` expands to).
   */
  private parseFieldName(): FieldName {
    const first = this.peek();
    if (first.kind !== 'word' && first.kind !== 'string') throw this.unexpected(first, 'a field name');
    this.advance(first);
    let name = first.value;
    let quoted = first.kind === 'string';
    for (;;) {
      const next = this.peek();
      if (next.spaceBefore || (next.kind !== 'word' && next.kind !== 'string')) break;
      this.advance(next);
      name += next.value;
      quoted = false;
    }
    return { kind: 'field-name', name, quoted, loc: this.loc(first.start) };
  }

  /** FieldList : FieldName (`,`? FieldName)* — stops at the end of the segment, `[`, or `stop`. */
  private parseFieldList(stop: (t: Token) => boolean = () => false): FieldName[] {
    const fields: FieldName[] = [];
    for (;;) {
      const token = this.peek();
      if (this.atSegmentEnd(token) || token.kind === 'lbracket' || stop(token)) break;
      if (token.kind === 'comma' && fields.length > 0) {
        this.advance(token);
        continue;
      }
      fields.push(this.parseFieldName());
    }
    return fields;
  }

  /** FieldMapping : FieldName (`as` FieldName)? */
  private parseFieldMapping(requireAs: boolean): FieldMapping {
    const from = this.parseFieldName();
    let to: FieldName | null = null;
    const as = this.peek();
    if (this.isWord(as, 'AS', true)) {
      this.advance(as);
      to = this.parseFieldName();
    } else if (requireAs) {
      throw this.unexpected(as, "'as'");
    }
    return { kind: 'field-mapping', from, to, loc: this.loc(from.loc.start) };
  }

  /** Raw text of the rest of the segment (brackets balanced, quotes respected). */
  private readRawArguments(): string {
    const start = skipTrivia(this.source, this.pos);
    let end = start;
    const openBrackets: number[] = [];
    for (;;) {
      const token = this.peek();
      if (token.kind === 'eof') break;
      if (openBrackets.length === 0 && (token.kind === 'pipe' || token.kind === 'rbracket')) break;
      if (token.kind === 'lbracket') {
        this.enter(token.start);
        openBrackets.push(token.start);
      } else if (token.kind === 'rbracket') {
        this.leave();
        openBrackets.pop();
      }
      this.advance(token);
      end = token.end;
    }
    const unclosed = openBrackets.pop();
    if (unclosed !== undefined) throw this.error('spl.parse.unclosed-bracket', "'[' is never closed", unclosed);
    return this.source.text.slice(start, end);
  }

  // ------------------------------------------------------------------ search expressions

  /**
   * SearchExpr : SearchOr ((`AND`)? SearchOr)*      (implicit AND binds loosest)
   * Stops at `|`, `]`, `)`, end, or a token for which `stop` is true (tstats' `by`).
   */
  parseSearchExpr(stop: (t: Token) => boolean = () => false): SearchExpr {
    const first = this.parseSearchOr(stop);
    const operands: SearchExpr[] = [first];
    const explicit: boolean[] = [];
    for (;;) {
      const token = this.peek();
      if (this.atSegmentEnd(token) || token.kind === 'rparen' || stop(token)) break;
      if (this.isWord(token, 'AND', false)) {
        this.advance(token);
        explicit.push(true);
      } else {
        explicit.push(false);
      }
      operands.push(this.parseSearchOr(stop));
    }
    if (operands.length === 1) return first;
    return { kind: 'search-and', operands, explicit, loc: this.loc(first.loc.start) };
  }

  /** SearchOr : SearchNot (`OR` SearchNot)* */
  private parseSearchOr(stop: (t: Token) => boolean): SearchExpr {
    const first = this.parseSearchNot(stop);
    const operands: SearchExpr[] = [first];
    for (;;) {
      const token = this.peek();
      if (!this.isWord(token, 'OR', false)) break;
      this.advance(token);
      operands.push(this.parseSearchNot(stop));
    }
    if (operands.length === 1) return first;
    return { kind: 'search-or', operands, loc: this.loc(first.loc.start) };
  }

  /** SearchNot : `NOT` SearchNot | SearchPrimary */
  private parseSearchNot(stop: (t: Token) => boolean): SearchExpr {
    const token = this.peek();
    if (this.isWord(token, 'NOT', false)) {
      this.advance(token);
      this.enter(token.start);
      const operand = this.parseSearchNot(stop);
      this.leave();
      return { kind: 'search-not', operand, loc: this.loc(token.start) };
    }
    return this.parseSearchPrimary(stop);
  }

  /**
   * SearchPrimary : `(` SearchExpr `)` | Subsearch | Macro
   *               | Field Op Value | Field `IN` `(` Value (`,`? Value)* `)` | Value
   */
  private parseSearchPrimary(stop: (t: Token) => boolean): SearchExpr {
    const token = this.peek();
    switch (token.kind) {
      case 'lparen': {
        this.advance(token);
        this.enter(token.start);
        const next = this.peek();
        if (next.kind === 'rparen') throw this.error('spl.parse.empty-group', 'empty parentheses', token.start);
        const inner = this.parseSearchExpr(stop);
        this.expectClose('search', token.start);
        this.leave();
        return { kind: 'search-group', inner, loc: this.loc(token.start) };
      }
      case 'lbracket': {
        const pipeline = this.parseSubsearch();
        return { kind: 'search-subsearch', pipeline, loc: this.loc(token.start) };
      }
      case 'macro':
        return this.parseMacro();
      case 'word':
      case 'string': {
        const next = this.after(token);
        if (next.kind === 'op' && SEARCH_OPERATORS.has(next.text)) {
          this.advance(token);
          this.advance(next);
          const field: FieldName = { kind: 'field-name', name: token.value, quoted: token.kind === 'string', loc: { start: token.start, end: token.end } };
          const op = (next.text === '==' ? '=' : next.text) as SearchOperator;
          const valueToken = this.peek();
          if (valueToken.kind !== 'word' && valueToken.kind !== 'string') {
            throw this.error('spl.parse.missing-value', `expected a value after '${field.name}${next.text}', found ${this.describe(valueToken)}`, valueToken.start);
          }
          const value = this.parseSearchValue();
          return { kind: 'search-compare', field, op, value, loc: this.loc(token.start) };
        }
        if (this.isWord(next, 'IN', false)) {
          const open = this.after(next);
          if (open.kind === 'lparen') return this.parseSearchIn(token, next, open);
        }
        this.advance(token);
        if (token.kind === 'word' && this.atGluedParen()) {
          return { kind: 'search-term', value: this.parseGluedFunction(token), loc: this.loc(token.start) };
        }
        return { kind: 'search-term', value: valueFromToken(token), loc: this.loc(token.start) };
      }
      case 'rparen':
        throw this.error('spl.parse.unbalanced-paren', "')' without a matching '('", token.start);
      default:
        throw this.unexpected(token, 'a search term');
    }
  }

  private parseSearchIn(fieldToken: Token, inToken: Token, open: Token): SearchExpr {
    this.advance(fieldToken);
    this.advance(inToken);
    this.advance(open);
    const values: SearchValue[] = [];
    for (;;) {
      const token = this.peek();
      if (token.kind === 'rparen') break;
      if (token.kind === 'comma') {
        if (values.length === 0) throw this.unexpected(token, 'a value');
        this.advance(token);
        continue;
      }
      if (token.kind !== 'word' && token.kind !== 'string') {
        if (this.atSegmentEnd(token)) throw this.error('spl.parse.unclosed-paren', `'(' of IN is never closed (found ${this.describe(token)})`, open.start);
        throw this.unexpected(token, 'a value in the IN list');
      }
      values.push(this.parseSearchValue());
    }
    if (values.length === 0) throw this.error('spl.parse.empty-in', 'IN needs at least one value', open.start);
    this.expectClose('search', open.start);
    const field: FieldName = { kind: 'field-name', name: fieldToken.value, quoted: fieldToken.kind === 'string', loc: { start: fieldToken.start, end: fieldToken.end } };
    return { kind: 'search-in', field, values, loc: this.loc(fieldToken.start) };
  }

  // ------------------------------------------------------------------ eval expressions

  /** EvalExpr : EvalXor (`OR` EvalXor)* */
  parseEvalExpr(): EvalExpr {
    const start = this.peek('expr');
    this.enter(start.start);
    let left = this.parseEvalXor();
    for (;;) {
      const token = this.peek('expr');
      if (!this.isWord(token, 'OR', true)) break;
      this.advance(token);
      left = this.binary('OR', left, this.parseEvalXor());
    }
    this.leave();
    return left;
  }

  private binary(op: EvalBinaryOperator, left: EvalExpr, right: EvalExpr): EvalExpr {
    return { kind: 'eval-binary', op, left, right, loc: { start: left.loc.start, end: right.loc.end } };
  }

  /** EvalXor : EvalAnd (`XOR` EvalAnd)* */
  private parseEvalXor(): EvalExpr {
    let left = this.parseEvalAnd();
    for (;;) {
      const token = this.peek('expr');
      if (!this.isWord(token, 'XOR', true)) break;
      this.advance(token);
      left = this.binary('XOR', left, this.parseEvalAnd());
    }
    return left;
  }

  /** EvalAnd : EvalNot (`AND` EvalNot)* */
  private parseEvalAnd(): EvalExpr {
    let left = this.parseEvalNot();
    for (;;) {
      const token = this.peek('expr');
      if (!this.isWord(token, 'AND', true)) break;
      this.advance(token);
      left = this.binary('AND', left, this.parseEvalNot());
    }
    return left;
  }

  /** EvalNot : `NOT` EvalNot | EvalComparison */
  private parseEvalNot(): EvalExpr {
    const token = this.peek('expr');
    if (this.isWord(token, 'NOT', true)) {
      this.advance(token);
      this.enter(token.start);
      const operand = this.parseEvalNot();
      this.leave();
      return { kind: 'eval-unary', op: 'NOT', operand, loc: this.loc(token.start) };
    }
    return this.parseEvalComparison();
  }

  /** EvalComparison : EvalAdditive ((CompareOp | `LIKE`) EvalAdditive | `IN` `(` EvalExpr (`,` EvalExpr)* `)`)* */
  private parseEvalComparison(): EvalExpr {
    let left = this.parseEvalAdditive();
    for (;;) {
      const token = this.peek('expr');
      if (token.kind === 'op' && COMPARISON_OPERATORS.has(token.text)) {
        this.advance(token);
        left = this.binary(token.text as EvalBinaryOperator, left, this.parseEvalAdditive());
        continue;
      }
      if (this.isWord(token, 'LIKE', true)) {
        this.advance(token);
        left = this.binary('LIKE', left, this.parseEvalAdditive());
        continue;
      }
      if (this.isWord(token, 'IN', true)) {
        this.advance(token);
        const open = this.expectKind('lparen', 'expr', "'(' after IN");
        const values = this.parseEvalArguments(open);
        if (values.length === 0) throw this.error('spl.parse.empty-in', 'IN needs at least one value', open.start);
        left = { kind: 'eval-in', operand: left, values, loc: { start: left.loc.start, end: this.pos } };
        continue;
      }
      return left;
    }
  }

  /** EvalAdditive : EvalMultiplicative ((`+` | `-` | `.`) EvalMultiplicative)* */
  private parseEvalAdditive(): EvalExpr {
    let left = this.parseEvalMultiplicative();
    for (;;) {
      const token = this.peek('expr');
      if (token.kind !== 'op' || (token.text !== '+' && token.text !== '-' && token.text !== '.')) return left;
      this.advance(token);
      left = this.binary(token.text, left, this.parseEvalMultiplicative());
    }
  }

  /** EvalMultiplicative : EvalUnary ((`*` | `/` | `%`) EvalUnary)* */
  private parseEvalMultiplicative(): EvalExpr {
    let left = this.parseEvalUnary();
    for (;;) {
      const token = this.peek('expr');
      if (token.kind !== 'op' || (token.text !== '*' && token.text !== '/' && token.text !== '%')) return left;
      this.advance(token);
      left = this.binary(token.text, left, this.parseEvalUnary());
    }
  }

  /** EvalUnary : `-` EvalUnary | EvalPrimary */
  private parseEvalUnary(): EvalExpr {
    const token = this.peek('expr');
    if (token.kind === 'op' && token.text === '-') {
      this.advance(token);
      this.enter(token.start);
      const operand = this.parseEvalUnary();
      this.leave();
      return { kind: 'eval-unary', op: '-', operand, loc: this.loc(token.start) };
    }
    return this.parseEvalPrimary();
  }

  /**
   * EvalPrimary : Number | String | `'field'` | Name `(` Arguments `)` | Name | `(` EvalExpr `)` | Macro
   */
  private parseEvalPrimary(): EvalExpr {
    const token = this.peek('expr');
    switch (token.kind) {
      case 'number':
        this.advance(token);
        return { kind: 'eval-number', text: token.text, value: Number(token.text), loc: this.loc(token.start) };
      case 'string':
        this.advance(token);
        return { kind: 'eval-string', value: token.value, loc: this.loc(token.start) };
      case 'quoted-field':
        this.advance(token);
        return { kind: 'eval-field', name: token.value, quoted: true, loc: this.loc(token.start) };
      case 'macro':
        return this.parseMacro();
      case 'lparen': {
        this.advance(token);
        const inner = this.parseEvalExpr();
        this.expectClose('expr', token.start);
        return { kind: 'eval-group', inner, loc: this.loc(token.start) };
      }
      case 'word': {
        // `in(x, "a")`, `like(x, "a%")` are functions; a bare keyword cannot start an operand.
        const next = this.after(token, 'expr');
        if (EXPR_KEYWORDS.has(token.value.toUpperCase()) && next.kind !== 'lparen') throw this.unexpected(token, 'an expression');
        this.advance(token);
        if (next.kind === 'lparen') {
          this.advance(next);
          this.enter(next.start);
          const args = this.parseEvalArguments(next);
          this.leave();
          return { kind: 'eval-call', name: token.value, args, loc: this.loc(token.start) };
        }
        return { kind: 'eval-field', name: token.value, quoted: false, loc: this.loc(token.start) };
      }
      case 'rparen':
        throw this.error('spl.parse.unbalanced-paren', "')' without a matching '('", token.start);
      default:
        throw this.unexpected(token, 'an expression');
    }
  }

  /** Arguments : (EvalExpr (`,` EvalExpr)*)? `)` — the `(` is already consumed. */
  private parseEvalArguments(open: Token): EvalExpr[] {
    const args: EvalExpr[] = [];
    const first = this.peek('expr');
    if (first.kind === 'rparen') {
      this.advance(first);
      return args;
    }
    for (;;) {
      args.push(this.parseEvalExpr());
      const token = this.peek('expr');
      if (token.kind === 'comma') {
        this.advance(token);
        continue;
      }
      this.expectClose('expr', open.start);
      return args;
    }
  }

  // ------------------------------------------------------------------ aggregations

  /**
   * Aggregation : Name (`(` (`eval` `(` EvalExpr `)` | FieldName)? `)`)? (`as` FieldName)?
   */
  private parseAggregation(): Aggregation {
    const name = this.expectKind('word', 'search', 'an aggregation function');
    let arg: AggregationArg | null = null;
    const open = this.peek();
    if (open.kind === 'lparen' && !open.spaceBefore) {
      this.advance(open);
      this.enter(open.start);
      const inner = this.peek();
      if (inner.kind === 'word' && inner.value.toLowerCase() === 'eval' && this.after(inner).kind === 'lparen') {
        this.advance(inner);
        const evalOpen = this.expectKind('lparen', 'search', "'('");
        const expr = this.parseEvalExpr();
        this.expectClose('expr', evalOpen.start);
        arg = { kind: 'agg-eval', expr, loc: this.loc(inner.start) };
      } else if (inner.kind !== 'rparen') {
        arg = this.parseFieldName();
      }
      this.expectClose('search', open.start);
      this.leave();
    }
    let alias: FieldName | null = null;
    const as = this.peek();
    if (this.isWord(as, 'AS', true)) {
      this.advance(as);
      alias = this.parseFieldName();
    }
    return { kind: 'aggregation', fn: name.value, arg, alias, loc: this.loc(name.start) };
  }

  /** Aggregations : Aggregation (`,`? Aggregation)* — until `by`, `from`, `where` (tstats) or the end. */
  private parseAggregations(clauseWords: readonly string[]): Aggregation[] {
    const aggregations: Aggregation[] = [];
    for (;;) {
      const token = this.peek();
      if (this.atSegmentEnd(token)) break;
      if (token.kind === 'word' && clauseWords.includes(token.value.toUpperCase())) break;
      if (token.kind === 'comma' && aggregations.length > 0) {
        this.advance(token);
        continue;
      }
      aggregations.push(this.parseAggregation());
    }
    return aggregations;
  }

  /** ByClause : `by` (FieldName | Option)+ — options such as `span=1h` may be mixed in. */
  private parseByClause(): { by: FieldName[]; options: CommandOption[] } {
    const by: FieldName[] = [];
    const options: CommandOption[] = [];
    const token = this.peek();
    if (!this.isWord(token, 'BY', true)) return { by, options };
    this.advance(token);
    for (;;) {
      const next = this.peek();
      if (this.atSegmentEnd(next)) break;
      if (next.kind === 'comma' && by.length > 0) {
        this.advance(next);
        continue;
      }
      if (this.atOption()) options.push(this.parseOption());
      else by.push(this.parseFieldName());
    }
    if (by.length === 0) throw this.unexpected(this.peek(), "a field name after 'by'");
    return { by, options };
  }

  // ------------------------------------------------------------------ commands

  /** SearchCommand : `search` SearchExpr? */
  private parseSearchCommand(start: number): SearchCommand {
    const token = this.peek();
    const expr = this.atSegmentEnd(token) ? null : this.parseSearchExpr();
    return { kind: 'search', implicit: false, expr, loc: this.loc(start) };
  }

  /**
   * Tstats : `tstats` (Option | Macro)* Aggregations (`from` `datamodel=`Model(`.`Dataset)*)?
   *          (`where` SearchExpr)? (`by` FieldName+ (`span=`Value)?)?
   */
  private parseTstats(start: number): TstatsCommand {
    const options: (CommandOption | MacroCall)[] = [];
    for (;;) {
      const token = this.peek();
      if (token.kind === 'macro') options.push(this.parseMacro());
      else if (this.atOption()) options.push(this.parseOption());
      else break;
    }
    const aggregations = this.parseAggregations(['FROM', 'WHERE', 'BY']);
    let from: DatamodelRef | null = null;
    const fromToken = this.peek();
    if (this.isWord(fromToken, 'FROM', true)) {
      this.advance(fromToken);
      from = this.parseDatamodelRef();
    }
    let where: SearchExpr | null = null;
    for (;;) {
      const whereToken = this.peek();
      if (!this.isWord(whereToken, 'WHERE', true)) break;
      this.advance(whereToken);
      const clause = this.parseSearchExpr((t) => this.isWord(t, 'BY', true) || this.isWord(t, 'WHERE', true));
      // `from datamodel=X where nodename=Y where <filter>`: clauses combine as (first) AND (second).
      where = where === null ? clause : combineWhere(where, clause);
    }
    const { by, options: byOptions } = this.parseByClause();
    return { kind: 'tstats', options, aggregations, from, where, by, byOptions, loc: this.loc(start) };
  }

  /** DatamodelRef : `datamodel` (`=` | `:`) Model (`.` Dataset)* */
  private parseDatamodelRef(): DatamodelRef {
    const token = this.expectKind('word', 'search', "'datamodel='");
    let spec: string;
    let specStart: number;
    if (token.value.toLowerCase() === 'datamodel') {
      this.expectKind('op', 'search', "'=' after datamodel");
      const value = this.peek();
      if (value.kind !== 'word' && value.kind !== 'string') throw this.unexpected(value, 'a data model name');
      this.advance(value);
      spec = value.value;
      specStart = value.start;
    } else if (token.value.toLowerCase().startsWith('datamodel:')) {
      spec = token.value.slice('datamodel:'.length);
      specStart = token.start + 'datamodel:'.length;
    } else {
      throw this.unexpected(token, "'datamodel='");
    }
    const parts = spec.split('.');
    if (parts.some((p) => p.length === 0)) throw this.error('spl.parse.bad-datamodel', `malformed data model name '${spec}'`, specStart);
    return { kind: 'datamodel-ref', model: parts[0]!, path: parts.slice(1), loc: this.loc(token.start) };
  }

  /** Stats : (`stats` | `eventstats` | `streamstats`) Option* Aggregations ByClause? */
  private parseStats(start: number, name: StatsCommand['name']): StatsCommand {
    const options = this.parseOptions();
    const aggregations = this.parseAggregations(['BY']);
    if (aggregations.length === 0) throw this.unexpected(this.peek(), `an aggregation after ${name}`);
    const { by, options: byOptions } = this.parseByClause();
    return { kind: 'stats', name, options: [...options, ...byOptions], aggregations, by, loc: this.loc(start) };
  }

  /** Eval : `eval` Assignment (`,` Assignment)*   Assignment : Field `=` EvalExpr */
  private parseEval(start: number): EvalCommand {
    const assignments: EvalAssignment[] = [];
    for (;;) {
      const target = this.peek('expr');
      let field: FieldName;
      if (target.kind === 'word' || target.kind === 'quoted-field' || target.kind === 'string') {
        this.advance(target);
        field = { kind: 'field-name', name: target.value, quoted: target.kind !== 'word', loc: { start: target.start, end: target.end } };
      } else {
        throw this.unexpected(target, 'a field name to assign');
      }
      const eq = this.peek('expr');
      if (eq.kind !== 'op' || eq.text !== '=') throw this.unexpected(eq, "'=' in eval");
      this.advance(eq);
      const expr = this.parseEvalExpr();
      assignments.push({ kind: 'eval-assignment', field, expr, loc: this.loc(target.start) });
      const next = this.peek('expr');
      if (next.kind !== 'comma') break;
      this.advance(next);
    }
    return { kind: 'eval', assignments, loc: this.loc(start) };
  }

  /** Where : `where` EvalExpr */
  private parseWhere(start: number): WhereCommand {
    const expr = this.parseEvalExpr();
    const next = this.peek('expr');
    if (!this.atSegmentEnd(next)) throw this.unexpected(next, "an operator or '|'");
    return { kind: 'where', expr, loc: this.loc(start) };
  }

  /** Rename : `rename` FieldName `as` FieldName (`,`? FieldName `as` FieldName)* */
  private parseRename(start: number): RenameCommand {
    const mappings: FieldMapping[] = [];
    for (;;) {
      const token = this.peek();
      if (this.atSegmentEnd(token)) break;
      if (token.kind === 'comma' && mappings.length > 0) {
        this.advance(token);
        continue;
      }
      mappings.push(this.parseFieldMapping(true));
    }
    if (mappings.length === 0) throw this.unexpected(this.peek(), 'a field to rename');
    return { kind: 'rename', mappings, loc: this.loc(start) };
  }

  /** Table : `table` FieldList */
  private parseTable(start: number): TableCommand {
    return { kind: 'table', fields: this.parseFieldList(), loc: this.loc(start) };
  }

  /** Fields : `fields` (`+` | `-`)? FieldList */
  private parseFields(start: number): FieldsCommand {
    let mode: FieldsCommand['mode'] = null;
    const sign = this.peek();
    if (sign.kind === 'word' && (sign.value === '+' || sign.value === '-')) {
      this.advance(sign);
      mode = sign.value;
    }
    return { kind: 'fields', mode, fields: this.parseFieldList(), loc: this.loc(start) };
  }

  /** Convert : `convert` Option* (Name `(` FieldName `)` (`as` FieldName)?)+ */
  private parseConvert(start: number): ConvertCommand {
    const options = this.parseOptions();
    const conversions: Conversion[] = [];
    for (;;) {
      const token = this.peek();
      if (this.atSegmentEnd(token)) break;
      if (token.kind === 'comma' && conversions.length > 0) {
        this.advance(token);
        continue;
      }
      const fn = this.expectKind('word', 'search', 'a conversion function such as ctime(field)');
      const open = this.expectKind('lparen', 'search', `'(' after ${fn.value}`);
      const field = this.parseFieldName();
      this.expectClose('search', open.start);
      let alias: FieldName | null = null;
      const as = this.peek();
      if (this.isWord(as, 'AS', true)) {
        this.advance(as);
        alias = this.parseFieldName();
      }
      conversions.push({ kind: 'conversion', fn: fn.value, field, alias, loc: this.loc(fn.start) });
    }
    if (conversions.length === 0) throw this.unexpected(this.peek(), 'a conversion such as ctime(field)');
    return { kind: 'convert', options, conversions, loc: this.loc(start) };
  }

  /** Lookup : `lookup` Option* Table FieldMapping+ ((`OUTPUT` | `OUTPUTNEW`) FieldMapping+)? */
  private parseLookup(start: number): LookupCommand {
    const options = this.parseOptions();
    const table = this.parseFieldName().name;
    const isOutput = (t: Token): boolean => this.isWord(t, 'OUTPUT', true) || this.isWord(t, 'OUTPUTNEW', true);
    const inputs = this.parseMappings(isOutput);
    if (inputs.length === 0) throw this.unexpected(this.peek(), 'a lookup input field');
    let output: LookupCommand['output'] = null;
    const token = this.peek();
    if (isOutput(token)) {
      this.advance(token);
      const fields = this.parseMappings(() => false);
      if (fields.length === 0) throw this.unexpected(this.peek(), 'an output field');
      output = { mode: token.value.toUpperCase() === 'OUTPUT' ? 'OUTPUT' : 'OUTPUTNEW', fields };
    }
    return { kind: 'lookup', options, table, inputs, output, loc: this.loc(start) };
  }

  private parseMappings(stop: (t: Token) => boolean): FieldMapping[] {
    const mappings: FieldMapping[] = [];
    for (;;) {
      const token = this.peek();
      if (this.atSegmentEnd(token) || stop(token)) break;
      if (token.kind === 'comma' && mappings.length > 0) {
        this.advance(token);
        continue;
      }
      mappings.push(this.parseFieldMapping(false));
    }
    return mappings;
  }

  /** Inputlookup : `inputlookup` Option* Table (`where` SearchExpr)? */
  private parseInputlookup(start: number): InputlookupCommand {
    const options = this.parseOptions();
    const table = this.parseFieldName().name;
    let where: SearchExpr | null = null;
    const token = this.peek();
    if (this.isWord(token, 'WHERE', true)) {
      this.advance(token);
      where = this.parseSearchExpr();
    }
    return { kind: 'inputlookup', options, table, where, loc: this.loc(start) };
  }

  /** Rex : `rex` Option* String Option* */
  private parseRex(start: number): RexCommand {
    const options = this.parseOptions();
    const regex = this.expectKind('string', 'search', 'a quoted regular expression');
    options.push(...this.parseOptions());
    return { kind: 'rex', options, regex: regex.value, loc: this.loc(start) };
  }

  /** Regex : `regex` (Field (`=` | `!=`))? String */
  private parseRegex(start: number): RegexCommand {
    let field: string | null = null;
    let negated = false;
    const token = this.peek();
    if (token.kind === 'word') {
      this.advance(token);
      field = token.value;
      const op = this.expectKind('op', 'search', "'=' or '!='");
      if (op.text !== '=' && op.text !== '!=') throw this.unexpected(op, "'=' or '!='");
      negated = op.text === '!=';
    }
    const regex = this.expectKind('string', 'search', 'a quoted regular expression');
    return { kind: 'regex', field, negated, regex: regex.value, loc: this.loc(start) };
  }

  /** Bin : (`bin` | `bucket`) Option* FieldName Option* (`as` FieldName)? */
  private parseBin(start: number, name: BinCommand['name']): BinCommand {
    const options = this.parseOptions();
    const field = this.parseFieldName();
    options.push(...this.parseOptions());
    let alias: FieldName | null = null;
    const as = this.peek();
    if (this.isWord(as, 'AS', true)) {
      this.advance(as);
      alias = this.parseFieldName();
    }
    options.push(...this.parseOptions());
    return { kind: 'bin', name, options, field, alias, loc: this.loc(start) };
  }

  /** Dedup : `dedup` Number? (Option | FieldName)+ */
  private parseDedup(start: number): DedupCommand {
    let count: number | null = null;
    const first = this.peek();
    if (first.kind === 'word' && /^\d+$/.test(first.value)) {
      this.advance(first);
      count = Number(first.value);
    }
    const options: CommandOption[] = [];
    const fields: FieldName[] = [];
    let sortBy: SortKey[] = [];
    for (;;) {
      const token = this.peek();
      if (this.atSegmentEnd(token)) break;
      if (token.kind === 'comma' && fields.length > 0) {
        this.advance(token);
        continue;
      }
      if (this.isWord(token, 'SORTBY', true) && fields.length > 0) {
        this.advance(token);
        sortBy = this.parseSortKeys();
        break;
      }
      if (this.atOption()) options.push(this.parseOption());
      else fields.push(this.parseFieldName());
    }
    if (fields.length === 0) throw this.unexpected(this.peek(), 'a field to dedup on');
    return { kind: 'dedup', count, options, fields, sortBy, loc: this.loc(start) };
  }

  /** Sort : `sort` (Number | `limit=`Number)? ((`+` | `-`)? FieldName)+ */
  private parseSort(start: number): SortCommand {
    let limit: number | null = null;
    const first = this.peek();
    if (first.kind === 'word' && /^\d+$/.test(first.value)) {
      this.advance(first);
      limit = Number(first.value);
    } else if (this.atOption() && first.value.toLowerCase() === 'limit') {
      const option = this.parseOption();
      if (option.value.kind !== 'number') throw this.error('spl.parse.bad-option', 'sort limit must be a number', option.value.loc.start);
      limit = option.value.value;
    }
    const keys = this.parseSortKeys();
    return { kind: 'sort', limit, keys, loc: this.loc(start) };
  }

  /** SortKeys : ((`+` | `-`)? FieldName) (`,`? (`+` | `-`)? FieldName)* */
  private parseSortKeys(): SortKey[] {
    const keys: SortKey[] = [];
    for (;;) {
      const token = this.peek();
      if (this.atSegmentEnd(token)) break;
      if (token.kind === 'comma' && keys.length > 0) {
        this.advance(token);
        continue;
      }
      if (token.kind !== 'word' && token.kind !== 'string') throw this.unexpected(token, 'a sort field');
      let descending = false;
      let signed = false;
      let field: FieldName;
      if (token.kind === 'word' && (token.value.startsWith('-') || token.value.startsWith('+'))) {
        signed = true;
        descending = token.value.startsWith('-');
        if (token.value.length === 1) {
          this.advance(token);
          field = this.parseFieldName();
        } else {
          this.advance(token);
          field = { kind: 'field-name', name: token.value.slice(1), quoted: false, loc: { start: token.start + 1, end: token.end } };
        }
      } else {
        field = this.parseFieldName();
      }
      keys.push({ kind: 'sort-key', field, descending, signed, loc: this.loc(token.start) });
    }
    if (keys.length === 0) throw this.unexpected(this.peek(), 'a sort field');
    return keys;
  }

  /** HeadTail : (`head` | `tail`) Number? Option* */
  private parseHeadTail(start: number, name: HeadTailCommand['name']): HeadTailCommand {
    let count: number | null = null;
    const first = this.peek();
    if (first.kind === 'word' && /^\d+$/.test(first.value)) {
      this.advance(first);
      count = Number(first.value);
    }
    const options = this.parseOptions();
    return { kind: 'head-tail', name, count, options, loc: this.loc(start) };
  }

  /** Fillnull : `fillnull` Option* FieldList */
  private parseFillnull(start: number): FillnullCommand {
    const options = this.parseOptions();
    const fields = this.parseFieldList();
    return { kind: 'fillnull', options, fields, loc: this.loc(start) };
  }

  /** Spath : `spath` Option* Path? Option* */
  private parseSpath(start: number): SpathCommand {
    const options = this.parseOptions();
    let path: string | null = null;
    const token = this.peek();
    if (token.kind === 'word' || token.kind === 'string') {
      path = this.parseFieldName().name;
      options.push(...this.parseOptions());
    }
    return { kind: 'spath', options, path, loc: this.loc(start) };
  }

  /** Makemv : `makemv` Option* FieldName */
  private parseMakemv(start: number): MakemvCommand {
    const options = this.parseOptions();
    const field = this.parseFieldName();
    options.push(...this.parseOptions());
    return { kind: 'makemv', options, field, loc: this.loc(start) };
  }

  /** Mvexpand : `mvexpand` Option* FieldName Option* */
  private parseMvexpand(start: number): MvexpandCommand {
    const options = this.parseOptions();
    const field = this.parseFieldName();
    options.push(...this.parseOptions());
    return { kind: 'mvexpand', options, field, loc: this.loc(start) };
  }

  /** Join : `join` Option* FieldList Subsearch */
  private parseJoin(start: number): JoinCommand {
    const options = this.parseOptions();
    const fields: FieldName[] = [];
    for (;;) {
      const token = this.peek();
      if (this.atSegmentEnd(token) || token.kind === 'lbracket') break;
      if (token.kind === 'comma' && fields.length > 0) {
        this.advance(token);
        continue;
      }
      if (this.atOption()) options.push(this.parseOption());
      else fields.push(this.parseFieldName());
    }
    const subsearch = this.parseSubsearch();
    return { kind: 'join', options, fields, subsearch, loc: this.loc(start) };
  }

  /** Append : `append` Option* Subsearch */
  private parseAppend(start: number): AppendCommand {
    const options = this.parseOptions();
    const subsearch = this.parseSubsearch();
    return { kind: 'append', options, subsearch, loc: this.loc(start) };
  }

  /** Foreach : `foreach` Option* FieldList Option* `[` RawTemplate `]` */
  private parseForeach(start: number): ForeachCommand {
    const options = this.parseOptions();
    const fields: FieldName[] = [];
    for (;;) {
      const token = this.peek();
      if (this.atSegmentEnd(token) || token.kind === 'lbracket') break;
      if (this.atOption()) options.push(this.parseOption());
      else fields.push(this.parseFieldName());
    }
    const open = this.expectKind('lbracket', 'search', "'[' with the foreach body");
    const close = findClosingBracket(this.source, open.start);
    const body = this.source.text.slice(open.end, close).trim();
    this.pos = close + 1;
    this.tokenCount++;
    return { kind: 'foreach', options, fields, body, loc: this.loc(start) };
  }

  /** Generic : Name RawArguments — any command without a dedicated node. */
  private parseGeneric(start: number, name: string): GenericCommand {
    const raw = this.readRawArguments();
    return { kind: 'generic', name, raw, loc: this.loc(start) };
  }
}

function combineWhere(left: SearchExpr, right: SearchExpr): SearchExpr {
  const group = (inner: SearchExpr): SearchExpr => ({ kind: 'search-group', inner, loc: inner.loc });
  return { kind: 'search-and', operands: [group(left), group(right)], explicit: [true], loc: { start: left.loc.start, end: right.loc.end } };
}

/** Offset of the `]` closing the `[` at `open`, skipping quoted strings and nested brackets. */
function findClosingBracket(source: Source, open: number): number {
  const text = source.text;
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '"') {
      i = readQuoted(source, i, '"').end - 1;
    } else if (ch === '[') {
      depth++;
    } else if (ch === ']') {
      depth--;
      if (depth === 0) return i;
    }
  }
  throw splError(source, 'spl.parse.unclosed-bracket', "'[' is never closed", open);
}

/** Classifies a search literal: numbers (unquoted only), `*` patterns, plain strings. */
export function valueFromToken(token: Token): SearchValue {
  const loc = { start: token.start, end: token.end };
  const quoted = token.kind === 'string';
  if (token.value.includes('*')) return { kind: 'wildcard', text: token.value, quoted, loc };
  if (!quoted && NUMBER_WORD.test(token.value)) return { kind: 'number', text: token.value, value: Number(token.value), loc };
  return { kind: 'string', text: token.value, quoted, loc };
}

/** Splits a macro token's inner text into name and raw arguments. */
export function macroFromToken(source: Source, token: Token): MacroCall {
  const parsed = splitMacroCall(token.value);
  if (parsed === null) throw splError(source, 'spl.macro.malformed', `malformed macro call \`${token.value}\``, token.start);
  return { kind: 'macro', name: parsed.name, args: parsed.args, loc: { start: token.start, end: token.end } };
}

const MACRO_NAME = /^[A-Za-z0-9_.:-]+$/;

/**
 * `name` or `name(a, "b, c", d)` → name and raw trimmed arguments (commas inside quotes or
 * parentheses do not split). Null when malformed (bad name, unbalanced parentheses or quotes).
 */
export function splitMacroCall(inner: string): { name: string; args: string[] | null } | null {
  const text = inner.trim();
  const open = text.indexOf('(');
  if (open < 0) return MACRO_NAME.test(text) ? { name: text, args: null } : null;
  const name = text.slice(0, open).trim();
  if (!MACRO_NAME.test(name) || !text.endsWith(')')) return null;
  const body = text.slice(open + 1, -1);
  const args: string[] = [];
  let depth = 0;
  let current = '';
  for (let i = 0; i < body.length; i++) {
    const ch = body[i]!;
    if (ch === '"') {
      let j = i + 1;
      while (j < body.length && body[j] !== '"') j += body[j] === '\\' ? 2 : 1;
      if (j >= body.length) return null;
      current += body.slice(i, j + 1);
      i = j;
      continue;
    }
    if (ch === '(') depth++;
    if (ch === ')') {
      depth--;
      if (depth < 0) return null;
    }
    if (ch === ',' && depth === 0) {
      args.push(current.trim());
      current = '';
      continue;
    }
    current += ch;
  }
  if (depth !== 0) return null;
  if (args.length > 0 || current.trim().length > 0) args.push(current.trim());
  return { name, args };
}
