/**
 * join, append and foreach (spl-and-rba.md §2.9). Subsearch rows are capped at
 * `limits.maxSubsearchRows` by the pipeline compiler.
 */
import { LocatedError } from '../../../core/diagnostics.js';
import type { AppendCommand, ForeachCommand, JoinCommand } from '../../ast.js';
import { parseSpl } from '../../index.js';
import type { Row } from '../types.js';
import { copyRow } from '../values.js';
import { badArgument, capRows, checkOptions, fieldPattern, keyText, optionBool, optionInt, optionMap, optionText, type PipelineServices, type Step } from './common.js';

/**
 * join: each main row is merged with its first `max` (default 1, 0 = all) subsearch rows that
 * agree on every join field (exact, case-sensitive text); `type=inner` drops rows without a match,
 * `left`/`outer` keep them; subsearch fields overwrite main ones unless `overwrite=false`.
 * Without join fields, the fields both sides have are used.
 */
export function compileJoin(cmd: JoinCommand, services: PipelineServices): Step {
  const options = optionMap(cmd.options);
  checkOptions(options, ['type', 'max', 'overwrite', 'usetime', 'earlier'], 'join');
  const type = (optionText(options, 'type') ?? 'inner').toLowerCase();
  if (!['inner', 'left', 'outer'].includes(type)) throw badArgument(`join type must be inner, left or outer, not '${type}'`, options.get('type')!.loc.start);
  if (optionBool(options, 'usetime', false)) throw new LocatedError('spl.unsupported-option', 'join usetime=true is not supported', { file: '', offset: options.get('usetime')!.loc.start });
  const max = optionInt(options, 'max', 1);
  const overwrite = optionBool(options, 'overwrite', true);
  const keepUnmatched = type !== 'inner';
  const listed = cmd.fields.map((f) => f.name);
  const subsearch = services.compileSubsearch(cmd.subsearch);
  return (rows, env) => {
    const subRows = subsearch(env);
    const keys = listed.length > 0 ? listed : commonFields(rows, subRows);
    const index = new Map<string, Row[]>();
    for (const sub of subRows) {
      const k = joinKey(sub, keys);
      if (k === null) continue;
      const list = index.get(k);
      if (list === undefined) index.set(k, [sub]);
      else list.push(sub);
    }
    const out: Row[] = [];
    for (const row of rows) {
      const k = joinKey(row, keys);
      const found = k === null ? undefined : index.get(k);
      if (found === undefined || keys.length === 0) {
        if (keepUnmatched) out.push(row);
        continue;
      }
      const matches = max === 0 ? found : found.slice(0, max);
      for (const sub of matches) {
        const merged = matches.length === 1 ? row : copyRow(row);
        for (const [name, value] of sub) if (overwrite || !merged.has(name)) merged.set(name, value);
        out.push(merged);
        if (out.length > env.ctx.limits.maxRows) break;
      }
    }
    return capRows(out, env, cmd.loc.start);
  };
}

function joinKey(row: Row, keys: readonly string[]): string | null {
  const parts: string[] = [];
  for (const k of keys) {
    const t = keyText(row.get(k));
    if (t === null) return null;
    parts.push(t);
  }
  return JSON.stringify(parts);
}

function commonFields(a: readonly Row[], b: readonly Row[]): string[] {
  const inB = new Set<string>();
  for (const row of b) for (const k of row.keys()) inB.add(k);
  const out = new Set<string>();
  for (const row of a) for (const k of row.keys()) if (inB.has(k)) out.add(k);
  return [...out];
}

/** append: the subsearch's rows after the current ones. */
export function compileAppend(cmd: AppendCommand, services: PipelineServices): Step {
  const options = optionMap(cmd.options);
  checkOptions(options, ['extendtimerange', 'maxtime', 'maxout', 'timeout'], 'append');
  const subsearch = services.compileSubsearch(cmd.subsearch);
  return (rows, env) => capRows(rows.concat(subsearch(env)), env, cmd.loc.start);
}

/**
 * foreach: the body is a template; for every field matching the patterns (in order of first
 * appearance over the rows) `<<FIELD>>`, `<<MATCHSTR>>` (the part the first `*` matched) and
 * `<<MATCHSEGn>>` are substituted, the text is parsed as `| body` and run over the rows.
 */
export function compileForeach(cmd: ForeachCommand, services: PipelineServices): Step {
  const options = optionMap(cmd.options);
  checkOptions(options, ['fieldstr', 'matchstr', 'matchseg1', 'matchseg2', 'matchseg3'], 'foreach');
  const fieldToken = optionText(options, 'fieldstr') ?? '<<FIELD>>';
  const matchToken = optionText(options, 'matchstr') ?? '<<MATCHSTR>>';
  const segTokens = [1, 2, 3].map((i) => optionText(options, `matchseg${i}`) ?? `<<MATCHSEG${i}>>`);
  const patterns = cmd.fields.map((f) => fieldPattern(f.name));
  const instantiate = (field: string, parts: readonly string[]): Step[] => {
    let text = cmd.body.split(fieldToken).join(field).split(matchToken).join(parts[0] ?? '');
    segTokens.forEach((t, i) => (text = text.split(t).join(parts[i] ?? '')));
    let pipeline;
    try {
      pipeline = parseSpl(`| ${text}`);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      throw new LocatedError(e instanceof LocatedError ? e.code : 'spl.parse', `in the foreach body: ${message}`, { file: '', offset: cmd.loc.start });
    }
    return services.compileSteps(pipeline.commands);
  };
  // Checks the body once at compile time (unsupported commands are reported with the detection).
  instantiate('vigil_foreach_field', ['vigil_foreach_field']);
  const compiled = new Map<string, Step[]>();
  return (rows, env) => {
    const fields = new Map<string, string[]>();
    for (const row of rows) {
      for (const name of row.keys()) {
        if (fields.has(name)) continue;
        for (const p of patterns) {
          const parts = p.match(name);
          if (parts !== null) {
            fields.set(name, parts);
            break;
          }
        }
      }
    }
    let current = rows;
    for (const [field, parts] of fields) {
      let steps = compiled.get(field);
      if (steps === undefined) {
        steps = instantiate(field, parts);
        if (compiled.size < 10_000) compiled.set(field, steps);
      }
      for (const step of steps) current = step(current, env);
    }
    return current;
  };
}
