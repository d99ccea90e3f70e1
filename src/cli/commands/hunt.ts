/** `vigil hunt`: run Sigma rules over event logs and stream the findings. */
import { availableParallelism } from 'node:os';
import { readFile, writeFile } from 'node:fs/promises';
import { LocatedError, formatDiagnostic } from '../../core/diagnostics.js';
import { incidentRulesFromText, type IncidentRule } from '../../risk/index.js';
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
import { contentDir } from '../../core/mappings-dir.js';
import { SplunkHunt } from '../hunt/splunk-hunt.js';
import { HuntEnd } from '../hunt/hunt-end.js';

const OPTIONS: OptionSpec = {
  rules: { type: 'string', short: 'r', multiple: true },
  detections: { type: 'string', short: 'd', multiple: true },
  macros: { type: 'string' },
  'replay-schedule': { type: 'boolean' },
  'no-risk': { type: 'boolean' },
  'incident-rules': { type: 'string' },
  top: { type: 'string' },
  format: { type: 'string', short: 'f' },
  output: { type: 'string', short: 'o' },
  threads: { type: 'string', short: 'j' },
  strict: { type: 'boolean' },
  placeholders: { type: 'string' },
  'input-format': { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
  'summary-json': { type: 'string' },
};

const HELP = `usage: vigil hunt PATH... [--rules SIGMA...] [--detections CONTENT...] [options]

Runs Sigma rules and Splunk-style detections over event logs, prints each Sigma finding as soon
as it is found and each detection's result rows when the input ends, and turns both into risk:
risk events per entity, notables and risk incidents, with the risk-ranked entities first. PATH is
any input 'vigil dump' reads (EVTX, XML, WinEventLog text, JSON, key=value; files, folders, .gz,
.zip). With neither --rules nor --detections, the built-in content runs (content/sigma and
content/splunk: the IIS Components pack). See docs/hunt.md, docs/sigma.md and docs/spl.md.

rules:
  -r, --rules PATH...     Sigma rules: detection rules, correlations and filters
  -d, --detections DIR... Splunk security_content-shaped folders (detections/, macros/, lookups/,
                          stories/, deployments/); each detection's SPL search runs natively
      --macros FILE       your macro definitions (YAML list or macros.conf), overriding the
                          content's: data-source macros, *_filter macros
      --replay-schedule   run each detection once per scheduled window (its cron schedule and
                          earliest/latest times) across the data's time span, as a scheduled
                          deployment would have; default: one run over all time
      --no-risk           no risk events, notables, risk incidents or entity ranking
      --incident-rules FILE  your risk incident rules (thresholds, windows), in the form of
                          mappings/risk/incident-rules.yml, instead of the shipped ones
      --top N             entities listed in the table's risk ranking (default 20)
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

function listOption(args: ParsedArgs, name: string): string[] {
  const v = args.values[name] as unknown;
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
      const args = parseCommandArgs(expandRuleArgs(expandRuleArgs(argv), ['--detections', '-d'], '--detections'), OPTIONS);
      if (args.positionals.length === 0) throw new UsageError('no input given (vigil hunt PATH... --rules RULES...)');
      let rulePaths = listOption(args, 'rules');
      let detectionRoots = listOption(args, 'detections');
      if (rulePaths.length === 0 && detectionRoots.length === 0) {
        rulePaths = [contentDir('sigma')];
        detectionRoots = [contentDir('splunk')];
      }
      const missing = missingPaths(rulePaths);
      if (missing.length > 0) throw new UsageError(`rules not found: ${missing.join(', ')}`);
      const missingContent = missingPaths(detectionRoots);
      if (missingContent.length > 0) throw new UsageError(`detections not found: ${missingContent.join(', ')}`);
      const macrosFile = stringOption(args, 'macros');
      if (macrosFile !== undefined && missingPaths([macrosFile]).length > 0) throw new UsageError(`macro file not found: ${macrosFile}`);
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
      const splunk =
        detectionRoots.length === 0
          ? null
          : await SplunkHunt.load({
              roots: detectionRoots,
              ...(macrosFile !== undefined ? { macrosFile } : {}),
              replaySchedule: flagOption(args, 'replay-schedule'),
              quiet,
              report: (line) => stderr(line + '\n'),
            });
      const risk = !flagOption(args, 'no-risk');
      const incidentFile = stringOption(args, 'incident-rules');
      let incidentRules: IncidentRule[] | undefined;
      if (incidentFile !== undefined) {
        if (missingPaths([incidentFile]).length > 0) throw new UsageError(`incident rule file not found: ${incidentFile}`);
        try {
          incidentRules = incidentRulesFromText(await readFile(incidentFile, 'utf8'), incidentFile);
        } catch (err) {
          const errors = err instanceof AggregateError ? err.errors : [err];
          throw new UsageError(errors.map((e: unknown) => (e instanceof LocatedError ? formatDiagnostic(e.toDiagnostic()) : e instanceof Error ? e.message : String(e))).join('\n'));
        }
      }
      const end = splunk === null && !risk ? null : new HuntEnd(splunk, format, { risk, topEntities: intOption(args, 'top', 20, 1, 1_000_000), quiet, report: (line) => stderr(line + '\n'), ...(incidentRules !== undefined ? { incidentRules } : {}) });
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
        ...(end !== null ? { ...(splunk !== null ? { observe: end.observe } : {}), ...(end.sigmaRiskEnabled ? { onRisk: end.onRisk } : {}), atEnd: end.atEnd, atEndFirst: end.printsFirst } : {}),
      });
      const summary = { run, rules: ruleTotals(ruleSet.reports), ruleSeconds: ruleSet.seconds, ...(end !== null ? { end: end.totals() } : {}) };
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
