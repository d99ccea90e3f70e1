/** `vigil rules check`: load (and compile) Sigma rules and print every rule's status and the totals. */
import { choiceOption, flagOption, parseCommandArgs, stringOption, type OptionSpec } from '../args.js';
import { EXIT, UsageError, type Command } from '../command.js';
import { realBackend, type HuntBackend, type RuleReport } from '../hunt/api.js';
import { loadRuleSet, missingPaths } from '../hunt/load-rules.js';
import { reasonCategory, reportLocation, ruleTotals, totalsText, type RuleTotals } from '../hunt/rule-reports.js';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { loadContentSet } from '../hunt/content-set.js';
import { defaultCacheDir } from '../hunt/rule-cache.js';
import type { DetectionReport } from '../../engine/spl/plans.js';

const OPTIONS: OptionSpec = {
  format: { type: 'string', short: 'f' },
  strict: { type: 'boolean' },
  placeholders: { type: 'string' },
  macros: { type: 'string' },
  'no-rule-cache': { type: 'boolean' },
};

/** A folder shaped like splunk/security_content (it has detections/): checked as Splunk-style content. */
export function isContentRoot(p: string): boolean {
  try {
    return statSync(p).isDirectory() && existsSync(path.join(p, 'detections'));
  } catch {
    return false;
  }
}

export const RULES_CHECK_FORMATS = ['table', 'json'] as const;

const HELP = `usage: vigil rules check PATH... [options]

Loads Sigma rules (files or folders, read recursively) the way 'vigil hunt' does, compiles them,
and prints each rule document's status with its reasons, then the totals. A folder shaped like
splunk/security_content (it has a detections/ folder) is loaded as Splunk-style content instead:
each detection's search is expanded, parsed and compiled, and reported as 'runs' or
'not-runnable' with the reason (an unsupported command is named with its file:line:column).
Sigma statuses:
  loaded                the rule runs as written
  loaded-with-warnings  the rule runs; something was odd (listed), e.g. duplicate keys ANDed
  not-applicable        well formed, but for logs Vigil does not read (linux, cloud...)
  not-loaded            the rule does not run; the reasons say why (file:line, code)

options:
  -f, --format FMT        table (default) or json ({"rules": [...], "totals": {...}})
      --strict            treat warnings as errors (as 'vigil hunt --strict' would)
      --placeholders FILE YAML map of placeholder name to values, for |expand rules
      --macros FILE       macro overrides for Splunk-style content (YAML or macros.conf)
      --no-rule-cache     parse every Sigma rule file; by default the rule cache 'vigil hunt'
                          keeps is used and filled (only files changed since are parsed), so
                          a hunt after a check reads the checked set from it

exit status: 0 when every PATH exists (whatever the rules' status), 1 when a PATH is missing
(the others are still checked), 2 bad usage.
`;

const STATUS_WIDTH = 20;
const KIND_WIDTH = 11;
const ID_WIDTH = 36;

function detectionLines(detections: readonly DetectionReport[]): string[] {
  if (detections.length === 0) return [];
  const lines: string[] = [`${'STATUS'.padEnd(STATUS_WIDTH)} ${'KIND'.padEnd(KIND_WIDTH)} ${'ID'.padEnd(ID_WIDTH)} NAME  (LOCATION)`];
  for (const d of detections) {
    lines.push(`${d.status.padEnd(STATUS_WIDTH)} ${'spl'.padEnd(KIND_WIDTH)} ${d.id.padEnd(ID_WIDTH)} ${d.name}  (${d.file}:${d.line})`);
    for (const p of d.problems) lines.push(`    ${p.severity}: ${p.location.line !== undefined ? `${p.location.file}:${p.location.line}${p.location.column !== undefined ? `:${p.location.column}` : ''}: ` : ''}${p.message} [${p.code}]`);
  }
  const runs = detections.filter((d) => d.status === 'runs').length;
  lines.push(`total: ${detections.length} Splunk-style detections: ${runs} run, ${detections.length - runs} not runnable`);
  return lines;
}

function tableText(reports: readonly RuleReport[], totals: RuleTotals, missing: readonly string[], detections: readonly DetectionReport[]): string {
  const lines: string[] = [...detectionLines(detections)];
  if (reports.length === 0 && detections.length > 0) {
    for (const m of missing) lines.push(`missing: ${m}: no such file or folder`);
    return lines.join('\n') + '\n';
  }
  lines.push(`${'STATUS'.padEnd(STATUS_WIDTH)} ${'KIND'.padEnd(KIND_WIDTH)} ${'ID'.padEnd(ID_WIDTH)} TITLE  (LOCATION)`);
  for (const r of reports) {
    lines.push(
      `${r.status.padEnd(STATUS_WIDTH)} ${r.kind.padEnd(KIND_WIDTH)} ${(r.id ?? '-').padEnd(ID_WIDTH)} ${r.title ?? '-'}  (${reportLocation(r)})`,
    );
    // A problem elsewhere than the rule's own line (a YAML error further down) says where.
    for (const p of r.problems) lines.push(`    ${p.severity}: ${p.location.line !== undefined && p.location.line !== r.line ? `line ${p.location.line}: ` : ''}${p.message} [${p.code}]`);
  }
  for (const m of missing) lines.push(`missing: ${m}: no such file or folder`);
  const kinds = Object.entries(totals.byKind)
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');
  lines.push(`total: ${totals.documents} rule documents${kinds.length > 0 ? ` (${kinds})` : ''}: ${totalsText(totals)}`);
  return lines.join('\n') + '\n';
}

function jsonText(reports: readonly RuleReport[], totals: RuleTotals, missing: readonly string[], detections: readonly DetectionReport[]): string {
  return (
    JSON.stringify(
      {
        detections: detections.map((d) => ({
          status: d.status,
          id: d.id,
          name: d.name,
          file: d.file,
          line: d.line,
          problems: d.problems.map((p) => ({ severity: p.severity, code: p.code, message: p.message, line: p.location.line ?? null, column: p.location.column ?? null })),
        })),
        rules: reports.map((r) => ({
          status: r.status,
          kind: r.kind,
          id: r.id ?? null,
          title: r.title ?? null,
          file: r.file,
          line: r.line ?? null,
          reason_category: r.status === 'not-loaded' ? reasonCategory(r) : null,
          problems: r.problems.map((p) => ({ severity: p.severity, code: p.code, message: p.message, line: p.location.line ?? null })),
        })),
        missing,
        totals: {
          documents: totals.documents,
          loaded: totals.loaded,
          loaded_with_warnings: totals.loadedWithWarnings,
          not_loaded: totals.notLoaded,
          not_applicable: totals.notApplicable,
          not_loaded_by_reason: Object.fromEntries(totals.notLoadedBy),
          by_kind: totals.byKind,
        },
      },
      null,
      2,
    ) + '\n'
  );
}

export interface RulesCommandHooks {
  readonly backend?: () => Promise<HuntBackend>;
  readonly stdout?: (text: string) => void;
  readonly stderr?: (text: string) => void;
}

export function makeRulesCommand(hooks: RulesCommandHooks = {}): Command {
  return {
    name: 'rules',
    summary: "work with rule sets: 'vigil rules check PATH...' prints each rule's status",
    help: HELP,
    async run(argv) {
      const stdout = hooks.stdout ?? ((t: string) => void process.stdout.write(t));
      const stderr = hooks.stderr ?? ((t: string) => void process.stderr.write(t));
      const [sub, ...rest] = argv;
      if (sub !== 'check') throw new UsageError(sub === undefined ? 'missing subcommand (vigil rules check PATH...)' : `unknown subcommand '${sub}' (try 'check')`);
      const args = parseCommandArgs(rest, OPTIONS);
      if (args.positionals.length === 0) throw new UsageError('no rules given (vigil rules check PATH...)');
      const format = choiceOption(args, 'format', RULES_CHECK_FORMATS, 'table');
      const placeholdersFile = stringOption(args, 'placeholders');
      if (placeholdersFile !== undefined && missingPaths([placeholdersFile]).length > 0) {
        throw new UsageError(`placeholder file not found: ${placeholdersFile}`);
      }
      const missing = missingPaths(args.positionals);
      const contentRoots = args.positionals.filter((p) => !missing.includes(p) && isContentRoot(p));
      const present = args.positionals.filter((p) => !missing.includes(p) && !contentRoots.includes(p));
      const macrosFile = stringOption(args, 'macros');
      if (macrosFile !== undefined && missingPaths([macrosFile]).length > 0) throw new UsageError(`macro file not found: ${macrosFile}`);
      const detections: DetectionReport[] = [];
      if (contentRoots.length > 0) {
        const set = await loadContentSet(contentRoots, macrosFile);
        detections.push(...set.reports);
        for (const d of set.diagnostics) if (d.severity === 'error') stderr(`vigil rules check: ${d.location.file}${d.location.line !== undefined ? `:${d.location.line}` : ''}: ${d.message} [${d.code}]\n`);
      }
      const backend = await (hooks.backend ?? realBackend)();
      let reports: readonly RuleReport[] = [];
      if (present.length > 0) {
        try {
          const set = await loadRuleSet(backend, present, {
            strict: flagOption(args, 'strict'),
            ...(placeholdersFile !== undefined ? { placeholdersFile } : {}),
            ...(flagOption(args, 'no-rule-cache') ? {} : { ruleCacheDir: defaultCacheDir() }),
          });
          reports = set.reports;
          if (set.cacheProblem !== null) stderr(`vigil rules check: ${set.cacheProblem}\n`);
        } catch (err) {
          throw new UsageError(err instanceof Error ? err.message : String(err));
        }
      }
      const totals = ruleTotals(reports);
      stdout(format === 'json' ? jsonText(reports, totals, missing, detections) : tableText(reports, totals, missing, detections));
      for (const m of missing) stderr(`vigil rules check: ${m}: no such file or folder\n`);
      return missing.length > 0 ? EXIT.inputFailed : EXIT.ok;
    },
  };
}

export const rulesCommand: Command = makeRulesCommand();
