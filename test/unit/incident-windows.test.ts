/**
 * The sliding windows of the risk incident rules (src/risk/incident-rules.ts) against a plain
 * reference that recounts every window from scratch: the counting kept per annotations object and
 * per source must find the same first crossing and the same peak.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tacticCrossing } from '../../src/risk/incident-rules.js';
import type { RankedRisk } from '../../src/risk/index.js';
import { prng } from '../fuzz/evtx-synth.js';

interface Span {
  readonly from: number;
  readonly to: number;
}

/** What tacticCrossing computes, by recounting each window's tactics and sources. */
function referenceTacticCrossing(events: readonly RankedRisk[], windowSeconds: number, minTactics: number, minSources: number): { first: Span; peak: Span } | null {
  let from = 0;
  let first: Span | null = null;
  let peak: Span | null = null;
  let peakTactics = -1;
  for (let to = 0; to < events.length; to++) {
    while (events[to]!._time - events[from]!._time >= windowSeconds) from++;
    const tactics = new Set<string>();
    const sources = new Set<string>();
    for (let i = from; i <= to; i++) {
      for (const t of events[i]!.annotations.mitre_tactic_id) tactics.add(t);
      sources.add(events[i]!.source);
    }
    if (first === null && tactics.size >= minTactics && sources.size >= minSources) first = { from, to };
    if (tactics.size > peakTactics) {
      peakTactics = tactics.size;
      peak = { from, to };
    }
  }
  return first === null || peak === null ? null : { first, peak };
}

function annotations(tactics: readonly string[]): RankedRisk['annotations'] {
  return { mitre_attack: [], mitre_technique_id: [], mitre_technique: [], mitre_tactic_id: [...tactics], mitre_tactic: [...tactics] };
}

/** Events of one entity in time order: rules in runs (as findings come), some sharing a tactic or naming one twice. */
function entityEvents(seed: number, count: number): RankedRisk[] {
  const next = prng(seed);
  const rules = [['TA0003'], ['TA0002', 'TA0003'], ['TA0005'], ['TA0008', 'TA0008'], [], ['TA0001', 'TA0002', 'TA0011']].map((t, i) => ({
    source: `Sigma - rule ${i}`,
    annotations: annotations(t),
    detection: { id: `r${i}`, name: `rule ${i}`, type: 'Sigma', origin: 'sigma' as const },
  }));
  const out: RankedRisk[] = [];
  let time = 1_700_000_000;
  let rule = rules[0]!;
  for (let i = 0; i < count; i++) {
    if (next() < 0.3) rule = rules[Math.floor(next() * rules.length)]!;
    time += Math.floor(next() * 4000);
    out.push({ _time: time, risk_object: 'web01', risk_object_type: 'system', risk_score: 25, calculated_risk_score: 25, ...rule });
  }
  return out;
}

test('the tactic window finds the same first crossing and peak as recounting every window', () => {
  for (let seed = 1; seed <= 40; seed++) {
    const events = entityEvents(seed, 60 + seed * 5);
    for (const [window, minTactics, minSources] of [
      [3600, 3, 1],
      [3600, 1, 3],
      [2 * 3600, 1, 2],
      [6 * 3600, 2, 2],
      [86_400, 4, 3],
      [7 * 86_400, 3, 1],
    ] as const) {
      assert.deepEqual(tacticCrossing(events, window, minTactics, minSources), referenceTacticCrossing(events, window, minTactics, minSources), `seed ${seed}, window ${window}, ${minTactics} tactics, ${minSources} sources`);
    }
  }
});
