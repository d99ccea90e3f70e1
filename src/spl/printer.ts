/**
 * Prints an SPL tree back to normalised SPL text: one space between tokens, ` | ` between
 * commands, strings re-escaped, parentheses only where the tree has a group (or where a
 * hand-built tree needs them for precedence). Property: parse(print(parse(x))) equals parse(x)
 * ignoring locations.
 */
import type {
  Aggregation,
  Command,
  CommandOption,
  EvalBinaryOperator,
  EvalExpr,
  FieldMapping,
  FieldName,
  MacroCall,
  Pipeline,
  SearchExpr,
  SearchValue,
  SortKey,
} from './ast.js';
import { assertNever } from '../core/xml-tree.js';

/** Characters that force quoting of a bare search value or field name. */
const NEEDS_QUOTES = /[\s|[\](),"`=<>!]|^$/;
const SEARCH_KEYWORDS: ReadonlySet<string> = new Set(['AND', 'OR', 'NOT', 'IN']);

export function printPipeline(pipeline: Pipeline): string {
  const parts = pipeline.commands.map((c) => printCommand(c));
  return (pipeline.leadingPipe ? '| ' : '') + parts.join(' | ');
}

function quote(text: string, q: '"' | "'"): string {
  let out = q;
  for (const ch of text) {
    if (ch === '\\' || ch === q) out += '\\';
    out += ch;
  }
  return out + q;
}

function printBare(text: string, quoted: boolean): string {
  if (quoted || NEEDS_QUOTES.test(text) || SEARCH_KEYWORDS.has(text)) return quote(text, '"');
  return text;
}

export function printSearchValue(value: SearchValue): string {
  switch (value.kind) {
    case 'number':
    case 'function':
      return value.text;
    case 'string':
    case 'wildcard':
      return printBare(value.text, value.quoted);
    default:
      return assertNever(value, 'search value');
  }
}

function printFieldName(field: FieldName): string {
  return printBare(field.name, field.quoted);
}

export function printMacro(macro: MacroCall): string {
  return macro.args === null ? `\`${macro.name}\`` : `\`${macro.name}(${macro.args.join(',')})\``;
}

function printOption(option: CommandOption): string {
  const value = option.value.kind === 'macro' ? printMacro(option.value) : printSearchValue(option.value);
  return `${option.name}=${value}`;
}

function printMapping(mapping: FieldMapping): string {
  return mapping.to === null ? printFieldName(mapping.from) : `${printFieldName(mapping.from)} AS ${printFieldName(mapping.to)}`;
}

/** Binding strength in search syntax: AND (1) < OR (2) < NOT (3) < primary (4). */
function searchStrength(expr: SearchExpr): number {
  switch (expr.kind) {
    case 'search-and':
      return 1;
    case 'search-or':
      return 2;
    case 'search-not':
      return 3;
    default:
      return 4;
  }
}

function printSearchOperand(expr: SearchExpr, minStrength: number): string {
  const text = printSearchExpr(expr);
  return searchStrength(expr) < minStrength ? `(${text})` : text;
}

export function printSearchExpr(expr: SearchExpr): string {
  switch (expr.kind) {
    case 'search-term':
      return printSearchValue(expr.value);
    case 'search-compare':
      return `${printFieldName(expr.field)}${expr.op}${printSearchValue(expr.value)}`;
    case 'search-in':
      return `${printFieldName(expr.field)} IN (${expr.values.map(printSearchValue).join(', ')})`;
    case 'search-not':
      return `NOT ${printSearchOperand(expr.operand, 3)}`;
    case 'search-and':
      return expr.operands
        .map((o, i) => (i === 0 ? '' : expr.explicit[i - 1] === true ? ' AND ' : ' ') + printSearchOperand(o, 2))
        .join('');
    case 'search-or':
      return expr.operands.map((o) => printSearchOperand(o, 3)).join(' OR ');
    case 'search-group':
      return `(${printSearchExpr(expr.inner)})`;
    case 'search-subsearch':
      return `[${printPipeline(expr.pipeline)}]`;
    case 'macro':
      return printMacro(expr);
    default:
      return assertNever(expr, 'search expression');
  }
}

/** Eval binding strengths: bigger binds tighter. */
const EVAL_STRENGTH: Record<EvalBinaryOperator, number> = {
  OR: 1,
  XOR: 2,
  AND: 3,
  '=': 5,
  '==': 5,
  '!=': 5,
  '<': 5,
  '<=': 5,
  '>': 5,
  '>=': 5,
  LIKE: 5,
  '+': 6,
  '-': 6,
  '.': 6,
  '*': 7,
  '/': 7,
  '%': 7,
};

function evalStrength(expr: EvalExpr): number {
  switch (expr.kind) {
    case 'eval-binary':
      return EVAL_STRENGTH[expr.op];
    case 'eval-in':
      return 5;
    case 'eval-unary':
      return expr.op === 'NOT' ? 4 : 8;
    default:
      return 9;
  }
}

function printEvalOperand(expr: EvalExpr, minStrength: number): string {
  const text = printEvalExpr(expr);
  return evalStrength(expr) < minStrength ? `(${text})` : text;
}

function printEvalFieldName(name: string, quoted: boolean): string {
  return quoted || !/^[A-Za-z_@$\u0080-\uffff][\w@$\u0080-\uffff]*(\.[\w@$\u0080-\uffff]+)*$/.test(name) || ['AND', 'OR', 'NOT', 'XOR', 'LIKE', 'IN'].includes(name.toUpperCase())
    ? quote(name, "'")
    : name;
}

export function printEvalExpr(expr: EvalExpr): string {
  switch (expr.kind) {
    case 'eval-number':
      return expr.text;
    case 'eval-string':
      return quote(expr.value, '"');
    case 'eval-field':
      return printEvalFieldName(expr.name, expr.quoted);
    case 'eval-call':
      return `${expr.name}(${expr.args.map(printEvalExpr).join(', ')})`;
    case 'eval-unary':
      return expr.op === 'NOT' ? `NOT ${printEvalOperand(expr.operand, 4)}` : `-${printEvalOperand(expr.operand, 8)}`;
    case 'eval-binary': {
      const strength = EVAL_STRENGTH[expr.op];
      return `${printEvalOperand(expr.left, strength)} ${expr.op} ${printEvalOperand(expr.right, strength + 1)}`;
    }
    case 'eval-in':
      return `${printEvalOperand(expr.operand, 6)} IN (${expr.values.map(printEvalExpr).join(', ')})`;
    case 'eval-group':
      return `(${printEvalExpr(expr.inner)})`;
    case 'macro':
      return printMacro(expr);
    default:
      return assertNever(expr, 'eval expression');
  }
}

function printAggregation(agg: Aggregation): string {
  let text = agg.fn;
  if (agg.arg !== null) {
    text += agg.arg.kind === 'agg-eval' ? `(eval(${printEvalExpr(agg.arg.expr)}))` : `(${printFieldName(agg.arg)})`;
  }
  if (agg.alias !== null) text += ` AS ${printFieldName(agg.alias)}`;
  return text;
}

function join(...parts: (string | null | undefined)[]): string {
  return parts.filter((p): p is string => p !== null && p !== undefined && p.length > 0).join(' ');
}

function options(list: readonly CommandOption[]): string {
  return list.map(printOption).join(' ');
}

function fields(list: readonly FieldName[]): string {
  return list.map(printFieldName).join(' ');
}

function sortKeys(keys: readonly SortKey[]): string {
  return keys.map((k) => (k.signed ? (k.descending ? '-' : '+') : '') + printFieldName(k.field)).join(' ');
}

export function printCommand(command: Command): string {
  switch (command.kind) {
    case 'search':
      if (command.implicit) return command.expr === null ? '' : printSearchExpr(command.expr);
      return join('search', command.expr === null ? null : printSearchExpr(command.expr));
    case 'tstats':
      return join(
        'tstats',
        command.options.map((o) => (o.kind === 'macro' ? printMacro(o) : printOption(o))).join(' '),
        command.aggregations.map(printAggregation).join(' '),
        command.from === null ? null : `from datamodel=${[command.from.model, ...command.from.path].join('.')}`,
        command.where === null ? null : `where ${printSearchExpr(command.where)}`,
        command.by.length === 0 && command.byOptions.length === 0 ? null : `by ${join(fields(command.by), options(command.byOptions))}`,
      );
    case 'stats':
      return join(command.name, options(command.options), command.aggregations.map(printAggregation).join(', '), command.by.length === 0 ? null : `by ${fields(command.by)}`);
    case 'eval':
      return `eval ${command.assignments.map((a) => `${printEvalFieldName(a.field.name, a.field.quoted)}=${printEvalExpr(a.expr)}`).join(', ')}`;
    case 'where':
      return `where ${printEvalExpr(command.expr)}`;
    case 'rename':
      return `rename ${command.mappings.map(printMapping).join(', ')}`;
    case 'table':
      return join('table', fields(command.fields));
    case 'fields':
      return join('fields', command.mode, fields(command.fields));
    case 'convert':
      return join(
        'convert',
        options(command.options),
        command.conversions.map((c) => `${c.fn}(${printFieldName(c.field)})${c.alias === null ? '' : ` AS ${printFieldName(c.alias)}`}`).join(' '),
      );
    case 'lookup':
      return join(
        'lookup',
        options(command.options),
        printBare(command.table, false),
        command.inputs.map(printMapping).join(', '),
        command.output === null ? null : `${command.output.mode} ${command.output.fields.map(printMapping).join(', ')}`,
      );
    case 'inputlookup':
      return join('inputlookup', options(command.options), printBare(command.table, false), command.where === null ? null : `where ${printSearchExpr(command.where)}`);
    case 'rex':
      return join('rex', options(command.options), quote(command.regex, '"'));
    case 'regex':
      return command.field === null ? `regex ${quote(command.regex, '"')}` : `regex ${command.field}${command.negated ? '!=' : '='}${quote(command.regex, '"')}`;
    case 'bin':
      return join(command.name, options(command.options), printFieldName(command.field), command.alias === null ? null : `AS ${printFieldName(command.alias)}`);
    case 'dedup':
      return join(
        'dedup',
        command.count === null ? null : String(command.count),
        options(command.options),
        fields(command.fields),
        command.sortBy.length === 0 ? null : `sortby ${sortKeys(command.sortBy)}`,
      );
    case 'sort':
      return join('sort', command.limit === null ? null : String(command.limit), sortKeys(command.keys));
    case 'head-tail':
      return join(command.name, command.count === null ? null : String(command.count), options(command.options));
    case 'fillnull':
      return join('fillnull', options(command.options), fields(command.fields));
    case 'spath':
      return join('spath', options(command.options), command.path === null ? null : printBare(command.path, false));
    case 'makemv':
      return join('makemv', options(command.options), printFieldName(command.field));
    case 'mvexpand':
      return join('mvexpand', options(command.options), printFieldName(command.field));
    case 'join':
      return join('join', options(command.options), fields(command.fields), `[${printPipeline(command.subsearch)}]`);
    case 'append':
      return join('append', options(command.options), `[${printPipeline(command.subsearch)}]`);
    case 'foreach':
      return join('foreach', options(command.options), fields(command.fields), `[${command.body}]`);
    case 'from':
      return join('from', command.dataset);
    case 'macro-command':
      return printMacro(command.macro);
    case 'generic':
      return join(command.name, command.raw);
    default:
      return assertNever(command, 'command');
  }
}
