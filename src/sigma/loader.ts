/**
 * Loading Sigma: files and folders → parsed documents → cross-document passes (filters,
 * logsource resolution, correlation references) → IR rules plus one report per document.
 */
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Diagnostic } from '../core/diagnostics.js';
import { createLogsourceResolver } from '../pipeline/index.js';
import type { CorrelationRule, DetectionRule, DetectionVariant, Rule } from '../ir/nodes.js';
import { parseDocument, type ParsedCorrelation, type ParsedDetection, type ParsedDoc, type ParsedFilter } from './document.js';
import { allOf } from './expr.js';
import { loadPlaceholderConfig } from './placeholders.js';
import { NOT_WINDOWS_CODE, type LogsourceResolver, type RuleKind, type RuleReport, type RuleSetLoad, type RuleStatus, type RuleFileWalk, type SigmaLoadOptions } from './types.js';
import { getPair, getValue, locate, parseYamlDocuments, type YDocument } from './yaml-tree.js';

const MAX_FILE_BYTES = 8 * 1024 * 1024;
const MAX_WALK_ENTRIES = 200_000;

let cachedDefaultResolver: LogsourceResolver | null = null;

/**
 * The pipeline's resolver (mappings loaded once). When the mapping files are broken, every
 * detection is reported with that reason: a rule never silently widens to all events.
 */
function defaultLogsourceResolver(): LogsourceResolver {
  if (cachedDefaultResolver !== null) return cachedDefaultResolver;
  try {
    cachedDefaultResolver = createLogsourceResolver();
  } catch (e) {
    const detail = e instanceof AggregateError ? e.errors.map((x: unknown) => (x as Error).message).join('; ') : (e as Error).message;
    const error = `logsource mappings unavailable: ${detail}`;
    cachedDefaultResolver = { resolve: () => ({ error }) };
  }
  return cachedDefaultResolver;
}

/** Synchronous loading of one text (tests, stdin). Uses `options.logsources`, else the pipeline's resolver. */
export function loadSigmaText(text: string, file: string, options: SigmaLoadOptions = {}): RuleSetLoad {
  const docs = parseText(text, file, options);
  return finalize(docs, options.logsources ?? defaultLogsourceResolver());
}

export async function loadSigmaRules(paths: string[], options: SigmaLoadOptions = {}): Promise<RuleSetLoad> {
  const setup: RuleReport[] = [];
  let placeholders = options.placeholders;
  if (options.placeholderConfig !== undefined) {
    const cfg = await loadPlaceholderConfig(options.placeholderConfig);
    placeholders = { ...cfg.placeholders, ...(options.placeholders ?? {}) };
    if (cfg.problems.length > 0) setup.push(report(options.placeholderConfig, undefined, 'unknown', cfg.problems, 'Placeholder config'));
  }
  const resolver = options.logsources ?? defaultLogsourceResolver();
  const files: string[] = [];
  for (const [i, p] of paths.entries()) {
    const found = options.walks?.[i] ?? (await collectRuleFiles(p));
    if ('error' in found) setup.push(report(p, undefined, 'unknown', [{ severity: 'error', code: 'sigma.file', message: found.error, location: { file: p } }]));
    else files.push(...found.files);
  }
  // Overlapping arguments (`rules/` and `rules/windows/`) must not load a file twice.
  const seenFiles = new Set<string>();
  const uniqueFiles = files.filter((f) => {
    const key = path.resolve(f);
    if (seenFiles.has(key)) return false;
    seenFiles.add(key);
    return true;
  });
  const parseOptions = { ...options, placeholders };
  const docs: ParsedDoc[] = [];
  const unreadable: RuleReport[] = [];
  for (const file of uniqueFiles) {
    const t = readText(file);
    if (typeof t === 'string') docs.push(...parseOrReuse(t, file, parseOptions));
    else unreadable.push(report(file, undefined, 'unknown', [{ severity: 'error', code: 'sigma.file', message: t.error, location: { file } }]));
  }
  const result = finalize(docs, resolver);
  return { rules: result.rules, reports: [...setup, ...unreadable, ...result.reports] };
}

/**
 * A rule file's text. Read blocking: rule files are small, and the promise API's round trips
 * cost five times the reading itself (the SigmaHQ Windows set: about 100 ms against 20).
 */
function readText(file: string): string | { error: string } {
  let fd: number | null = null;
  try {
    fd = openSync(file, 'r');
    const size = fstatSync(fd).size;
    if (size > MAX_FILE_BYTES) return { error: `file is ${size} bytes; rule files are limited to ${MAX_FILE_BYTES}` };
    const text = readFileSync(fd).toString('utf8');
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  } catch (e) {
    return { error: `cannot read: ${(e as Error).message}` };
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

/** The rule files under `root` (itself, if a file), as the loader walks them: sorted per folder, links followed, loops skipped. */
export async function collectRuleFiles(root: string): Promise<RuleFileWalk> {
  let st;
  try {
    st = await stat(root);
  } catch (e) {
    return { error: `cannot open rule path: ${(e as Error).message}` };
  }
  if (st.isFile()) return { files: [root] };
  if (!st.isDirectory()) return { error: 'not a file or folder' };
  const files: string[] = [];
  const visited = new Set<string>();
  const stack = [root];
  let entries = 0;
  while (stack.length > 0) {
    const dir = stack.pop()!;
    let real: string;
    try {
      real = await realpath(dir);
    } catch {
      continue;
    }
    if (visited.has(real)) continue; // symlink loops
    visited.add(real);
    let list;
    try {
      list = await readdir(dir, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of list.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      if (++entries > MAX_WALK_ENTRIES) return { error: `more than ${MAX_WALK_ENTRIES} entries under ${root}` };
      const full = path.join(dir, e.name);
      let isDir = e.isDirectory();
      let isFile = e.isFile();
      if (e.isSymbolicLink()) {
        try {
          const s = await stat(full);
          isDir = s.isDirectory();
          isFile = s.isFile();
        } catch {
          continue;
        }
      }
      if (isDir) stack.push(full);
      else if (isFile && /\.ya?ml$/i.test(e.name)) files.push(full);
    }
  }
  return { files: files.sort() };
}

/** A file's documents from `options.documents` when it holds this text, else parsed (and given to it). */
function parseOrReuse(text: string, file: string, options: SigmaLoadOptions): readonly ParsedDoc[] {
  const store = options.documents;
  const known = store?.get(file, text);
  if (known !== undefined) return known;
  const parsed = parseText(text, file, options);
  store?.put(file, text, parsed);
  return parsed;
}

function parseText(text: string, file: string, options: SigmaLoadOptions): ParsedDoc[] {
  const yamlDocs = parseYamlDocuments(text, file);
  if (yamlDocs.length === 0) {
    return [{
      kind: 'failed', intended: 'unknown', file, loc: { line: 1, column: 1, offset: 0 }, writtenId: null, name: null, title: null,
      problems: [{ severity: 'error', code: 'sigma.document.empty', message: 'file holds no YAML document', location: { file, line: 1 } }],
    }];
  }
  const docOptions = { strict: options.strict === true, placeholders: options.placeholders };
  const collection = collectionAction(yamlDocs);
  if (collection !== null) {
    // Sigma v1 collections (`action: global/reset/repeat`) merge documents; v2 dropped them.
    return yamlDocs.map((d) => {
      const root = d.root?.kind === 'map' ? d.root : null;
      const titleNode = root ? getValue(root, 'title') : undefined;
      const idNode = root ? getValue(root, 'id') : undefined;
      return {
        kind: 'failed', intended: 'detection', file, loc: d.loc, name: null,
        title: titleNode?.kind === 'scalar' ? titleNode.text : null,
        writtenId: idNode?.kind === 'scalar' ? idNode.text : null,
        problems: [...d.problems, {
          severity: 'error', code: 'sigma.legacy.collection',
          message: `part of a Sigma v1 rule collection ('action: ${collection.action}' at line ${collection.line}); collections were dropped in Sigma v2, write standalone rules`,
          location: { file, line: d.loc.line, column: d.loc.column },
        }],
      } satisfies ParsedDoc;
    });
  }
  return yamlDocs.map((d) => parseDocument(d, file, docOptions));
}

function collectionAction(docs: readonly YDocument[]): { action: string; line: number } | null {
  for (const d of docs) {
    if (d.root?.kind !== 'map') continue;
    const pair = getPair(d.root, 'action');
    if (pair !== undefined) return { action: pair.value.kind === 'scalar' ? pair.value.text : '?', line: pair.keyLoc.line };
  }
  return null;
}

function report(file: string, line: number | undefined, kind: RuleKind, problems: Diagnostic[], title?: string, id?: string): RuleReport {
  const status: RuleStatus = problems.some((p) => p.severity === 'error')
    ? 'not-loaded'
    : problems.some((p) => p.code === NOT_WINDOWS_CODE)
      ? 'not-applicable'
      : problems.some((p) => p.severity === 'warning')
        ? 'loaded-with-warnings'
        : 'loaded';
  return { file, ...(line !== undefined ? { line } : {}), ...(id !== undefined ? { id } : {}), ...(title !== undefined ? { title } : {}), status, kind, problems };
}

/** Cross-document passes over everything loaded together. */
function finalize(docs: readonly ParsedDoc[], resolver: LogsourceResolver): RuleSetLoad {
  const detections = docs.filter((d): d is ParsedDetection => d.kind === 'detection');
  const filters = docs.filter((d): d is ParsedFilter => d.kind === 'filter');
  const correlations = docs.filter((d): d is ParsedCorrelation => d.kind === 'correlation');

  // 1. Filters: (rule condition) and (filter condition), before logsource translation so the
  //    filter's fields get the same field mapping as the rule's.
  for (const f of filters) {
    let applied = 0;
    for (const r of detections) {
      const named = f.targets !== 'any' && f.targets.some((t) => t === r.meta.id || t === r.name || t === r.writtenId);
      if (f.targets !== 'any' && !named) continue;
      if (!logsourceContains(f.logsource, r.logsource)) {
        if (named) f.problems.push({ severity: 'warning', code: 'sigma.filter.logsource', message: `rule '${r.meta.id}' is named but its logsource differs; filter not applied to it`, location: locate(f.file, f.loc) });
        continue;
      }
      r.condition = allOf([r.condition, f.condition]);
      r.problems.push({ severity: 'info', code: 'sigma.filter.applied', message: `filter '${f.title ?? f.writtenId ?? f.file}' applied`, location: locate(f.file, f.loc) });
      applied++;
    }
    if (applied === 0) f.problems.push({ severity: 'warning', code: 'sigma.filter.unused', message: `filter targets no loaded rule (rules: ${f.targets === 'any' ? 'any' : f.targets.join(', ')})`, location: locate(f.file, f.loc) });
    else f.problems.push({ severity: 'info', code: 'sigma.filter.applied', message: `applied to ${applied} rule(s)`, location: locate(f.file, f.loc) });
  }

  // 2. Logsource resolution.
  const rules: Rule[] = [];
  const loadedIds = new Map<string, Rule>();
  const byName = new Map<string, string>();
  for (const r of detections) {
    const out = resolveRule(r, resolver);
    if (out !== null) {
      if (loadedIds.has(r.meta.id)) {
        r.problems.push({ severity: 'warning', code: 'sigma.meta.id-duplicate', message: `id '${r.meta.id}' is used by another loaded rule`, location: locate(r.file, r.loc) });
      }
      rules.push(out);
      loadedIds.set(out.meta.id, out);
      if (r.name !== null) byName.set(r.name, out.meta.id);
    }
  }

  // 3. Correlations: resolve references (ids or names, chaining allowed), in dependency order.
  for (const c of correlations) if (c.name !== null) byName.set(c.name, c.meta.id);
  const corrById = new Map(correlations.map((c) => [c.meta.id, c] as const));
  const state = new Map<ParsedCorrelation, 'pending' | 'done' | 'failed' | 'visiting'>();
  const resolveCorrelation = (c: ParsedCorrelation): boolean => {
    const s = state.get(c);
    if (s === 'done') return true;
    if (s === 'failed') return false;
    if (s === 'visiting') {
      c.problems.push({ severity: 'error', code: 'sigma.correlation.cycle', message: 'correlation references form a cycle', location: locate(c.file, c.loc) });
      state.set(c, 'failed');
      return false;
    }
    state.set(c, 'visiting');
    const refToId = (ref: string): string | undefined => (loadedIds.has(ref) || corrById.has(ref) ? ref : byName.get(ref));
    const ids: string[] = [];
    let ok = true;
    for (const { ref, loc } of c.refs) {
      const id = refToId(ref);
      const target = id === undefined ? undefined : loadedIds.get(id) ?? corrById.get(id);
      if (id === undefined || target === undefined) {
        const known = docs.find((d) => d !== c && (d.writtenId === ref || d.name === ref));
        c.problems.push({
          severity: 'error', code: 'sigma.correlation.reference',
          message: known ? `referenced rule '${ref}' was not loaded (${known.file}:${known.loc.line})` : `referenced rule '${ref}' is not among the loaded rules (by id or name)`,
          location: locate(c.file, loc),
        });
        ok = false;
        continue;
      }
      if ('kind' in target && target.kind === 'correlation' && !loadedIds.has(id)) {
        // Chained correlation: it must load first.
        if (!resolveCorrelation(target as ParsedCorrelation)) {
          c.problems.push({ severity: 'error', code: 'sigma.correlation.reference', message: `referenced correlation '${ref}' did not load`, location: locate(c.file, loc) });
          ok = false;
          continue;
        }
      }
      ids.push(id);
    }
    const aliases: Record<string, Record<string, string>> = {};
    for (const [alias, perRule] of Object.entries(c.aliases)) {
      aliases[alias] = {};
      for (const [ref, field] of Object.entries(perRule)) {
        const id = refToId(ref);
        if (id === undefined || !ids.includes(id)) {
          c.problems.push({ severity: 'error', code: 'sigma.correlation.aliases', message: `alias '${alias}' names rule '${ref}', which is not one of this correlation's rules`, location: locate(c.file, c.loc) });
          ok = false;
        } else aliases[alias]![id] = field;
      }
    }
    if (!ok || c.problems.some((p) => p.severity === 'error')) {
      state.set(c, 'failed');
      return false;
    }
    const rule: CorrelationRule = {
      kind: 'correlation', meta: c.meta, type: c.type, rules: ids, groupBy: c.groupBy, timespanMs: c.timespanMs,
      condition: c.condition, fields: c.fields, ...(c.percentile !== undefined ? { percentile: c.percentile } : {}), aliases, generate: c.generate,
    };
    rules.push(rule);
    loadedIds.set(rule.meta.id, rule);
    state.set(c, 'done');
    return true;
  };
  for (const c of correlations) resolveCorrelation(c);

  const reports: RuleReport[] = docs.map((d) => {
    const kind: RuleKind = d.kind === 'failed' ? d.intended : d.kind;
    const id = d.kind === 'detection' || d.kind === 'correlation' ? d.meta.id : d.writtenId ?? d.name ?? undefined;
    return report(d.file, d.loc.line, kind, d.problems, d.title ?? undefined, id ?? undefined);
  });
  return { rules, reports };
}

function logsourceContains(filter: Readonly<Record<string, string | readonly string[]>>, rule: Readonly<Record<string, string | readonly string[]>>): boolean {
  const norm = (v: string | readonly string[] | undefined): string[] => (v === undefined ? [] : (typeof v === 'string' ? [v] : [...v]).map((s) => s.toLowerCase()));
  return Object.entries(filter).every(([k, v]) => {
    const want = norm(v);
    const have = norm(rule[k]);
    return have.length > 0 && have.every((h) => want.includes(h));
  });
}

/** Resolves a detection's logsource; list-valued keys (mdecrevoisier) resolve per combination. */
function resolveRule(r: ParsedDetection, resolver: LogsourceResolver): DetectionRule | null {
  const combos: Record<string, string>[] = [{}];
  let expanded = false;
  for (const [k, v] of Object.entries(r.logsource)) {
    const values = typeof v === 'string' ? [v] : v;
    if (typeof v !== 'string') expanded = true;
    const next: Record<string, string>[] = [];
    for (const c of combos) for (const x of values) next.push({ ...c, [k]: x });
    combos.splice(0, combos.length, ...next.slice(0, 64));
  }
  if (expanded) {
    r.problems.push({ severity: 'warning', code: 'sigma.logsource.list', message: `logsource has list values; resolved as ${combos.length} separate logsources`, location: locate(r.file, r.logsourceLoc) });
  }
  const variants: DetectionVariant[] = [];
  const errors: string[] = [];
  let notWindows = 0;
  const labels = new Set<string>();
  for (const ls of combos) {
    let res;
    try {
      res = resolver.resolve(ls, r.condition);
    } catch (e) {
      res = { error: `logsource resolver failed: ${(e as Error).message}` };
    }
    if ('error' in res) {
      if ('notWindows' in res && res.notWindows === true) notWindows++;
      errors.push(combos.length > 1 ? `${JSON.stringify(ls)}: ${res.error}` : res.error);
      continue;
    }
    for (const w of res.warnings) r.problems.push({ severity: 'warning', code: 'sigma.logsource', message: w, location: locate(r.file, r.logsourceLoc) });
    for (const v of res.variants) {
      let label = v.label;
      for (let n = 2; labels.has(label); n++) label = `${v.label}-${n}`;
      labels.add(label);
      variants.push(label === v.label ? v : { ...v, label });
    }
  }
  if (variants.length === 0 && notWindows > 0 && notWindows === errors.length) {
    r.problems.push({ severity: 'info', code: NOT_WINDOWS_CODE, message: errors.join('; '), location: locate(r.file, r.logsourceLoc) });
    return null;
  }
  if (variants.length === 0) {
    r.problems.push({ severity: 'error', code: 'sigma.logsource.unmapped', message: errors.join('; ') || 'logsource resolved to no event source', location: locate(r.file, r.logsourceLoc) });
    return null;
  }
  for (const e of errors) r.problems.push({ severity: 'warning', code: 'sigma.logsource.unmapped', message: e, location: locate(r.file, r.logsourceLoc) });
  const logsource: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.logsource)) logsource[k] = typeof v === 'string' ? v : v.join(', ');
  return { kind: 'detection', meta: r.meta, logsource, variants, outputFields: r.outputFields };
}
