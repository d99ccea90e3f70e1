/**
 * Splunk-style content for `vigil hunt`: one or more security_content-shaped folders
 * (`detections/`, `macros/`, `lookups/`, `stories/`, `deployments/`), each with its own macros,
 * plus the user's macro override file. Every detection gets one report: it runs, or why not.
 */
import { readFile } from 'node:fs/promises';
import type { Diagnostic } from '../../core/diagnostics.js';
import { loadContent, loadMacroOverrides, macroLookup, type Detection, type Lookup, type MacroOverrides } from '../../content/index.js';
import { planDetections, type DetectionPlan, type DetectionReport } from '../../engine/spl/plans.js';

export interface ContentSet {
  readonly plans: readonly DetectionPlan[];
  readonly reports: readonly DetectionReport[];
  readonly lookups: readonly Lookup[];
  /** Content and override-file problems (errors and warnings), located. */
  readonly diagnostics: readonly Diagnostic[];
  /** Detections the hunt's filters left out, with why (they get no report and no plan). */
  readonly excluded: readonly { readonly detection: Detection; readonly message: string; readonly reason: string }[];
}

/** `vigil hunt`'s rule filters as they apply to detections (see filters.ts `detectionFilter`). */
export interface ContentFilter {
  readonly exclude: (d: Detection) => { readonly reason: string; readonly message: string } | null;
  /** Run deprecated detections too (`--status all` / `--status deprecated`). */
  readonly includeDeprecated: boolean;
}

export async function loadContentSet(roots: readonly string[], overridesFile?: string, filter?: ContentFilter): Promise<ContentSet> {
  let overrides: MacroOverrides | undefined;
  const diagnostics: Diagnostic[] = [];
  if (overridesFile !== undefined) {
    overrides = loadMacroOverrides(await readFile(overridesFile, 'utf8'), overridesFile);
    diagnostics.push(...overrides.diagnostics);
  }
  const plans: DetectionPlan[] = [];
  const reports: DetectionReport[] = [];
  const lookups: Lookup[] = [];
  const excluded: { detection: Detection; message: string; reason: string }[] = [];
  for (const root of roots) {
    const load = await loadContent(root);
    diagnostics.push(...load.diagnostics.filter((d) => d.severity !== 'info'));
    const kept = filter === undefined ? load.detections : load.detections.filter((d) => {
      const e = filter.exclude(d);
      if (e !== null) excluded.push({ detection: d, ...e });
      return e === null;
    });
    const set = planDetections({ ...load, detections: kept }, macroLookup(load, overrides), { includeDeprecated: filter?.includeDeprecated === true });
    plans.push(...set.plans);
    reports.push(...set.reports);
    lookups.push(...load.lookups);
  }
  return { plans, reports, lookups, diagnostics, excluded };
}

/** `file:line: not runnable: 'Name': reason [code]` for a detection that cannot run. */
export function notRunnableLine(r: DetectionReport): string {
  const errors = r.problems.filter((p) => p.severity === 'error');
  const shown = errors.length > 0 ? errors : r.problems;
  const where = shown[0]?.location.line !== undefined ? `${shown[0].location.file}:${shown[0].location.line}` : `${r.file}:${r.line}`;
  return `${where}: not runnable: '${r.name}': ${shown.map((p) => `${p.message} [${p.code}]`).join('; ')}`;
}
