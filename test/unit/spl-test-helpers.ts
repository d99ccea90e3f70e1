/** Builders for expected SPL trees (locations stripped) and error probes, shared by the spl-* tests. */
import assert from 'node:assert/strict';
import { LocatedError } from '../../src/core/diagnostics.js';
import type { Command, EvalExpr, Pipeline, SearchExpr, SearchValue } from '../../src/spl/ast.js';
import { type Source, parseSpl, printSpl, stripLocs } from '../../src/spl/index.js';

export const parse = (text: string, source?: Source): Pipeline => stripLocs(parseSpl(text, source));

/** The single command of `text` (asserts there is exactly one). */
export function commandOf(text: string): Command {
  const pipeline = parse(text);
  assert.equal(pipeline.commands.length, 1, `expected one command in ${text}`);
  return pipeline.commands[0]!;
}

/** The expression of an implicit first-segment search. */
export function searchOf(text: string): SearchExpr | null {
  const command = commandOf(text);
  assert.equal(command.kind, 'search');
  return command.kind === 'search' ? command.expr : null;
}

/** The expression of `| where <expr>`. */
export function whereOf(expr: string): EvalExpr {
  const command = commandOf(`| where ${expr}`);
  assert.equal(command.kind, 'where');
  if (command.kind !== 'where') throw new Error('unreachable');
  return command.expr;
}

// ---- search values and expressions (no locs)
type NoLoc<T> = T extends { loc: unknown } ? Omit<T, 'loc'> : T;
export const str = (text: string, quoted = false): NoLoc<SearchValue> => ({ kind: 'string', text, quoted });
export const num = (text: string): NoLoc<SearchValue> => ({ kind: 'number', text, value: Number(text) });
export const wild = (text: string, quoted = false): NoLoc<SearchValue> => ({ kind: 'wildcard', text, quoted });
export const field = (name: string, quoted = false) => ({ kind: 'field-name' as const, name, quoted });
export const term = (value: NoLoc<SearchValue>) => ({ kind: 'search-term' as const, value });
export const cmp = (name: string, op: string, value: NoLoc<SearchValue>, quotedField = false) => ({
  kind: 'search-compare' as const,
  field: field(name, quotedField),
  op,
  value,
});
export const inList = (name: string, ...values: NoLoc<SearchValue>[]) => ({ kind: 'search-in' as const, field: field(name), values });
export const and = (...operands: unknown[]) => ({ kind: 'search-and' as const, operands, explicit: operands.slice(1).map(() => false) });
export const andExplicit = (explicit: boolean[], ...operands: unknown[]) => ({ kind: 'search-and' as const, operands, explicit });
export const or = (...operands: unknown[]) => ({ kind: 'search-or' as const, operands });
export const not = (operand: unknown) => ({ kind: 'search-not' as const, operand });
export const group = (inner: unknown) => ({ kind: 'search-group' as const, inner });
export const macro = (name: string, args: string[] | null = null) => ({ kind: 'macro' as const, name, args });

// ---- eval expressions (no locs)
export const eField = (name: string, quoted = false) => ({ kind: 'eval-field' as const, name, quoted });
export const eStr = (value: string) => ({ kind: 'eval-string' as const, value });
export const eNum = (text: string) => ({ kind: 'eval-number' as const, text, value: Number(text) });
export const eBin = (op: string, left: unknown, right: unknown) => ({ kind: 'eval-binary' as const, op, left, right });
export const eCall = (name: string, ...args: unknown[]) => ({ kind: 'eval-call' as const, name, args });
export const eNot = (operand: unknown) => ({ kind: 'eval-unary' as const, op: 'NOT', operand });
export const eNeg = (operand: unknown) => ({ kind: 'eval-unary' as const, op: '-', operand });
export const eGroup = (inner: unknown) => ({ kind: 'eval-group' as const, inner });

// ---- errors
export interface ErrorProbe {
  readonly code: string;
  readonly line: number | undefined;
  readonly column: number | undefined;
  readonly offset: number | undefined;
  readonly file: string;
  readonly message: string;
}

export function errorOf(run: () => unknown): ErrorProbe {
  try {
    run();
  } catch (e) {
    assert.ok(e instanceof LocatedError, `expected a LocatedError, got ${String(e)}`);
    return { code: e.code, line: e.location.line, column: e.location.column, offset: e.location.offset, file: e.location.file, message: e.message };
  }
  assert.fail('expected an error');
}

/** parse(print(parse(x))) equals parse(x) ignoring locations; returns the printed text. */
export function assertRoundTrip(text: string): string {
  const first = parse(text);
  const printed = printSpl(parseSpl(text));
  const second = parse(printed);
  assert.deepEqual(second, first, `round trip changed the tree\n  input:   ${text}\n  printed: ${printed}`);
  // Printing is a fixed point after one normalisation.
  assert.equal(printSpl(parseSpl(printed)), printed);
  return printed;
}
