/**
 * Value helpers shared by the search matcher, eval and the commands (spl-and-rba.md §2):
 * multivalue access, Splunk's number reading, and the ordering stats/sort use
 * (numbers numerically, everything else lexicographically, numbers before text).
 */
import { LocatedError } from '../../core/diagnostics.js';
import type { EvalResult, Row, SplScalar, SplValue } from './types.js';

const EMPTY: readonly SplScalar[] = [];

/** The values of a field: [] when absent, one element for a single value. */
export function valuesOf(v: SplValue | null | undefined): readonly SplScalar[] {
  if (v === undefined || v === null) return EMPTY;
  return Array.isArray(v) ? (v as readonly SplScalar[]) : [v as SplScalar];
}

/** Builds a field value from values: undefined when empty, a scalar for one, else a multivalue. */
export function fromValues(values: readonly SplScalar[]): SplValue | undefined {
  if (values.length === 0) return undefined;
  return values.length === 1 ? values[0]! : values;
}

/** Reads a field of a row (undefined = null). */
export function field(row: Row, name: string): SplValue | undefined {
  return row.get(name);
}

/** Sets a field, or deletes it when the value is null/undefined (Splunk has no stored null). */
export function setField(row: Row, name: string, v: SplValue | null | undefined): void {
  if (v === undefined || v === null) row.delete(name);
  else row.set(name, v);
}

const NUMBER_TEXT = /^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*$/;
const HEX_TEXT = /^\s*0x[0-9a-fA-F]+\s*$/;

/** The number a scalar stands for, or null (Splunk reads decimal text; `0x..` only via tonumber(x,16)). */
export function numberOf(v: SplScalar): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (!NUMBER_TEXT.test(v)) return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

/** Number of a hex text such as `0xf84`, or null. */
export function hexNumberOf(v: SplScalar): number | null {
  if (typeof v === 'number') return v;
  return HEX_TEXT.test(v) ? Number.parseInt(v.trim().slice(2), 16) : null;
}

/** Text of a scalar as Splunk prints it (integers without `.0`, no exponent for ordinary sizes). */
export function textOf(v: SplScalar): string {
  if (typeof v === 'string') return v;
  if (Number.isInteger(v) && Math.abs(v) < 1e21) return v.toFixed(0);
  return String(v);
}

/**
 * Splunk's ordering of two scalars (sort, min/max, values()): both numeric → numeric order;
 * a number sorts before text; two texts → lexicographic by code unit.
 */
export function compareScalars(a: SplScalar, b: SplScalar): number {
  const na = numberOf(a);
  const nb = numberOf(b);
  if (na !== null && nb !== null) return na < nb ? -1 : na > nb ? 1 : 0;
  if (na !== null) return -1;
  if (nb !== null) return 1;
  const ta = textOf(a);
  const tb = textOf(b);
  return ta < tb ? -1 : ta > tb ? 1 : 0;
}

/** Eval truth: only `true` is true (null and false are not). */
export function isTrue(v: EvalResult): boolean {
  return v === true;
}

/** Copies a row (commands that fan a row out, such as mvexpand and join, need copies). */
export function copyRow(row: Row): Row {
  return new Map(row);
}

/** A LocatedError at an SPL node (offset into the parsed text; the caller knows the file). */
export function execError(code: string, message: string, loc: { readonly start: number }): LocatedError {
  return new LocatedError(code, message, { file: '', offset: loc.start });
}
