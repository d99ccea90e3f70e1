/**
 * Pipeline → CompiledSearch (spl-and-rba.md §2). A search runs in two phases:
 *  1. heads: every generating search over events — the first `search`, a `tstats`/`from` over a
 *     data model, the first search of each subsearch — becomes an EventHead the runner offers
 *     every event's row to while the input streams;
 *  2. `run` pushes the heads' kept rows through the rest of the pipeline.
 *
 * A `[subsearch]` inside a search expression is Splunk's `format`: its rows become
 * `(f1=v1 AND f2=v2) OR (...)` (no rows: nothing matches). Its results only exist in phase 2, so a
 * head containing one keeps a superset of rows while streaming (the subsearch counted as true,
 * or false under NOT) and is filtered exactly when the pipeline runs.
 */
import { LocatedError } from '../../core/diagnostics.js';
import { assertNever } from '../../core/xml-tree.js';
import type { Command, FromCommand, Loc, Pipeline, SearchCommand, SearchExpr, SearchValue, TstatsCommand } from '../ast.js';
import { parseSpl } from '../index.js';
import { compileAppend, compileForeach, compileJoin } from './commands/join.js';
import {
  capRows,
  checkOptions,
  optionBool,
  optionMap,
  unexpandedMacro,
  unsupported,
  warnOnce,
  type PipelineServices,
  type RunEnv,
  type Source,
  type Step,
} from './commands/common.js';
import { compileBin, compileConvert, compileEval, compileWhere } from './commands/eval.js';
import { compileFields, compileFillnull, compileRename, compileTable } from './commands/fields.js';
import { compileInputlookup, compileLookup } from './commands/lookup.js';
import { compileRegexCommand, compileRex } from './commands/regex.js';
import { compileDedup, compileHeadTail, compileMakemv, compileMvexpand, compileSort } from './commands/rows.js';
import { compileSpath, compileXmlkv } from './commands/spath.js';
import { compileStats, compileTstatsAggregation } from './commands/stats.js';
import { compileSearchExpr, requiredEventCodes, searchExprFields } from './search-match.js';
import type { CompiledSearch, EventHead, HeadSource, Row, SearchPredicate } from './types.js';
import { textOf, valuesOf } from './values.js';

/** Compiles a macro-expanded pipeline; throws a LocatedError (code spl.unsupported-command, ...) when it cannot run. */
export function compileSearch(pipeline: Pipeline): CompiledSearch {
  const compiler = new PipelineCompiler();
  const main = compiler.compilePipeline(pipeline);
  const heads = compiler.heads;
  return {
    heads,
    datasets: compiler.datasets,
    needsRaw: compiler.needsRaw,
    run(headRows, ctx) {
      if (headRows.length !== heads.length) throw new Error(`compiled search has ${heads.length} heads but was given ${headRows.length} row lists`);
      return main({ headRows, ctx, warned: new Set() });
    },
  };
}

const ALWAYS: SearchPredicate = () => true;
const NEVER: SearchPredicate = () => false;

/** A subsearch inside a search expression: its predicate is set when the pipeline runs. */
interface SubsearchSlot {
  readonly source: Source;
  readonly loc: Loc;
  current: SearchPredicate;
}

/** A search expression whose subsearches (if any) are resolved per run. */
interface RunPredicate {
  /** The predicate; with subsearches it is only valid after `resolve` in the current run. */
  readonly predicate: SearchPredicate;
  /** Call before filtering in a run: runs the subsearches and returns the exact predicate. */
  resolve(env: RunEnv): SearchPredicate;
  readonly hasSubsearch: boolean;
}

class PipelineCompiler implements PipelineServices {
  readonly heads: EventHead[] = [];
  readonly datasets: string[] = [];
  needsRaw = false;

  compileSubsearch(pipeline: Pipeline): Source {
    const run = this.compilePipeline(pipeline);
    const offset = pipeline.loc.start;
    return (env) => {
      const rows = run(env);
      const max = env.ctx.limits.maxSubsearchRows;
      if (rows.length <= max) return rows;
      warnOnce(env, `subsearch:${offset}`, 'spl.subsearch-capped', `a subsearch returned more than ${max} rows; the rest were dropped`, offset);
      return rows.slice(0, max);
    };
  }

  compileSteps(commands: readonly Command[]): Step[] {
    return commands.map((c) => this.compileStep(c, { raw: false }));
  }

  /** The pipeline as a Source: its generating first command, then every other command in order. */
  compilePipeline(pipeline: Pipeline): Source {
    const [first, ...rest] = pipeline.commands;
    if (first === undefined) throw unsupported('empty search', pipeline.loc.start, 'spl.empty-search');
    const state = { raw: false };
    const start = this.compileGenerator(first, state);
    const steps = [...start.steps, ...rest.map((c) => this.compileStep(c, state))];
    const offsets = [...start.steps.map(() => first.loc.start), ...rest.map((c) => c.loc.start)];
    return (env) => {
      let rows = start.source(env);
      steps.forEach((step, i) => {
        rows = capRows(step(rows, env), env, offsets[i]!);
      });
      return rows;
    };
  }

  // ------------------------------------------------------------------ generating commands

  private compileGenerator(command: Command, state: { raw: boolean }): { source: Source; steps: Step[] } {
    switch (command.kind) {
      case 'search': {
        state.raw = true;
        return { source: this.eventsHead(command.expr), steps: [] };
      }
      case 'tstats':
        return this.compileTstats(command, state);
      case 'from':
        return { source: this.datamodelHead(parseFromDataset(command), null), steps: [] };
      case 'inputlookup': {
        const { source } = compileInputlookup(command);
        return { source, steps: [] };
      }
      case 'macro-command':
        throw unexpandedMacro(command.macro);
      case 'generic':
        throw unsupportedCommand(command.name, command.loc.start);
      default:
        // A non-generating first command (`| stats count`): it runs over no rows.
        return { source: () => [], steps: [this.compileStep(command, state)] };
    }
  }

  /** Registers a head and returns the Source giving its rows (copied list; rows are the pipeline's). */
  private addHead(source: HeadSource, expr: SearchExpr | null): Source {
    if (expr === null) {
      const index = this.heads.length;
      this.heads.push({ source, test: ALWAYS, fields: [], eventCodes: null, expr: null });
      return (env) => [...env.headRows[index]!];
    }
    checkNoMacros(expr);
    // Subsearch heads are registered while compiling the expression, so this head's index comes after.
    const exact = this.runPredicate(expr);
    const index = this.heads.length;
    const test = exact.hasSubsearch ? relaxedPredicate(expr, true) : exact.predicate;
    const eventCodes = source.kind === 'events' && !exact.hasSubsearch ? requiredEventCodes(expr) : null;
    this.heads.push({ source, test, fields: searchExprFields(expr), eventCodes, expr: exact.hasSubsearch ? null : expr });
    if (!exact.hasSubsearch) return (env) => [...env.headRows[index]!];
    return (env) => {
      const predicate = exact.resolve(env);
      return env.headRows[index]!.filter((row) => predicate(row, env.ctx));
    };
  }

  private eventsHead(expr: SearchExpr | null): Source {
    if (expr !== null && hasBareTerm(expr)) this.needsRaw = true;
    return this.addHead({ kind: 'events' }, expr);
  }

  private datamodelHead(ref: { model: string; dataset: string }, where: SearchExpr | null): Source {
    const name = `${ref.model}.${ref.dataset}`;
    if (!this.datasets.includes(name)) this.datasets.push(name);
    return this.addHead({ kind: 'datamodel', model: ref.model, dataset: ref.dataset }, where);
  }

  /** `| tstats aggs [from datamodel=X.Y] [where ...] [by ... [span=]]`: a head plus an aggregation. */
  private compileTstats(cmd: TstatsCommand, state: { raw: boolean }): { source: Source; steps: Step[] } {
    const options = optionMap([...cmd.options, ...cmd.byOptions]);
    checkOptions(options, ['summariesonly', 'allow_old_summaries', 'fillnull_value', 'prestats', 'local', 'chunk_size', 'include_reduced_buckets', 'span', 'append'], 'tstats');
    for (const name of ['prestats', 'append']) {
      if (optionBool(options, name, false)) throw unsupported(`tstats ${name}=true is not supported`, options.get(name)!.loc.start, 'spl.unsupported-option');
    }
    state.raw = false;
    const where = cmd.where === null ? null : stripNodename(cmd.where);
    let source: Source;
    if (cmd.from === null) {
      if (where !== null && hasBareTerm(where)) this.needsRaw = true;
      source = this.addHead({ kind: 'events' }, where);
    } else {
      if (cmd.from.path.length === 0) throw unsupported(`tstats over data model '${cmd.from.model}' needs a dataset (datamodel=${cmd.from.model}.<dataset>)`, cmd.from.loc.start);
      source = this.datamodelHead({ model: cmd.from.model, dataset: cmd.from.path.join('.') }, where);
    }
    return { source, steps: [compileTstatsAggregation(cmd.aggregations, cmd.by, options, cmd.loc.start)] };
  }

  // ------------------------------------------------------------------ search expressions

  /** Compiles an expression; subsearches inside get slots filled at run time. */
  private runPredicate(expr: SearchExpr): RunPredicate {
    const slots: SubsearchSlot[] = [];
    const predicate = compileSearchExpr(expr, {
      subsearch: (pipeline, loc) => {
        const slot: SubsearchSlot = { source: this.compileSubsearch(pipeline), loc, current: NEVER };
        slots.push(slot);
        return (row, ctx) => slot.current(row, ctx);
      },
    });
    return {
      predicate,
      hasSubsearch: slots.length > 0,
      resolve(env) {
        for (const slot of slots) slot.current = formatPredicate(slot.source(env), slot.loc);
        return predicate;
      },
    };
  }

  // ------------------------------------------------------------------ other commands

  compileStep(command: Command, state: { raw: boolean }): Step {
    switch (command.kind) {
      case 'search': {
        if (command.expr === null) return (rows) => rows;
        checkNoMacros(command.expr);
        if (state.raw && hasBareTerm(command.expr)) this.needsRaw = true;
        const p = this.runPredicate(command.expr);
        return (rows, env) => {
          const predicate = p.resolve(env);
          return rows.filter((row) => predicate(row, env.ctx));
        };
      }
      case 'stats':
        state.raw = false;
        return compileStats(command);
      case 'eval':
        return compileEval(command);
      case 'where':
        return compileWhere(command);
      case 'rename':
        return compileRename(command);
      case 'table':
        state.raw = false;
        return compileTable(command);
      case 'fields':
        return compileFields(command);
      case 'convert':
        return compileConvert(command);
      case 'lookup':
        return compileLookup(command);
      case 'inputlookup': {
        const { source, append } = compileInputlookup(command);
        if (!append) throw unsupported('inputlookup after the first command needs append=true', command.loc.start);
        return (rows, env) => rows.concat(source(env));
      }
      case 'rex':
        this.noteRawRead(state, rexReadsRaw(command.options));
        return compileRex(command);
      case 'regex':
        this.noteRawRead(state, command.field === null || command.field === '_raw');
        return compileRegexCommand(command);
      case 'bin':
        return compileBin(command);
      case 'dedup':
        return compileDedup(command);
      case 'sort':
        return compileSort(command);
      case 'head-tail':
        return compileHeadTail(command);
      case 'fillnull':
        return compileFillnull(command);
      case 'spath':
        this.noteRawRead(state, !command.options.some((o) => o.name.toLowerCase() === 'input'));
        return compileSpath(command);
      case 'makemv':
        return compileMakemv(command);
      case 'mvexpand':
        return compileMvexpand(command);
      case 'join':
        return compileJoin(command, this);
      case 'append':
        return compileAppend(command, this);
      case 'foreach':
        return compileForeach(command, this);
      case 'tstats':
        throw unsupported('tstats is only supported as the first command', command.loc.start);
      case 'from':
        throw unsupported('from is only supported as the first command', command.loc.start);
      case 'macro-command':
        throw unexpandedMacro(command.macro);
      case 'generic':
        if (command.name.toLowerCase() === 'xmlkv') {
          const { step, field } = compileXmlkv(command.raw, command.loc.start);
          this.noteRawRead(state, field === '_raw');
          return step;
        }
        throw unsupportedCommand(command.name, command.loc.start);
      default:
        return assertNever(command);
    }
  }

  private noteRawRead(state: { raw: boolean }, readsRaw: boolean): void {
    if (state.raw && readsRaw) this.needsRaw = true;
  }
}

function rexReadsRaw(options: readonly { name: string; value: unknown }[]): boolean {
  const field = options.find((o) => o.name.toLowerCase() === 'field');
  if (field === undefined) return true;
  const v = field.value as SearchValue;
  return v.kind !== 'function' && v.text === '_raw';
}

export function unsupportedCommand(name: string, offset: number): LocatedError {
  return new LocatedError('spl.unsupported-command', `command '${name}' is not supported`, { file: '', offset });
}

// ------------------------------------------------------------------ helpers over search expressions

function walk(expr: SearchExpr, visit: (e: SearchExpr) => void): void {
  visit(expr);
  switch (expr.kind) {
    case 'search-not':
      walk(expr.operand, visit);
      break;
    case 'search-and':
    case 'search-or':
      for (const o of expr.operands) walk(o, visit);
      break;
    case 'search-group':
      walk(expr.inner, visit);
      break;
    default:
      break;
  }
}

function checkNoMacros(expr: SearchExpr): void {
  walk(expr, (e) => {
    if (e.kind === 'macro') throw unexpandedMacro(e);
  });
}

function hasBareTerm(expr: SearchExpr): boolean {
  let found = false;
  walk(expr, (e) => {
    if (e.kind === 'search-term' && e.value.kind !== 'function' && e.value.text !== '*') found = true;
  });
  return found;
}

/**
 * The expression with every subsearch taken as true (false under NOT): a superset test for
 * streaming, before the subsearch's results exist.
 */
function relaxedPredicate(expr: SearchExpr, positive: boolean): SearchPredicate {
  switch (expr.kind) {
    case 'search-subsearch':
      return positive ? ALWAYS : NEVER;
    case 'search-not': {
      const inner = relaxedPredicate(expr.operand, !positive);
      return (row, ctx) => !inner(row, ctx);
    }
    case 'search-and': {
      const parts = expr.operands.map((o) => relaxedPredicate(o, positive));
      return (row, ctx) => parts.every((p) => p(row, ctx));
    }
    case 'search-or': {
      const parts = expr.operands.map((o) => relaxedPredicate(o, positive));
      return (row, ctx) => parts.some((p) => p(row, ctx));
    }
    case 'search-group':
      return relaxedPredicate(expr.inner, positive);
    default:
      return compileSearchExpr(expr);
  }
}

/** `tstats ... where nodename=X ...`: the node is the dataset already named in FROM; the term is dropped. */
function stripNodename(expr: SearchExpr): SearchExpr | null {
  const isNodename = (e: SearchExpr): boolean => e.kind === 'search-compare' && e.field.name.toLowerCase() === 'nodename';
  if (isNodename(expr)) return null;
  if (expr.kind === 'search-group') {
    const inner = stripNodename(expr.inner);
    return inner === null ? null : { ...expr, inner };
  }
  if (expr.kind !== 'search-and') return expr;
  const kept: SearchExpr[] = [];
  const explicit: boolean[] = [];
  expr.operands.forEach((o, i) => {
    const s = stripNodename(o);
    if (s === null) return;
    if (kept.length > 0) explicit.push(expr.explicit[i - 1] ?? false);
    kept.push(s);
  });
  if (kept.length === 0) return null;
  if (kept.length === 1) return kept[0]!;
  return { ...expr, operands: kept, explicit };
}

/** `from datamodel:X.Y`, `from datamodel X.Y`, `from datamodel="X.Y"`. */
function parseFromDataset(cmd: FromCommand): { model: string; dataset: string } {
  const m = /^\s*datamodel\s*[:=\s]\s*"?([A-Za-z0-9_]+)\.([A-Za-z0-9_.]+?)"?\s*$/i.exec(cmd.dataset);
  if (m === null) throw unsupported(`from '${cmd.dataset}' is not supported (only from datamodel:<model>.<dataset>)`, cmd.loc.start);
  return { model: m[1]!, dataset: m[2]! };
}

// ------------------------------------------------------------------ subsearch results → search (format)

const CONDITION_CACHE_LIMIT = 100_000;

/**
 * Splunk's `format`: every row is the AND of its fields' `field="value"` (a multivalue field is
 * an OR of its values); rows are ORed; a `search` or `query` field is taken as search text.
 * Internal fields (`_time`, ...) are left out. No rows: nothing matches.
 */
export function formatPredicate(rows: readonly Row[], loc: Loc): SearchPredicate {
  if (rows.length === 0) return NEVER;
  const cache = new Map<string, SearchPredicate>();
  const compare = (field: string, value: string): SearchPredicate => {
    const key = `${field}\u0000${value}`;
    let p = cache.get(key);
    if (p === undefined) {
      const v: SearchValue = value.includes('*') ? { kind: 'wildcard', text: value, quoted: true, loc } : { kind: 'string', text: value, quoted: true, loc };
      p = compileSearchExpr({ kind: 'search-compare', field: { kind: 'field-name', name: field, quoted: false, loc }, op: '=', value: v, loc });
      if (cache.size < CONDITION_CACHE_LIMIT) cache.set(key, p);
    }
    return p;
  };
  const rowTests: SearchPredicate[] = [];
  for (const row of rows) {
    const parts: SearchPredicate[] = [];
    for (const [field, value] of row) {
      if (field.startsWith('_')) continue;
      const values = valuesOf(value).map(textOf);
      if (field === 'search' || field === 'query') {
        parts.push(...values.map((text) => rawSearchPredicate(text, loc)));
        continue;
      }
      const alternatives = values.map((v) => compare(field, v));
      parts.push(alternatives.length === 1 ? alternatives[0]! : (r, c) => alternatives.some((a) => a(r, c)));
    }
    // A row without usable fields adds no condition (Splunk's format gives an empty group).
    if (parts.length > 0) rowTests.push((r, c) => parts.every((p) => p(r, c)));
  }
  if (rowTests.length === 0) return ALWAYS;
  return (row, ctx) => rowTests.some((t) => t(row, ctx));
}

function rawSearchPredicate(text: string, loc: Loc): SearchPredicate {
  let pipeline: Pipeline;
  try {
    pipeline = parseSpl(text);
  } catch {
    throw new LocatedError('spl.bad-subsearch', `a subsearch returned search text that does not parse: ${text.slice(0, 200)}`, { file: '', offset: loc.start });
  }
  const first = pipeline.commands[0] as SearchCommand | undefined;
  if (pipeline.commands.length !== 1 || first?.kind !== 'search' || first.expr === null) return ALWAYS;
  checkNoMacros(first.expr);
  return compileSearchExpr(first.expr);
}
