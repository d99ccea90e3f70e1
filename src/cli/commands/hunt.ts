/** `vigil hunt`: run Sigma rules over event logs and stream the findings. */
import type { Writable } from 'node:stream';
import { availableParallelism } from 'node:os';
import { statSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { LocatedError, formatDiagnostic } from '../../core/diagnostics.js';
import { incidentRulesFromText, type IncidentRule } from '../../risk/index.js';
import { INPUT_FORMATS, type InputFormat } from '../../core/event.js';
import { choiceOption, flagOption, intOption, parseCommandArgs, stringOption, type OptionSpec, type ParsedArgs } from '../args.js';
import { EXIT, UsageError, type Command } from '../command.js';
import { realBackend, type HuntBackend } from '../hunt/api.js';
import { createFindingFormatter, HUNT_FORMATS, tableStyleFor } from '../hunt/finding-format.js';
import { mayCutFile, MIN_THREADED_INPUT_BYTES, runHunt } from '../hunt/hunt-run.js';
import { inputBytesAtLeast } from '../hunt/input-size.js';
import { WarmWorkers } from '../hunt/worker-pool.js';
import { defaultCacheDir } from '../hunt/rule-cache.js';
import { formatHuntSummary, huntSummaryJson } from '../hunt/hunt-summary.js';
import { expandRuleArgs, loadRuleSet, missingPaths, workersCanHunt } from '../hunt/load-rules.js';
import { notLoadedLine, ruleTotals } from '../hunt/rule-reports.js';
import { eventFilterFromArgs, FILTER_OPTIONS, ruleFilterFromArgs } from '../hunt/filters.js';
import { parseTimeZone, type TimeZoneSpec } from '../output/time-format.js';
import { measureInputs, ProgressBar, progressWanted, type TerminalStream } from '../output/progress.js';
import { OutputSink } from '../output/sink.js';
import { contentDir } from '../../core/mappings-dir.js';
import { SplunkHunt } from '../hunt/splunk-hunt.js';
import { HuntEnd } from '../hunt/hunt-end.js';
import { mayRelaunchSingleThreaded, relaunch, runsSingleThreadedV8, SINGLE_THREADED_V8 } from '../relaunch.js';

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
  'no-rule-cache': { type: 'boolean' },
  placeholders: { type: 'string' },
  'input-format': { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
  'summary-json': { type: 'string' },
  timezone: { type: 'string' },
  'no-color': { type: 'boolean' },
  ...FILTER_OPTIONS,
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
      --no-rule-cache     parse the Sigma rules even when this rule set was loaded before;
                          by default loaded sets are kept in $VIGIL_CACHE_DIR (else
                          $XDG_CACHE_HOME/vigil or ~/.cache/vigil), keyed by the content of
                          every rule file, the options and this build, and so is each file's
                          parse: after an edit only the changed files are parsed again

output:
  -f, --format FMT        table (default): level, time, computer, event id, rule title, matched fields
                          (coloured by level and fitted to the terminal when printing to one);
                          jsonl: one object per finding with rule, event and matched fields;
                          csv: one row per finding and detection row (Timeline Explorer, spreadsheets);
                          html: a self-contained report (needs --output), see docs/hunt.md
  -o, --output FILE       write findings to FILE instead of standard output
      --summary-json FILE also write the summary as JSON to FILE

reading:
      --input-format FMT  skip detection: ${INPUT_FORMATS.join(', ')}
  -j, --threads N         threads (default: all cores, or one for inputs under 32 MiB in all,
                          where one thread is faster). The main thread and N-1 workers each
                          match whole files (Sigma rules, the hits that feed correlations, sent
                          to the main thread's one correlation state, and the detections'
                          heads), and EVTX files of 32 MiB or more (8 MiB among several
                          inputs) in 2 MiB ranges of their chunks; a single smaller input keeps
                          matching on one thread while N threads parse EVTX chunks (of files
                          of 32 MiB or more, or of several inputs). 1 runs everything on one
                          thread. A thread on every core and 256 MiB of input or more: vigil
                          starts itself again under V8's single-threaded mode, which is faster
                          then (VIGIL_V8_RELAUNCH=0: not)
  -q, --quiet             do not list per-record errors and not-loaded rules (the summary counts
                          them), and no progress line
      --timezone TZ       zone of the times printed in the table and CSV, and of --from/--to times
                          without an offset: UTC (default), local, +09:00, or an IANA name
                          (Asia/Tokyo); ISO-8601 with the offset. JSONL stays UTC
      --no-color          no colours (also when NO_COLOR is set); colours only ever go to a terminal

rule filters (rules left out are counted as excluded in the summary, with the reason):
      --min-level LEVEL   informational, low, medium, high or critical and above
      --status S,...      statuses to run (stable, test, experimental, deprecated, unsupported,
                          all); default: all but deprecated and unsupported
      --include-id ID,... / --exclude-id ID,...       rules (and detections) by id
      --include-tag TAG,... / --exclude-tag TAG,...   by tag: attack.persistence, attack.t1505
                          (also matches attack.t1505.004), T1505.004; detections: ATT&CK ids and
                          story names
      --exclude-file GLOB,...  rule files by name or path (*, ?, **)
      --detection-type T,...   Splunk-style detection types to run (TTP, Anomaly, Hunting...)

event filters (applied before any rule sees an event; counted in the summary):
      --from TIME, --to TIME   ISO-8601 date or date-time, with or without an offset (2024-05-14,
                          2024-05-14T09:00:00+02:00), now, or a time ago (7d, 24h, 30m); both ends
                          included. Events without a time are kept (and counted)
      --channel NAME,...  only these channels (e.g. Security, Microsoft-Windows-Sysmon/Operational)
      --event-id N,...    only these event ids
  List options take comma-separated values and may be repeated.

Rules that do not load are listed on standard error, one a line with file:line:column of the
first error and the reason. The summary (standard error) gives inputs (and files with bad
records), rules loaded, not loaded and excluded by filters (by reason), events read, filtered out
and checked, findings per level, the rules with most hits, seconds, events/s, MB/s and the time
taken. A progress line is drawn on standard error when it is a terminal (not with --quiet).

exit status:
  0  every input was read (even if some records were bad or some rules did not load)
  1  at least one input could not be read at all (missing, no logs in a folder, unreadable,
     not a log); the others are still hunted and the summary names each
  2  bad usage (a bad option value, a --rules/--detections path that does not exist)
  3  the output could not be written
  70 internal error
`;

function listOption(args: ParsedArgs, name: string): string[] {
  const v = args.values[name] as unknown;
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  return typeof v === 'string' ? [v] : [];
}

function timeZoneOption(args: ParsedArgs): TimeZoneSpec {
  const tz = stringOption(args, 'timezone');
  if (tz === undefined) return parseTimeZone('UTC');
  try {
    return parseTimeZone(tz);
  } catch (err) {
    throw new UsageError(`--timezone: ${(err as Error).message}`);
  }
}

export interface HuntCommandHooks {
  /** Replaces the real front end and engine (tests). */
  readonly backend?: () => Promise<HuntBackend>;
  /** Module the worker threads compile rules with. */
  readonly workerEngineModule?: string;
  /** Where diagnostics and the summary go (default: standard error). */
  readonly stderr?: (text: string) => void;
  /** Where the progress line is drawn, if it is a terminal (default: standard error). */
  readonly terminal?: TerminalStream;
  /** Standard output, where results go without --output (default: the process's). */
  readonly stdout?: Writable & { readonly isTTY?: boolean; readonly columns?: number };
}

/**
 * Whether file workers may help: two paths, a directory, or one file large enough to be hunted
 * in ranges of its chunks (the run decides once it has looked at it).
 */
function mayUseFileWorkers(paths: readonly string[]): boolean {
  if (paths.length >= 2) return true;
  return paths.some((p) => {
    try {
      const st = statSync(p);
      return st.isDirectory() || (st.isFile() && mayCutFile(st.size));
    } catch {
      return false;
    }
  });
}

/**
 * Input from which a hunt with a thread on every core starts again under V8's single-threaded
 * mode (relaunch.ts). Starting again costs about 0.2 s (loading the program a second time); the
 * mode saved 2–7% of two-thread hunts of 100 MB to 5 GB, so it pays from a few seconds of hunting.
 */
const MIN_SINGLE_THREADED_V8_BYTES = 256 * 1024 * 1024;

/** Why the hunt runs on the threads it does, for the summary line and `matching.note`. */
function threadsNoteOf(smallInput: boolean): { threadsNote?: string } {
  const notes: string[] = [];
  if (smallInput) notes.push(`under ${MIN_THREADED_INPUT_BYTES / (1024 * 1024)} MiB of input, where one thread is faster; --threads N to choose`);
  if (runsSingleThreadedV8()) notes.push("V8 single-threaded: each thread compiles and collects its own garbage, every core hunting");
  return notes.length === 0 ? {} : { threadsNote: notes.join('; ') };
}

export function makeHuntCommand(hooks: HuntCommandHooks = {}): Command {
  return {
    name: 'hunt',
    summary: 'run Sigma rules over event logs and stream the findings',
    help: HELP,
    async run(argv) {
      let stderr = hooks.stderr ?? ((text: string) => void process.stderr.write(text));
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
      if (format === 'html' && stringOption(args, 'output') === undefined) throw new UsageError('--format html needs --output FILE (the report is one file)');
      const timeZone = timeZoneOption(args);
      const stdout = hooks.stdout ?? process.stdout;
      const tableStyle = {
        ...tableStyleFor({
          toTerminal: stringOption(args, 'output') === undefined && stdout.isTTY === true,
          noColor: args.values['no-color'] === true,
          env: process.env,
          columns: stdout.columns,
        }),
        timeZone,
      };
      const inputFormat = stringOption(args, 'input-format');
      if (inputFormat !== undefined && !(INPUT_FORMATS as readonly string[]).includes(inputFormat)) {
        throw new UsageError(`--input-format must be one of ${INPUT_FORMATS.join(', ')} (got '${inputFormat}')`);
      }
      const cores = availableParallelism();
      const requestedThreads = intOption(args, 'threads', cores, 1, 1024);
      let inputBytes: number | null = null;
      const bytesAtLeast = (cap: number): number => Math.min((inputBytes ??= inputBytesAtLeast(args.positionals, MIN_SINGLE_THREADED_V8_BYTES)), cap);
      // Without --threads, a small input is hunted on the main thread alone (see input-size.ts).
      const smallInput = args.values.threads === undefined && requestedThreads > 1 && bytesAtLeast(MIN_THREADED_INPUT_BYTES) < MIN_THREADED_INPUT_BYTES;
      const threads = smallInput ? 1 : requestedThreads;
      // A thread on every core and a large input: V8's single-threaded mode is faster (relaunch.ts).
      if (threads >= cores && mayRelaunchSingleThreaded('hunt') && bytesAtLeast(MIN_SINGLE_THREADED_V8_BYTES) >= MIN_SINGLE_THREADED_V8_BYTES) {
        try {
          return await relaunch([SINGLE_THREADED_V8]);
        } catch (e) {
          stderr(`vigil hunt: could not start again under V8's single-threaded mode (${(e as Error).message}); going on with V8's default threads\n`);
        }
      }
      const quiet = flagOption(args, 'quiet');
      const ruleFilter = ruleFilterFromArgs(args);
      const eventFilter = eventFilterFromArgs(args, timeZone);
      const placeholdersFile = stringOption(args, 'placeholders');
      if (placeholdersFile !== undefined && missingPaths([placeholdersFile]).length > 0) {
        throw new UsageError(`placeholder file not found: ${placeholdersFile}`);
      }

      // Hunt workers boot on the other cores while this thread loads the rules.
      const warmWorkers = threads > 1 && mayUseFileWorkers(args.positionals) ? WarmWorkers.start(threads - 1, hooks.workerEngineModule) : null;
      try {
        const backend = await (hooks.backend ?? realBackend)();
        let ruleSet;
        try {
          ruleSet = await loadRuleSet(backend, rulePaths, {
            strict: flagOption(args, 'strict'),
            ...(flagOption(args, 'no-rule-cache') ? {} : { ruleCacheDir: defaultCacheDir() }),
            filter: ruleFilter,
            ...(placeholdersFile !== undefined ? { placeholdersFile } : {}),
            // The warm workers read the rule cache's entry while this thread reads it, or else
            // copy the rules, and compile them while this thread compiles its own (not a set
            // they cannot hunt: that one keeps matching on this thread alone).
            ...(warmWorkers !== null
              ? {
                  onCacheEntry: (entry) => warmWorkers.offerRuleFile(entry, ruleFilter),
                  beforeCompile: (rules, cache) => {
                    if (workersCanHunt(rules)) warmWorkers.offerRules(rules, cache);
                  },
                }
              : {}),
          });
        } catch (err) {
          // Only the placeholder file can fail here as a whole (rule problems are reports).
          throw new UsageError(err instanceof Error ? err.message : String(err));
        }
        if (!quiet) for (const r of ruleSet.reports) if (r.status === 'not-loaded') stderr(`vigil hunt: ${notLoadedLine(r)}\n`);
        if (!quiet && ruleSet.cacheProblem !== null) stderr(`vigil hunt: ${ruleSet.cacheProblem}\n`);

        const outputPath = stringOption(args, 'output');
        let sink: OutputSink;
        try {
          sink = outputPath !== undefined ? await OutputSink.file(outputPath) : OutputSink.fromStream(stdout, 'standard output');
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
                ruleFilter,
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
        const end = splunk === null && !risk && format !== 'html' ? null : new HuntEnd(splunk, format, { tableStyle: { ...tableStyle, timeZone }, risk, topEntities: intOption(args, 'top', 20, 1, 1_000_000), quiet, report: (line) => stderr(line + '\n'), ...(incidentRules !== undefined ? { incidentRules } : {}) });
        const terminal = hooks.terminal ?? process.stderr;
        const bar = progressWanted(terminal, quiet) ? new ProgressBar(terminal, await measureInputs(args.positionals)) : null;
        if (bar !== null) stderr = bar.around(stderr);
        // Results printed to a terminal too (the table, or any format without --output): the
        // line wipes itself before each write, or the two would share lines.
        if (bar !== null && outputPath === undefined && stdout.isTTY === true) sink.beforeEachWrite(() => bar.interrupt());
        // The detections' heads run in the hunt workers too; their rows merge in input order.
        const headsInWorkers = end?.observerInWorkers() ?? null;
        const riskHolding = end?.riskHolding() ?? null;
        const run = await runHunt({
          paths: args.positionals,
          rules: ruleSet.rules,
          engine: ruleSet.engine,
          format,
          formatter: createFindingFormatter(format, { ...tableStyle, timeZone }),
          tableStyle: { ...tableStyle, timeZone },
          ...(inputFormat !== undefined ? { inputFormat: inputFormat as InputFormat } : {}),
          threads,
          ...(hooks.workerEngineModule !== undefined ? { workerEngineModule: hooks.workerEngineModule } : {}),
          ...(warmWorkers !== null ? { warmWorkers } : {}),
          quiet,
          sink,
          report: (line) => stderr(line + '\n'),
          eventFilter,
          ...(bar !== null ? { progress: (state) => bar.update(state) } : {}),
          ...(outputPath !== undefined ? { outputPath } : {}),
          ...(end !== null ? { ...(splunk !== null ? { observe: end.observe } : {}), ...(headsInWorkers !== null ? { observeInWorkers: headsInWorkers } : {}), ...(riskHolding !== null ? { risk: riskHolding } : {}), atEnd: end.atEnd, atEndFirst: end.printsFirst, atEndTakesFindings: end.takesFindings } : {}),
        }).finally(() => end?.discard());
        bar?.clear();
        const summary = {
          run,
          rules: ruleTotals(ruleSet.reports, ruleSet.excluded),
          ruleSeconds: ruleSet.seconds,
          ruleCache: ruleSet.cache,
          ruleFiles: ruleSet.parsedFiles,
          ...threadsNoteOf(smallInput),
          excludedRules: ruleSet.excluded,
          notLoadedRules: ruleSet.reports.filter((r) => r.status === 'not-loaded'),
          ...(end !== null ? { end: end.totals() } : {}),
        };
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
      } finally {
        await warmWorkers?.close();
      }
    },
  };
}

export const huntCommand: Command = makeHuntCommand();
