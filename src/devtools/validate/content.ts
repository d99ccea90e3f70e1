/**
 * Validation of a security_content-shaped folder, the way `contentctl validate` does and more:
 * every object's schema (strict keys), then the detections against everything they refer to
 * (macros, lookups, data sources, stories, deployments, ATT&CK), their search (parses, compiles,
 * ends with its own filter macro) and what the search produces (risk, threat and message fields).
 */
import path from 'node:path';
import { type ContentLoad, type Detection, contentFileStem, loadContent, macroLookup, positionInValue, checkDetectionSearch } from '../../content/index.js';
import { parseYamlFile, type YNode } from '../../content/yaml-located.js';
import { readFile } from 'node:fs/promises';
import { planDetections } from '../../engine/spl/plans.js';
import { expandMacros, originalOffset, type MacroLookup, type Pipeline } from '../../spl/index.js';
import type { AttackCatalog } from '../../risk/attack.js';
import { DATA_SOURCE_SPEC, DEPLOYMENT_SPEC, DETECTION_SPEC, LOOKUP_SPEC, MACRO_SPEC, STORY_SPEC } from './content-schemas.js';
import { outputFields, producesField, type OutputFields } from './output-fields.js';
import { checkNode, textOf, valueOf, type SchemaContext, type Spec } from './schema.js';
import { finding, fromDiagnostic, type Finding, type Pos } from './types.js';

const FOLDER_SPECS: Readonly<Record<string, Spec>> = {
  detections: DETECTION_SPEC,
  stories: STORY_SPEC,
  macros: MACRO_SPEC,
  lookups: LOOKUP_SPEC,
  data_sources: DATA_SOURCE_SPEC,
  deployments: DEPLOYMENT_SPEC,
};

/** Loader codes this validator re-checks itself with its own (stricter, located) findings. */
const RECHECKED = new Set([
  'content.unknown-key', 'content.missing-key', 'content.missing-expected', 'content.file-name', 'content.search.no-filter',
  'content.unknown-story', 'content.unknown-data-source', 'content.duplicate', 'content.duplicate-key', 'content.unknown-type',
  'content.rba.no-risk-object', 'content.risk.declared-score',
]);

const MAX_TOKENS = 200;
const TOKEN = /\$([^$\s]{1,200})\$/g;

export interface ContentValidationOptions {
  readonly attack: AttackCatalog;
  /** YYYY-MM-DD; dates after it are errors. */
  readonly today: string;
}

interface RawFile {
  readonly file: string;
  readonly folder: string;
  readonly root: YNode | null;
}

export async function validateContentRoot(root: string, options: ContentValidationOptions): Promise<Finding[]> {
  const out: Finding[] = [];
  const load = await loadContent(root);
  for (const d of load.diagnostics) {
    if (d.severity === 'info' || RECHECKED.has(d.code)) continue;
    out.push(fromDiagnostic(d));
  }
  const raw = await readRawFiles(root, load);
  const ctxFor = (file: string): SchemaContext => ({ file, today: options.today, out });
  for (const r of raw.values()) {
    const spec = FOLDER_SPECS[r.folder];
    if (spec === undefined || r.root === null) continue;
    checkNode(r.root, spec, `the ${r.folder === 'data_sources' ? 'data source' : r.folder.replace(/s$/, '').replace(/ie$/, 'y')}`, ctxFor(r.file));
  }
  checkUnique(load, raw, out);
  const lookup = macroLookup(load);
  const plans = planDetections(load, lookup, { includeDeprecated: true });
  for (const report of plans.reports) for (const p of report.problems) if (p.severity === 'error') out.push(fromDiagnostic(p));
  for (const d of load.detections) checkDetection(d, load, lookup, raw.get(d.origin.file)?.root ?? null, options, out);
  return out;
}

async function readRawFiles(root: string, load: ContentLoad): Promise<Map<string, RawFile>> {
  const out = new Map<string, RawFile>();
  for (const f of load.files) {
    if (f.status === 'ignored' || !/\.ya?ml$/i.test(f.file)) continue;
    const folder = path.relative(root, f.file).split(path.sep)[0] ?? '';
    let text: string;
    try {
      text = await readFile(f.file, 'utf8');
    } catch {
      continue;
    }
    out.set(f.file, { file: f.file, folder, root: parseYamlFile(text, f.file).root });
  }
  return out;
}

/** Ids must be unique across every object; names within their kind. */
function checkUnique(load: ContentLoad, raw: ReadonlyMap<string, RawFile>, out: Finding[]): void {
  const ids = new Map<string, string>();
  const names = new Map<string, string>();
  for (const r of raw.values()) {
    if (r.root?.kind !== 'map') continue;
    const idNode = valueOf(r.root, 'id');
    const id = textOf(idNode);
    if (id !== null && idNode !== undefined) {
      const key = id.toLowerCase();
      const earlier = ids.get(key);
      if (earlier !== undefined) out.push(finding('error', 'validate.duplicate-id', `id '${id}' is also used by ${earlier}`, r.file, idNode.loc));
      else ids.set(key, r.file);
    }
    const nameNode = valueOf(r.root, 'name');
    const name = textOf(nameNode);
    if (name !== null && nameNode !== undefined && r.folder !== 'macros') {
      const key = `${r.folder}\u0000${name}`;
      const earlier = names.get(key);
      if (earlier !== undefined) out.push(finding('error', 'validate.duplicate-name', `name '${name}' is also used by ${earlier}`, r.file, nameNode.loc));
      else names.set(key, r.file);
    }
  }
  const macros = new Map<string, string>();
  for (const m of load.macros) {
    const key = `${m.name}(${m.arguments.length})`;
    const earlier = macros.get(key);
    if (earlier !== undefined) out.push(finding('error', 'validate.duplicate-name', `macro '${key}' is also defined in ${earlier}`, m.origin.file, m.origin.pos));
    else macros.set(key, m.origin.file);
  }
}

/** Where a YAML path points in a detection's raw tree (the nearest existing node). */
function nodeAt(root: YNode | null, ...keys: (string | ((n: YNode) => boolean))[]): YNode | null {
  let node: YNode | null = root;
  for (const k of keys) {
    if (node === null) return null;
    if (typeof k === 'string') {
      if (node.kind !== 'map') return node;
      const next: YNode | undefined = valueOf(node, k);
      if (next === undefined) return node;
      node = next;
    } else {
      if (node.kind !== 'seq') return node;
      const next: YNode | undefined = node.items.find(k);
      if (next === undefined) return node;
      node = next;
    }
  }
  return node;
}

const itemWith = (key: string, value: string) => (n: YNode): boolean => n.kind === 'map' && textOf(valueOf(n, key)) === value;

function checkDetection(d: Detection, load: ContentLoad, lookup: ReturnType<typeof macroLookup>, root: YNode | null, options: ContentValidationOptions, out: Finding[]): void {
  const file = d.origin.file;
  const at = (node: YNode | null, fallback: Pos = d.origin.pos): Pos => node?.loc ?? fallback;
  const err = (code: string, message: string, pos: Pos): void => void out.push(finding('error', code, message, file, pos));
  const warn = (code: string, message: string, pos: Pos): void => void out.push(finding('warning', code, message, file, pos));
  const namePos = at(nodeAt(root, 'name'));
  const searchPos = at(nodeAt(root, 'search'));

  const fileStem = path.basename(file).replace(/\.ya?ml$/i, '');
  const stem = contentFileStem(d.name);
  if (fileStem !== stem || !file.endsWith('.yml')) err('validate.detection.file-name', `file name '${path.basename(file)}' must be '${stem}.yml' (the name in snake case)`, namePos);

  checkFilterMacro(d, fileStem, lookup, searchPos, out);
  checkMacros(d, lookup, out);

  const parsed = checkDetectionSearch(d, lookup);
  let produced: OutputFields | null = null;
  if (parsed.kind === 'parsed') {
    produced = outputFields(parsed.ast, load.lookups);
    checkLookups(d, parsed.ast, lookup, load, out);
  }

  if (produced !== null) checkRiskFields(d, produced, root, out);

  const risky = d.type === 'TTP' || d.type === 'Anomaly';
  if (risky && d.status === 'production' && (d.risk === null || d.risk.riskObjects.length === 0)) {
    err('validate.detection.no-risk', `a production ${d.type} detection needs risk: an rba block, or tags impact, confidence and a Victim observable`, at(nodeAt(root, 'tags')));
  }
  if (!risky && d.risk?.kind === 'rba') warn('validate.detection.rba-unused', `${d.type} detections raise no risk; the rba block is not used`, at(nodeAt(root, 'rba')));
  if (d.risk?.kind === 'tags' && d.risk.declaredRiskScore !== null && d.risk.declaredRiskScore !== d.risk.riskScore) {
    warn('validate.detection.risk-score', `tags.risk_score ${d.risk.declaredRiskScore} differs from impact × confidence / 100 = ${d.risk.riskScore}`, at(nodeAt(root, 'tags', 'risk_score')));
  }

  checkAttack(d, root, options.attack, out);

  const stories = new Set(load.stories.map((s) => s.name));
  for (const s of d.tags.analyticStory) {
    if (!stories.has(s)) err('validate.detection.unknown-story', `analytic story '${s}' is not in stories/`, at(nodeAt(root, 'tags', 'analytic_story', (n) => textOf(n) === s)));
  }
  const sources = new Map(load.dataSources.map((s) => [s.name, s]));
  for (const s of d.dataSource) {
    const source = sources.get(s);
    const pos = at(nodeAt(root, 'data_source', (n) => textOf(n) === s));
    if (source === undefined) err('validate.detection.unknown-data-source', `data source '${s}' is not in data_sources/`, pos);
    else if (risky && d.status === 'production') {
      for (const f of source.outputFields) if (!d.search.includes(f)) warn('validate.detection.data-source-field', `output field '${f}' of data source '${s}' does not appear in the search`, pos);
    }
  }
  if (d.deployment === null && !load.deployments.some((x) => x.type === d.type)) {
    warn('validate.detection.no-deployment', `no deployment in deployments/ is for type ${d.type}; the default schedule is used`, at(nodeAt(root, 'type')));
  }

  const manual = textOf(nodeAt(root, 'tags', 'manual_test') ?? undefined) !== null;
  if (d.status === 'production' && d.type !== 'Correlation' && d.tests.length === 0 && !manual) {
    err('validate.detection.no-tests', `a production ${d.type} detection needs at least one test (or tags.manual_test saying why not)`, at(nodeAt(root, 'tests'), namePos));
  }
}

/** The search must end with the macro named after its file: `` `<file stem>_filter` ``. */
function checkFilterMacro(d: Detection, fileStem: string, lookup: ReturnType<typeof macroLookup>, searchPos: Pos, out: Finding[]): void {
  const want = `\`${fileStem}_filter\``;
  const trimmed = d.search.trimEnd();
  if (!trimmed.endsWith(want)) {
    const where = d.search.includes(want) ? 'does not end with' : 'does not use';
    out.push(finding('error', 'validate.detection.filter-macro', `the search ${where} its filter macro ${want}`, d.origin.file, positionInValue(d.searchPositions, Math.max(0, trimmed.length - 1))));
    return;
  }
  if (lookup.resolve(`${fileStem}_filter`, 0)?.source === 'default-filter') {
    out.push(finding('warning', 'validate.detection.filter-macro-undefined', `filter macro '${fileStem}_filter' is not in macros/ (contentctl creates it as 'search *')`, d.origin.file, searchPos));
  }
}

/** Every macro the search uses, directly or through other macros, must exist. */
function checkMacros(d: Detection, lookup: ReturnType<typeof macroLookup>, out: Finding[]): void {
  const missing = new Map<string, number>();
  const recording: MacroLookup = (name, arity) => {
    const found = lookup(name, arity);
    if (found !== undefined) return found;
    if (!missing.has(`${name}(${arity})`)) missing.set(`${name}(${arity})`, d.search.indexOf(`\`${name}`));
    return { definition: 'search *', args: Array.from({ length: arity }, (_, i) => `arg${i + 1}`) };
  };
  try {
    expandMacros(d.search, recording);
  } catch {
    // Parse-level problems (unbalanced backticks, recursion) are reported by the search check.
  }
  for (const [macro, offset] of missing) {
    const pos = positionInValue(d.searchPositions, Math.max(0, offset));
    out.push(finding('error', 'validate.detection.unknown-macro', `macro '${macro}' is not defined in macros/`, d.origin.file, pos));
  }
}

function checkLookups(d: Detection, ast: Pipeline, lookup: MacroLookup, load: ContentLoad, out: Finding[]): void {
  const known = new Set<string>();
  for (const l of load.lookups) {
    known.add(l.name);
    if (l.filename !== null) known.add(l.filename);
  }
  let expanded: ReturnType<typeof expandMacros> | null = null;
  for (const c of ast.commands) {
    if ((c.kind !== 'lookup' && c.kind !== 'inputlookup') || known.has(c.table)) continue;
    try {
      expanded ??= expandMacros(d.search, lookup);
    } catch {
      expanded = null;
    }
    const offset = expanded === null ? 0 : originalOffset(expanded, c.loc.start);
    out.push(finding('error', 'validate.detection.unknown-lookup', `lookup '${c.table}' is not in lookups/`, d.origin.file, positionInValue(d.searchPositions, offset)));
  }
}

function checkRiskFields(d: Detection, produced: OutputFields, root: YNode | null, out: Finding[]): void {
  const risk = d.risk;
  if (risk === null) return;
  const file = d.origin.file;
  const rba = risk.kind === 'rba';
  const objectNode = (field: string): YNode | null =>
    rba ? nodeAt(root, 'rba', 'risk_objects', itemWith('field', field)) : nodeAt(root, 'tags', 'observable', itemWith('name', field));
  const threatNode = (field: string): YNode | null =>
    rba ? nodeAt(root, 'rba', 'threat_objects', itemWith('field', field)) : nodeAt(root, 'tags', 'observable', itemWith('name', field));
  for (const o of risk.riskObjects) {
    if (!producesField(produced, o.field)) {
      out.push(finding('error', 'validate.detection.risk-field', `risk object field '${o.field}' is not produced by the search`, file, objectNode(o.field)?.loc ?? d.origin.pos));
    }
  }
  for (const t of risk.threatObjects) {
    if (!producesField(produced, t.field)) {
      out.push(finding('error', 'validate.detection.threat-field', `threat object field '${t.field}' is not produced by the search`, file, threatNode(t.field)?.loc ?? d.origin.pos));
    }
  }
  const messageNode = rba ? nodeAt(root, 'rba', 'message') : nodeAt(root, 'tags', 'message');
  let n = 0;
  for (const m of risk.message.matchAll(TOKEN)) {
    if (++n > MAX_TOKENS) break;
    const field = m[1]!;
    if (!producesField(produced, field)) {
      out.push(finding('error', 'validate.detection.message-field', `risk message token $${field}$ is not produced by the search`, file, messageNode?.loc ?? d.origin.pos));
    }
  }
}

function checkAttack(d: Detection, root: YNode | null, attack: AttackCatalog, out: Finding[]): void {
  const ids = d.tags.mitreAttackId;
  for (const id of ids) {
    const pos = nodeAt(root, 'tags', 'mitre_attack_id', (n) => textOf(n) === id)?.loc ?? d.origin.pos;
    const technique = attack.technique(id);
    if (technique === undefined) {
      out.push(finding('error', 'validate.detection.attack-id', `ATT&CK technique '${id}' does not exist (mappings/attack/techniques.yml)`, d.origin.file, pos));
      continue;
    }
    if (technique.replacedBy !== null || technique.deprecated) {
      const instead = technique.replacedBy !== null ? `; use ${technique.replacedBy}` : '';
      out.push(finding('warning', 'validate.detection.attack-revoked', `ATT&CK technique '${id}' is revoked or deprecated${instead}`, d.origin.file, pos));
    }
    const dot = id.indexOf('.');
    if (dot > 0 && ids.includes(id.slice(0, dot))) {
      out.push(finding('error', 'validate.detection.attack-parent', `'${id.slice(0, dot)}' is listed together with its sub-technique '${id}'; list only the sub-technique`, d.origin.file, pos));
    }
  }
}

