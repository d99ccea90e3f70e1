/**
 * A Splunk-style detection's result row as `vigil hunt` prints it: the detection, the run that
 * produced it (all time, or one scheduled window), and the row's fields.
 */
import type { DetectionRun } from '../../engine/spl/runner.js';
import type { Row, SplScalar, SplValue } from '../../spl/exec/types.js';

export interface DetectionRecord {
  readonly kind: 'detection';
  readonly detection: {
    readonly id: string;
    readonly name: string;
    readonly type: string;
    readonly file: string;
    readonly stories: readonly string[];
    readonly mitre_attack: readonly string[];
  };
  readonly run: { readonly time: string; readonly earliest: string | null; readonly latest: string | null };
  readonly row: Readonly<Record<string, SplValue>>;
}

/** ISO text of epoch seconds (UTC, whole seconds unless the value has a fraction). */
export function isoOf(t: number): string {
  const iso = new Date(Math.round(t * 1000)).toISOString();
  return Number.isInteger(t) ? iso.replace('.000Z', 'Z') : iso;
}

export function rowObject(row: Row): Record<string, SplValue> {
  const out: Record<string, SplValue> = {};
  for (const [k, v] of [...row.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) out[k] = v;
  return out;
}

export function detectionRecords(run: DetectionRun): DetectionRecord[] {
  const d = run.plan.detection;
  const head = {
    kind: 'detection' as const,
    detection: { id: d.id, name: d.name, type: d.type, file: `${d.origin.file}:${d.origin.pos.line}`, stories: d.tags.analyticStory, mitre_attack: d.tags.mitreAttackId },
    run: { time: isoOf(run.window.time), earliest: run.window.earliest === null ? null : isoOf(run.window.earliest), latest: run.window.latest === null ? null : isoOf(run.window.latest) },
  };
  return run.rows.map((row) => ({ ...head, row: rowObject(row) }));
}

function scalarText(v: SplScalar): string {
  return typeof v === 'number' ? String(v) : v;
}

export function valueText(v: SplValue): string {
  return Array.isArray(v) ? (v as readonly SplScalar[]).map(scalarText).join(' | ') : scalarText(v as SplScalar);
}

/** The host a result row is about: the fields ESCU results name it by. */
export function rowHost(row: Readonly<Record<string, SplValue>>): string {
  for (const f of ['dest', 'Computer', 'ComputerName', 'host', 'dvc']) {
    const v = row[f];
    if (v !== undefined) return valueText(v);
  }
  return '-';
}
