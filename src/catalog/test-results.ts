/**
 * Reads the JSON `vigil test --format json` writes, to fill the detection pages' test status
 * tables. Tolerant by design: the catalog only needs, per detection, each test's name, status
 * and a short message, so unknown keys are ignored and odd entries are skipped.
 */
import { readFile } from 'node:fs/promises';

/** One phase of a `vigil test` case (validation, unit, integration). */
export interface PhaseOutcome {
  readonly outcome: string;
  readonly reason: string;
}

export const TEST_PHASES = ['validation', 'unit', 'integration'] as const;
export type TestPhase = (typeof TEST_PHASES)[number];

export interface TestCaseResult {
  readonly test: string;
  /** pass, fail, error, skip ... as written (or from `passed`). */
  readonly status: string;
  readonly message: string | null;
  /** The phases the file reports for this case. */
  readonly phases: Readonly<Partial<Record<TestPhase, PhaseOutcome>>>;
}

export interface TestResults {
  /** When the results were produced, if the file says. */
  readonly generated: string | null;
  /** Keyed by detection id and by lower-cased detection name. */
  readonly byDetection: ReadonlyMap<string, readonly TestCaseResult[]>;
}

const MAX_BYTES = 64 * 1024 * 1024;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown): string | null => (typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : null);

function caseOf(entry: Json, fallbackName: string): TestCaseResult | null {
  const status = text(entry.status) ?? text(entry.result) ?? (typeof entry.passed === 'boolean' ? (entry.passed ? 'pass' : 'fail') : null);
  if (status === null) return null;
  const test = text(entry.test) ?? text(entry.name) ?? text(entry.test_name) ?? fallbackName;
  const message = text(entry.message) ?? text(entry.reason) ?? text(entry.detail) ?? (Array.isArray(entry.problems) ? entry.problems.map((p) => (isObject(p) ? text(p.message) : text(p))).filter(Boolean).join('; ') || null : null);
  const phases: Partial<Record<TestPhase, PhaseOutcome>> = {};
  for (const name of TEST_PHASES) {
    const p = entry[name];
    if (!isObject(p)) continue;
    const outcome = text(p.outcome) ?? text(p.status);
    if (outcome !== null) phases[name] = { outcome, reason: text(p.reason) ?? '' };
  }
  const firstBad = TEST_PHASES.map((n) => [n, phases[n]] as const).find(([, p]) => p !== undefined && (p.outcome === 'fail' || p.outcome === 'error'));
  return { test, status, message: message ?? (firstBad !== undefined ? `${firstBad[0]}: ${firstBad[1]!.reason}` : null), phases };
}

/** Reads one detection entry: `{name, id, status?, tests: [...]}` or a flat `{detection, test, status}`. */
function detectionEntry(entry: Json): { keys: string[]; cases: TestCaseResult[] } | null {
  const inner = isObject(entry.detection) ? entry.detection : null;
  const name = text(entry.name) ?? text(inner?.name) ?? text(entry.detection) ?? text(entry.detection_name);
  const id = text(entry.id) ?? text(inner?.id) ?? text(entry.detection_id);
  const keys = [id, name?.toLowerCase() ?? null].filter((k): k is string => k !== null && k.length > 0);
  if (keys.length === 0) return null;
  const list = Array.isArray(entry.tests) ? entry.tests : Array.isArray(entry.cases) ? entry.cases : null;
  const cases: TestCaseResult[] = [];
  if (list !== null) {
    for (const t of list) if (isObject(t)) {
      const c = caseOf(t, name ?? 'test');
      if (c !== null) cases.push(c);
    }
  } else {
    const c = caseOf({ ...entry, name: text(entry.test) ?? text(entry.test_name) ?? 'test' }, 'test');
    if (c !== null) cases.push(c);
  }
  return { keys, cases };
}

export function parseTestResults(json: unknown): TestResults {
  const byDetection = new Map<string, TestCaseResult[]>();
  const top = isObject(json) ? json : { detections: json };
  const list = [top.detections, top.results, top.tests].find(Array.isArray) as unknown[] | undefined;
  for (const e of list ?? []) {
    if (!isObject(e)) continue;
    const entry = detectionEntry(e);
    if (entry === null) continue;
    for (const k of entry.keys) byDetection.set(k, [...(byDetection.get(k) ?? []), ...entry.cases]);
  }
  return { generated: text(top.generated) ?? text(top.time) ?? text(top.date) ?? null, byDetection };
}

export async function readTestResults(file: string): Promise<TestResults> {
  const buf = await readFile(file);
  if (buf.length > MAX_BYTES) throw new Error(`${file}: ${buf.length} bytes; test results are limited to ${MAX_BYTES}`);
  let json: unknown;
  try {
    json = JSON.parse(buf.toString('utf8'));
  } catch (e) {
    throw new Error(`${file}: not JSON: ${(e as Error).message}`);
  }
  return parseTestResults(json);
}

/** The results for one detection (by id first, then by name), or null when it was not tested. */
export function resultsFor(results: TestResults | null, id: string, name: string): readonly TestCaseResult[] | null {
  if (results === null) return null;
  return results.byDetection.get(id) ?? results.byDetection.get(name.toLowerCase()) ?? null;
}
