/**
 * Aggregation functions of stats / eventstats / streamstats / tstats (spl-and-rba.md §1.2, §2.3).
 * `compileAggregations` turns the aggregation list into a plan; each group gets fresh accumulators
 * from `newGroup()`, is fed rows with `add`, and yields its output fields with `results`.
 *
 * Choices where Splunk's behaviour is not pinned down: values() sorts by text (code-unit order),
 * min/max on mixed numbers and text follow sort's order (numbers first),
 * list() keeps arrival order, first()/last() mean first/last row in arrival order, median is the
 * upper middle value for an even count, perc/exactperc interpolate linearly between ranks.
 */
import { LocatedError } from '../../core/diagnostics.js';
import type { Aggregation } from '../ast.js';
import { printEvalExpr } from '../printer.js';
import { compileEvalExpr } from './eval.js';
import type { EvalFunction, ExecContext, Row, SplScalar, SplValue } from './types.js';
import { compareScalars, numberOf, textOf, valuesOf } from './values.js';

export interface GroupAccumulator {
  add(row: Row, ctx: ExecContext): void;
  /** Output fields in aggregation order; undefined = null (the field is left out). */
  results(maxMultivalue: number): [string, SplValue | undefined][];
}

export interface AggregationPlan {
  /** Output field names in order. */
  readonly outputs: readonly string[];
  newGroup(): GroupAccumulator;
}

export interface AggregationOptions {
  /** The command, for messages (`tstats` forbids eval arguments). */
  readonly command: string;
  readonly allowEval: boolean;
}

/** One function's running state over one group. */
interface Accumulator {
  addValues(values: readonly SplScalar[], whole: SplValue | undefined, time: number | null): void;
  /** count without argument also counts rows that have no value. */
  addRow?(): void;
  result(maxMultivalue: number): SplValue | undefined;
}

type AccumulatorFactory = () => Accumulator;

type ValueReader = (row: Row, ctx: ExecContext) => SplValue | undefined;

/** Compiles `count min(_time) as firstTime values(x) ...`; throws for unknown functions. */
export function compileAggregations(aggs: readonly Aggregation[], options: AggregationOptions): AggregationPlan {
  const parts = aggs.map((agg) => compileOne(agg, options));
  return {
    outputs: parts.map((p) => p.output),
    newGroup: () => {
      const accs = parts.map((p) => p.factory());
      return {
        add(row, ctx) {
          const time = rowTime(row);
          parts.forEach((p, i) => {
            const acc = accs[i]!;
            if (p.reader === null) {
              acc.addRow?.();
              return;
            }
            const whole = p.reader(row, ctx);
            acc.addValues(valuesOf(whole), whole, time);
          });
        },
        results(maxMultivalue) {
          return parts.map((p, i) => [p.output, accs[i]!.result(maxMultivalue)]);
        },
      };
    },
  };
}

/** Default output name as Splunk prints it: `count`, `dc(user)`, `count(eval(...))`. */
export function aggregationName(agg: Aggregation): string {
  if (agg.alias !== null) return agg.alias.name;
  if (agg.arg === null) return agg.fn;
  if (agg.arg.kind === 'field-name') return `${agg.fn}(${agg.arg.name})`;
  return `${agg.fn}(eval(${printEvalExpr(agg.arg.expr)}))`;
}

function compileOne(agg: Aggregation, options: AggregationOptions): { output: string; reader: ValueReader | null; factory: AccumulatorFactory } {
  const fn = agg.fn.toLowerCase();
  let reader: ValueReader | null = null;
  if (agg.arg !== null) {
    if (agg.arg.kind === 'agg-eval') {
      if (!options.allowEval) throw new LocatedError('spl.unsupported-function', `${options.command} does not accept eval expressions in aggregations`, { file: '', offset: agg.arg.loc.start });
      reader = evalReader(compileEvalExpr(agg.arg.expr));
    } else {
      const name = agg.arg.name;
      reader = (row) => row.get(name);
    }
  }
  const factory = factoryFor(fn, agg, reader !== null);
  return { output: aggregationName(agg), reader, factory };
}

/** Eval results as values: true counts as 1, false and null as no value. */
function evalReader(f: EvalFunction): ValueReader {
  return (row, ctx) => {
    const r = f(row, ctx);
    if (r === null || r === false) return undefined;
    if (r === true) return 1;
    return r;
  };
}

const PERCENTILE = /^(perc|p|exactperc|upperperc)(\d+(?:\.\d+)?)$/;

function factoryFor(fn: string, agg: Aggregation, hasArg: boolean): AccumulatorFactory {
  const needArg = (): void => {
    if (!hasArg) throw new LocatedError('spl.bad-argument', `${agg.fn} needs a field`, { file: '', offset: agg.loc.start });
  };
  switch (fn) {
    case 'count':
    case 'c':
      return hasArg ? countValues : countRows;
    case 'dc':
    case 'distinct_count':
    case 'estdc':
      needArg();
      return distinctCount;
    case 'values':
      needArg();
      return valuesAcc;
    case 'list':
      needArg();
      return listAcc;
    case 'min':
      needArg();
      return () => extreme(-1);
    case 'max':
      needArg();
      return () => extreme(1);
    case 'range':
      needArg();
      return () => numeric((xs) => (xs.length === 0 ? undefined : Math.max(...xs) - Math.min(...xs)));
    case 'earliest':
      needArg();
      return () => byTime('earliest', false);
    case 'latest':
      needArg();
      return () => byTime('latest', false);
    case 'earliest_time':
      needArg();
      return () => byTime('earliest', true);
    case 'latest_time':
      needArg();
      return () => byTime('latest', true);
    case 'first':
      needArg();
      return () => arrival(true);
    case 'last':
      needArg();
      return () => arrival(false);
    case 'sum':
      needArg();
      return () => numeric((xs) => (xs.length === 0 ? undefined : sum(xs)));
    case 'sumsq':
      needArg();
      return () => numeric((xs) => (xs.length === 0 ? undefined : sum(xs.map((x) => x * x))));
    case 'avg':
    case 'mean':
      needArg();
      return () => numeric((xs) => (xs.length === 0 ? undefined : sum(xs) / xs.length));
    case 'stdev':
      needArg();
      return () => numeric((xs) => variance(xs, true, true));
    case 'stdevp':
      needArg();
      return () => numeric((xs) => variance(xs, false, true));
    case 'var':
      needArg();
      return () => numeric((xs) => variance(xs, true, false));
    case 'varp':
      needArg();
      return () => numeric((xs) => variance(xs, false, false));
    case 'median':
      needArg();
      return () => numeric((xs) => (xs.length === 0 ? undefined : [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]));
    case 'mode':
      needArg();
      return modeAcc;
    default: {
      const m = PERCENTILE.exec(fn);
      if (m !== null) {
        needArg();
        const p = Number(m[2]);
        if (p > 100) throw new LocatedError('spl.bad-argument', `percentile ${p} is above 100`, { file: '', offset: agg.loc.start });
        return () => numeric((xs) => percentile(xs, p));
      }
      throw new LocatedError('spl.unsupported-function', `aggregation function '${agg.fn}' is not supported`, { file: '', offset: agg.loc.start });
    }
  }
}

function rowTime(row: Row): number | null {
  const t = valuesOf(row.get('_time'))[0];
  return t === undefined ? null : numberOf(t);
}

function sum(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s;
}

function variance(xs: readonly number[], sample: boolean, root: boolean): number | undefined {
  const n = xs.length;
  if (n === 0 || (sample && n < 2)) return undefined;
  const mean = sum(xs) / n;
  let acc = 0;
  for (const x of xs) acc += (x - mean) * (x - mean);
  const v = acc / (sample ? n - 1 : n);
  return root ? Math.sqrt(v) : v;
}

function percentile(xs: readonly number[], p: number): number | undefined {
  if (xs.length === 0) return undefined;
  const sorted = [...xs].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (rank - lo);
}

const countRows: AccumulatorFactory = () => {
  let n = 0;
  return { addValues: () => undefined, addRow: () => void n++, result: () => n };
};

const countValues: AccumulatorFactory = () => {
  let n = 0;
  return { addValues: (values) => void (n += values.length), result: () => n };
};

const distinctCount: AccumulatorFactory = () => {
  const seen = new Set<string>();
  return {
    addValues: (values) => values.forEach((v) => seen.add(textOf(v))),
    result: () => seen.size,
  };
};

/** values(): distinct, sorted by text. */
const valuesAcc: AccumulatorFactory = () => {
  const seen = new Map<string, SplScalar>();
  return {
    addValues: (values) => values.forEach((v) => seen.has(textOf(v)) || seen.set(textOf(v), v)),
    result: (max) => {
      if (seen.size === 0) return undefined;
      const keys = [...seen.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).slice(0, max);
      const out = keys.map((k) => seen.get(k)!);
      return out.length === 1 ? out[0]! : out;
    },
  };
};

const listAcc: AccumulatorFactory = () => {
  const all: SplScalar[] = [];
  return {
    addValues: (values) => {
      for (const v of values) all.push(v);
    },
    result: (max) => (all.length === 0 ? undefined : all.length === 1 ? all[0]! : all.slice(0, max)),
  };
};

/**
 * min/max follow the ordering sort uses (values.ts compareScalars: numbers numerically, before
 * any text): min is the smallest number if there is one, else the smallest text; max is the
 * largest text if there is one, else the largest number.
 */
function extreme(sign: 1 | -1): Accumulator {
  let bestNumber: number | null = null;
  let bestText: string | null = null;
  return {
    addValues(values) {
      for (const v of values) {
        const n = numberOf(v);
        if (n !== null) {
          if (bestNumber === null || (n - bestNumber) * sign > 0) bestNumber = n;
          continue;
        }
        const t = textOf(v);
        if (bestText === null || (t > bestText ? 1 : t < bestText ? -1 : 0) * sign > 0) bestText = t;
      }
    },
    result() {
      const preferText = sign === 1;
      if (preferText) return bestText ?? bestNumber ?? undefined;
      return bestNumber ?? bestText ?? undefined;
    },
  };
}

function numeric(finish: (xs: number[]) => number | undefined): Accumulator {
  const xs: number[] = [];
  return {
    addValues(values) {
      for (const v of values) {
        const n = numberOf(v);
        if (n !== null) xs.push(n);
      }
    },
    result: () => {
      const r = finish(xs);
      return r === undefined || !Number.isFinite(r) ? undefined : r;
    },
  };
}

/** earliest/latest(f): f's value on the row with the smallest/largest `_time`; *_time gives that time. */
function byTime(which: 'earliest' | 'latest', giveTime: boolean): Accumulator {
  let bestTime: number | null = null;
  let bestValue: SplValue | undefined;
  return {
    addValues(values, whole, time) {
      if (values.length === 0 || time === null) return;
      const better = bestTime === null || (which === 'earliest' ? time < bestTime : time >= bestTime);
      if (better) {
        bestTime = time;
        bestValue = whole;
      }
    },
    result: () => (giveTime ? (bestTime ?? undefined) : bestValue),
  };
}

function arrival(first: boolean): Accumulator {
  let value: SplValue | undefined;
  return {
    addValues(values, whole) {
      if (values.length === 0) return;
      if (first && value !== undefined) return;
      value = whole;
    },
    result: () => value,
  };
}

const modeAcc: AccumulatorFactory = () => {
  const counts = new Map<string, { value: SplScalar; n: number }>();
  return {
    addValues(values) {
      for (const v of values) {
        const k = textOf(v);
        const c = counts.get(k);
        if (c === undefined) counts.set(k, { value: v, n: 1 });
        else c.n++;
      }
    },
    result() {
      let best: { value: SplScalar; n: number } | undefined;
      for (const c of counts.values()) if (best === undefined || c.n > best.n) best = c;
      return best?.value;
    },
  };
};

/** Orders group keys as stats prints them: by each BY field in turn (numbers numerically). */
export function compareGroupKeys(a: readonly SplScalar[], b: readonly SplScalar[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const c = compareScalars(a[i]!, b[i]!);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}
