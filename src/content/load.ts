/**
 * Loads a security_content-shaped tree:
 *   detections/**.yml  stories/*.yml  macros/*.yml  lookups/*.yml (+ csv)  data_sources/*.yml  deployments/*.yml
 * Every file ends up loaded, failed (with located errors) or ignored (with an info note).
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import type { Diagnostic } from '../core/diagnostics.js';
import { assertNever } from '../core/xml-tree.js';
import { parseCsv } from './csv.js';
import { FieldReader } from './fields.js';
import type { ContentLoad, DataSource, Deployment, Detection, FileAccount, Lookup, LookupTable, Macro, Story } from './model.js';
import { readDataSource, readDeployment, readDetection, readLookup, readMacro, readStory } from './objects.js';
import { parseYamlFile } from './yaml-located.js';

const MAX_FILES = 100_000;
const MAX_DEPTH = 16;
const MAX_YAML_BYTES = 5 * 1024 * 1024;
const MAX_CSV_BYTES = 64 * 1024 * 1024;
const YAML_FILE = /\.ya?ml$/i;

const FOLDERS = ['detections', 'stories', 'macros', 'lookups', 'data_sources', 'deployments'] as const;
type Folder = (typeof FOLDERS)[number];

export async function loadContent(root: string): Promise<ContentLoad> {
  const diagnostics: Diagnostic[] = [];
  const files: FileAccount[] = [];
  const detections: Detection[] = [];
  const stories: Story[] = [];
  const macros: Macro[] = [];
  const lookups: Lookup[] = [];
  const dataSources: DataSource[] = [];
  const deployments: Deployment[] = [];
  // Files are named as the caller's root + their path below it.
  const rel = (p: string): string => p;
  let budget = MAX_FILES;

  const rootStat = await stat(root).catch(() => null);
  if (rootStat === null || !rootStat.isDirectory()) {
    diagnostics.push({ severity: 'error', code: 'content.root', message: 'content root is not a readable directory', location: { file: root } });
    return { root, detections, stories, macros, lookups, dataSources, deployments, diagnostics, files };
  }
  let anyFolder = false;
  for (const folder of FOLDERS) {
    const dir = join(root, folder);
    const st = await stat(dir).catch(() => null);
    if (st === null || !st.isDirectory()) continue;
    anyFolder = true;
    const list: string[] = [];
    const truncated = await walk(dir, 0, list, () => --budget >= 0);
    if (truncated) diagnostics.push({ severity: 'error', code: 'content.too-many-files', message: `more than ${MAX_FILES} files; the rest are not read`, location: { file: rel(dir) } });
    list.sort();
    const csvUsed = new Set<string>();
    for (const path of list) {
      const file = rel(path);
      if (!YAML_FILE.test(path)) {
        if (folder !== 'lookups') {
          files.push({ file, status: 'ignored' });
          diagnostics.push({ severity: 'info', code: 'content.file.ignored', message: `not a YAML file, ignored`, location: { file } });
        }
        continue;
      }
      const text = await readText(path, MAX_YAML_BYTES, file, diagnostics);
      if (text === null) {
        files.push({ file, status: 'failed' });
        continue;
      }
      const yfile = parseYamlFile(text, file);
      const r = new FieldReader(file);
      r.diagnostics.push(...yfile.diagnostics);
      const loaded = await readOne(folder, yfile, r, path, csvUsed);
      diagnostics.push(...r.diagnostics);
      files.push({ file, status: loaded === null ? 'failed' : 'loaded' });
      if (loaded === null) {
        if (!r.diagnostics.some((d) => d.severity === 'error')) diagnostics.push({ severity: 'error', code: 'content.rejected', message: `${folder} file not loaded`, location: { file } });
        continue;
      }
      switch (loaded.kind) {
        case 'detection': detections.push(loaded); break;
        case 'story': stories.push(loaded); break;
        case 'macro': macros.push(loaded); break;
        case 'lookup': lookups.push(loaded); break;
        case 'data-source': dataSources.push(loaded); break;
        case 'deployment': deployments.push(loaded); break;
        default: assertNever(loaded);
      }
    }
    if (folder === 'lookups') {
      for (const path of list) {
        if (YAML_FILE.test(path)) continue;
        const file = rel(path);
        const used = csvUsed.has(path);
        files.push({ file, status: used ? 'loaded' : 'ignored' });
        if (!used) diagnostics.push({ severity: 'info', code: 'content.file.ignored', message: 'no lookup definition names this file', location: { file } });
      }
    }
  }
  if (!anyFolder) diagnostics.push({ severity: 'error', code: 'content.root', message: `no ${FOLDERS.join('/, ')}/ folder under the content root`, location: { file: root } });
  reportDuplicates(detections, (d) => d.name, 'detection', diagnostics);
  reportDuplicates(detections, (d) => d.id, 'detection id', diagnostics);
  reportDuplicates(stories, (s) => s.name, 'story', diagnostics);
  reportDuplicates(macros, (m) => `${m.name}(${m.arguments.length})`, 'macro', diagnostics);
  reportDuplicates(lookups, (l) => l.name, 'lookup', diagnostics);
  reportDuplicates(dataSources, (d) => d.name, 'data source', diagnostics);
  crossCheck(detections, stories, dataSources, diagnostics);
  return { root, detections, stories, macros, lookups, dataSources, deployments, diagnostics, files };

  async function readOne(folder: Folder, yfile: ReturnType<typeof parseYamlFile>, r: FieldReader, path: string, csvUsed: Set<string>): Promise<Detection | Story | Macro | Lookup | DataSource | Deployment | null> {
    switch (folder) {
      case 'detections': return readDetection(yfile, r);
      case 'stories': return readStory(yfile, r);
      case 'macros': return readMacro(yfile, r);
      case 'data_sources': return readDataSource(yfile, r);
      case 'deployments': return readDeployment(yfile, r);
      case 'lookups': {
        const meta = readLookup(yfile, r);
        if (meta === null) return null;
        return attachTable(meta, path, r, csvUsed);
      }
      default: return assertNever(folder);
    }
  }

  async function attachTable(meta: Omit<Lookup, 'path' | 'table'>, ymlPath: string, r: FieldReader, csvUsed: Set<string>): Promise<Lookup> {
    const type = meta.lookupType?.toLowerCase() ?? null;
    if (type !== null && type !== 'csv') return { ...meta, path: null, table: null };
    // `filename` when given; newer content puts `<stem>.csv` next to the yml.
    const candidates = meta.filename !== null ? [join(dirname(ymlPath), meta.filename)] : [join(dirname(ymlPath), `${basename(ymlPath, extname(ymlPath))}.csv`)];
    const csvPath = candidates[0]!;
    const st = await stat(csvPath).catch(() => null);
    if (st === null || !st.isFile()) {
      if (meta.filename !== null || type === 'csv') r.error('content.lookup.no-file', `lookup '${meta.name}': file '${basename(csvPath)}' not found`, meta.origin.pos);
      return { ...meta, path: null, table: null };
    }
    csvUsed.add(csvPath);
    const text = await readText(csvPath, MAX_CSV_BYTES, rel(csvPath), r.diagnostics);
    let table: LookupTable | null = null;
    if (text !== null) {
      const parsed = parseCsv(text, rel(csvPath));
      r.diagnostics.push(...parsed.diagnostics);
      table = parsed.table;
    }
    if (table !== null) {
      for (const f of meta.fieldsList) if (!table.fields.includes(f)) r.warn('content.lookup.field', `fields_list names '${f}', which is not a column of ${basename(csvPath)}`, meta.origin.pos);
    }
    return { ...meta, path: rel(csvPath), table };
  }
}

async function walk(dir: string, depth: number, out: string[], take: () => boolean): Promise<boolean> {
  if (depth > MAX_DEPTH) return false;
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) {
      if (await walk(path, depth + 1, out, take)) return true;
    } else if (e.isFile()) {
      if (!take()) return true;
      out.push(path);
    }
  }
  return false;
}

async function readText(path: string, maxBytes: number, file: string, diagnostics: Diagnostic[]): Promise<string | null> {
  try {
    const st = await stat(path);
    if (st.size > maxBytes) {
      diagnostics.push({ severity: 'error', code: 'content.file.too-large', message: `file is ${st.size} bytes (limit ${maxBytes})`, location: { file } });
      return null;
    }
    return await readFile(path, 'utf8');
  } catch (e) {
    diagnostics.push({ severity: 'error', code: 'content.file.read', message: `cannot read: ${(e as Error).message}`, location: { file } });
    return null;
  }
}

function reportDuplicates<T extends { readonly origin: { readonly file: string; readonly pos: { readonly line: number; readonly column: number } } }>(
  items: readonly T[],
  keyOf: (t: T) => string,
  what: string,
  diagnostics: Diagnostic[],
): void {
  const first = new Map<string, T>();
  for (const item of items) {
    const key = keyOf(item);
    const earlier = first.get(key);
    if (earlier === undefined) first.set(key, item);
    else {
      diagnostics.push({
        severity: 'warning',
        code: 'content.duplicate',
        message: `${what} '${key}' is also defined in ${earlier.origin.file}:${earlier.origin.pos.line}`,
        location: { file: item.origin.file, line: item.origin.pos.line, column: item.origin.pos.column },
      });
    }
  }
}

/** Story and data-source names a detection refers to should exist (only checked when that folder was loaded). */
function crossCheck(detections: readonly Detection[], stories: readonly Story[], dataSources: readonly DataSource[], diagnostics: Diagnostic[]): void {
  const storyNames = new Set(stories.map((s) => s.name));
  const sourceNames = new Set(dataSources.map((d) => d.name));
  for (const d of detections) {
    const at = { file: d.origin.file, line: d.origin.pos.line, column: d.origin.pos.column };
    if (storyNames.size > 0) {
      for (const s of d.tags.analyticStory) if (!storyNames.has(s)) diagnostics.push({ severity: 'warning', code: 'content.unknown-story', message: `analytic story '${s}' is not in stories/`, location: at });
    }
    if (sourceNames.size > 0) {
      for (const s of d.dataSource) if (!sourceNames.has(s)) diagnostics.push({ severity: 'warning', code: 'content.unknown-data-source', message: `data source '${s}' is not in data_sources/`, location: at });
    }
  }
}

/** The deployment (schedule and alert actions) of a detection: its inline block, else the one for its type. */
export function deploymentFor(load: ContentLoad, detection: Detection): Deployment | null {
  return detection.deployment ?? load.deployments.find((d) => d.type === detection.type) ?? null;
}
