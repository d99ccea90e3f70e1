/**
 * Field-shaping commands: rename, table, fields, fillnull (spl-and-rba.md §2.5, §2.9).
 */
import type { FieldsCommand, FillnullCommand, RenameCommand, TableCommand } from '../../ast.js';
import type { Row, SplValue } from '../types.js';
import { checkOptions, fieldPattern, fillPattern, optionMap, badArgument, type FieldPattern, type Step } from './common.js';

/** Replaces key `from` by `to` keeping the field's position (output order stays readable). */
function renameKey(row: Row, from: string, to: string, value: SplValue): void {
  const entries = [...row.entries()];
  row.clear();
  for (const [k, v] of entries) {
    if (k === to) continue;
    if (k === from) row.set(to, value);
    else row.set(k, v);
  }
}

/**
 * rename: left to right; `a AS b` with `a` missing removes `b` (Splunk's documented behaviour);
 * `X.* AS *` renames every matching field, filling the target's `*`s with the captured parts.
 */
export function compileRename(cmd: RenameCommand): Step {
  const maps = cmd.mappings.map((m) => {
    const to = m.to!.name;
    const from = fieldPattern(m.from.name);
    if (from.wildcard && to.includes('*') && countStars(to) !== countStars(m.from.name)) {
      throw badArgument(`rename '${m.from.name}' AS '${to}': both sides need the same number of '*'`, m.loc.start);
    }
    return { from, to };
  });
  return (rows) => {
    for (const row of rows) for (const m of maps) renameOne(row, m.from, m.to);
    return rows;
  };
}

function countStars(s: string): number {
  return s.split('*').length - 1;
}

function renameOne(row: Row, from: FieldPattern, to: string): void {
  if (!from.wildcard) {
    if (from.text === to) return;
    const value = row.get(from.text);
    if (value === undefined) row.delete(to);
    else renameKey(row, from.text, to, value);
    return;
  }
  const renames = new Map<string, string>();
  for (const name of row.keys()) {
    const parts = from.match(name);
    if (parts !== null) renames.set(name, fillPattern(to, parts));
  }
  if (renames.size === 0) return;
  // One rebuild for all matches: renamed fields keep their place, fields they overwrite go.
  const targets = new Set(renames.values());
  const entries = [...row.entries()];
  row.clear();
  for (const [k, v] of entries) {
    const target = renames.get(k);
    if (target !== undefined) row.set(target, v);
    else if (!targets.has(k)) row.set(k, v);
  }
}

/** table: only the listed fields, in list order (a wildcard brings matching fields in row order). */
export function compileTable(cmd: TableCommand): Step {
  const patterns = cmd.fields.map((f) => fieldPattern(f.name));
  return (rows) =>
    rows.map((row) => {
      const out: Row = new Map();
      for (const p of patterns) {
        if (!p.wildcard) {
          const v = row.get(p.text);
          if (v !== undefined && !out.has(p.text)) out.set(p.text, v);
          continue;
        }
        for (const [k, v] of row) if (!out.has(k) && p.match(k) !== null) out.set(k, v);
      }
      return out;
    });
}

/**
 * fields: `fields - a b` removes; `fields a b` keeps the listed fields plus internal `_` fields
 * (Splunk keeps `_raw`/`_time` unless they are removed explicitly), in list order.
 */
export function compileFields(cmd: FieldsCommand): Step {
  const patterns = cmd.fields.map((f) => fieldPattern(f.name));
  if (cmd.mode === '-') {
    return (rows) => {
      for (const row of rows) for (const k of [...row.keys()]) if (patterns.some((p) => p.match(k) !== null)) row.delete(k);
      return rows;
    };
  }
  return (rows) =>
    rows.map((row) => {
      const out: Row = new Map();
      for (const p of patterns) for (const [k, v] of row) if (!out.has(k) && p.match(k) !== null) out.set(k, v);
      for (const [k, v] of row) if (k.startsWith('_') && !out.has(k)) out.set(k, v);
      return out;
    });
}

/**
 * fillnull: `value=` (default 0) into the listed fields that are null, or, with no list, into every
 * field some row of the result set has.
 */
export function compileFillnull(cmd: FillnullCommand): Step {
  const options = optionMap(cmd.options);
  checkOptions(options, ['value'], 'fillnull');
  const option = options.get('value');
  let value: SplValue = 0;
  if (option !== undefined && option.value.kind !== 'macro') value = option.value.text;
  const listed = cmd.fields.map((f) => f.name);
  return (rows) => {
    let names = listed;
    if (names.length === 0) {
      const all = new Set<string>();
      for (const row of rows) for (const k of row.keys()) all.add(k);
      names = [...all];
    }
    for (const row of rows) for (const name of names) if (!row.has(name)) row.set(name, value);
    return rows;
  };
}
