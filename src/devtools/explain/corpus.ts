/**
 * Loading a corpus for `vigil explain`: Sigma rule paths and security_content-shaped folders,
 * every rule's indicators, and the indicator index over all of them, with timings.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { checkDetectionSearch, loadContent, macroLookup, type Detection } from '../../content/index.js';
import type { Rule } from '../../ir/nodes.js';
import type { Pipeline } from '../../spl/index.js';
import { loadSigmaRules, type SigmaLoadOptions } from '../../sigma/index.js';
import { buildIndicatorIndex, type IndexedRule } from './indicator-index.js';
import { loadSigmaParallel } from './parallel-load.js';
import { sigmaIndicators } from './sigma.js';
import { explainDetection } from './spl.js';
import type { IndicatorIndex } from './types.js';

export interface LoadedDetection {
  readonly detection: Detection;
  /** Macro-expanded, parsed search; null when it does not parse. */
  readonly ast: Pipeline | null;
}

export interface ExplainCorpus {
  readonly rules: readonly Rule[];
  readonly detections: readonly LoadedDetection[];
  readonly index: IndicatorIndex;
  /** Milliseconds: loading rules and content, and building the index from loaded rules. */
  readonly timings: { readonly loadMs: number; readonly indexMs: number };
  /** Threads the Sigma load ran on. */
  readonly threads: number;
  /** Paths that could not be read, with why. */
  readonly problems: readonly string[];
}

/** A folder shaped like splunk/security_content (it has `detections/`). */
export function isContentFolder(p: string): boolean {
  try {
    return statSync(p).isDirectory() && existsSync(path.join(p, 'detections'));
  } catch {
    return false;
  }
}

export async function loadDetections(root: string): Promise<{ detections: LoadedDetection[]; problems: string[] }> {
  const load = await loadContent(root);
  const lookup = macroLookup(load);
  const detections = load.detections.map((detection) => {
    const parsed = checkDetectionSearch(detection, lookup);
    return { detection, ast: parsed.kind === 'parsed' ? parsed.ast : null };
  });
  const problems = load.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.location.file}${d.location.line !== undefined ? `:${d.location.line}` : ''}: ${d.message}`);
  return { detections, problems };
}

/** Indicators of every loaded rule (Sigma from the IR, SPL from the expanded search). */
export function indexedRules(rules: readonly Rule[], detections: readonly LoadedDetection[]): IndexedRule[] {
  const out: IndexedRule[] = [];
  for (const r of rules) if (r.kind === 'detection') out.push({ id: r.meta.id, indicators: sigmaIndicators(r) });
  for (const d of detections) out.push({ id: d.detection.id, indicators: explainDetection(d).indicators });
  return out;
}

/**
 * Loads every path (security_content folders as Splunk-style content, anything else as Sigma)
 * and builds the indicator index.
 */
export async function loadExplainCorpus(paths: readonly string[], sigmaOptions: SigmaLoadOptions = {}): Promise<ExplainCorpus> {
  const t0 = performance.now();
  const problems: string[] = [];
  const existing = paths.filter((p) => {
    if (existsSync(p)) return true;
    problems.push(`${p}: no such file or folder`);
    return false;
  });
  const contentRoots = existing.filter(isContentFolder);
  const sigmaPaths = existing.filter((p) => !contentRoots.includes(p));
  const detections: LoadedDetection[] = [];
  for (const root of contentRoots) {
    const loaded = await loadDetections(root);
    detections.push(...loaded.detections);
    problems.push(...loaded.problems);
  }
  // Options the parallel path does not pass on (placeholders, strict) need the ordinary load.
  const plain = Object.keys(sigmaOptions).length === 0;
  let rules: Rule[] = [];
  let threads = 1;
  if (sigmaPaths.length > 0 && plain) ({ rules, threads } = await loadSigmaParallel(sigmaPaths));
  else if (sigmaPaths.length > 0) rules = (await loadSigmaRules(sigmaPaths, sigmaOptions)).rules;
  const t1 = performance.now();
  const index = buildIndicatorIndex(indexedRules(rules, detections));
  const t2 = performance.now();
  return { rules, detections, index, timings: { loadMs: t1 - t0, indexMs: t2 - t1 }, threads, problems };
}
