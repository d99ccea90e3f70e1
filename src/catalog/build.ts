/**
 * `vigil catalog build`: loads content and Sigma rules, builds the site model, explains every rule
 * (when `vigil explain` is present) and writes the static site with bounded write concurrency.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadContent, type ContentLoad } from '../content/index.js';
import type { RuleExplanation } from '../devtools/explain/types.js';
import { defaultAttackCatalog, type AttackCatalog } from '../risk/attack.js';
import { loadSigmaRules, type RuleSetLoad } from '../sigma/index.js';
import { SEARCH_JS, STYLE_CSS } from './assets.js';
import { loadExplainBridge, type ExplainBridge } from './explain.js';
import { buildSiteModel, type SiteModel } from './model.js';
import { detectionPage, type ExplainView } from './pages/detection.js';
import { detectionsIndexPage, homePage, searchPage, sigmaIndexPage, storiesIndexPage } from './pages/indexes.js';
import { href } from './pages/links.js';
import { matrixPage, techniquePage } from './pages/matrix.js';
import { sigmaPage } from './pages/sigma.js';
import { storyPage } from './pages/story.js';
import { searchEntries, searchIndexScript } from './search-index.js';
import { readTestResults, type TestResults } from './test-results.js';

/** Marks a folder as a catalog this command wrote, so a rebuild may clear it. */
export const SITE_MARKER = '.vigil-catalog';
const SITE_FOLDERS = ['stories', 'detections', 'sigma', 'attack', 'assets'] as const;
const DEFAULT_CONCURRENCY = 32;
const MAX_RULE_BODY = 256 * 1024;

export interface CatalogBuildOptions {
  readonly out: string;
  /** Sigma rule files or folders. */
  readonly rules: readonly string[];
  /** security_content-shaped folders. */
  readonly detections: readonly string[];
  readonly testResultsFile?: string;
  /** Files written at the same time (default 32). */
  readonly concurrency?: number;
  /** Replaces the run-time `vigil explain` bridge (tests). */
  readonly explain?: ExplainBridge;
  readonly attack?: AttackCatalog;
}

export interface CatalogBuildResult {
  readonly out: string;
  readonly pages: number;
  readonly bytes: number;
  readonly counts: { readonly stories: number; readonly detections: number; readonly sigma: number; readonly techniques: number };
  /** Seconds spent loading, explaining, writing, and in total. */
  readonly seconds: { readonly load: number; readonly explain: number; readonly write: number; readonly total: number };
  /** Content and rule problems worth telling the user (errors only), plus explain failures. */
  readonly warnings: readonly string[];
  readonly explainAvailable: boolean;
}

export class CatalogError extends Error {}

interface PageTask {
  readonly file: string;
  readonly render: () => string;
}

/** Clears a previous build in `out`; refuses to touch a non-empty folder this command did not write. */
async function prepareOut(out: string): Promise<void> {
  if (existsSync(out)) {
    const entries = await readdir(out);
    if (entries.length > 0 && !entries.includes(SITE_MARKER)) {
      throw new CatalogError(`${out} is not empty and was not written by 'vigil catalog build'; choose an empty or new folder`);
    }
    for (const f of SITE_FOLDERS) await rm(path.join(out, f), { recursive: true, force: true });
  }
  await mkdir(out, { recursive: true });
  for (const f of SITE_FOLDERS) await mkdir(path.join(out, f), { recursive: true });
  await writeFile(path.join(out, SITE_MARKER), 'written by vigil catalog build\n');
}

/** Runs tasks with at most `limit` writes in flight. */
async function writeAll(out: string, tasks: readonly PageTask[], limit: number): Promise<number> {
  let next = 0;
  let bytes = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      const task = tasks[next++]!;
      const text = task.render();
      bytes += Buffer.byteLength(text);
      await writeFile(path.join(out, task.file), text);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, tasks.length)) }, worker));
  return bytes;
}

/** The YAML document of a multi-document file that starts at or holds `line`. */
export function documentAt(text: string, line: number): string {
  const lines = text.split(/\r?\n/);
  const isSeparator = (i: number): boolean => /^---\s*(#.*)?$/.test(lines[i] ?? '');
  let at = Math.min(Math.max(line - 1, 0), lines.length - 1);
  if (isSeparator(at)) at++;
  let start = at;
  while (start > 0 && !isSeparator(start - 1)) start--;
  let end = at;
  while (end < lines.length && !isSeparator(end)) end++;
  const doc = lines.slice(start, end).join('\n').trim();
  return doc.length > MAX_RULE_BODY ? `${doc.slice(0, MAX_RULE_BODY)}\n# … (cut at ${MAX_RULE_BODY} characters)` : doc;
}

async function ruleBodies(model: SiteModel): Promise<Map<string, string | null>> {
  const byFile = new Map<string, { slug: string; line: number }[]>();
  for (const r of model.sigma) {
    const f = r.rule.meta.source.file;
    const list = byFile.get(f) ?? [];
    list.push({ slug: r.slug, line: r.rule.meta.source.line ?? 1 });
    byFile.set(f, list);
  }
  const out = new Map<string, string | null>();
  const files = [...byFile.keys()];
  const BATCH = 64;
  for (let i = 0; i < files.length; i += BATCH) {
    const batch = files.slice(i, i + BATCH);
    const texts = await Promise.all(batch.map((f) => readFile(f, 'utf8').catch(() => null)));
    batch.forEach((f, k) => {
      const text = texts[k] ?? null;
      for (const { slug, line } of byFile.get(f)!) out.set(slug, text === null ? null : byFile.get(f)!.length === 1 ? text.replace(/^\uFEFF/, '').trimEnd() : documentAt(text, line));
    });
  }
  return out;
}

/** How a path is shown on pages: relative to the working directory when it lies below it. */
export function displayPath(file: string, base: string = process.cwd()): string {
  const rel = path.relative(base, path.resolve(file));
  return rel.length > 0 && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel.split(path.sep).join('/') : file;
}

export async function buildCatalog(options: CatalogBuildOptions): Promise<CatalogBuildResult> {
  const t0 = performance.now();
  const warnings: string[] = [];
  const [contents, sigma, testResults] = await Promise.all([
    Promise.all(options.detections.map((root) => loadContent(root))),
    options.rules.length > 0 ? loadSigmaRules([...options.rules]) : Promise.resolve<RuleSetLoad | null>(null),
    options.testResultsFile !== undefined ? readTestResults(options.testResultsFile) : Promise.resolve<TestResults | null>(null),
  ]);
  for (const load of contents as ContentLoad[]) {
    for (const d of load.diagnostics) if (d.severity === 'error') warnings.push(`${d.location.file}${d.location.line !== undefined ? `:${d.location.line}` : ''}: ${d.message} [${d.code}]`);
  }
  const attack = options.attack ?? defaultAttackCatalog();
  const model = buildSiteModel({ contents, sigma, attack, testResults, testResultsFile: options.testResultsFile ?? null });
  const techniques = attack.techniques();
  const t1 = performance.now();

  const explain = options.explain ?? (await loadExplainBridge());
  explain.useRules(model.sigma.map((r) => r.rule));
  const detectionViews = new Map<string, RuleExplanation | null>();
  const sigmaViews = new Map<string, RuleExplanation | null>();
  for (const d of model.detections) detectionViews.set(d.slug, explain.detection(d.detection, d.lookup));
  for (const r of model.sigma) sigmaViews.set(r.slug, explain.sigma(r.rule));
  const explained = [...detectionViews.values(), ...sigmaViews.values()].filter((e): e is RuleExplanation => e !== null);
  if (explain.unavailable === null) explain.indexAll(explained);
  for (const [id, message] of explain.failures) warnings.push(`explain: ${id}: ${message}`);
  const viewOf = (e: RuleExplanation | null | undefined, id: string): ExplainView => ({
    explanation: e ?? null,
    index: explain.index,
    reason: explain.unavailable ?? (explain.failures.has(id) ? `'vigil explain' failed on this rule: ${explain.failures.get(id)}` : "'vigil explain' returned nothing for this rule"),
  });
  const bodies = await ruleBodies(model);
  const t2 = performance.now();

  await prepareOut(options.out);
  const tasks: PageTask[] = [
    { file: href.home, render: () => homePage(model) },
    { file: href.search, render: () => searchPage() },
    { file: href.stories, render: () => storiesIndexPage(model) },
    { file: href.detections, render: () => detectionsIndexPage(model) },
    { file: href.sigmaIndex, render: () => sigmaIndexPage(model) },
    { file: href.matrix, render: () => matrixPage(model, techniques) },
    { file: 'assets/style.css', render: () => STYLE_CSS },
    { file: 'assets/search.js', render: () => SEARCH_JS },
    { file: 'assets/search-index.js', render: () => searchIndexScript(searchEntries(model)) },
  ];
  for (const s of model.stories) tasks.push({ file: href.story(s.slug), render: () => storyPage(model, s) });
  for (const d of model.detections) tasks.push({ file: href.detection(d.slug), render: () => detectionPage(model, d, viewOf(detectionViews.get(d.slug), d.detection.id)) });
  for (const r of model.sigma) {
    tasks.push({ file: href.sigma(r.slug), render: () => sigmaPage(model, r, bodies.get(r.slug) ?? null, viewOf(sigmaViews.get(r.slug), r.rule.meta.id), displayPath(r.rule.meta.source.file)) });
  }
  const subsOf = new Map<string, typeof techniques>();
  for (const t of techniques) if (t.parent !== null) subsOf.set(t.parent, [...(subsOf.get(t.parent) ?? []), t]);
  for (const c of model.coverage.values()) tasks.push({ file: href.technique(c.technique.id), render: () => techniquePage(model, c, subsOf.get(c.technique.id) ?? []) });
  const bytes = await writeAll(options.out, tasks, options.concurrency ?? DEFAULT_CONCURRENCY);
  const t3 = performance.now();

  return {
    out: options.out,
    pages: tasks.filter((t) => t.file.endsWith('.html')).length,
    bytes,
    counts: { stories: model.stories.length, detections: model.detections.length, sigma: model.sigma.length, techniques: model.coverage.size },
    seconds: { load: (t1 - t0) / 1000, explain: (t2 - t1) / 1000, write: (t3 - t2) / 1000, total: (t3 - t0) / 1000 },
    warnings,
    explainAvailable: explain.unavailable === null,
  };
}
