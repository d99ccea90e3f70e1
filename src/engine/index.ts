/**
 * The matching engine. `compileRules` turns IR rules into an `Engine`:
 * - routing.ts: each event meets only the variants whose scope (channel, provider, event id)
 *   admits it; candidate lists are cached per key.
 * - gate.ts + needles.ts: per candidate list, a necessary literal test per variant is indexed
 *   (exact/prefix/suffix hashes, one shared Aho-Corasick scan per field for substrings), so
 *   only variants whose gate opened are evaluated.
 * - compile-expr.ts / pattern.ts / regex-guard.ts: conditions become predicates, cheapest tests
 *   first, values folded once per event (event-context.ts), regexes that cannot hang.
 * - correlation.ts: windows per group in event-time order, bounded, de-duplicated.
 * `micro-bench.ts` measures routing + matching throughput (not a test).
 */
export { compileRules, Engine } from './engine.js';
export type { CompileProblem, EngineOptions, EngineStats } from './engine.js';
export type { CorrelationOptions, CorrelationStats } from './correlation.js';
export { DEFAULT_CORRELATION_OPTIONS } from './correlation.js';
export type { CorrelationFeed, CorrelationFinding, Emit, EventRef, Finding, MatchFinding } from './finding.js';
