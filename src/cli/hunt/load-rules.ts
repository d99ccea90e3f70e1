/**
 * Loading and compiling a rule set, shared by `vigil hunt` and `vigil rules check` so both give
 * the same verdict on every rule: the front end's reports, with rules the engine refuses turned
 * into not-loaded reports of their own.
 */
import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { Rule } from '../../ir/nodes.js';
import type { HuntBackend, HuntEngine, ParsedFiles, RuleReport } from './api.js';
import type { CacheOutcome, RuleCacheEntryRef } from './rule-cache.js';
import { ruleExclusion, type RuleExclusion, type RuleFilter } from './filters.js';
import { applyCompileProblems, readPlaceholders, type ExcludedRule } from './rule-reports.js';

export interface LoadedRuleSet {
  readonly rules: readonly Rule[];
  readonly reports: readonly RuleReport[];
  /** Rules the filters left out, with why (their reports are not in `reports`). */
  readonly excluded: readonly ExcludedRule[];
  readonly engine: HuntEngine;
  readonly seconds: number;
  /** Whether the rules came from the rule-set cache ('off' without one), and why it could not be used. */
  readonly cache: CacheOutcome;
  readonly cacheProblem: string | null;
  /** On a cache miss: rule files parsed, and files whose documents the cache kept. */
  readonly parsedFiles: ParsedFiles | null;
}

export interface RuleSetOptions {
  readonly strict: boolean;
  readonly placeholdersFile?: string;
  /** `vigil hunt`'s rule filters; without one every loaded rule runs (`vigil rules check`). */
  readonly filter?: RuleFilter;
  /**
   * Told the rules about to be compiled, and whether they came from the rule cache (`vigil hunt`
   * offers them to its warm workers then).
   */
  readonly beforeCompile?: (rules: readonly Rule[], cache: CacheOutcome) => void;
  /** Folder of the rule-set cache (see rule-cache.ts); without it the rules are always parsed. */
  readonly ruleCacheDir?: string;
  /** Told of the cache entry about to be read (`vigil hunt`'s warm workers read it too). */
  readonly onCacheEntry?: (entry: RuleCacheEntryRef) => void;
}

/** Paths that do not exist (checked before loading so the command can say which). */
export function missingPaths(paths: readonly string[]): string[] {
  return paths.filter((p) => !existsSync(p));
}

export async function loadRuleSet(backend: HuntBackend, paths: readonly string[], options: RuleSetOptions): Promise<LoadedRuleSet> {
  const started = performance.now();
  const placeholders = options.placeholdersFile === undefined ? undefined : await readPlaceholders(options.placeholdersFile);
  const loaded = await backend.load(paths, {
    strict: options.strict,
    ...(placeholders !== undefined ? { placeholders } : {}),
    ...(options.ruleCacheDir !== undefined ? { ruleCacheDir: options.ruleCacheDir } : {}),
    ...(options.onCacheEntry !== undefined ? { onCacheEntry: options.onCacheEntry } : {}),
  });
  const filtered = options.filter === undefined ? { rules: loaded.rules, reports: loaded.reports, excluded: [] } : applyRuleFilter(loaded.rules, loaded.reports, options.filter);
  options.beforeCompile?.(filtered.rules, loaded.cache ?? 'off');
  const first = backend.compile(filtered.rules);
  const checked = applyCompileProblems(filtered.rules, filtered.reports, first.problems);
  // Compile again without the refused rules so nothing half-compiled stays in the engine.
  const engine = checked.rules.length === filtered.rules.length ? first.engine : backend.compile(checked.rules).engine;
  return {
    rules: checked.rules,
    reports: checked.reports,
    excluded: filtered.excluded,
    engine,
    seconds: (performance.now() - started) / 1000,
    cache: loaded.cache ?? 'off',
    cacheProblem: loaded.cacheProblem ?? null,
    parsedFiles: loaded.parsedFiles ?? null,
  };
}

/**
 * Whether hunt workers can hunt this rule set with `engine` on the main thread (each worker is an
 * engine of its own): one without correlations always; one with them when the engine hands the
 * hits that feed them between threads (HuntEngine.addFeeds), so that the main thread's engine
 * correlates every thread's hits.
 */
export function workersCanHunt(rules: readonly Rule[], engine?: HuntEngine): boolean {
  return !rules.some((r) => r.kind === 'correlation') || engine?.addFeeds !== undefined;
}

/** Reasons a correlation's base rules may be kept for it although a filter would leave them out. */
const KEPT_FOR_CORRELATIONS = new Set(['level', 'status']);

/**
 * Splits loaded rules into those the filter keeps and those it leaves out (with reasons), and
 * drops the reports of the excluded ones (they are reported as excluded instead). Correlations
 * and their base rules stay consistent: a base rule left out only for its level or status is
 * kept for a correlation that runs (base rules are often low while the correlation is high);
 * a correlation whose base rule is left out by id, tag or file is left out with it.
 */
export function applyRuleFilter(
  rules: readonly Rule[],
  reports: readonly RuleReport[],
  filter: RuleFilter,
): { rules: readonly Rule[]; reports: readonly RuleReport[]; excluded: readonly ExcludedRule[] } {
  const why = new Map<Rule, RuleExclusion>();
  for (const r of rules) {
    const e = ruleExclusion(filter, { id: r.meta.id, level: r.meta.level, status: r.meta.status ?? null, tags: r.meta.tags, file: r.meta.source.file, type: null });
    if (e !== null) why.set(r, e);
  }
  const byRef = new Map<string, Rule>();
  for (const r of rules) if (r.meta.name !== undefined && !byRef.has(r.meta.name)) byRef.set(r.meta.name, r);
  for (const r of rules) byRef.set(r.meta.id, r);
  // Each pass changes at least one rule's verdict or stops; a rule changes at most twice.
  for (let pass = 0, changed = true; changed && pass <= 2 * rules.length + 1; pass++) {
    changed = false;
    for (const c of rules) {
      if (c.kind !== 'correlation' || why.has(c)) continue;
      for (const ref of c.rules) {
        const base = byRef.get(ref);
        const e = base === undefined ? undefined : why.get(base);
        if (base === undefined || e === undefined) continue;
        if (KEPT_FOR_CORRELATIONS.has(e.reason)) why.delete(base);
        else why.set(c, { reason: e.reason, message: `its rule ${ref} is excluded: ${e.message}` });
        changed = true;
        break;
      }
    }
  }
  if (why.size === 0) return { rules, reports, excluded: [] };
  const key = (id: string | undefined, file: string): string => `${id ?? ''}\u0000${file}`;
  const excludedKeys = new Set([...why.keys()].map((r) => key(r.meta.id, r.meta.source.file)));
  const excluded = [...why.entries()].map(([r, e]): ExcludedRule => ({
    file: r.meta.source.file,
    ...(r.meta.source.line !== undefined ? { line: r.meta.source.line } : {}),
    id: r.meta.id,
    title: r.meta.title,
    kind: r.kind,
    reason: e.reason,
    message: e.message,
  }));
  return {
    rules: rules.filter((r) => !why.has(r)),
    reports: reports.filter((r) => !((r.status === 'loaded' || r.status === 'loaded-with-warnings') && excludedKeys.has(key(r.id, r.file)))),
    excluded,
  };
}

/**
 * Lets `--rules` take several paths, as in `vigil hunt logs/ --rules a.yml rules/`: the words
 * after `--rules` up to the next option (or `--`) are rule paths. Returns argv with each group
 * rewritten as repeated `--rules PATH` so the ordinary parser reads it.
 */
export function expandRuleArgs(argv: readonly string[], names: readonly string[] = ['--rules', '-r'], as = '--rules'): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      out.push(...argv.slice(i));
      break;
    }
    if (!names.includes(arg)) {
      out.push(arg);
      continue;
    }
    let taken = 0;
    while (i + 1 < argv.length && !(argv[i + 1] as string).startsWith('-')) {
      out.push(as, argv[i + 1] as string);
      i++;
      taken++;
    }
    // `--rules` with no path: leave it to the parser to report the missing value.
    if (taken === 0) out.push(arg);
  }
  return out;
}
