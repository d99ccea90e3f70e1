/**
 * MITRE ATT&CK Enterprise facts (mappings/attack/tactics.yml, techniques.yml): technique names
 * and the tactics each technique belongs to. Risk events need tactic ids that detections never
 * state (ES enriches `annotations.mitre_attack` the same way), and the 7-day incident rule counts
 * them. A sub-technique without its own tactics has its parent's; a revoked id without its own
 * tactics has those of the technique that replaced it. Unknown ids are the caller's to count.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { isMap, isScalar, isSeq, type Node as YamlNode } from 'yaml';
import { LocatedError } from '../core/diagnostics.js';
import { YamlData } from '../core/yaml-data.js';
import { mappingsDir } from '../core/mappings-dir.js';

export const TACTICS_FILE = 'tactics.yml';
export const TECHNIQUES_FILE = 'techniques.yml';

export interface AttackTactic {
  /** `TA0005` */
  readonly id: string;
  readonly name: string;
  /** Short name as in Sigma tags: `defense-impairment`. */
  readonly short: string;
  /** Older short names that mean this tactic (`defense-evasion` for TA0005). */
  readonly aliases: readonly string[];
  /** Position in the matrix reading order. */
  readonly order: number;
}

export interface AttackTechnique {
  /** `T1059.001` */
  readonly id: string;
  readonly name: string;
  /** Resolved tactic ids (own, else replacement's, else parent's). */
  readonly tactics: readonly string[];
  readonly parent: string | null;
  readonly replacedBy: string | null;
  readonly deprecated: boolean;
}

const TECHNIQUE_ID = /^T\d{4}(?:\.\d{3})?$/;
const TACTIC_ID = /^TA\d{4}$/;

/** `attack.t1059.001`, `t1059.001`, ` T1059.001 ` → `T1059.001`; null when not a technique id. */
export function normalizeTechniqueId(text: string): string | null {
  let t = text.trim();
  if (t.toLowerCase().startsWith('attack.')) t = t.slice('attack.'.length);
  t = t.toUpperCase();
  return TECHNIQUE_ID.test(t) ? t : null;
}

/** `Defense_Evasion`, `attack.defense-evasion` → `defense-evasion`. */
export function normalizeTacticShort(text: string): string {
  let t = text.trim().toLowerCase();
  if (t.startsWith('attack.')) t = t.slice('attack.'.length);
  return t.replace(/[_\s]+/g, '-');
}

export class AttackCatalog {
  private readonly tacticsById: ReadonlyMap<string, AttackTactic>;
  private readonly tacticsByShort: ReadonlyMap<string, AttackTactic>;
  private readonly techniquesById: ReadonlyMap<string, AttackTechnique>;

  constructor(tactics: readonly AttackTactic[], techniques: readonly AttackTechnique[]) {
    this.tacticsById = new Map(tactics.map((t) => [t.id, t]));
    const byShort = new Map<string, AttackTactic>();
    for (const t of tactics) {
      byShort.set(t.short, t);
      for (const a of t.aliases) if (!byShort.has(a)) byShort.set(a, t);
    }
    this.tacticsByShort = byShort;
    this.techniquesById = new Map(techniques.map((t) => [t.id, t]));
  }

  get techniqueCount(): number {
    return this.techniquesById.size;
  }

  tactics(): readonly AttackTactic[] {
    return [...this.tacticsById.values()].sort((a, b) => a.order - b.order);
  }

  /** Every technique, in the order of the data file. */
  techniques(): readonly AttackTechnique[] {
    return [...this.techniquesById.values()];
  }

  /** A technique by any spelling of its id; undefined when unknown. */
  technique(id: string): AttackTechnique | undefined {
    const norm = normalizeTechniqueId(id);
    return norm === null ? undefined : this.techniquesById.get(norm);
  }

  /** A tactic by id (`TA0003`) or short name / alias (`persistence`, `defense_evasion`). */
  tactic(idOrShort: string): AttackTactic | undefined {
    const up = idOrShort.trim().toUpperCase();
    if (TACTIC_ID.test(up)) return this.tacticsById.get(up);
    return this.tacticsByShort.get(normalizeTacticShort(idOrShort));
  }

  /** Sorts tactic ids in matrix order (unknown ids last, by id). */
  sortTacticIds(ids: Iterable<string>): string[] {
    const rank = (id: string): number => this.tacticsById.get(id)?.order ?? Number.MAX_SAFE_INTEGER;
    return [...new Set(ids)].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
  }
}

// ---------------------------------------------------------------------------------------------
// Loading

interface RawTechnique {
  readonly id: string;
  readonly name: string;
  readonly tactics: readonly string[] | null;
  readonly replacedBy: string | null;
  readonly deprecated: boolean;
  readonly line: number;
}

class YamlFile {
  readonly errors: LocatedError[];
  readonly root: YamlNode | null;
  private readonly yaml: YamlData;

  constructor(
    readonly file: string,
    text: string,
  ) {
    this.yaml = new YamlData(file, text, 'attack.mapping');
    this.errors = [...this.yaml.syntaxErrors];
    this.root = this.yaml.root;
  }

  lineOf(node: YamlNode | null | undefined): number {
    return this.yaml.at(node?.range?.[0] ?? 0).line;
  }

  fail(offset: number, message: string): void {
    this.errors.push(new LocatedError('attack.mapping', message, this.yaml.at(offset)));
  }

  failAt(node: YamlNode | null | undefined, message: string): void {
    this.fail(node?.range?.[0] ?? 0, message);
  }

  /** The value under `key` of the top-level map, or null (with an error). */
  topLevel(key: string): YamlNode | null {
    if (this.root === null) return null;
    if (!isMap(this.root)) {
      this.failAt(this.root, `expected a map with '${key}'`);
      return null;
    }
    const v = this.root.get(key, true) as YamlNode | undefined;
    if (v === undefined) this.failAt(this.root, `missing '${key}'`);
    return v ?? null;
  }
}

function scalarText(node: unknown): string | null {
  if (!isScalar(node)) return null;
  const v = node.value;
  return typeof v === 'string' || typeof v === 'number' ? String(v) : null;
}

function stringList(y: YamlFile, node: unknown, what: string): string[] | null {
  if (!isSeq(node)) {
    y.failAt(node as YamlNode, `${what} must be a list`);
    return null;
  }
  const out: string[] = [];
  for (const item of node.items) {
    const s = scalarText(item);
    if (s === null) y.failAt(item as YamlNode, `${what} items must be text`);
    else out.push(s);
  }
  return out;
}

function readTactics(y: YamlFile): AttackTactic[] {
  const list = y.topLevel('tactics');
  if (list === null) return [];
  if (!isSeq(list)) {
    y.failAt(list, `'tactics' must be a list`);
    return [];
  }
  const out: AttackTactic[] = [];
  list.items.forEach((item, order) => {
    if (!isMap(item)) {
      y.failAt(item as YamlNode, 'a tactic must be a map {id, name, short}');
      return;
    }
    const id = scalarText(item.get('id', true));
    const name = scalarText(item.get('name', true));
    const short = scalarText(item.get('short', true));
    if (id === null || !TACTIC_ID.test(id) || name === null || short === null) {
      y.failAt(item as YamlNode, 'a tactic needs id (TAnnnn), name and short');
      return;
    }
    const aliasNode = item.get('aliases', true);
    const aliases = aliasNode === undefined ? [] : (stringList(y, aliasNode, 'aliases') ?? []);
    if (out.some((t) => t.id === id)) y.failAt(item as YamlNode, `duplicate tactic ${id}`);
    out.push({ id, name, short: normalizeTacticShort(short), aliases: aliases.map(normalizeTacticShort), order });
  });
  return out;
}

function readRawTechniques(y: YamlFile, tacticIds: ReadonlySet<string>): RawTechnique[] {
  const map = y.topLevel('techniques');
  if (map === null) return [];
  if (!isMap(map)) {
    y.failAt(map, `'techniques' must be a map of id -> {name, tactics}`);
    return [];
  }
  const out: RawTechnique[] = [];
  for (const pair of map.items) {
    const key = scalarText(pair.key);
    const value = pair.value as YamlNode | null;
    const id = key === null ? null : normalizeTechniqueId(key);
    if (id === null || key !== id) {
      y.failAt(pair.key as YamlNode, `'${key ?? '?'}' is not a technique id (Tnnnn or Tnnnn.nnn)`);
      continue;
    }
    if (!isMap(value)) {
      y.failAt(value ?? (pair.key as YamlNode), `${id}: expected {name, tactics}`);
      continue;
    }
    const name = scalarText(value.get('name', true));
    if (name === null) y.failAt(value, `${id}: missing name`);
    const tacticsNode = value.get('tactics', true);
    const tactics = tacticsNode === undefined ? null : stringList(y, tacticsNode, `${id} tactics`);
    for (const t of tactics ?? []) if (!tacticIds.has(t)) y.failAt(tacticsNode as YamlNode, `${id}: unknown tactic id ${t}`);
    const replacedText = scalarText(value.get('replaced_by', true));
    const replacedBy = replacedText === null ? null : normalizeTechniqueId(replacedText);
    if (replacedText !== null && replacedBy === null) y.failAt(value, `${id}: replaced_by '${replacedText}' is not a technique id`);
    const deprecatedNode = value.get('deprecated', true);
    const deprecated = isScalar(deprecatedNode) && deprecatedNode.value === true;
    out.push({ id, name: name ?? id, tactics, replacedBy, deprecated, line: y.lineOf(pair.key as YamlNode) });
  }
  return out;
}

/** Resolves inherited tactics; a chain longer than the table (a cycle) is an error. */
function resolveTechniques(y: YamlFile, raw: readonly RawTechnique[]): AttackTechnique[] {
  const byId = new Map(raw.map((r) => [r.id, r]));
  const resolved = new Map<string, readonly string[]>();
  const tacticsOf = (id: string, depth: number): readonly string[] | null => {
    const done = resolved.get(id);
    if (done !== undefined) return done;
    const r = byId.get(id);
    if (r === undefined || depth > 8) return null;
    let t: readonly string[] | null = r.tactics;
    if (t === null && r.replacedBy !== null) t = tacticsOf(r.replacedBy, depth + 1);
    if (t === null && id.includes('.')) t = tacticsOf(id.slice(0, id.indexOf('.')), depth + 1);
    if (t !== null) resolved.set(id, t);
    return t;
  };
  const out: AttackTechnique[] = [];
  for (const r of raw) {
    const tactics = tacticsOf(r.id, 0);
    if (tactics === null) y.fail(0, `${r.id} (line ${r.line}): no tactics of its own, of a replacement or of a parent`);
    if (r.replacedBy !== null && !byId.has(r.replacedBy)) y.fail(0, `${r.id} (line ${r.line}): replaced_by ${r.replacedBy} is not in the table`);
    const parent = r.id.includes('.') ? r.id.slice(0, r.id.indexOf('.')) : null;
    out.push({ id: r.id, name: r.name, tactics: tactics ?? [], parent, replacedBy: r.replacedBy, deprecated: r.deprecated });
  }
  return out;
}

/** Builds a catalog from the two files' text; every problem is a located error (thrown together). */
export function attackCatalogFromText(tacticsText: string, techniquesText: string, files = { tactics: TACTICS_FILE, techniques: TECHNIQUES_FILE }): AttackCatalog {
  const ty = new YamlFile(files.tactics, tacticsText);
  const tactics = readTactics(ty);
  const qy = new YamlFile(files.techniques, techniquesText);
  const raw = readRawTechniques(qy, new Set(tactics.map((t) => t.id)));
  const techniques = resolveTechniques(qy, raw);
  const errors = [...ty.errors, ...qy.errors];
  if (errors.length > 0) throw new AggregateError(errors, `ATT&CK mappings: ${errors.length} problem(s); first: ${errors[0]!.message}`);
  return new AttackCatalog(tactics, techniques);
}

/** The `mappings/attack` folder. */
export function defaultAttackDir(): string {
  return mappingsDir('attack', TECHNIQUES_FILE);
}

export function loadAttackCatalog(dir: string = defaultAttackDir()): AttackCatalog {
  const tacticsFile = path.join(dir, TACTICS_FILE);
  const techniquesFile = path.join(dir, TECHNIQUES_FILE);
  return attackCatalogFromText(readFileSync(tacticsFile, 'utf8'), readFileSync(techniquesFile, 'utf8'), { tactics: tacticsFile, techniques: techniquesFile });
}

/** A catalog as plain data (what the rule cache keeps, so a hunt thread need not parse the YAML again). */
export interface AttackCatalogData {
  /** The folder the catalog was read from. */
  readonly dir: string;
  readonly tactics: readonly AttackTactic[];
  readonly techniques: readonly AttackTechnique[];
}

let cached: AttackCatalog | null = null;

/** The shipped catalog, read once per process. */
export function defaultAttackCatalog(): AttackCatalog {
  cached ??= loadAttackCatalog();
  return cached;
}

/** The shipped catalog as plain data; null when its files do not load (the hunt reports that when it reads them). */
export function defaultAttackCatalogData(): AttackCatalogData | null {
  try {
    const catalog = defaultAttackCatalog();
    return { dir: defaultAttackDir(), tactics: catalog.tactics(), techniques: catalog.techniques() };
  } catch {
    return null;
  }
}

/**
 * Makes `data` (read back from the rule cache, whose key covers the mapping files) the shipped
 * catalog, unless one is read already or it came from another folder. Parsing techniques.yml
 * cold took each hunt thread 0.1–0.15 s, more than the rest of its risk set-up.
 */
export function primeDefaultAttackCatalog(data: AttackCatalogData | null | undefined): void {
  if (cached !== null || data == null || !Array.isArray(data.tactics) || !Array.isArray(data.techniques)) return;
  if (data.dir !== defaultAttackDir()) return;
  cached = attackCatalogFromData(data);
}

/** The catalog that `data` (from `defaultAttackCatalogData`) describes. */
export function attackCatalogFromData(data: AttackCatalogData): AttackCatalog {
  return new AttackCatalog(data.tactics, data.techniques);
}
