/**
 * What `vigil hunt` and `vigil rules check` need from the Sigma front end and the engine, as a
 * small backend object. The CLI runs against the real modules (`realBackend`); tests hand in
 * fakes so output, summaries and exit statuses are checked without depending on rule semantics.
 */
import type { FieldScalar, FieldValue, VigilEvent } from '../../core/event.js';
import type { Rule, RuleMeta } from '../../ir/nodes.js';
import { cachedRuleLoad, ruleCacheKey, type CacheOutcome, type RuleCacheEntryRef } from './rule-cache.js';
import type { ParsedDocumentStore, RuleFileWalk, RuleReport } from '../../sigma/index.js';
import { DocumentCache } from './document-cache.js';
import { defaultAttackCatalogData, primeDefaultAttackCatalog, type AttackCatalogData } from '../../risk/attack.js';

// One rule document's outcome, as the Sigma front end reports it (`not-applicable`: well formed,
// but for a log source Vigil does not read).
export type { RuleKind, RuleReport, RuleStatus } from '../../sigma/index.js';

export interface RuleSetLoad {
  readonly rules: readonly Rule[];
  readonly reports: readonly RuleReport[];
  /** The ATT&CK catalog the risk events will read, kept with the rules in the rule cache (null: it does not load). */
  readonly attack?: AttackCatalogData | null;
}

export interface LoadOptions {
  readonly strict: boolean;
  readonly placeholders?: Record<string, string[]>;
  /** Folder of the rule-set cache (rule-cache.ts); without it the rules are always parsed. */
  readonly ruleCacheDir?: string;
  /** Told of a cache entry for these rules just before it is read (the hunt workers read it too). */
  readonly onCacheEntry?: (entry: RuleCacheEntryRef) => void;
}

/** A loaded rule set, and whether it came from the rule-set cache. */
export interface BackendLoad extends RuleSetLoad {
  readonly cache?: CacheOutcome;
  /** Why the cache could not be read or written (the rules loaded all the same). */
  readonly cacheProblem?: string | null;
  /** On a miss of the whole set: rule files parsed, and files whose documents the cache kept (document-cache.ts). */
  readonly parsedFiles?: ParsedFiles | null;
}

export interface ParsedFiles {
  readonly parsed: number;
  readonly reused: number;
}

export interface EventRef {
  readonly file: string;
  readonly recordId: number | null;
  readonly time: string | null;
  readonly ruleId: string;
}

export type Finding =
  | {
      readonly kind: 'match';
      readonly rule: RuleMeta;
      readonly variant: string;
      readonly event: VigilEvent;
      readonly matched: Readonly<Record<string, FieldValue>>;
    }
  | {
      readonly kind: 'correlation';
      readonly rule: RuleMeta;
      readonly group: Readonly<Record<string, FieldScalar>>;
      readonly value: number;
      readonly first: string | null;
      readonly last: string | null;
      readonly events: readonly EventRef[];
    };

/** A rule's hit that feeds correlations, as a hunt worker hands it to the main thread (engine/finding.ts). */
export interface CorrelationFeed {
  readonly ruleId: string;
  readonly time: string | null;
  readonly fields: Readonly<Record<string, FieldValue>>;
  readonly ref: EventRef;
}

export interface HuntEngine {
  process(event: VigilEvent, emit: (f: Finding) => void): void;
  /** End of input: correlations still open report now. */
  flush(emit: (f: Finding) => void): void;
  /**
   * With correlations, an engine that hands hits between threads (engine.ts): a worker's holds
   * the hits that feed correlations (`holdFeeds`, `takeFeeds`), the main thread's adds them to
   * the run's one correlation state (`addFeeds`). An engine without these hunts correlations
   * on the main thread alone.
   */
  readonly feedsCorrelations?: boolean;
  holdFeeds?(): void;
  takeFeeds?(): readonly CorrelationFeed[];
  addFeeds?(feeds: readonly CorrelationFeed[], emit: (f: Finding) => void): void;
}

export interface CompileProblem {
  readonly ruleId: string;
  readonly message: string;
  /** When the engine says so, a problem that does not stop the rule (default: error). */
  readonly severity?: 'error' | 'warning';
}

export interface HuntBackend {
  load(paths: readonly string[], options: LoadOptions): Promise<BackendLoad>;
  compile(rules: readonly Rule[]): { engine: HuntEngine; problems: readonly CompileProblem[] };
}

/**
 * The real front end and engine, imported on first use (a worker thread loads the same module).
 * The logsource resolver is handed to the loader explicitly so both commands agree on mappings.
 */
export async function realBackend(): Promise<HuntBackend> {
  const [sigma, engine, pipeline] = await Promise.all([
    import('../../sigma/index.js'),
    import('../../engine/index.js'),
    import('../../pipeline/index.js'),
  ]);
  // Made on first parse: a rule set read from the cache needs no log-source mappings (0.1 s of YAML).
  let logsources: ReturnType<typeof pipeline.createLogsourceResolver> | null = null;
  return {
    load: async (paths, options) => {
      const parse = (walks?: readonly RuleFileWalk[], documents?: ParsedDocumentStore): Promise<RuleSetLoad> =>
        sigma.loadSigmaRules([...paths], {
          strict: options.strict,
          ...(options.placeholders !== undefined ? { placeholders: options.placeholders } : {}),
          logsources: (logsources ??= pipeline.createLogsourceResolver()),
          ...(walks !== undefined ? { walks } : {}),
          ...(documents !== undefined ? { documents } : {}),
        });
      const dir = options.ruleCacheDir;
      if (dir === undefined) return { ...(await parse()), cache: 'off' };
      // A miss of the whole set: files unchanged since an earlier load keep their parsed documents.
      const documents: { files: ParsedFiles | null; problem: string | null } = { files: null, problem: null };
      const load = async (walks: readonly RuleFileWalk[]): Promise<RuleSetLoad> => {
        const store = DocumentCache.open(dir, { strict: options.strict, placeholders: options.placeholders });
        const loaded = { ...(await parse(walks, store)), attack: defaultAttackCatalogData() };
        documents.files = { parsed: store.parsed, reused: store.reused };
        const saveProblem = store.save();
        documents.problem = store.problem ?? saveProblem;
        return loaded;
      };
      // One walk for the key and, on a miss, the load: the files keyed are the files loaded.
      const walks: RuleFileWalk[] = [];
      for (const p of paths) walks.push(await sigma.collectRuleFiles(p));
      const files = walks.flatMap((w) => ('files' in w ? w.files : []));
      const keyOf = (): string => ruleCacheKey({ paths, files, strict: options.strict, placeholders: options.placeholders });
      const key = keyOf();
      const got = await cachedRuleLoad(dir, key, () => load(walks), keyOf, options.onCacheEntry);
      primeDefaultAttackCatalog(got.load.attack);
      return { ...got.load, cache: got.cache, cacheProblem: got.problem ?? documents.problem, parsedFiles: documents.files };
    },
    compile: (rules) => engine.compileRules([...rules]),
  };
}
