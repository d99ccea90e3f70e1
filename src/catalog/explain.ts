/**
 * The catalog's view of `vigil explain` (src/devtools/explain): stages, predicates and indicators
 * of a rule, and the indicator index over every rule the site shows. Loaded at run time so the
 * catalog builds (and says "not available") when that module is missing or fails on a rule.
 */
import type { Detection } from '../content/index.js';
import type { ContentMacroLookup } from '../content/index.js';
import type { IndicatorIndex, RuleExplanation } from '../devtools/explain/types.js';
import type { Rule } from '../ir/nodes.js';

export interface ExplainBridge {
  /** Null when the API is missing, or the rule could not be explained (reason in `failures`). */
  sigma(rule: Rule): RuleExplanation | null;
  /** Every loaded Sigma rule, so correlations can name the rules they reference. */
  useRules(rules: readonly Rule[]): void;
  detection(detection: Detection, lookup: ContentMacroLookup | null): RuleExplanation | null;
  /** Built by `indexAll` over every explained rule; null until then or when unavailable. */
  readonly index: IndicatorIndex | null;
  indexAll(explanations: readonly RuleExplanation[]): void;
  /** Why the API is not there (shown on pages), or null when it is. */
  readonly unavailable: string | null;
  /** Rules whose explanation threw: id → message. */
  readonly failures: ReadonlyMap<string, string>;
}

/** The parts of src/devtools/explain the catalog calls (checked at run time). */
export interface ExplainModule {
  explainSigmaRule?: (rule: Rule, options?: { readonly stages?: 'file' | 'ir' | 'none'; readonly rulesById?: ReadonlyMap<string, Rule> }) => RuleExplanation;
  explainDetection?: (input: { readonly detection: Detection }, options?: { readonly lookup?: ContentMacroLookup }) => RuleExplanation;
  buildIndicatorIndex?: (rules: Iterable<Pick<RuleExplanation, 'id' | 'indicators'>>) => IndicatorIndex;
}

/** The module path, kept in a variable so the build does not require it to exist. */
const EXPLAIN_MODULE = '../devtools/explain/index.js';

export function unavailableBridge(reason: string): ExplainBridge {
  return {
    sigma: () => null,
    useRules: () => undefined,
    detection: () => null,
    index: null,
    indexAll: () => undefined,
    unavailable: reason,
    failures: new Map(),
  };
}

export async function loadExplainBridge(modulePath: string = EXPLAIN_MODULE): Promise<ExplainBridge> {
  let mod: ExplainModule;
  try {
    mod = (await import(new URL(modulePath, import.meta.url).href)) as ExplainModule;
  } catch {
    return unavailableBridge("the 'vigil explain' module is not part of this build");
  }
  return bridgeFromModule(mod);
}

export function bridgeFromModule(mod: ExplainModule): ExplainBridge {
  const explainSigma = mod.explainSigmaRule;
  const explainDetection = mod.explainDetection;
  const buildIndex = mod.buildIndicatorIndex;
  if (typeof explainSigma !== 'function' && typeof explainDetection !== 'function') return unavailableBridge("the 'vigil explain' module has no explain functions");
  const failures = new Map<string, string>();
  let index: IndicatorIndex | null = null;
  let rulesById: ReadonlyMap<string, Rule> = new Map();
  const attempt = (id: string, run: () => RuleExplanation): RuleExplanation | null => {
    try {
      return run();
    } catch (e) {
      failures.set(id, e instanceof Error ? e.message : String(e));
      return null;
    }
  };
  return {
    // 'file' stages re-read the rule's YAML so selections and filters keep their names.
    sigma: (rule) => (typeof explainSigma === 'function' ? attempt(rule.meta.id, () => explainSigma(rule, { stages: 'file', rulesById })) : null),
    useRules(rules) {
      rulesById = new Map(rules.map((r) => [r.meta.id, r]));
    },
    detection: (detection, lookup) =>
      typeof explainDetection === 'function' ? attempt(detection.id, () => explainDetection({ detection }, lookup === null ? {} : { lookup })) : null,
    get index() {
      return index;
    },
    indexAll(explanations) {
      if (typeof buildIndex !== 'function') return;
      try {
        index = buildIndex(explanations);
      } catch (e) {
        failures.set('(indicator index)', e instanceof Error ? e.message : String(e));
      }
    },
    unavailable: null,
    failures,
  };
}
