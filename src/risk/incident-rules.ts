/**
 * Risk incident rules (spl-and-rba.md §5.3): ES sums risk per (risk object, type) over the last
 * 24 hours, and counts distinct ATT&CK tactics over the last 7 days, on an hourly schedule. Here
 * each rule slides its window over the events' own times (sorted; two pointers), so any span of
 * that length is seen, as the hourly runs together would see it. Each rule raises at most one
 * risk notable per object: at the first window that crosses, reporting also the peak window.
 */
import { assertNever } from '../core/xml-tree.js';
import type { IncidentRule, ScoreThresholdRule, SeverityBand, TacticThresholdRule } from './config.js';
import { loadIncidentRules } from './config.js';
import type { ContributingSource, NotableSeverity, RankedRisk, RiskEvent, RiskNotable, RiskWindow } from './types.js';

/** Events of one (risk object, type), in time order. */
export interface EntityEvents {
  readonly riskObject: string;
  readonly riskObjectType: RiskEvent['risk_object_type'];
  readonly events: readonly RankedRisk[];
}

/** Groups events by (risk_object, risk_object_type), each group sorted by time (stable); events with a non-finite time or score are left out. */
export function eventsByEntity(events: readonly RankedRisk[]): EntityEvents[] {
  // By type, then object (no key string made per event); `groups` keeps first-seen order.
  const byType = new Map<string, Map<string, RankedRisk[]>>();
  const groups: RankedRisk[][] = [];
  for (const e of events) {
    // A time or score that is not a number cannot be placed in a window; such events are skipped.
    if (!Number.isFinite(e._time) || !Number.isFinite(e.calculated_risk_score)) continue;
    let byObject = byType.get(e.risk_object_type);
    if (byObject === undefined) byType.set(e.risk_object_type, (byObject = new Map()));
    const list = byObject.get(e.risk_object);
    if (list === undefined) {
      const fresh = [e];
      byObject.set(e.risk_object, fresh);
      groups.push(fresh);
    } else list.push(e);
  }
  return groups.map((list) => {
    const sorted = inTimeOrder(list) ? list : list.map((e, i) => ({ e, i })).sort((a, b) => a.e._time - b.e._time || a.i - b.i).map((x) => x.e);
    return { riskObject: sorted[0]!.risk_object, riskObjectType: sorted[0]!.risk_object_type, events: sorted };
  });
}

/** True when the events' times never go down (a hunt's events come sorted: no copy to sort). */
function inTimeOrder(events: readonly RankedRisk[]): boolean {
  for (let i = 1; i < events.length; i++) if (events[i]!._time < events[i - 1]!._time) return false;
  return true;
}

interface Span {
  readonly from: number;
  readonly to: number;
}

function windowOf(events: readonly RankedRisk[], span: Span): RiskWindow {
  const tactics = new Set<string>();
  const sources = new Set<string>();
  let score = 0;
  // A rule's events share their annotations object and source, and mostly come in runs: each
  // annotations object's tactics are added once (only the count of the sets is read).
  const seen = new Set<RankedRisk['annotations']>();
  let lastAnnotations: RankedRisk['annotations'] | null = null;
  let lastSource: string | null = null;
  for (let i = span.from; i <= span.to; i++) {
    const e = events[i]!;
    score += e.calculated_risk_score;
    if (e.annotations !== lastAnnotations) {
      lastAnnotations = e.annotations;
      if (!seen.has(e.annotations)) {
        seen.add(e.annotations);
        for (const t of e.annotations.mitre_tactic_id) tactics.add(t);
      }
    }
    if (e.source !== lastSource) {
      lastSource = e.source;
      sources.add(e.source);
    }
  }
  return { start: events[span.from]!._time, end: events[span.to]!._time, risk_score: score, risk_event_count: span.to - span.from + 1, tactic_count: tactics.size, source_count: sources.size };
}

/** First window whose score sum is strictly above the threshold, and the highest-scoring window. */
export function scoreCrossing(events: readonly RankedRisk[], windowSeconds: number, threshold: number): { first: Span; peak: Span } | null {
  let from = 0;
  let sum = 0;
  let first: Span | null = null;
  let peak: Span | null = null;
  let peakSum = Number.NEGATIVE_INFINITY;
  for (let to = 0; to < events.length; to++) {
    sum += events[to]!.calculated_risk_score;
    while (events[to]!._time - events[from]!._time >= windowSeconds) sum -= events[from++]!.calculated_risk_score;
    if (sum > threshold && first === null) first = { from, to };
    if (sum > peakSum) {
      peakSum = sum;
      peak = { from, to };
    }
  }
  return first === null || peak === null ? null : { first, peak };
}

/**
 * First window with enough distinct tactics and sources, and the window with the most tactics.
 * Tactics and sources are numbered as they first come and counted in arrays, and an event's
 * numbers are kept, so moving the window updates no map (a 5 GB hunt holds about 700,000
 * events); a rule's events share their annotations object and come in runs.
 */
export function tacticCrossing(events: readonly RankedRisk[], windowSeconds: number, minTactics: number, minSources: number): { first: Span; peak: Span } | null {
  const numbers = new WindowNumbers();
  const tacticsAt: (readonly number[])[] = new Array<readonly number[]>(events.length);
  const sourceAt = new Int32Array(events.length);
  const tacticCount = numbers.tacticCount;
  const sourceCount = numbers.sourceCount;
  let tactics = 0;
  let sources = 0;
  let from = 0;
  let first: Span | null = null;
  let peak: Span | null = null;
  let peakTactics = -1;
  for (let to = 0; to < events.length; to++) {
    const added = events[to]!;
    const ids = numbers.tacticsOf(added.annotations);
    const source = numbers.sourceOf(added.source);
    tacticsAt[to] = ids;
    sourceAt[to] = source;
    for (let k = 0; k < ids.length; k++) if (tacticCount[ids[k]!]!++ === 0) tactics++;
    if (sourceCount[source]!++ === 0) sources++;
    while (added._time - events[from]!._time >= windowSeconds) {
      const gone = tacticsAt[from]!;
      for (let k = 0; k < gone.length; k++) if (--tacticCount[gone[k]!]! === 0) tactics--;
      if (--sourceCount[sourceAt[from]!]! === 0) sources--;
      from++;
    }
    if (first === null && tactics >= minTactics && sources >= minSources) first = { from, to };
    if (tactics > peakTactics) {
      peakTactics = tactics;
      peak = { from, to };
    }
  }
  return first === null || peak === null ? null : { first, peak };
}

/** Numbers for the tactics and sources of one window's events, with a count (zero) for each. */
class WindowNumbers {
  readonly tacticCount: number[] = [];
  readonly sourceCount: number[] = [];
  private readonly tacticNumber = new Map<string, number>();
  private readonly sourceNumber = new Map<string, number>();
  private readonly byAnnotations = new Map<RankedRisk['annotations'], readonly number[]>();
  private lastAnnotations: RankedRisk['annotations'] | null = null;
  private lastTactics: readonly number[] = [];
  private lastSource: string | null = null;
  private lastSourceNumber = 0;

  /** The numbers of an annotations object's tactic ids (a repeated id twice, as listed). */
  tacticsOf(annotations: RankedRisk['annotations']): readonly number[] {
    if (annotations === this.lastAnnotations) return this.lastTactics;
    let ids = this.byAnnotations.get(annotations);
    if (ids === undefined) {
      ids = annotations.mitre_tactic_id.map((id) => numberOf(this.tacticNumber, this.tacticCount, id));
      this.byAnnotations.set(annotations, ids);
    }
    this.lastAnnotations = annotations;
    this.lastTactics = ids;
    return ids;
  }

  sourceOf(source: string): number {
    if (source !== this.lastSource) {
      this.lastSource = source;
      this.lastSourceNumber = numberOf(this.sourceNumber, this.sourceCount, source);
    }
    return this.lastSourceNumber;
  }
}

/** `key`'s number in `numbers`, a new one (with its count at zero) the first time. */
function numberOf(numbers: Map<string, number>, counts: number[], key: string): number {
  let n = numbers.get(key);
  if (n === undefined) {
    n = counts.length;
    numbers.set(key, n);
    counts.push(0);
  }
  return n;
}

function contributingSources(events: readonly RankedRisk[], span: Span): ContributingSource[] {
  type Entry = { source: string; detection: RiskEvent['detection']; score: number; count: number };
  const bySource = new Map<string, Entry>();
  // Events come in runs of one source: the run's entry is kept at hand.
  let last: Entry | undefined;
  for (let i = span.from; i <= span.to; i++) {
    const e = events[i]!;
    const entry = last !== undefined && last.source === e.source ? last : bySource.get(e.source);
    if (entry === undefined) {
      last = { source: e.source, detection: e.detection, score: e.calculated_risk_score, count: 1 };
      bySource.set(e.source, last);
    } else {
      entry.score += e.calculated_risk_score;
      entry.count++;
      last = entry;
    }
  }
  return [...bySource.values()].sort((a, b) => b.score - a.score || (a.source < b.source ? -1 : a.source > b.source ? 1 : 0));
}

function severityFor(value: number, bands: readonly SeverityBand[], fallback: NotableSeverity): NotableSeverity {
  for (const b of bands) if (value > b.above) return b.severity;
  return fallback;
}

function fillTitle(title: string, entity: EntityEvents): string {
  return title.replaceAll('$risk_object_type$', entity.riskObjectType).replaceAll('$risk_object$', entity.riskObject);
}

function uniqueSorted(values: Iterable<string>): string[] {
  return [...new Set(values)].sort();
}

function notableFor(rule: IncidentRule, entity: EntityEvents, spans: { first: Span; peak: Span }, measured: (w: RiskWindow) => number): RiskNotable {
  const events = entity.events;
  const window = windowOf(events, spans.first);
  const peak = windowOf(events, spans.peak);
  // What contributed is read from the peak window: it holds the most the analyst needs to see.
  // A tactic is named as the last event naming it names it, so the window is read from its end
  // and each annotations object (shared by a rule's events) only at its last occurrence: an
  // earlier one names nothing its last occurrence does not.
  const tactics = new Set<string>();
  const techniques = new Set<string>();
  const tacticName = new Map<string, string>();
  const seen = new Set<RankedRisk['annotations']>();
  for (let i = spans.peak.to; i >= spans.peak.from; i--) {
    const a = events[i]!.annotations;
    if (seen.has(a)) continue;
    seen.add(a);
    // Backwards within the list too, so a tactic listed twice keeps the later name.
    for (let k = a.mitre_tactic_id.length - 1; k >= 0; k--) {
      const id = a.mitre_tactic_id[k]!;
      tactics.add(id);
      if (!tacticName.has(id)) tacticName.set(id, a.mitre_tactic[k] ?? id);
    }
    for (const t of a.mitre_technique_id) techniques.add(t);
  }
  const tacticIds = uniqueSorted(tactics);
  return {
    kind: 'risk-notable',
    _time: events[spans.first.to]!._time,
    rule_name: rule.name,
    rule_title: fillTitle(rule.title, entity),
    rule_kind: rule.kind,
    severity: severityFor(measured(peak), rule.severity, rule.defaultSeverity),
    security_domain: rule.securityDomain,
    status: 'new',
    owner: 'unassigned',
    risk_object: entity.riskObject,
    risk_object_type: entity.riskObjectType,
    window,
    peak,
    contributing: contributingSources(events, spans.peak),
    mitre_tactic_id: tacticIds,
    mitre_tactic: tacticIds.map((id) => tacticName.get(id) ?? id),
    mitre_technique_id: uniqueSorted(techniques),
  };
}

function evaluateScoreRule(rule: ScoreThresholdRule, entity: EntityEvents): RiskNotable | null {
  const spans = scoreCrossing(entity.events, rule.windowSeconds, rule.threshold);
  return spans === null ? null : notableFor(rule, entity, spans, (w) => w.risk_score);
}

function evaluateTacticRule(rule: TacticThresholdRule, entity: EntityEvents): RiskNotable | null {
  const spans = tacticCrossing(entity.events, rule.windowSeconds, rule.minTactics, rule.minSources);
  return spans === null ? null : notableFor(rule, entity, spans, (w) => w.tactic_count);
}

function evaluateRule(rule: IncidentRule, entity: EntityEvents): RiskNotable | null {
  switch (rule.kind) {
    case 'score-threshold':
      return evaluateScoreRule(rule, entity);
    case 'tactic-threshold':
      return evaluateTacticRule(rule, entity);
    default:
      return assertNever(rule, 'incident rule');
  }
}

/**
 * Runs every incident rule over the risk events (the shipped mappings/risk/incident-rules.yml
 * when `rules` is absent). Notables come out in time order, then by rule and object.
 */
export function evaluateIncidentRules(
  events: readonly RankedRisk[],
  rules: readonly IncidentRule[] = loadIncidentRules(),
  /** `eventsByEntity(events)`, when the caller has it already (ranking reads the same groups). */
  entities: readonly EntityEvents[] = eventsByEntity(events),
): RiskNotable[] {
  const out: RiskNotable[] = [];
  // Entity by entity, every rule (the order is the sort's below): notableFor then meets both
  // kinds of rule before V8 optimizes it, instead of being compiled again for the second kind.
  for (const entity of entities) {
    for (const rule of rules) {
      const notable = evaluateRule(rule, entity);
      if (notable !== null) out.push(notable);
    }
  }
  const key = (n: RiskNotable): string => `${n.rule_name}\u0000${n.risk_object_type}\u0000${n.risk_object}`;
  return out.sort((a, b) => a._time - b._time || (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}
