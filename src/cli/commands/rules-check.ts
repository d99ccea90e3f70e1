/** `vigil rules check`: load (and compile) Sigma rules and print every rule's status and the totals. */
import { choiceOption, flagOption, parseCommandArgs, stringOption, type OptionSpec } from '../args.js';
import { EXIT, UsageError, type Command } from '../command.js';
import { realBackend, type HuntBackend, type RuleReport } from '../hunt/api.js';
import { loadRuleSet, missingPaths } from '../hunt/load-rules.js';
import { reasonCategory, reportLocation, ruleTotals, totalsText, type RuleTotals } from '../hunt/rule-reports.js';

const OPTIONS: OptionSpec = {
  format: { type: 'string', short: 'f' },
  strict: { type: 'boolean' },
  placeholders: { type: 'string' },
};

export const RULES_CHECK_FORMATS = ['table', 'json'] as const;

const HELP = `usage: vigil rules check PATH... [options]

Loads Sigma rules (files or folders, read recursively) the way 'vigil hunt' does, compiles them,
and prints each rule document's status with its reasons, then the totals:
  loaded                the rule runs as written
  loaded-with-warnings  the rule runs; something was odd (listed), e.g. duplicate keys ANDed
  not-applicable        well formed, but for logs Vigil does not read (linux, cloud...)
  not-loaded            the rule does not run; the reasons say why (file:line, code)

options:
  -f, --format FMT        table (default) or json ({"rules": [...], "totals": {...}})
      --strict            treat warnings as errors (as 'vigil hunt --strict' would)
      --placeholders FILE YAML map of placeholder name to values, for |expand rules

exit status: 0 when every PATH exists (whatever the rules' status), 1 when a PATH is missing
(the others are still checked), 2 bad usage.
`;

const STATUS_WIDTH = 20;
const KIND_WIDTH = 11;
const ID_WIDTH = 36;

function tableText(reports: readonly RuleReport[], totals: RuleTotals, missing: readonly string[]): string {
  const lines: string[] = [];
  lines.push(`${'STATUS'.padEnd(STATUS_WIDTH)} ${'KIND'.padEnd(KIND_WIDTH)} ${'ID'.padEnd(ID_WIDTH)} TITLE  (LOCATION)`);
  for (const r of reports) {
    lines.push(
      `${r.status.padEnd(STATUS_WIDTH)} ${r.kind.padEnd(KIND_WIDTH)} ${(r.id ?? '-').padEnd(ID_WIDTH)} ${r.title ?? '-'}  (${reportLocation(r)})`,
    );
    for (const p of r.problems) lines.push(`    ${p.severity}: ${p.message} [${p.code}]`);
  }
  for (const m of missing) lines.push(`missing: ${m}: no such file or folder`);
  const kinds = Object.entries(totals.byKind)
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');
  lines.push(`total: ${totals.documents} rule documents${kinds.length > 0 ? ` (${kinds})` : ''}: ${totalsText(totals)}`);
  return lines.join('\n') + '\n';
}

function jsonText(reports: readonly RuleReport[], totals: RuleTotals, missing: readonly string[]): string {
  return (
    JSON.stringify(
      {
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
      const present = args.positionals.filter((p) => !missing.includes(p));
      const backend = await (hooks.backend ?? realBackend)();
      let reports: readonly RuleReport[] = [];
      if (present.length > 0) {
        try {
          const set = await loadRuleSet(backend, present, {
            strict: flagOption(args, 'strict'),
            ...(placeholdersFile !== undefined ? { placeholdersFile } : {}),
          });
          reports = set.reports;
        } catch (err) {
          throw new UsageError(err instanceof Error ? err.message : String(err));
        }
      }
      const totals = ruleTotals(reports);
      stdout(format === 'json' ? jsonText(reports, totals, missing) : tableText(reports, totals, missing));
      for (const m of missing) stderr(`vigil rules check: ${m}: no such file or folder\n`);
      return missing.length > 0 ? EXIT.inputFailed : EXIT.ok;
    },
  };
}

export const rulesCommand: Command = makeRulesCommand();
