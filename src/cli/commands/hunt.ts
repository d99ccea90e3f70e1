/** `vigil hunt`: run Sigma rules over event logs and stream the findings. */
import { availableParallelism } from 'node:os';
import { writeFile } from 'node:fs/promises';
import { INPUT_FORMATS, type InputFormat } from '../../core/event.js';
import { choiceOption, flagOption, intOption, parseCommandArgs, stringOption, type OptionSpec, type ParsedArgs } from '../args.js';
import { EXIT, UsageError, type Command } from '../command.js';
import { realBackend, type HuntBackend } from '../hunt/api.js';
import { createFindingFormatter, HUNT_FORMATS } from '../hunt/finding-format.js';
import { runHunt } from '../hunt/hunt-run.js';
import { formatHuntSummary, huntSummaryJson } from '../hunt/hunt-summary.js';
import { expandRuleArgs, loadRuleSet, missingPaths } from '../hunt/load-rules.js';
import { notLoadedLine, ruleTotals } from '../hunt/rule-reports.js';
import { OutputSink } from '../output/sink.js';

const OPTIONS: OptionSpec = {
  rules: { type: 'string', short: 'r', multiple: true },
  format: { type: 'string', short: 'f' },
  output: { type: 'string', short: 'o' },
  threads: { type: 'string', short: 'j' },
  strict: { type: 'boolean' },
  placeholders: { type: 'string' },
  'input-format': { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
  'summary-json': { type: 'string' },
};

const HELP = `usage: vigil hunt PATH... --rules RULES... [options]

Runs Sigma rules over event logs and prints each finding as soon as it is found. PATH is any
input 'vigil dump' reads (EVTX, XML, WinEventLog text, JSON, key=value; files, folders, .gz, .zip).
RULES are Sigma YAML files or folders (read recursively); give several after one --rules or
repeat --rules. See docs/hunt.md and docs/sigma.md.

rules:
  -r, --rules PATH...     Sigma rules: detection rules, correlations and filters (required)
      --strict            treat rule warnings (e.g. duplicate keys in a selection) as errors
      --placeholders FILE YAML map of placeholder name to values, for |expand rules

output:
  -f, --format FMT        table (default): level, time, computer, event id, rule title, matched fields;
                          jsonl: one object per finding with rule, event and matched fields
  -o, --output FILE       write findings to FILE instead of standard output
      --summary-json FILE also write the summary as JSON to FILE

reading:
      --input-format FMT  skip detection: ${INPUT_FORMATS.join(', ')}
  -j, --threads N         threads (default: all cores). With several inputs and no correlation
                          rule, up to N workers each match whole files; otherwise matching stays on
                          one thread and N threads parse EVTX chunks. 1 runs everything on one thread
  -q, --quiet             do not list per-record errors and not-loaded rules (the summary counts them)

Rules that do not load are listed on standard error, one a line with file:line and the reason.
The summary (standard error) gives inputs, rules loaded and not loaded (by reason), events,
findings per level, seconds, events/s and MB/s.

exit status:
  0  every input was read (even if some records were bad or some rules did not load)
  1  at least one input could not be read at all; the summary names it
  2  bad usage (including a --rules path that does not exist)
  3  the output could not be written
  70 internal error
`;

function ruleArgs(args: ParsedArgs): string[] {
  const v = args.values['rules'] as unknown;
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  return typeof v === 'string' ? [v] : [];
}

export interface HuntCommandHooks {
  /** Replaces the real front end and engine (tests). */
  readonly backend?: () => Promise<HuntBackend>;
  /** Module the worker threads compile rules with. */
  readonly workerEngineModule?: string;
  /** Where diagnostics and the summary go (default: standard error). */
  readonly stderr?: (text: string) => void;
}

export function makeHuntCommand(hooks: HuntCommandHooks = {}): Command {
  return {
    name: 'hunt',
    summary: 'run Sigma rules over event logs and stream the findings',
    help: HELP,
    async run(argv) {
      const stderr = hooks.stderr ?? ((text: string) => void process.stderr.write(text));
      const args = parseCommandArgs(expandRuleArgs(argv), OPTIONS);
      if (args.positionals.length === 0) throw new UsageError('no input given (vigil hunt PATH... --rules RULES...)');
      const rulePaths = ruleArgs(args);
      if (rulePaths.length === 0) throw new UsageError('no rules given (--rules PATH...)');
      const missing = missingPaths(rulePaths);
      if (missing.length > 0) throw new UsageError(`rules not found: ${missing.join(', ')}`);
      const format = choiceOption(args, 'format', HUNT_FORMATS, 'table');
      const inputFormat = stringOption(args, 'input-format');
      if (inputFormat !== undefined && !(INPUT_FORMATS as readonly string[]).includes(inputFormat)) {
        throw new UsageError(`--input-format must be one of ${INPUT_FORMATS.join(', ')} (got '${inputFormat}')`);
      }
      const threads = intOption(args, 'threads', availableParallelism(), 1, 1024);
      const quiet = flagOption(args, 'quiet');
      const placeholdersFile = stringOption(args, 'placeholders');
      if (placeholdersFile !== undefined && missingPaths([placeholdersFile]).length > 0) {
        throw new UsageError(`placeholder file not found: ${placeholdersFile}`);
      }

      const backend = await (hooks.backend ?? realBackend)();
      let ruleSet;
      try {
        ruleSet = await loadRuleSet(backend, rulePaths, { strict: flagOption(args, 'strict'), ...(placeholdersFile !== undefined ? { placeholdersFile } : {}) });
      } catch (err) {
        // Only the placeholder file can fail here as a whole (rule problems are reports).
        throw new UsageError(err instanceof Error ? err.message : String(err));
      }
      if (!quiet) for (const r of ruleSet.reports) if (r.status === 'not-loaded') stderr(`vigil hunt: ${notLoadedLine(r)}\n`);

      const outputPath = stringOption(args, 'output');
      let sink: OutputSink;
      try {
        sink = outputPath === undefined ? OutputSink.stdout() : await OutputSink.file(outputPath);
      } catch (err) {
        stderr(`vigil hunt: cannot write ${outputPath}: ${(err as Error).message}\n`);
        return EXIT.outputFailed;
      }
      const run = await runHunt({
        paths: args.positionals,
        rules: ruleSet.rules,
        engine: ruleSet.engine,
        format,
        formatter: createFindingFormatter(format),
        ...(inputFormat !== undefined ? { inputFormat: inputFormat as InputFormat } : {}),
        threads,
        ...(hooks.workerEngineModule !== undefined ? { workerEngineModule: hooks.workerEngineModule } : {}),
        quiet,
        sink,
        report: (line) => stderr(line + '\n'),
        ...(outputPath !== undefined ? { outputPath } : {}),
      });
      const summary = { run, rules: ruleTotals(ruleSet.reports), ruleSeconds: ruleSet.seconds };
      stderr(formatHuntSummary(summary) + '\n');
      const summaryPath = stringOption(args, 'summary-json');
      if (summaryPath !== undefined) {
        try {
          await writeFile(summaryPath, JSON.stringify(huntSummaryJson(summary), null, 2) + '\n');
        } catch (err) {
          stderr(`vigil hunt: cannot write ${summaryPath}: ${(err as Error).message}\n`);
          return EXIT.outputFailed;
        }
      }
      if (run.outputError !== null) return EXIT.outputFailed;
      if (run.filesFailed > 0) return EXIT.inputFailed;
      return EXIT.ok;
    },
  };
}

export const huntCommand: Command = makeHuntCommand();
