/**
 * Splunk-style content for `vigil hunt`: one or more security_content-shaped folders
 * (`detections/`, `macros/`, `lookups/`, `stories/`, `deployments/`), each with its own macros,
 * plus the user's macro override file. Every detection gets one report: it runs, or why not.
 */
import { readFile } from 'node:fs/promises';
import type { Diagnostic } from '../../core/diagnostics.js';
import { loadContent, loadMacroOverrides, macroLookup, type Lookup, type MacroOverrides, type Story } from '../../content/index.js';
import { planDetections, type DetectionPlan, type DetectionReport } from '../../engine/spl/plans.js';

export interface ContentSet {
  readonly plans: readonly DetectionPlan[];
  readonly reports: readonly DetectionReport[];
  readonly lookups: readonly Lookup[];
  readonly stories: readonly Story[];
  /** Content and override-file problems (errors and warnings), located. */
  readonly diagnostics: readonly Diagnostic[];
}

export async function loadContentSet(roots: readonly string[], overridesFile?: string): Promise<ContentSet> {
  let overrides: MacroOverrides | undefined;
  const diagnostics: Diagnostic[] = [];
  if (overridesFile !== undefined) {
    overrides = loadMacroOverrides(await readFile(overridesFile, 'utf8'), overridesFile);
    diagnostics.push(...overrides.diagnostics);
  }
  const plans: DetectionPlan[] = [];
  const reports: DetectionReport[] = [];
  const lookups: Lookup[] = [];
  const stories: Story[] = [];
  for (const root of roots) {
    const load = await loadContent(root);
    diagnostics.push(...load.diagnostics.filter((d) => d.severity !== 'info'));
    const set = planDetections(load, macroLookup(load, overrides));
    plans.push(...set.plans);
    reports.push(...set.reports);
    lookups.push(...load.lookups);
    stories.push(...load.stories);
  }
  return { plans, reports, lookups, stories, diagnostics };
}

/** `file:line: not runnable: 'Name': reason [code]` for a detection that cannot run. */
export function notRunnableLine(r: DetectionReport): string {
  const errors = r.problems.filter((p) => p.severity === 'error');
  const shown = errors.length > 0 ? errors : r.problems;
  const where = shown[0]?.location.line !== undefined ? `${shown[0].location.file}:${shown[0].location.line}` : `${r.file}:${r.line}`;
  return `${where}: not runnable: '${r.name}': ${shown.map((p) => `${p.message} [${p.code}]`).join('; ')}`;
}
