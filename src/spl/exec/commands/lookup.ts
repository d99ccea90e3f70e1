/**
 * lookup and inputlookup (spl-and-rba.md §2.7) over the security_content lookups the context
 * provides (`ctx.lookup(name)`, table = CSV header + rows).
 *
 * Choices: an unknown lookup (or one without a table, e.g. kvstore) warns once per run and lets
 * rows pass unchanged; an event without an input field is left unchanged; with OUTPUT, an event
 * that matches nothing loses the output fields (unless `default_match` applies); OUTPUTNEW only
 * fills fields the event does not have. Matches are collected in file order up to `max_matches`
 * (default 100); several matches give multivalue outputs. A multivalue input is looked up value by value.
 */
import type { InputlookupCommand, LookupCommand, SearchExpr } from '../../ast.js';
import type { Lookup } from '../../../content/model.js';
import { compileSearchExpr } from '../search-match.js';
import { wildcardMatcher } from '../wildcard.js';
import type { Row, SplScalar } from '../types.js';
import { fromValues, textOf, valuesOf } from '../values.js';
import { checkOptions, optionMap, optionBool, type RunEnv, type Source, type Step, warnOnce } from './common.js';

const DEFAULT_MAX_MATCHES = 100;
const MAX_INPUT_COMBINATIONS = 1_000;

type CellMatcher = (cell: string, value: string) => boolean;

/** `WILDCARD(col)` / `CIDR(col)` entries of a lookup definition, by column. */
function matchTypes(lookup: Lookup): Map<string, 'wildcard' | 'cidr'> {
  const out = new Map<string, 'wildcard' | 'cidr'>();
  for (const m of lookup.matchType.join(',').matchAll(/(WILDCARD|CIDR)\s*\(\s*([^)]+?)\s*\)/gi)) {
    out.set(m[2]!, m[1]!.toUpperCase() === 'CIDR' ? 'cidr' : 'wildcard');
  }
  return out;
}

function ipv4(text: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text.trim());
  if (m === null) return null;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return null;
  return ((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]!;
}

/** IPv4 CIDR test; other text compares exactly. */
function cidrMatch(cell: string, value: string): boolean {
  const [net, bitsText] = cell.trim().split('/');
  const ip = ipv4(value);
  const base = ipv4(net ?? '');
  if (ip === null || base === null) return cell.trim() === value.trim();
  const bits = bitsText === undefined ? 32 : Number(bitsText);
  if (!Number.isInteger(bits) || bits < 0 || bits > 32) return false;
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return ((ip & mask) >>> 0) === ((base & mask) >>> 0);
}

interface PreparedLookup {
  readonly columns: readonly string[];
  readonly rows: readonly (readonly string[])[];
  readonly caseSensitive: boolean;
  readonly matchers: Map<string, CellMatcher | null>;
  /** Exact-match index per input-column signature. */
  readonly indexes: Map<string, Map<string, number[]>>;
}

const PREPARED = new WeakMap<Lookup, PreparedLookup>();

function prepare(lookup: Lookup): PreparedLookup | null {
  if (lookup.table === null) return null;
  const cached = PREPARED.get(lookup);
  if (cached !== undefined) return cached;
  const caseSensitive = lookup.caseSensitiveMatch ?? true;
  const types = matchTypes(lookup);
  const matchers = new Map<string, CellMatcher | null>();
  for (const column of lookup.table.fields) {
    const type = types.get(column);
    if (type === 'cidr') matchers.set(column, cidrMatch);
    else if (type === 'wildcard') {
      const compiled = new Map<string, (t: string) => boolean>();
      matchers.set(column, (cell, value) => {
        let m = compiled.get(cell);
        if (m === undefined) {
          m = wildcardMatcher(cell, caseSensitive);
          compiled.set(cell, m);
        }
        return m(value);
      });
    } else matchers.set(column, null);
  }
  const prepared: PreparedLookup = { columns: lookup.table.fields, rows: lookup.table.rows, caseSensitive, matchers, indexes: new Map() };
  PREPARED.set(lookup, prepared);
  return prepared;
}

function norm(p: PreparedLookup, text: string): string {
  return p.caseSensitive ? text : text.toLowerCase();
}

/** Rows of the table matching one combination of input values, in file order. */
function matchingRows(p: PreparedLookup, columns: readonly number[], values: readonly string[]): number[] {
  const exact = columns.every((c) => p.matchers.get(p.columns[c]!) === null);
  if (exact) {
    const signature = columns.join(',');
    let index = p.indexes.get(signature);
    if (index === undefined) {
      index = new Map();
      p.rows.forEach((row, i) => {
        const key = JSON.stringify(columns.map((c) => norm(p, row[c] ?? '')));
        const list = index!.get(key);
        if (list === undefined) index!.set(key, [i]);
        else list.push(i);
      });
      p.indexes.set(signature, index);
    }
    return index.get(JSON.stringify(values.map((v) => norm(p, v)))) ?? [];
  }
  const out: number[] = [];
  p.rows.forEach((row, i) => {
    const ok = columns.every((c, k) => {
      const cell = row[c] ?? '';
      const matcher = p.matchers.get(p.columns[c]!);
      return matcher === null || matcher === undefined ? norm(p, cell) === norm(p, values[k]!) : matcher(cell, values[k]!);
    });
    if (ok) out.push(i);
  });
  return out;
}

function combinations(lists: readonly (readonly string[])[]): string[][] {
  let out: string[][] = [[]];
  for (const list of lists) {
    const next: string[][] = [];
    for (const prefix of out) for (const v of list) if (next.length < MAX_INPUT_COMBINATIONS) next.push([...prefix, v]);
    out = next;
  }
  return out;
}

export function compileLookup(cmd: LookupCommand): Step {
  const options = optionMap(cmd.options);
  checkOptions(options, ['local', 'update', 'event_time_field'], 'lookup');
  const inputs = cmd.inputs.map((m) => ({ column: m.from.name, field: m.to?.name ?? m.from.name }));
  const explicitOutputs = cmd.output?.fields.map((m) => ({ column: m.from.name, field: m.to?.name ?? m.from.name })) ?? null;
  const outputNew = cmd.output?.mode === 'OUTPUTNEW';
  const offset = cmd.loc.start;
  return (rows, env) => {
    const lookup = env.ctx.lookup(cmd.table);
    const p = lookup === undefined ? null : prepare(lookup);
    if (lookup === undefined || p === null) {
      const why = lookup === undefined ? 'is not defined' : 'has no table';
      warnOnce(env, `lookup:${offset}`, 'spl.unknown-lookup', `lookup '${cmd.table}' ${why}; rows pass unchanged`, offset);
      return rows;
    }
    const inputColumns = inputs.map((i) => p.columns.indexOf(i.column));
    const missing = inputs.filter((_, k) => inputColumns[k]! < 0).map((i) => i.column);
    if (missing.length > 0) {
      warnOnce(env, `lookup-col:${offset}`, 'spl.lookup-field', `lookup '${cmd.table}' has no column ${missing.join(', ')}; rows pass unchanged`, offset);
      return rows;
    }
    const outputs = (explicitOutputs ?? p.columns.filter((c) => !inputs.some((i) => i.column === c)).map((c) => ({ column: c, field: c })))
      .map((o) => ({ ...o, index: p.columns.indexOf(o.column) }))
      .filter((o) => {
        if (o.index >= 0) return true;
        warnOnce(env, `lookup-out:${offset}:${o.column}`, 'spl.lookup-field', `lookup '${cmd.table}' has no column ${o.column}`, offset);
        return false;
      });
    const maxMatches = Math.max(1, lookup.maxMatches ?? DEFAULT_MAX_MATCHES);
    const fallback = (lookup.minMatches ?? 0) > 0 ? lookup.defaultMatch : null;
    for (const row of rows) applyLookup(row, p, inputs, inputColumns, outputs, outputNew, maxMatches, fallback, env);
    return rows;
  };
}

function applyLookup(
  row: Row,
  p: PreparedLookup,
  inputs: readonly { field: string }[],
  inputColumns: readonly number[],
  outputs: readonly { field: string; index: number }[],
  outputNew: boolean,
  maxMatches: number,
  fallback: string | null,
  env: RunEnv,
): void {
  const valueLists = inputs.map((i) => valuesOf(row.get(i.field)).map(textOf));
  if (valueLists.some((l) => l.length === 0)) return;
  const matched: number[] = [];
  const seen = new Set<number>();
  for (const combo of combinations(valueLists)) {
    for (const i of matchingRows(p, inputColumns, combo)) {
      if (matched.length >= maxMatches) break;
      if (!seen.has(i)) {
        seen.add(i);
        matched.push(i);
      }
    }
  }
  for (const o of outputs) {
    if (outputNew && row.has(o.field)) continue;
    let values: SplScalar[] = matched.map((i) => p.rows[i]![o.index] ?? '').filter((v) => v.length > 0);
    if (matched.length === 0 && fallback !== null) values = [fallback];
    const value = fromValues(values.slice(0, env.ctx.limits.maxMultivalue));
    if (value === undefined) {
      if (!outputNew) row.delete(o.field);
    } else row.set(o.field, value);
  }
}

/** inputlookup: the table's rows (empty cells are null), filtered by its WHERE (search semantics). */
export function compileInputlookup(cmd: InputlookupCommand): { source: Source; append: boolean } {
  const options = optionMap(cmd.options);
  checkOptions(options, ['append', 'max', 'start'], 'inputlookup');
  const append = optionBool(options, 'append', false);
  const where: SearchExpr | null = cmd.where;
  const test = where === null ? null : compileSearchExpr(where);
  const offset = cmd.loc.start;
  const source: Source = (env) => {
    const lookup = env.ctx.lookup(cmd.table);
    if (lookup === undefined || lookup.table === null) {
      warnOnce(env, `lookup:${offset}`, 'spl.unknown-lookup', `lookup '${cmd.table}' ${lookup === undefined ? 'is not defined' : 'has no table'}; no rows`, offset);
      return [];
    }
    const table = lookup.table;
    const out: Row[] = [];
    for (const cells of table.rows) {
      if (out.length >= env.ctx.limits.maxRows) break;
      const row: Row = new Map();
      table.fields.forEach((f, i) => {
        const cell = cells[i];
        if (cell !== undefined && cell.length > 0) row.set(f, cell);
      });
      if (test === null || test(row, env.ctx)) out.push(row);
    }
    return out;
  };
  return { source, append };
}

