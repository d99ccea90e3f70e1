/**
 * Entity ranking: every risk object with its total risk, what contributed and when — the view
 * ES's Risk Analysis dashboard gives over the whole time range (no window here).
 */
import { eventsByEntity, type EntityEvents } from './incident-rules.js';
import type { ContributingSource, EntityRisk, RankedRisk, RiskEvent } from './types.js';

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function entityRisk(riskObject: string, riskObjectType: RiskEvent['risk_object_type'], events: readonly RankedRisk[]): EntityRisk {
  const bySource = new Map<string, { source: string; detection: RiskEvent['detection']; score: number; count: number }>();
  const tactics = new Set<string>();
  const techniques = new Set<string>();
  let total = 0;
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  // A rule's events share one annotations object and source, and come in runs: each object's
  // ids are added once, and a run's source entry is kept at hand.
  const seen = new Set<RankedRisk['annotations']>();
  let lastAnnotations: RankedRisk['annotations'] | null = null;
  let entry: { source: string; detection: RiskEvent['detection']; score: number; count: number } | undefined;
  for (const e of events) {
    total += e.calculated_risk_score;
    first = Math.min(first, e._time);
    last = Math.max(last, e._time);
    if (e.annotations !== lastAnnotations) {
      lastAnnotations = e.annotations;
      if (!seen.has(e.annotations)) {
        seen.add(e.annotations);
        for (const t of e.annotations.mitre_tactic_id) tactics.add(t);
        for (const t of e.annotations.mitre_technique_id) techniques.add(t);
      }
    }
    if (entry === undefined || entry.source !== e.source) entry = bySource.get(e.source);
    if (entry === undefined) {
      entry = { source: e.source, detection: e.detection, score: e.calculated_risk_score, count: 1 };
      bySource.set(e.source, entry);
    } else {
      entry.score += e.calculated_risk_score;
      entry.count++;
    }
  }
  const detections: ContributingSource[] = [...bySource.values()].sort((a, b) => b.score - a.score || compareText(a.source, b.source));
  return {
    risk_object: riskObject,
    risk_object_type: riskObjectType,
    risk_score: total,
    risk_event_count: events.length,
    detections,
    mitre_tactic_id: [...tactics].sort(),
    mitre_technique_id: [...techniques].sort(),
    first_time: first,
    last_time: last,
  };
}

/** Per (risk object, type): totals and contributors; highest total first, then by name and type. */
export function rankEntities(events: readonly RankedRisk[], entities: readonly EntityEvents[] = eventsByEntity(events)): EntityRisk[] {
  return entities
    .map((g) => entityRisk(g.riskObject, g.riskObjectType, g.events))
    .sort((a, b) => b.risk_score - a.risk_score || compareText(a.risk_object, b.risk_object) || compareText(a.risk_object_type, b.risk_object_type));
}
