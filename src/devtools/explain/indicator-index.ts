/** The indicator index: (field, operator, value) → the rules that look for it, built once. */
import { indicatorKey } from './ir-predicates.js';
import type { Indicator, IndicatorEntry, IndicatorIndex, RuleExplanation } from './types.js';

interface Slot {
  readonly indicator: Indicator;
  readonly rules: Set<string>;
}

const NO_RULES: readonly string[] = Object.freeze([]);

/** What the index needs of a rule: its id and its indicators (an explanation has both). */
export type IndexedRule = Pick<RuleExplanation, 'id' | 'indicators'>;

export function buildIndicatorIndex(rules: Iterable<IndexedRule>): IndicatorIndex {
  const slots = new Map<string, Slot>();
  const ruleIds = new Set<string>();
  for (const rule of rules) {
    ruleIds.add(rule.id);
    for (const indicator of rule.indicators) {
      const key = indicatorKey(indicator);
      let slot = slots.get(key);
      if (slot === undefined) {
        slot = { indicator, rules: new Set() };
        slots.set(key, slot);
      }
      slot.rules.add(rule.id);
    }
  }
  // Sorted id lists are made on first request only: most indicators are never asked about.
  const sorted = new Map<string, readonly string[]>();
  const rulesFor = (indicator: Indicator): readonly string[] => {
    const key = indicatorKey(indicator);
    const done = sorted.get(key);
    if (done !== undefined) return done;
    const slot = slots.get(key);
    if (slot === undefined) return NO_RULES;
    const list = Object.freeze([...slot.rules].sort());
    sorted.set(key, list);
    return list;
  };
  let entries: readonly IndicatorEntry[] | null = null;
  return {
    ruleCount: ruleIds.size,
    size: slots.size,
    count: (indicator) => slots.get(indicatorKey(indicator))?.rules.size ?? 0,
    rulesFor,
    othersSharing(indicator, ruleId) {
      const slot = slots.get(indicatorKey(indicator));
      if (slot === undefined) return 0;
      return slot.rules.size - (slot.rules.has(ruleId) ? 1 : 0);
    },
    entries() {
      if (entries === null) {
        entries = [...slots.entries()]
          .sort((a, b) => b[1].rules.size - a[1].rules.size || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
          .map(([, slot]) => ({ indicator: slot.indicator, rules: rulesFor(slot.indicator) }));
      }
      return entries;
    },
  };
}
