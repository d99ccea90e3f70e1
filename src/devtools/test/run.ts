/**
 * `vigil test`: runs every detection's tests the way contentctl's test infrastructure does, with
 * Vigil's engine in place of a Splunk server.
 *
 *   Validation   `vigil validate` over the content folder: no error in the detection's file.
 *   Unit         the attack_data files replayed (with their source/sourcetype/host) into the
 *                in-process engine, one run over all time: at least N result rows (or exactly the
 *                rows expected), every risk-object field present and not null in every row, each
 *                threat-object field non-null in at least one row.
 *   Integration  the same data through the scheduled-replay path (one run per cron window, as a
 *                deployment would have run it), then the risk and notable actions: every declared
 *                risk object raised ≥1 risk event with its declared score, risk messages have every
 *                $token$ filled, and notables exist exactly when the deployment raises them.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Diagnostic } from '../../core/diagnostics.js';
import type { VigilEvent } from '../../core/event.js';
import { loadContent, loadMacroOverrides, macroLookup, type ContentLoad, type Detection, type MacroOverrides } from '../../content/index.js';
import { planDetections, type DetectionPlan } from '../../engine/spl/plans.js';
import { SplRunner, type DetectionRun } from '../../engine/spl/runner.js';
import { riskFromRuns, riskObjectScore } from '../../risk/detection-risk.js';
import { openInputs, readInput } from '../../sources/read.js';
import type { Row, SplValue } from '../../spl/exec/types.js';
import type { MetadataOverride } from '../../splunk/row.js';
import { validatePaths, type Finding } from '../validate/index.js';
import { readTestSpecs, type AttackDataSpec, type DetectionTestSpec } from './spec.js';

export type Outcome = 'pass' | 'fail' | 'error' | 'skip';

export interface PhaseResult {
  readonly outcome: Outcome;
  /** Why it failed, errored or was skipped ('' when it passed). */
  readonly reason: string;
  readonly seconds: number;
  /** Result rows (unit, integration) for the JSON output. */
  readonly results?: number;
}

export interface TestCaseResult {
  readonly detection: string;
  readonly id: string;
  readonly file: string;
  readonly test: string;
  readonly line: number;
  readonly validation: PhaseResult;
  readonly unit: PhaseResult;
  readonly integration: PhaseResult;
}

export interface TestRunOptions {
  /** Folder the attack_data paths are relative to; default: the working directory, then the content root's ancestors. */
  readonly dataRoot?: string;
  readonly cwd?: string;
  /** Only detections whose name or id is listed. */
  readonly only?: readonly string[];
  readonly macrosFile?: string;
  /** Skip the integration phase. */
  readonly unitOnly?: boolean;
  readonly today?: string;
}

export interface TestRun {
  readonly results: readonly TestCaseResult[];
  /** Content problems that are not any one test's (unreadable roots...). */
  readonly problems: readonly Diagnostic[];
}

const MAX_EVENTS_PER_FILE = 2_000_000;
const NULL_TEXT = 'null';
const LEFTOVER_TOKEN = /\$[^$\s]{1,200}\$/;

const skipped = (reason: string): PhaseResult => ({ outcome: 'skip', reason, seconds: 0 });

function textValues(v: SplValue | undefined): string[] {
  if (v === undefined) return [];
  const list = Array.isArray(v) ? (v as readonly (string | number)[]) : [v as string | number];
  return list.map(String);
}

function isNullValue(v: SplValue | undefined): boolean {
  const values = textValues(v).filter((t) => t !== '');
  return values.length === 0 || values.every((t) => t === NULL_TEXT);
}

/** Where an attack_data path points: absolute; under --data-root; else cwd, then the content root and its ancestors. */
export function resolveDataPath(data: string, contentRoot: string, options: TestRunOptions): { path: string } | { error: string } {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(data)) return { error: `attack data '${data}' is a URL; Vigil does not download test data: fetch it and give a local path (or --data-root)` };
  if (path.isAbsolute(data)) return existsSync(data) ? { path: data } : { error: `attack data file not found: ${data}` };
  const candidates: string[] = [];
  if (options.dataRoot !== undefined) candidates.push(path.join(options.dataRoot, data));
  else {
    candidates.push(path.join(options.cwd ?? process.cwd(), data));
    let dir = path.resolve(contentRoot);
    for (let i = 0; i < 4; i++) {
      candidates.push(path.join(dir, data));
      const parent = path.dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  const found = candidates.find((c) => existsSync(c));
  return found !== undefined ? { path: found } : { error: `attack data file not found: ${data} (looked in ${[...new Set(candidates.map((c) => path.dirname(c)))].join(', ')})` };
}

/** Reads every event of one file (cached per file and format across tests). */
class EventCache {
  private readonly cache = new Map<string, Promise<{ events: VigilEvent[] } | { error: string }>>();

  get(file: string, format: AttackDataSpec['format']): Promise<{ events: VigilEvent[] } | { error: string }> {
    const key = `${format ?? ''}\u0000${file}`;
    let hit = this.cache.get(key);
    if (hit === undefined) {
      hit = readEvents(file, format);
      this.cache.set(key, hit);
    }
    return hit;
  }
}

export async function readEvents(file: string, format: AttackDataSpec['format']): Promise<{ events: VigilEvent[] } | { error: string }> {
  const events: VigilEvent[] = [];
  const opts = format !== null ? { inputFormat: format } : {};
  for await (const opened of openInputs([file], opts)) {
    if ('error' in opened) return { error: `${file}: ${opened.error.message}` };
    for await (const batch of readInput(opened, { ...opts, threads: 1 })) {
      for (const item of batch) {
        if (item.kind === 'fatal') return { error: `${file}: ${item.diagnostic.message}` };
        if (item.kind !== 'event') continue;
        if (events.length >= MAX_EVENTS_PER_FILE) return { error: `${file}: more than ${MAX_EVENTS_PER_FILE} events` };
        events.push(item.event);
      }
    }
  }
  if (events.length === 0) return { error: `${file}: no events could be read` };
  return { events };
}

function overrideOf(a: AttackDataSpec): MetadataOverride | undefined {
  if (a.source === null && a.sourcetype === null && a.host === null) return undefined;
  return { ...(a.source !== null ? { source: a.source } : {}), ...(a.sourcetype !== null ? { sourcetype: a.sourcetype } : {}), ...(a.host !== null ? { host: a.host } : {}) };
}

interface Replay {
  readonly runs: DetectionRun[];
  readonly errors: string[];
}

function replay(plan: DetectionPlan, load: ContentLoad, data: readonly { events: readonly VigilEvent[]; override: MetadataOverride | undefined }[], replaySchedule: boolean): Replay {
  const errors: string[] = [];
  const runner = new SplRunner([plan], {
    replaySchedule,
    lookups: load.lookups,
    warn: (d) => {
      if (d.severity === 'error') errors.push(d.message);
    },
  });
  for (const d of data) for (const e of d.events) runner.process(e, d.override);
  return { runs: runner.finish(), errors };
}

function rowMatches(row: Row, expected: Readonly<Record<string, string>>): boolean {
  return Object.entries(expected).every(([k, v]) => textValues(row.get(k)).join('\n') === v || textValues(row.get(k)).includes(v));
}

/** Exact rows: as many result rows as expected, each expected row matching a distinct one. */
function exactRowsProblem(rows: readonly Row[], expected: readonly Readonly<Record<string, string>>[]): string | null {
  if (rows.length !== expected.length) return `${rows.length} result row(s), expected exactly ${expected.length}`;
  const used = new Set<number>();
  for (const [i, e] of expected.entries()) {
    const hit = rows.findIndex((r, k) => !used.has(k) && rowMatches(r, e));
    if (hit < 0) return `expected row ${i + 1} (${Object.entries(e).map(([k, v]) => `${k}=${v}`).join(' ')}) matches no result row`;
    used.add(hit);
  }
  return null;
}

/** contentctl's unit-test verdict over the result rows. */
export function unitProblem(d: Detection, spec: DetectionTestSpec, rows: readonly Row[]): string | null {
  const e = spec.expect;
  if (e.rows !== null) {
    const p = exactRowsProblem(rows, e.rows);
    if (p !== null) return p;
  } else if (e.results !== null) {
    if (rows.length !== e.results) return `${rows.length} result row(s), expected exactly ${e.results}`;
  } else if (rows.length < e.minResults) {
    return rows.length === 0 ? 'the search returned no results' : `${rows.length} result row(s), expected at least ${e.minResults}`;
  }
  // Hunting and Correlation searches raise no risk: contentctl only counts their results.
  const risk = d.type === 'TTP' || d.type === 'Anomaly' ? d.risk : null;
  if (risk === null || rows.length === 0) return null;
  for (const o of risk.riskObjects) {
    const bad = rows.findIndex((r) => isNullValue(r.get(o.field)));
    if (bad >= 0) return `risk object field '${o.field}' is ${r0(rows[bad]!.get(o.field))} in result row ${bad + 1}`;
  }
  for (const t of risk.threatObjects) {
    if (rows.every((r) => isNullValue(r.get(t.field)))) return `threat object field '${t.field}' is missing or null in every result row`;
  }
  return null;
}

function r0(v: SplValue | undefined): string {
  return v === undefined ? 'missing' : `'${textValues(v).join(', ')}'`;
}

/** The risk and notable actions of the scheduled runs, checked against the detection's declarations. */
export function integrationProblem(plan: DetectionPlan, spec: DetectionTestSpec, runs: readonly DetectionRun[]): string | null {
  const rows = runs.reduce((n, r) => n + r.rows.length, 0);
  if (rows === 0) return 'no scheduled run returned results';
  const d = plan.detection;
  const unfilled: string[] = [];
  const { events, notables } = riskFromRuns(runs, {
    warn: (w) => {
      if (w.code === 'risk.message-field-missing') unfilled.push(w.message);
    },
  });
  const risk = d.risk;
  if (plan.actions.risk && risk !== null) {
    for (const o of risk.riskObjects) {
      const values = new Set(runs.flatMap((r) => r.rows.flatMap((row) => textValues(row.get(o.field)))));
      const mine = events.filter((ev) => ev.risk_object_type === o.type && values.has(ev.risk_object));
      if (mine.length === 0) return `no risk event for risk object '${o.field}' (${o.type})`;
      const want = spec.expect.riskScores[o.field] ?? riskObjectScore(risk, o);
      const wrong = mine.find((ev) => ev.risk_score !== want);
      if (wrong !== undefined) return `risk event for '${o.field}' has score ${wrong.risk_score}, declared ${want}`;
    }
    if (unfilled.length > 0) return unfilled[0]!.replace(/^detection '[^']*': /, '');
    for (const ev of events) {
      if (ev.risk_message.trim() === '') return 'a risk event has an empty risk message';
      const left = LEFTOVER_TOKEN.exec(ev.risk_message);
      if (left !== null) return `risk message keeps the token ${left[0]}`;
    }
  } else if (Object.keys(spec.expect.riskScores).length > 0) {
    return 'the test expects risk scores, but the deployment raises no risk events';
  }
  const wantNotables = spec.expect.notables ?? plan.actions.notable;
  if (wantNotables && notables.length === 0) return plan.actions.notable ? 'no notable was raised' : 'the test expects notables, but the deployment raises none';
  if (!wantNotables && notables.length > 0) return `${notables.length} notable(s) raised, expected none`;
  return null;
}

async function phase(run: () => Promise<string | null>): Promise<PhaseResult> {
  const start = performance.now();
  try {
    const problem = await run();
    const seconds = (performance.now() - start) / 1000;
    return problem === null ? { outcome: 'pass', reason: '', seconds } : { outcome: 'fail', reason: problem, seconds };
  } catch (e) {
    return { outcome: 'error', reason: e instanceof Error ? e.message : String(e), seconds: (performance.now() - start) / 1000 };
  }
}

function validationPhase(d: Detection, findings: readonly Finding[]): PhaseResult {
  const mine = findings.filter((f) => f.file === d.origin.file && f.severity === 'error');
  if (mine.length === 0) return { outcome: 'pass', reason: '', seconds: 0 };
  const first = mine[0]!;
  return { outcome: 'fail', reason: `${first.message} [${first.code}] at line ${first.line ?? '?'}${mine.length > 1 ? ` (+${mine.length - 1} more)` : ''}`, seconds: 0 };
}

export async function runDetectionTests(roots: readonly string[], options: TestRunOptions = {}): Promise<TestRun> {
  const results: TestCaseResult[] = [];
  const problems: Diagnostic[] = [];
  let overrides: MacroOverrides | undefined;
  if (options.macrosFile !== undefined) {
    overrides = loadMacroOverrides(await readFile(options.macrosFile, 'utf8'), options.macrosFile);
    problems.push(...overrides.diagnostics.filter((d) => d.severity === 'error'));
  }
  const cache = new EventCache();
  for (const root of roots) {
    const load = await loadContent(root);
    problems.push(...load.diagnostics.filter((d) => d.severity === 'error' && d.code === 'content.root'));
    const validation = await validatePaths([root], options.today !== undefined ? { today: options.today } : {});
    const set = planDetections(load, macroLookup(load, overrides));
    for (const d of load.detections) {
      if (options.only !== undefined && options.only.length > 0 && !options.only.includes(d.name) && !options.only.includes(d.id)) continue;
      const plan = set.plans.find((p) => p.detection === d) ?? null;
      const report = set.reports.find((r) => r.id === d.id && r.file === d.origin.file);
      const val = validationPhase(d, validation.findings);
      const specs = await readTestSpecs(d.origin.file);
      const base = { detection: d.name, id: d.id, file: d.origin.file };
      if (specs.length === 0) {
        results.push({ ...base, test: '(no tests)', line: d.origin.pos.line, validation: val, unit: skipped('the detection has no tests'), integration: skipped('the detection has no tests') });
        continue;
      }
      for (const spec of specs) {
        results.push({ ...base, test: spec.name, line: spec.line, validation: val, ...(await runOne(d, plan, report?.problems[0]?.message ?? 'not runnable', spec, root, load, cache, options)) });
      }
    }
  }
  return { results, problems };
}

async function runOne(
  d: Detection,
  plan: DetectionPlan | null,
  notRunnable: string,
  spec: DetectionTestSpec,
  root: string,
  load: ContentLoad,
  cache: EventCache,
  options: TestRunOptions,
): Promise<{ unit: PhaseResult; integration: PhaseResult }> {
  if (d.status === 'deprecated') return { unit: skipped('deprecated'), integration: skipped('deprecated') };
  if (spec.problems.length > 0) {
    const p: PhaseResult = { outcome: 'error', reason: `bad test: ${spec.problems.join('; ')}`, seconds: 0 };
    return { unit: p, integration: skipped('unit test did not run') };
  }
  if (plan === null) {
    const p: PhaseResult = { outcome: 'error', reason: `the search cannot run: ${notRunnable}`, seconds: 0 };
    return { unit: p, integration: skipped('unit test did not run') };
  }
  const data: { events: readonly VigilEvent[]; override: MetadataOverride | undefined }[] = [];
  for (const a of spec.attackData) {
    const where = resolveDataPath(a.data, root, options);
    const read = 'error' in where ? where : await cache.get(where.path, a.format);
    if ('error' in read) {
      const p: PhaseResult = { outcome: 'error', reason: read.error, seconds: 0 };
      return { unit: p, integration: skipped('unit test did not run') };
    }
    data.push({ events: read.events, override: overrideOf(a) });
  }
  let unitRows = 0;
  const unit = await phase(async () => {
    const r = replay(plan, load, data, false);
    if (r.errors.length > 0) throw new Error(r.errors[0]);
    const rows = r.runs.flatMap((x) => x.rows);
    unitRows = rows.length;
    return unitProblem(d, spec, rows);
  });
  const unitResult = { ...unit, results: unitRows };
  if (options.unitOnly === true) return { unit: unitResult, integration: skipped('--unit-only') };
  if (unit.outcome !== 'pass') return { unit: unitResult, integration: skipped('unit test failed') };
  let integrationRows = 0;
  const integration = await phase(async () => {
    const r = replay(plan, load, data, true);
    if (r.errors.length > 0) throw new Error(r.errors[0]);
    integrationRows = r.runs.reduce((n, x) => n + x.rows.length, 0);
    return integrationProblem(plan, spec, r.runs);
  });
  return { unit: unitResult, integration: { ...integration, results: integrationRows } };
}

/** A test case failed when any of its phases failed or errored. */
export function caseFailed(r: TestCaseResult): boolean {
  return [r.validation, r.unit, r.integration].some((p) => p.outcome === 'fail' || p.outcome === 'error');
}
