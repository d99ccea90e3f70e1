/**
 * eval, where, convert and bin/bucket (spl-and-rba.md §2.3, §2.4, §2.6).
 * Times are rendered and parsed in UTC (Vigil fixes the search user's timezone to UTC).
 */
import type { BinCommand, ConvertCommand, EvalCommand, WhereCommand } from '../../ast.js';
import { strftime, strptime } from '../../time/format.js';
import { floorToSpan, parseSpan } from '../../time/span.js';
import { compileEvalExpr } from '../eval.js';
import type { Row, SplScalar, SplValue } from '../types.js';
import { fromValues, isTrue, numberOf, textOf, valuesOf } from '../values.js';
import { badArgument, capValues, checkOptions, fieldPattern, fillPattern, optionMap, optionText, unsupported, warnOnce, type FieldPattern, type Step } from './common.js';

/** eval: assignments left to right (a later one sees earlier ones); a null result removes the field. */
export function compileEval(cmd: EvalCommand): Step {
  const assignments = cmd.assignments.map((a) => ({ name: a.field.name, fn: compileEvalExpr(a.expr), offset: a.loc.start }));
  return (rows, env) => {
    for (const row of rows) {
      for (const a of assignments) {
        const r = a.fn(row, env.ctx);
        if (r === null) row.delete(a.name);
        else if (typeof r === 'boolean') {
          // Splunk refuses to store a Boolean; the field becomes null and the search says so once.
          warnOnce(env, `eval-bool:${a.offset}`, 'spl.eval-boolean', `eval of '${a.name}' gave a Boolean; the field is left null`, a.offset);
          row.delete(a.name);
        } else if (Array.isArray(r)) {
          const capped = capValues([...(r as readonly SplScalar[])], env, a.offset);
          const v = fromValues(capped);
          if (v === undefined) row.delete(a.name);
          else row.set(a.name, v);
        } else row.set(a.name, r as SplScalar);
      }
    }
    return rows;
  };
}

/** where: keeps rows whose expression is TRUE (FALSE and NULL drop the row). */
export function compileWhere(cmd: WhereCommand): Step {
  const fn = compileEvalExpr(cmd.expr);
  return (rows, env) => rows.filter((row) => isTrue(fn(row, env.ctx)));
}

// ------------------------------------------------------------------ convert

export const DEFAULT_TIMEFORMAT = '%m/%d/%Y %H:%M:%S';

type Converter = (v: SplScalar) => SplScalar | null | undefined;
/** null = drop the value, undefined = leave it unchanged. */

const UNIT_NUMBER = /^\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)/;
const MEMORY = /^\s*(\d+(?:\.\d+)?)\s*([kKmMgG]?)[bB]?\s*$/;
const DURATION = /^\s*(?:(\d+)\+)?(\d+):(\d{1,2}):(\d{1,2}(?:\.\d+)?)\s*$/;

function rmunit(v: SplScalar): number | null {
  const m = UNIT_NUMBER.exec(textOf(v));
  return m === null ? null : Number(m[1]);
}

function rmcomma(v: SplScalar): number | null {
  return numberOf(textOf(v).replace(/,/g, ''));
}

function memk(v: SplScalar): number | null {
  const m = MEMORY.exec(textOf(v));
  if (m === null) return null;
  const factor = { '': 1, k: 1, m: 1024, g: 1024 * 1024 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Number(m[1]) * factor;
}

function dur2sec(v: SplScalar): number | null {
  const m = DURATION.exec(textOf(v));
  if (m === null) return numberOf(v);
  return Number(m[1] ?? 0) * 86400 + Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4]);
}

function converterFor(fn: string, timeformat: string, offset: number): Converter | 'none' {
  switch (fn.toLowerCase()) {
    case 'ctime':
      return (v) => {
        const n = numberOf(v);
        return n === null ? undefined : strftime(n, timeformat);
      };
    case 'mktime':
      return (v) => {
        if (numberOf(v) !== null) return undefined;
        return strptime(textOf(v), timeformat) ?? undefined;
      };
    case 'dur2sec':
      return (v) => dur2sec(v) ?? undefined;
    case 'auto':
      return (v) => numberOf(v) ?? rmcomma(v) ?? memk(v) ?? undefined;
    case 'num':
      return (v) => numberOf(v) ?? rmcomma(v) ?? memk(v) ?? null;
    case 'rmunit':
      return (v) => rmunit(v) ?? undefined;
    case 'rmcomma':
      return (v) => rmcomma(v) ?? undefined;
    case 'memk':
      return (v) => memk(v) ?? undefined;
    case 'none':
      return 'none';
    default:
      throw unsupported(`convert function '${fn}' is not supported`, offset, 'spl.unsupported-function');
  }
}

interface Conversion {
  readonly pattern: FieldPattern;
  readonly alias: string | null;
  readonly convert: Converter;
}

/**
 * convert: `ctime(f)` renders an epoch with `timeformat` (default `%m/%d/%Y %H:%M:%S`, UTC),
 * in place or into the `AS` field; values a function cannot convert are left as they are.
 */
export function compileConvert(cmd: ConvertCommand): Step {
  const options = optionMap(cmd.options);
  checkOptions(options, ['timeformat'], 'convert');
  const timeformat = optionText(options, 'timeformat') ?? DEFAULT_TIMEFORMAT;
  const excluded: FieldPattern[] = [];
  const conversions: Conversion[] = [];
  for (const c of cmd.conversions) {
    const converter = converterFor(c.fn, timeformat, c.loc.start);
    if (converter === 'none') excluded.push(fieldPattern(c.field.name));
    else conversions.push({ pattern: fieldPattern(c.field.name), alias: c.alias?.name ?? null, convert: converter });
  }
  return (rows) => {
    for (const row of rows) for (const c of conversions) applyConversion(row, c, excluded);
    return rows;
  };
}

function applyConversion(row: Row, c: Conversion, excluded: readonly FieldPattern[]): void {
  const targets: [string, string][] = [];
  for (const name of row.keys()) {
    const parts = c.pattern.match(name);
    if (parts === null || excluded.some((p) => p.match(name) !== null)) continue;
    targets.push([name, c.alias === null ? name : c.pattern.wildcard ? fillPattern(c.alias, parts) : c.alias]);
  }
  for (const [name, target] of targets) {
    const out: SplScalar[] = [];
    for (const v of valuesOf(row.get(name))) {
      const r = c.convert(v);
      if (r === undefined) out.push(v);
      else if (r !== null) out.push(r);
    }
    const value: SplValue | undefined = fromValues(out);
    if (value === undefined) row.delete(target);
    else row.set(target, value);
  }
}

// ------------------------------------------------------------------ bin

/**
 * bin/bucket: `span=` with a time unit floors epoch values to the span (UTC, epoch-aligned);
 * a plain number span turns numbers into `lo-hi` ranges as Splunk prints them.
 */
export function compileBin(cmd: BinCommand): Step {
  const options = optionMap(cmd.options);
  checkOptions(options, ['span', 'aligntime'], cmd.name);
  const spanOption = options.get('span');
  if (spanOption === undefined) throw unsupported(`${cmd.name} without span= is not supported`, cmd.loc.start, 'spl.unsupported-option');
  if (options.has('aligntime')) throw unsupported(`${cmd.name} aligntime= is not supported`, options.get('aligntime')!.loc.start, 'spl.unsupported-option');
  const text = optionText(options, 'span')!;
  const source = cmd.field.name;
  const target = cmd.alias?.name ?? source;
  const plain = numberOf(text);
  let floor: (n: number) => SplScalar;
  if (plain !== null) {
    if (!(plain > 0)) throw badArgument(`span must be positive, not '${text}'`, spanOption.loc.start);
    floor = (n) => {
      const lo = Math.floor(n / plain) * plain;
      return `${textOf(lo)}-${textOf(lo + plain)}`;
    };
  } else {
    let span: ReturnType<typeof parseSpan>;
    try {
      span = parseSpan(text);
    } catch (e) {
      throw badArgument(`bad span '${text}': ${e instanceof Error ? e.message : String(e)}`, spanOption.loc.start);
    }
    floor = (n) => floorToSpan(n, span);
  }
  return (rows) => {
    for (const row of rows) {
      const values = valuesOf(row.get(source));
      if (values.length === 0) continue;
      const out = values.map((v) => {
        const n = numberOf(v);
        return n === null ? v : floor(n);
      });
      row.set(target, fromValues(out)!);
    }
    return rows;
  };
}
