/** Typed reads from a located YAML map, each problem collected as a located diagnostic. */
import type { Diagnostic } from '../core/diagnostics.js';
import { type Pos, type YMap, type YNode, type YPair, type YScalar, diag } from './yaml-located.js';

export class FieldReader {
  readonly diagnostics: Diagnostic[] = [];

  constructor(readonly file: string) {}

  error(code: string, message: string, pos?: Pos): void {
    this.diagnostics.push(diag('error', code, message, this.file, pos));
  }

  warn(code: string, message: string, pos?: Pos): void {
    this.diagnostics.push(diag('warning', code, message, this.file, pos));
  }

  info(code: string, message: string, pos?: Pos): void {
    this.diagnostics.push(diag('info', code, message, this.file, pos));
  }

  /** Warns about keys outside `known` (a typo'd key would silently be ignored otherwise). */
  checkKeys(map: YMap, known: ReadonlySet<string>, where: string): void {
    const seen = new Set<string>();
    for (const p of map.pairs) {
      if (seen.has(p.key)) this.warn('content.duplicate-key', `duplicate key '${p.key}' in ${where} (the last one is used)`, p.keyLoc);
      seen.add(p.key);
      if (!known.has(p.key)) this.warn('content.unknown-key', `unknown key '${p.key}' in ${where}`, p.keyLoc);
    }
  }

  /** A required key: reports `content.missing-key` when absent or null. */
  require(map: YMap, key: string, where: string): YPair | undefined {
    const p = pairOf(map, key);
    if (p === undefined || isNull(p.value)) {
      this.error('content.missing-key', `${where} has no '${key}'`, p?.keyLoc ?? map.loc);
      return undefined;
    }
    return p;
  }

  str(map: YMap, key: string, where: string, required = false): string | null {
    const p = required ? this.require(map, key, where) : pairOf(map, key);
    if (p === undefined || isNull(p.value)) return null;
    const v = p.value;
    if (v.kind !== 'scalar') {
      this.error('content.bad-value', `'${key}' in ${where} must be text, not ${v.kind === 'map' ? 'a map' : 'a list'}`, v.loc);
      return null;
    }
    return String(v.value);
  }

  num(map: YMap, key: string, where: string, required = false): number | null {
    const p = required ? this.require(map, key, where) : pairOf(map, key);
    if (p === undefined || isNull(p.value)) return null;
    const v = p.value;
    const n = v.kind === 'scalar' ? (typeof v.value === 'number' ? v.value : typeof v.value === 'string' && /^-?\d+(\.\d+)?$/.test(v.value.trim()) ? Number(v.value) : NaN) : NaN;
    if (!Number.isFinite(n)) {
      this.error('content.bad-value', `'${key}' in ${where} must be a number`, v.loc);
      return null;
    }
    return n;
  }

  bool(map: YMap, key: string, where: string): boolean | null {
    const p = pairOf(map, key);
    if (p === undefined || isNull(p.value)) return null;
    const v = p.value;
    if (v.kind === 'scalar' && typeof v.value === 'boolean') return v.value;
    if (v.kind === 'scalar' && typeof v.value === 'string' && /^(true|false)$/i.test(v.value)) return v.value.toLowerCase() === 'true';
    this.error('content.bad-value', `'${key}' in ${where} must be true or false`, v.loc);
    return null;
  }

  /** A list of scalars; a single scalar is accepted as a one-item list. */
  strList(map: YMap, key: string, where: string): string[] {
    const p = pairOf(map, key);
    if (p === undefined || isNull(p.value)) return [];
    const v = p.value;
    if (v.kind === 'scalar') return [String(v.value)];
    if (v.kind === 'map') {
      this.error('content.bad-value', `'${key}' in ${where} must be a list`, v.loc);
      return [];
    }
    const out: string[] = [];
    for (const item of v.items) {
      if (item.kind !== 'scalar') this.error('content.bad-value', `items of '${key}' in ${where} must be text`, item.loc);
      else if (item.value !== null) out.push(String(item.value));
    }
    return out;
  }

  map(map: YMap, key: string, where: string): YMap | null {
    const p = pairOf(map, key);
    if (p === undefined || isNull(p.value)) return null;
    if (p.value.kind !== 'map') {
      this.error('content.bad-value', `'${key}' in ${where} must be a map`, p.value.loc);
      return null;
    }
    return p.value;
  }

  /** List of maps (items that are not maps are reported and skipped). */
  mapList(map: YMap, key: string, where: string): YMap[] {
    const p = pairOf(map, key);
    if (p === undefined || isNull(p.value)) return [];
    if (p.value.kind !== 'seq') {
      this.error('content.bad-value', `'${key}' in ${where} must be a list`, p.value.loc);
      return [];
    }
    const out: YMap[] = [];
    for (const item of p.value.items) {
      if (item.kind === 'map') out.push(item);
      else if (!isNull(item)) this.error('content.bad-value', `items of '${key}' in ${where} must be maps`, item.loc);
    }
    return out;
  }
}

export function pairOf(map: YMap, key: string): YPair | undefined {
  for (let i = map.pairs.length - 1; i >= 0; i--) if (map.pairs[i]!.key === key) return map.pairs[i];
  return undefined;
}

export function scalarOf(map: YMap, key: string): YScalar | undefined {
  const v = pairOf(map, key)?.value;
  return v?.kind === 'scalar' ? v : undefined;
}

function isNull(node: YNode): boolean {
  return node.kind === 'scalar' && node.value === null;
}
