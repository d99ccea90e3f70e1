/**
 * Basic JSON access for eval: `spath(json, path)` (Splunk path syntax, 1-based `{n}` indexes)
 * and `json_extract(json[, path])` (0-based `{n}`), plus `json_valid`. `a.b{}.c` walks every
 * element of the array `b` and yields a multivalue. Text over MAX_JSON_TEXT or invalid JSON → null.
 */
import type { SplScalar } from '../types.js';
import { type FunctionTable, fnSpec, resultOf, textOfResult } from './coerce.js';

const MAX_JSON_TEXT = 1 << 20;
const MAX_PATH_STEPS = 64;

type Json = null | boolean | number | string | readonly Json[] | { readonly [k: string]: Json };

type Step = { readonly kind: 'key'; readonly key: string } | { readonly kind: 'index'; readonly index: number } | { readonly kind: 'all' };

function parseJson(text: string): { ok: true; value: Json } | { ok: false } {
  if (text.length > MAX_JSON_TEXT) return { ok: false };
  try {
    return { ok: true, value: JSON.parse(text) as Json };
  } catch {
    return { ok: false };
  }
}

/** `a.b{2}.c{}` → steps; `indexBase` is 1 for spath, 0 for json_extract. Null when malformed. */
export function parseJsonPath(path: string, indexBase: number): Step[] | null {
  const steps: Step[] = [];
  const re = /([^.{}]+)|\{(\d*)\}|\./g;
  let at = 0;
  for (let m = re.exec(path); m !== null; m = re.exec(path)) {
    if (m.index !== at) return null;
    at = re.lastIndex;
    if (m[1] !== undefined) steps.push({ kind: 'key', key: m[1] });
    else if (m[2] !== undefined) steps.push(m[2] === '' ? { kind: 'all' } : { kind: 'index', index: Number(m[2]) - indexBase });
    if (steps.length > MAX_PATH_STEPS) return null;
  }
  return at === path.length ? steps : null;
}

function walk(values: readonly Json[], steps: readonly Step[]): Json[] {
  let current: Json[] = [...values];
  for (const step of steps) {
    const next: Json[] = [];
    for (const v of current) {
      if (v === null || typeof v !== 'object') continue;
      if (step.kind === 'key') {
        if (!Array.isArray(v) && Object.prototype.hasOwnProperty.call(v, step.key)) next.push((v as Record<string, Json>)[step.key]!);
      } else if (Array.isArray(v)) {
        if (step.kind === 'all') next.push(...(v as Json[]));
        else if (step.index >= 0 && step.index < v.length) next.push((v as Json[])[step.index]!);
      }
    }
    current = next;
  }
  return current;
}

function scalarOfJson(v: Json): SplScalar | null {
  if (v === null) return null;
  if (typeof v === 'string' || typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return JSON.stringify(v);
}

function extract(indexBase: number) {
  return fnSpec(1, 2, ([j, p]) => (row, ctx) => {
    const text = textOfResult(j!(row, ctx));
    if (text === null) return null;
    const parsed = parseJson(text);
    if (!parsed.ok) return null;
    if (p === undefined) return JSON.stringify(parsed.value);
    const path = textOfResult(p(row, ctx));
    const steps = path === null ? null : parseJsonPath(path, indexBase);
    if (steps === null) return null;
    const found: SplScalar[] = [];
    for (const v of walk([parsed.value], steps)) {
      const s = scalarOfJson(v);
      if (s !== null) found.push(s);
    }
    return resultOf(found, ctx);
  });
}

export const JSON_FUNCTIONS: FunctionTable = {
  spath: extract(1),
  json_extract: extract(0),
  json_valid: fnSpec(1, 1, ([j]) => (row, ctx) => {
    const text = textOfResult(j!(row, ctx));
    return text === null ? null : parseJson(text).ok;
  }),
};
