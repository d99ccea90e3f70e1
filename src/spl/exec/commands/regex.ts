/**
 * rex and regex (spl-and-rba.md §2.8): PCRE text goes through compileSplRegex (PCRE → safe JS).
 * Input longer than `limits.maxRegexInput` is cut before matching.
 */
import type { RegexCommand, RexCommand } from '../../ast.js';
import { compileSplRegex } from '../pcre.js';
import type { Row, SplScalar } from '../types.js';
import { fromValues, textOf, valuesOf } from '../values.js';
import { badArgument, capValues, checkOptions, optionInt, optionMap, optionText, unsupported, type RunEnv, type Step } from './common.js';

/** Texts of a field's values, each cut at the regex input limit. */
function inputTexts(row: Row, field: string, env: RunEnv): string[] {
  return valuesOf(row.get(field)).map((v) => textOf(v).slice(0, env.ctx.limits.maxRegexInput));
}

/**
 * rex: named groups become fields; max_match (default 1, 0 = no limit) > 1 gives multivalue fields;
 * when nothing matches, existing fields are left alone. `mode=sed` edits the field in place.
 */
export function compileRex(cmd: RexCommand): Step {
  const options = optionMap(cmd.options);
  checkOptions(options, ['field', 'max_match', 'mode', 'offset_field'], 'rex');
  if (options.has('offset_field')) throw unsupported('rex offset_field= is not supported', options.get('offset_field')!.loc.start, 'spl.unsupported-option');
  const field = optionText(options, 'field') ?? '_raw';
  const mode = optionText(options, 'mode');
  if (mode !== null) {
    if (mode.toLowerCase() !== 'sed') throw badArgument(`rex mode must be sed, not '${mode}'`, options.get('mode')!.loc.start);
    return compileSed(cmd.regex, field, cmd.loc.start);
  }
  const re = compileSplRegex(cmd.regex, cmd.loc, { flags: 'g' });
  const maxMatch = optionInt(options, 'max_match', 1);
  return (rows, env) => {
    const limit = maxMatch === 0 ? env.ctx.limits.maxMultivalue : Math.min(maxMatch, env.ctx.limits.maxMultivalue);
    for (const row of rows) extractInto(row, re, inputTexts(row, field, env), limit, env, cmd.loc.start);
    return rows;
  };
}

function extractInto(row: Row, re: RegExp, texts: readonly string[], limit: number, env: RunEnv, offset: number): void {
  const found = new Map<string, SplScalar[]>();
  let matches = 0;
  for (const text of texts) {
    re.lastIndex = 0;
    while (matches < limit) {
      const m = re.exec(text);
      if (m === null) break;
      matches++;
      for (const [name, value] of Object.entries(m.groups ?? {})) {
        if (value === undefined) continue;
        const list = found.get(name) ?? [];
        list.push(value);
        found.set(name, list);
      }
      if (m[0].length === 0) re.lastIndex++;
    }
    if (matches >= limit) break;
  }
  for (const [name, values] of found) row.set(name, fromValues(capValues(values, env, offset))!);
}

/** Splits `s/a/b/g` on its delimiter (a backslash-escaped delimiter stays in the part). */
function splitSed(text: string, offset: number): { op: 's' | 'y'; parts: string[] } {
  const op = text[0];
  const delim = text[1];
  if ((op !== 's' && op !== 'y') || delim === undefined || /[\w\s\\]/.test(delim)) {
    throw badArgument(`rex mode=sed needs s/regex/replacement/flags or y/abc/xyz/, not '${text}'`, offset);
  }
  const parts: string[] = [];
  let current = '';
  for (let i = 2; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '\\' && text[i + 1] === delim) {
      current += delim;
      i++;
    } else if (ch === delim) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  if (parts.length !== 3) throw badArgument(`malformed sed expression '${text}'`, offset);
  return { op, parts };
}

function compileSed(text: string, field: string, offset: number): Step {
  const { op, parts } = splitSed(text, offset);
  const [left, right, flags] = parts as [string, string, string];
  let edit: (s: string) => string;
  if (op === 'y') {
    const from = [...left];
    const to = [...right];
    if (from.length !== to.length) throw badArgument('sed y/// needs two lists of the same length', offset);
    const table = new Map(from.map((c, i) => [c, to[i]!]));
    edit = (s) => [...s].map((c) => table.get(c) ?? c).join('');
  } else {
    if (!/^(g|\d+)?$/.test(flags)) throw badArgument(`sed flags must be g or a number, not '${flags}'`, offset);
    const re = compileSplRegex(left, { start: offset }, { flags: 'g' });
    const nth = flags === 'g' ? 0 : flags === '' ? 1 : Number(flags);
    const substitute = (m: readonly (string | undefined)[]): string =>
      right.replace(/\\(\d)|\\(.)/g, (_all, d: string | undefined, other: string | undefined) => (d !== undefined ? (m[Number(d)] ?? '') : other!));
    edit = (s) => {
      let count = 0;
      return s.replace(re, (...args: unknown[]) => {
        count++;
        // args: match, captures..., offset (the first number), text[, named groups]
        const at = args.findIndex((a, i) => i > 0 && typeof a === 'number');
        const groups = args.slice(0, at) as string[];
        const whole = groups[0]!;
        if (nth !== 0 && count !== nth) return whole;
        return substitute(groups);
      });
    };
  }
  return (rows, env) => {
    for (const row of rows) {
      const values = valuesOf(row.get(field));
      if (values.length === 0) continue;
      row.set(field, fromValues(values.map((v) => edit(textOf(v).slice(0, env.ctx.limits.maxRegexInput))))!);
    }
    return rows;
  };
}

/** regex: keeps rows where the regex matches some value of the field (`!=` keeps the others). */
export function compileRegexCommand(cmd: RegexCommand): Step {
  const plain = compileSplRegex(cmd.regex, cmd.loc);
  const field = cmd.field ?? '_raw';
  return (rows, env) =>
    rows.filter((row) => {
      const hit = inputTexts(row, field, env).some((t) => plain.test(t));
      return cmd.negated ? !hit : hit;
    });
}
