/**
 * A small strict schema checker over the located YAML tree (src/content/yaml-located.ts), in the
 * manner of contentctl's pydantic models with `extra="forbid"`: unknown keys, missing required
 * keys, wrong types, enums, UUIDs, dates and lengths each become a finding at the offending node.
 */
import type { YMap, YNode, YScalar } from '../../content/yaml-located.js';
import { finding, type Finding } from './types.js';

export type Spec =
  | { readonly kind: 'string'; readonly enum?: readonly string[]; readonly format?: 'uuid' | 'date'; readonly pattern?: RegExp; readonly minLength?: number; readonly maxLength?: number }
  | { readonly kind: 'int'; readonly min?: number; readonly max?: number }
  | { readonly kind: 'bool' }
  | { readonly kind: 'list'; readonly item: Spec; readonly minItems?: number; readonly orScalar?: boolean }
  | { readonly kind: 'map'; readonly fields: Readonly<Record<string, Field>>; readonly open?: boolean }
  | { readonly kind: 'any' };

export interface Field {
  readonly spec: Spec;
  /** `true`: an error when absent; `'warn'`: a warning when absent. */
  readonly required?: boolean | 'warn';
  /** Accepted, but reported as a warning (legacy keys). */
  readonly deprecated?: string;
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

const str = (extra: Omit<Extract<Spec, { kind: 'string' }>, 'kind'> = {}): Spec => ({ kind: 'string', ...extra });
export const S = {
  str,
  uuid: (): Spec => str({ format: 'uuid' }),
  date: (): Spec => str({ format: 'date' }),
  enumOf: (values: readonly string[]): Spec => str({ enum: values }),
  int: (min?: number, max?: number): Spec => ({ kind: 'int', ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max } : {}) }),
  bool: (): Spec => ({ kind: 'bool' }),
  list: (item: Spec, minItems?: number): Spec => ({ kind: 'list', item, ...(minItems !== undefined ? { minItems } : {}) }),
  /** A list, or one scalar standing for a one-item list. */
  listish: (item: Spec): Spec => ({ kind: 'list', item, orScalar: true }),
  map: (fields: Record<string, Field>, open = false): Spec => ({ kind: 'map', fields, open }),
  any: (): Spec => ({ kind: 'any' }),
};
export const req = (spec: Spec): Field => ({ spec, required: true });
export const opt = (spec: Spec): Field => ({ spec });
export const want = (spec: Spec): Field => ({ spec, required: 'warn' });

function describe(node: YNode): string {
  if (node.kind === 'map') return 'a map';
  if (node.kind === 'seq') return 'a list';
  if (node.value === null) return 'empty';
  return typeof node.value === 'number' ? 'a number' : typeof node.value === 'boolean' ? 'a boolean' : 'text';
}

function isNull(node: YNode): boolean {
  return node.kind === 'scalar' && node.value === null;
}

/** Calendar date check (2026-02-30 is not a date). */
export function validDate(text: string): boolean {
  const m = DATE.exec(text);
  if (m === null) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = new Date(Date.UTC(y, mo - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d;
}

export interface SchemaContext {
  readonly file: string;
  /** Today as YYYY-MM-DD (dates after it are reported). */
  readonly today: string;
  readonly out: Finding[];
}

export function checkNode(node: YNode, spec: Spec, where: string, ctx: SchemaContext): void {
  const fail = (code: string, message: string, at: YNode = node): void => void ctx.out.push(finding('error', code, message, ctx.file, at.loc));
  switch (spec.kind) {
    case 'any':
      return;
    case 'string': {
      if (node.kind !== 'scalar' || node.value === null || typeof node.value === 'boolean') return fail('validate.schema.type', `${where} must be text, not ${describe(node)}`);
      checkString(node, String(node.value), spec, where, ctx);
      return;
    }
    case 'int': {
      const n = node.kind === 'scalar' && typeof node.value === 'number' ? node.value : NaN;
      if (!Number.isInteger(n)) return fail('validate.schema.type', `${where} must be a whole number, not ${describe(node)}`);
      if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) {
        return fail('validate.schema.range', `${where} is ${n}; allowed: ${spec.min ?? '-∞'}..${spec.max ?? '∞'}`);
      }
      return;
    }
    case 'bool':
      if (node.kind !== 'scalar' || typeof node.value !== 'boolean') fail('validate.schema.type', `${where} must be true or false, not ${describe(node)}`);
      return;
    case 'list': {
      if (node.kind === 'scalar' && spec.orScalar === true && !isNull(node)) return checkNode(node, spec.item, where, ctx);
      if (node.kind !== 'seq') return fail('validate.schema.type', `${where} must be a list, not ${describe(node)}`);
      if (spec.minItems !== undefined && node.items.length < spec.minItems) fail('validate.schema.missing', `${where} needs at least ${spec.minItems} item(s)`);
      node.items.forEach((item, i) => checkNode(item, spec.item, `${where}[${i}]`, ctx));
      return;
    }
    case 'map':
      if (node.kind !== 'map') return fail('validate.schema.type', `${where} must be a map, not ${describe(node)}`);
      checkMap(node, spec, where, ctx);
      return;
    default:
      return spec satisfies never;
  }
}

function checkString(node: YScalar, text: string, spec: Extract<Spec, { kind: 'string' }>, where: string, ctx: SchemaContext): void {
  const fail = (code: string, message: string): void => void ctx.out.push(finding('error', code, message, ctx.file, node.loc));
  if (spec.enum !== undefined && !spec.enum.includes(text)) return fail('validate.schema.enum', `${where} '${text}' is not one of: ${spec.enum.join(', ')}`);
  if (spec.format === 'uuid' && !UUID.test(text)) return fail('validate.schema.uuid', `${where} '${text}' is not a UUID`);
  if (spec.format === 'date') {
    if (!validDate(text)) return fail('validate.schema.date', `${where} '${text}' is not a date of the form YYYY-MM-DD`);
    if (text > ctx.today) return fail('validate.schema.date', `${where} '${text}' is in the future`);
  }
  if (spec.pattern !== undefined && !spec.pattern.test(text)) return fail('validate.schema.pattern', `${where} '${text.slice(0, 80)}' does not have the expected form`);
  if (spec.minLength !== undefined && text.trim().length < spec.minLength) return fail('validate.schema.length', `${where} needs at least ${spec.minLength} characters`);
  if (spec.maxLength !== undefined && text.length > spec.maxLength) fail('validate.schema.length', `${where} is longer than ${spec.maxLength} characters`);
}

export function checkMap(node: YMap, spec: Extract<Spec, { kind: 'map' }>, where: string, ctx: SchemaContext): void {
  const seen = new Set<string>();
  for (const p of node.pairs) {
    if (seen.has(p.key)) ctx.out.push(finding('error', 'validate.schema.duplicate-key', `duplicate key '${p.key}' in ${where}`, ctx.file, p.keyLoc));
    seen.add(p.key);
    const field = spec.fields[p.key];
    if (field === undefined) {
      if (spec.open !== true) ctx.out.push(finding('error', 'validate.schema.unknown-key', `unknown key '${p.key}' in ${where}`, ctx.file, p.keyLoc));
      continue;
    }
    if (field.deprecated !== undefined) ctx.out.push(finding('warning', 'validate.schema.deprecated-key', `'${p.key}' in ${where}: ${field.deprecated}`, ctx.file, p.keyLoc));
    if (isNull(p.value)) {
      if (field.required !== undefined && field.required !== false) {
        ctx.out.push(finding(field.required === true ? 'error' : 'warning', 'validate.schema.missing', `${where} has an empty '${p.key}'`, ctx.file, p.keyLoc));
      }
      continue;
    }
    checkNode(p.value, field.spec, `'${p.key}'${where.startsWith('the ') ? ` of ${where}` : ` in ${where}`}`, ctx);
  }
  for (const [key, field] of Object.entries(spec.fields)) {
    if (field.required === undefined || field.required === false || seen.has(key)) continue;
    ctx.out.push(finding(field.required === true ? 'error' : 'warning', 'validate.schema.missing', `${where} has no '${key}'`, ctx.file, node.loc));
  }
}

/** The value of `key` in a map (the last one when duplicated). */
export function valueOf(map: YMap, key: string): YNode | undefined {
  for (let i = map.pairs.length - 1; i >= 0; i--) if (map.pairs[i]!.key === key) return map.pairs[i]!.value;
  return undefined;
}

export function textOf(node: YNode | undefined): string | null {
  return node?.kind === 'scalar' && node.value !== null ? String(node.value) : null;
}
