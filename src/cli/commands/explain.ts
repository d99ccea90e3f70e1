/**
 * `vigil explain RULE`: what a rule catalog page shows for one rule — its log source and
 * variants, the condition or pipeline as stages with predicates, and each indicator with how
 * many other rules in the corpus look for the same (field, operator, value).
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { choiceOption, parseCommandArgs, type OptionSpec, type ParsedArgs } from '../args.js';
import { EXIT, UsageError, type Command } from '../command.js';
import { packageRoot } from '../repo-root.js';
import type { Rule } from '../../ir/nodes.js';
import { loadSigmaRules } from '../../sigma/index.js';
import { realBackend, type HuntBackend } from '../hunt/api.js';
import { defaultCacheDir } from '../hunt/rule-cache.js';
import {
  buildIndicatorIndex, explainDetection, explainSigmaRule, explanationJson, explanationText, indexedRules, isContentFolder, loadDetections,
  loadSigmaParallel, type IndicatorIndex, type LoadedDetection, type RuleExplanation,
} from '../../devtools/explain/index.js';

const OPTIONS: OptionSpec = {
  rules: { type: 'string', short: 'r', multiple: true },
  detections: { type: 'string', short: 'd', multiple: true },
  corpus: { type: 'string', short: 'c', multiple: true },
  format: { type: 'string', short: 'f' },
  'no-corpus': { type: 'boolean' },
  'no-rule-cache': { type: 'boolean' },
};

export const EXPLAIN_FORMATS = ['text', 'json'] as const;

const HELP = `usage: vigil explain RULE [options]

Explains one rule the way a rule catalog page would:
  - Sigma: the log source and the variants it resolves to (channel, EventIDs, field names),
    then the condition as stages (selections, filters, '1 of', 'not') with each predicate
    (field, operator, values, modifiers such as all/cased), and the field name each variant
    reads (Sysmon Image is NewProcessName in Security 4688); correlations show their type,
    group-by, timespan, condition and referenced rules.
  - Splunk-style detections: each pipeline command with its predicates (search and tstats
    WHERE terms, IN lists, NOT), data model, BY fields, aggregations, eval/where expressions,
    renames, lookups and the macros the search calls.
  - Indicators: every (field, operator, value) the rule looks for, with the number of other
    rules in the corpus that look for the same one.

RULE is a Sigma rule id, title or file, or a detection name, id or file. It is searched in the
--rules and --detections paths; with neither, in the built-in content (content/sigma and
content/splunk).

options:
  -r, --rules PATH        Sigma rule file or folder (repeatable)
  -d, --detections PATH   security_content-shaped folder (has detections/) (repeatable)
  -c, --corpus PATH       more rules counted for indicators: Sigma paths or content folders
                          (repeatable); the corpus is the rule paths plus these
      --no-corpus         do not count indicators (no corpus is loaded)
      --no-rule-cache     parse the Sigma rules (on several threads) instead of reading them
                          from the rule cache 'vigil hunt' keeps, and leave the cache alone
  -f, --format FMT        text (default) or json

exit status: 0 explained, 1 RULE not found (or ambiguous) or a path is missing, 2 bad usage.
`;

function listOption(args: ParsedArgs, name: string): string[] {
  const v = (args.values as Record<string, unknown>)[name];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : [];
}

interface Loaded {
  readonly rules: Rule[];
  readonly detections: LoadedDetection[];
}

/**
 * Sigma rules come from the rule cache `vigil hunt` keeps when `cache` is given (a large corpus
 * loads in a fraction of the time), else are parsed on several threads. One backend serves the
 * run's loads, so the log-source mappings are read at most once.
 */
async function loadPaths(paths: readonly string[], cache: { readonly backend: () => Promise<HuntBackend>; readonly dir: string } | null): Promise<Loaded> {
  const contentRoots = paths.filter(isContentFolder);
  const sigma = paths.filter((p) => !contentRoots.includes(p));
  const detections: LoadedDetection[] = [];
  for (const root of contentRoots) detections.push(...(await loadDetections(root)).detections);
  let rules: Rule[] = [];
  if (sigma.length > 0 && cache !== null) rules = [...(await (await cache.backend()).load(sigma, { strict: false, ruleCacheDir: cache.dir })).rules];
  else if (sigma.length > 0) rules = (await loadSigmaParallel(sigma)).rules;
  return { rules, detections };
}

/** The security_content root above a detection file (the folder holding `detections/`). */
function contentRootOf(file: string): string | null {
  let dir = path.dirname(path.resolve(file));
  for (let i = 0; i < 12; i++) {
    if (path.basename(dir) === 'detections') return path.dirname(dir);
    const parent = path.dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
  return null;
}

type Found = { kind: 'sigma'; rule: Rule } | { kind: 'spl'; detection: LoadedDetection };

function labelOf(f: Found): string {
  return f.kind === 'sigma' ? `${f.rule.meta.id}  ${f.rule.meta.title}  (${f.rule.meta.source.file})` : `${f.detection.detection.id}  ${f.detection.detection.name}  (${f.detection.detection.origin.file})`;
}

/** Exact id, then exact title/name (any case), then a unique title substring. */
function findRule(query: string, loaded: Loaded): Found[] {
  const all: Found[] = [
    ...loaded.rules.map((rule): Found => ({ kind: 'sigma', rule })),
    ...loaded.detections.map((detection): Found => ({ kind: 'spl', detection })),
  ];
  const id = (f: Found): string => (f.kind === 'sigma' ? f.rule.meta.id : f.detection.detection.id);
  const title = (f: Found): string => (f.kind === 'sigma' ? f.rule.meta.title : f.detection.detection.name);
  const name = (f: Found): string | undefined => (f.kind === 'sigma' ? f.rule.meta.name : undefined);
  const q = query.trim().toLowerCase();
  for (const test of [
    (f: Found) => id(f).toLowerCase() === q || name(f)?.toLowerCase() === q,
    (f: Found) => title(f).toLowerCase() === q,
    (f: Found) => title(f).toLowerCase().includes(q),
  ]) {
    const hits = all.filter(test);
    if (hits.length > 0) return dedupe(hits, id);
  }
  return [];
}

function dedupe(hits: Found[], id: (f: Found) => string): Found[] {
  const seen = new Set<string>();
  return hits.filter((h) => {
    const key = `${h.kind}:${id(h)}:${h.kind === 'sigma' ? h.rule.meta.source.file : h.detection.detection.origin.file}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** RULE given as a file: its Sigma rules, or the detection it holds (loaded with its content folder). */
async function rulesInFile(file: string): Promise<{ found: Found[]; loaded: Loaded }> {
  const sigma = await loadSigmaRules([file]);
  if (sigma.rules.length > 0) return { found: sigma.rules.map((rule) => ({ kind: 'sigma', rule })), loaded: { rules: sigma.rules, detections: [] } };
  const root = contentRootOf(file);
  if (root === null) return { found: [], loaded: { rules: [], detections: [] } };
  const { detections } = await loadDetections(root);
  const target = path.resolve(file);
  const found = detections.filter((d) => path.resolve(d.detection.origin.file) === target).map((detection): Found => ({ kind: 'spl', detection }));
  return { found, loaded: { rules: [], detections } };
}

function explainFound(f: Found, rulesById: ReadonlyMap<string, Rule>): RuleExplanation {
  return f.kind === 'sigma' ? explainSigmaRule(f.rule, { rulesById }) : explainDetection(f.detection);
}

export interface ExplainCommandHooks {
  readonly stdout?: (text: string) => void;
  readonly stderr?: (text: string) => void;
  /** Where the built-in content lives (tests). */
  readonly contentRoot?: string;
}

export function makeExplainCommand(hooks: ExplainCommandHooks = {}): Command {
  return {
    name: 'explain',
    summary: "explain one rule: its stages and predicates, and its indicators with how many other rules share them",
    help: HELP,
    async run(argv) {
      const stdout = hooks.stdout ?? ((t: string) => void process.stdout.write(t));
      const stderr = hooks.stderr ?? ((t: string) => void process.stderr.write(t));
      const args = parseCommandArgs(argv, OPTIONS);
      if (args.positionals.length !== 1) throw new UsageError(args.positionals.length === 0 ? 'no rule given (vigil explain RULE)' : `one rule at a time (got ${args.positionals.length}: ${args.positionals.join(' ')})`);
      const query = args.positionals[0]!;
      const format = choiceOption(args, 'format', EXPLAIN_FORMATS, 'text');
      const withCorpus = args.values['no-corpus'] !== true;
      const contentRoot = hooks.contentRoot ?? path.join(packageRoot(), 'content');
      let rulePaths = listOption(args, 'rules');
      let detectionPaths = listOption(args, 'detections');
      if (rulePaths.length === 0 && detectionPaths.length === 0) {
        rulePaths = [path.join(contentRoot, 'sigma')].filter(existsSync);
        detectionPaths = [path.join(contentRoot, 'splunk')].filter(existsSync);
      }
      const corpusPaths = listOption(args, 'corpus');
      const missing = [...rulePaths, ...detectionPaths, ...corpusPaths].filter((p) => !existsSync(p));
      if (missing.length > 0) {
        for (const m of missing) stderr(`vigil explain: ${m}: no such file or folder\n`);
        return EXIT.inputFailed;
      }
      const started = performance.now();
      // Made on first use: a run over Splunk-style content alone loads no Sigma modules.
      let backend: Promise<HuntBackend> | null = null;
      const cache = args.values['no-rule-cache'] === true ? null : { backend: () => (backend ??= realBackend()), dir: defaultCacheDir() };
      const fromPaths = await loadPaths([...rulePaths, ...detectionPaths], cache);
      let found: Found[];
      let fromFile: Loaded = { rules: [], detections: [] };
      if (existsSync(query) && statSync(query).isFile()) {
        const inFile = await rulesInFile(query);
        found = inFile.found;
        fromFile = inFile.loaded;
      } else found = findRule(query, fromPaths);
      if (found.length === 0) {
        stderr(`vigil explain: no rule or detection matches '${query}' (searched ${[...rulePaths, ...detectionPaths].join(', ') || 'nothing'})\n`);
        return EXIT.inputFailed;
      }
      if (found.length > 1 && !(existsSync(query) && found.length <= 8)) {
        stderr(`vigil explain: '${query}' matches ${found.length} rules; give an id:\n${found.slice(0, 20).map((f) => `  ${labelOf(f)}\n`).join('')}`);
        return EXIT.inputFailed;
      }
      const extra = corpusPaths.length > 0 && withCorpus ? await loadPaths(corpusPaths, cache) : { rules: [], detections: [] };
      const loadMs = performance.now() - started;
      const allRules = [...fromPaths.rules, ...fromFile.rules, ...extra.rules];
      const rulesById = new Map(allRules.map((r) => [r.meta.id, r] as const));
      let index: IndicatorIndex | undefined;
      let indexMs = 0;
      if (withCorpus) {
        const t = performance.now();
        index = buildIndicatorIndex(indexedRules(allRules, [...fromPaths.detections, ...fromFile.detections, ...extra.detections]));
        indexMs = performance.now() - t;
      }
      const explanations = found.map((f) => explainFound(f, rulesById));
      if (format === 'json') {
        const timing = index === undefined ? {} : { timing: { load_ms: Math.round(loadMs), index_ms: Math.round(indexMs) } };
        const items = explanations.map((e) => ({ ...(explanationJson(e, index) as object), ...timing }));
        stdout(JSON.stringify(items.length === 1 ? items[0] : items, null, 2) + '\n');
      } else {
        stdout(explanations.map((e) => explanationText(e, index)).join('\n'));
        if (index !== undefined) stdout(`(corpus loaded in ${(loadMs / 1000).toFixed(2)} s; indicator index built in ${Math.round(indexMs)} ms)\n`);
      }
      return EXIT.ok;
    },
  };
}

export const explainCommand: Command = makeExplainCommand();
