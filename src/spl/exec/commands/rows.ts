/**
 * Row-selection and multivalue commands: dedup, sort, head/tail, mvexpand, makemv (spl-and-rba.md §2.9).
 */
import type { DedupCommand, HeadTailCommand, MakemvCommand, MvexpandCommand, SortCommand, SortKey } from '../../ast.js';
import { compileSplRegex } from '../pcre.js';
import type { Row, SplScalar } from '../types.js';
import { compareScalars, copyRow, fromValues, textOf, valuesOf } from '../values.js';
import { capRows, capValues, checkOptions, keyText, optionBool, optionInt, optionMap, optionText, unsupported, type Step } from './common.js';

/** Compares rows by sort keys; a null value sorts after every value in either direction. */
function rowComparator(keys: readonly SortKey[]): (a: Row, b: Row) => number {
  return (a, b) => {
    for (const key of keys) {
      const va = valuesOf(a.get(key.field.name))[0];
      const vb = valuesOf(b.get(key.field.name))[0];
      if (va === undefined || vb === undefined) {
        if (va === vb) continue;
        return va === undefined ? 1 : -1;
      }
      const c = compareScalars(va, vb);
      if (c !== 0) return key.descending ? -c : c;
    }
    return 0;
  };
}

/** sort: stable, default limit 10000 (`sort 0` = no limit). */
export function compileSort(cmd: SortCommand): Step {
  const compare = rowComparator(cmd.keys);
  const limit = cmd.limit === null ? 10_000 : cmd.limit;
  return (rows) => {
    const sorted = [...rows].sort(compare);
    return limit === 0 ? sorted : sorted.slice(0, limit);
  };
}

/**
 * dedup: keeps the first N rows (default 1) per combination of the fields, in input order; rows
 * missing a field are dropped unless keepempty=true; `consecutive=true` only removes runs.
 */
export function compileDedup(cmd: DedupCommand): Step {
  const options = optionMap(cmd.options);
  checkOptions(options, ['keepempty', 'consecutive', 'keepevents'], 'dedup');
  if (optionBool(options, 'keepevents', false)) throw unsupported('dedup keepevents=true is not supported', options.get('keepevents')!.loc.start, 'spl.unsupported-option');
  const keepEmpty = optionBool(options, 'keepempty', false);
  const consecutive = optionBool(options, 'consecutive', false);
  const max = cmd.count ?? 1;
  const names = cmd.fields.map((f) => f.name);
  const sort = cmd.sortBy.length > 0 ? rowComparator(cmd.sortBy) : null;
  return (rows) => {
    const seen = new Map<string, number>();
    let previous: string | null = null;
    const out: Row[] = [];
    for (const row of rows) {
      const parts = names.map((n) => keyText(row.get(n)));
      if (parts.some((p) => p === null)) {
        if (keepEmpty) out.push(row);
        continue;
      }
      const key = JSON.stringify(parts);
      if (consecutive) {
        if (key !== previous) out.push(row);
        previous = key;
        continue;
      }
      const n = seen.get(key) ?? 0;
      if (n < max) out.push(row);
      seen.set(key, n + 1);
    }
    return sort === null ? out : out.sort(sort);
  };
}

export function compileHeadTail(cmd: HeadTailCommand): Step {
  const options = optionMap(cmd.options);
  checkOptions(options, ['limit', 'keeplast', 'null'], cmd.name);
  const n = cmd.count ?? optionInt(options, 'limit', 10);
  return (rows) => (cmd.name === 'head' ? rows.slice(0, n) : rows.slice(Math.max(0, rows.length - n)).reverse());
}

/** mvexpand: one row per value (rows without the field pass unchanged); `limit=` values at most. */
export function compileMvexpand(cmd: MvexpandCommand): Step {
  const options = optionMap(cmd.options);
  checkOptions(options, ['limit'], 'mvexpand');
  const limit = optionInt(options, 'limit', 0);
  const name = cmd.field.name;
  return (rows, env) => {
    const out: Row[] = [];
    const maxRows = env.ctx.limits.maxRows;
    for (const row of rows) {
      const values = valuesOf(row.get(name));
      if (values.length <= 1) {
        out.push(row);
        continue;
      }
      const take = limit > 0 ? values.slice(0, limit) : values;
      for (const v of take) {
        if (out.length > maxRows) break;
        const copy = copyRow(row);
        copy.set(name, v);
        out.push(copy);
      }
    }
    return capRows(out, env, cmd.loc.start);
  };
}

/** makemv: splits a text field on `delim=` (default a space) or on the matches of `tokenizer=`. */
export function compileMakemv(cmd: MakemvCommand): Step {
  const options = optionMap(cmd.options);
  checkOptions(options, ['delim', 'tokenizer', 'allowempty'], 'makemv');
  const delim = optionText(options, 'delim') ?? ' ';
  const tokenizerText = optionText(options, 'tokenizer');
  const tokenizer = tokenizerText === null ? null : compileSplRegex(tokenizerText, options.get('tokenizer')!.loc, { flags: 'g' });
  const allowEmpty = optionBool(options, 'allowempty', false);
  const name = cmd.field.name;
  if (delim.length === 0 && tokenizer === null) throw unsupported('makemv needs a non-empty delim', cmd.loc.start, 'spl.bad-argument');
  const split = (text: string): string[] => {
    if (tokenizer === null) return text.split(delim).filter((p) => allowEmpty || p.length > 0);
    const out: string[] = [];
    for (const m of text.matchAll(tokenizer)) {
      const token = m[1] ?? m[0];
      if (allowEmpty || token.length > 0) out.push(token);
      if (out.length > 100_000) break;
    }
    return out;
  };
  return (rows, env) => {
    for (const row of rows) {
      const v = row.get(name);
      if (v === undefined || Array.isArray(v)) continue;
      const text = textOf(v as SplScalar).slice(0, env.ctx.limits.maxRegexInput);
      const parts = capValues(split(text), env, cmd.loc.start);
      const value = fromValues(parts);
      if (value === undefined) row.delete(name);
      else row.set(name, value);
    }
    return rows;
  };
}
