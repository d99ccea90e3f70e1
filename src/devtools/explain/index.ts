/**
 * Rule explanations for catalogs and `vigil explain`:
 *   const e = explainSigmaRule(rule);            // or explainDetection({ detection, ast })
 *   const index = buildIndicatorIndex(explanations);
 *   index.count(e.indicators[0]); index.rulesFor(e.indicators[0]);
 */
export type * from './types.js';
export { explainSigmaRule, sigmaIndicators, printTimespan, type SigmaExplainOptions } from './sigma.js';
export { explainDetection, macrosUsed, classifySearchValue, classifyLike, type DetectionInput, type DetectionExplainOptions } from './spl.js';
export { buildIndicatorIndex, type IndexedRule } from './indicator-index.js';
export { indicatorKey, makeIndicator, ANY_FIELD } from './ir-predicates.js';
export { explanationText, explanationJson, conditionLines } from './format.js';
export { predicateText } from './print-expr.js';
export { loadExplainCorpus, loadDetections, indexedRules, isContentFolder, type ExplainCorpus, type LoadedDetection } from './corpus.js';
export { loadSigmaParallel, ruleFiles, type ParallelLoad, type ParallelOptions } from './parallel-load.js';
