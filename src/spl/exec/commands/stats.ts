/**
 * stats, eventstats, streamstats and the aggregation half of tstats (spl-and-rba.md §2.2, §2.3).
 * A row joins one group per combination of its BY values (a multivalue BY field fans out); a row
 * with a null BY field joins no group (stats, and tstats without `fillnull_value`) or gets the
 * fill value (tstats with `fillnull_value`).
 */
import type { Aggregation, CommandOption, FieldName, StatsCommand } from '../../ast.js';
import { floorToSpan, parseSpan } from '../../time/span.js';
import { compareGroupKeys, compileAggregations, type AggregationPlan, type GroupAccumulator } from '../stats.js';
import type { Row, SplScalar } from '../types.js';
import { numberOf, setField, textOf, valuesOf } from '../values.js';
import { badArgument, checkOptions, optionBool, optionInt, optionMap, unsupported, warnOnce, type RunEnv, type Step } from './common.js';

type Span = ReturnType<typeof parseSpan>;

interface Grouping {
  readonly by: readonly string[];
  /** Value for a null BY field, or null to drop the row. */
  readonly fill: string | null;
  /** Span applied to a `_time` BY field (tstats `span=`). */
  readonly timeSpan: Span | null;
}

/** Every combination of the row's BY values (empty when the row is dropped); capped at `max`. */
function groupKeys(row: Row, g: Grouping, max: number): SplScalar[][] {
  const single = singleKey(row, g);
  if (single !== null) return single.length === 0 && g.by.length > 0 ? [] : [single];
  let keys: SplScalar[][] = [[]];
  for (const name of g.by) {
    let values: readonly SplScalar[] = valuesOf(row.get(name));
    if (values.length === 0) {
      if (g.fill === null) return [];
      values = [g.fill];
    } else if (name === '_time' && g.timeSpan !== null) {
      values = values.map((v) => {
        const t = numberOf(v);
        return t === null ? v : floorToSpan(t, g.timeSpan!);
      });
    }
    const next: SplScalar[][] = [];
    for (const k of keys) for (const v of values) if (next.length < max) next.push([...k, v]);
    keys = next;
  }
  return keys;
}

/**
 * The common case without fan-out: every BY field single-valued (or filled). Null when some
 * field is multivalue or `_time` needs flooring; [] when the row is dropped.
 */
function singleKey(row: Row, g: Grouping): SplScalar[] | null {
  const key: SplScalar[] = [];
  for (const name of g.by) {
    const v = row.get(name);
    if (v === undefined) {
      if (g.fill === null) return [];
      key.push(g.fill);
    } else if (Array.isArray(v) || (name === '_time' && g.timeSpan !== null)) return null;
    else key.push(v as SplScalar);
  }
  return key;
}

/** Group identity: texts joined by NUL (a text containing NUL or `\\` is escaped so keys cannot collide). */
function keyString(key: readonly SplScalar[]): string {
  if (key.length === 1) return textOf(key[0]!);
  let out = '';
  for (let i = 0; i < key.length; i++) {
    let t = textOf(key[i]!);
    if (t.includes('\u0000') || t.includes('\\')) t = t.replace(/\\/g, '\\\\').replace(/\u0000/g, '\\0');
    out += i === 0 ? t : `\u0000${t}`;
  }
  return out;
}

interface Group {
  readonly key: readonly SplScalar[];
  readonly acc: GroupAccumulator;
}

/** Groups the rows and aggregates; output rows are BY fields then aggregates, sorted by key. */
export function aggregateRows(rows: readonly Row[], plan: AggregationPlan, g: Grouping, env: RunEnv, offset: number): Row[] {
  const groups = new Map<string, Group>();
  const maxGroups = env.ctx.limits.maxRows;
  const maxKeys = env.ctx.limits.maxMultivalue;
  for (const row of rows) {
    for (const key of groupKeys(row, g, maxKeys)) {
      const k = keyString(key);
      let group = groups.get(k);
      if (group === undefined) {
        if (groups.size >= maxGroups) {
          warnOnce(env, `groups:${offset}`, 'spl.rows-capped', `more than ${maxGroups} groups; later groups were dropped`, offset);
          continue;
        }
        group = { key, acc: plan.newGroup() };
        groups.set(k, group);
      }
      group.acc.add(row, env.ctx);
    }
  }
  // Without BY, stats over nothing still gives one row (count=0).
  if (g.by.length === 0 && groups.size === 0) groups.set('', { key: [], acc: plan.newGroup() });
  const sorted = [...groups.values()].sort((a, b) => compareGroupKeys(a.key, b.key));
  return sorted.map((group) => {
    const out: Row = new Map();
    g.by.forEach((name, i) => out.set(name, group.key[i]!));
    for (const [name, value] of group.acc.results(env.ctx.limits.maxMultivalue)) setField(out, name, value);
    return out;
  });
}

function spanOf(option: CommandOption | undefined): Span | null {
  if (option === undefined) return null;
  const text = option.value.kind === 'macro' ? '' : option.value.text;
  try {
    return parseSpan(text);
  } catch (e) {
    throw badArgument(`bad span '${text}': ${e instanceof Error ? e.message : String(e)}`, option.loc.start);
  }
}

/** tstats aggregation step over the head's rows. */
export function compileTstatsAggregation(
  aggregations: readonly Aggregation[],
  by: readonly FieldName[],
  options: ReadonlyMap<string, CommandOption>,
  offset: number,
): Step {
  const plan = compileAggregations(aggregations, { command: 'tstats', allowEval: false });
  const fillOption = options.get('fillnull_value');
  const fill = fillOption === undefined || fillOption.value.kind === 'macro' ? null : fillOption.value.text;
  const grouping: Grouping = { by: by.map((f) => f.name), fill, timeSpan: spanOf(options.get('span')) };
  return (rows, env) => aggregateRows(rows, plan, grouping, env, offset);
}

const STATS_OPTIONS: Record<StatsCommand['name'], readonly string[]> = {
  stats: ['allnum', 'delim', 'partitions', 'dedup_splitvals'],
  eventstats: ['allnum'],
  streamstats: ['current', 'window', 'global', 'allnum'],
};

export function compileStats(cmd: StatsCommand): Step {
  const options = optionMap(cmd.options);
  checkOptions(options, STATS_OPTIONS[cmd.name], cmd.name);
  const plan = compileAggregations(cmd.aggregations, { command: cmd.name, allowEval: true });
  const grouping: Grouping = { by: cmd.by.map((f) => f.name), fill: null, timeSpan: null };
  switch (cmd.name) {
    case 'stats':
      return (rows, env) => aggregateRows(rows, plan, grouping, env, cmd.loc.start);
    case 'eventstats':
      return (rows, env) => eventstats(rows, plan, grouping, env);
    case 'streamstats': {
      const current = optionBool(options, 'current', true);
      const window = optionInt(options, 'window', 0);
      if (window > 10_000) throw unsupported('streamstats window above 10000 is not supported', options.get('window')!.loc.start, 'spl.unsupported-option');
      return (rows, env) => streamstats(rows, plan, grouping, env, current, window);
    }
  }
}

/** eventstats: every row is kept and gets its group's aggregates (rows without a group get none). */
function eventstats(rows: Row[], plan: AggregationPlan, g: Grouping, env: RunEnv): Row[] {
  const groups = new Map<string, GroupAccumulator>();
  const rowGroup: (string | null)[] = [];
  for (const row of rows) {
    const keys = groupKeys(row, g, env.ctx.limits.maxMultivalue);
    // A row whose BY field is multivalue belongs to several groups; it takes the first one's results.
    rowGroup.push(keys.length === 0 ? null : keyString(keys[0]!));
    for (const key of keys) {
      const k = keyString(key);
      let acc = groups.get(k);
      if (acc === undefined) {
        acc = plan.newGroup();
        groups.set(k, acc);
      }
      acc.add(row, env.ctx);
    }
  }
  const results = new Map<string, [string, ReturnType<GroupAccumulator['results']>[number][1]][]>();
  for (const [k, acc] of groups) results.set(k, acc.results(env.ctx.limits.maxMultivalue));
  rows.forEach((row, i) => {
    const k = rowGroup[i];
    if (k === null || k === undefined) return;
    for (const [name, value] of results.get(k)!) setField(row, name, value);
  });
  return rows;
}

/** streamstats: running aggregates per group in row order (`current=f` excludes the row itself). */
function streamstats(rows: Row[], plan: AggregationPlan, g: Grouping, env: RunEnv, current: boolean, window: number): Row[] {
  const running = new Map<string, GroupAccumulator>();
  const recent = new Map<string, Row[]>();
  const max = env.ctx.limits.maxMultivalue;
  for (const row of rows) {
    const keys = groupKeys(row, g, max);
    if (keys.length === 0) continue;
    const k = keyString(keys[0]!);
    const snapshot = new Map(row);
    let results: ReturnType<GroupAccumulator['results']>;
    if (window > 0) {
      const list = recent.get(k) ?? [];
      recent.set(k, list);
      if (current) list.push(snapshot);
      while (list.length > window) list.shift();
      const acc = plan.newGroup();
      for (const r of list) acc.add(r, env.ctx);
      results = acc.results(max);
      if (!current) {
        list.push(snapshot);
        while (list.length > window) list.shift();
      }
    } else {
      let acc = running.get(k);
      if (acc === undefined) {
        acc = plan.newGroup();
        running.set(k, acc);
      }
      if (current) acc.add(snapshot, env.ctx);
      results = acc.results(max);
      if (!current) acc.add(snapshot, env.ctx);
    }
    for (const [name, value] of results) setField(row, name, value);
  }
  return rows;
}
