/**
 * Loading and compiling a rule set, shared by `vigil hunt` and `vigil rules check` so both give
 * the same verdict on every rule: the front end's reports, with rules the engine refuses turned
 * into not-loaded reports of their own.
 */
import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { Rule } from '../../ir/nodes.js';
import type { HuntBackend, HuntEngine, RuleReport } from './api.js';
import { applyCompileProblems, readPlaceholders } from './rule-reports.js';

export interface LoadedRuleSet {
  readonly rules: readonly Rule[];
  readonly reports: readonly RuleReport[];
  readonly engine: HuntEngine;
  readonly seconds: number;
}

export interface RuleSetOptions {
  readonly strict: boolean;
  readonly placeholdersFile?: string;
}

/** Paths that do not exist (checked before loading so the command can say which). */
export function missingPaths(paths: readonly string[]): string[] {
  return paths.filter((p) => !existsSync(p));
}

export async function loadRuleSet(backend: HuntBackend, paths: readonly string[], options: RuleSetOptions): Promise<LoadedRuleSet> {
  const started = performance.now();
  const placeholders = options.placeholdersFile === undefined ? undefined : await readPlaceholders(options.placeholdersFile);
  const load = await backend.load(paths, { strict: options.strict, ...(placeholders !== undefined ? { placeholders } : {}) });
  const first = backend.compile(load.rules);
  const checked = applyCompileProblems(load.rules, load.reports, first.problems);
  // Compile again without the refused rules so nothing half-compiled stays in the engine.
  const engine = checked.rules.length === load.rules.length ? first.engine : backend.compile(checked.rules).engine;
  return { rules: checked.rules, reports: checked.reports, engine, seconds: (performance.now() - started) / 1000 };
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
