/** `vigil dump`: print every record of every input, with a summary and located errors on stderr. */
import { availableParallelism } from 'node:os';
import { writeFile } from 'node:fs/promises';
import { INPUT_FORMATS, type InputFormat } from '../../core/event.js';
import { formatDiagnostic, LocatedError } from '../../core/diagnostics.js';
import { getView, type ViewDefinition } from '../../normalize/views.js';
import { choiceOption, flagOption, intOption, parseCommandArgs, stringOption, type OptionSpec } from '../args.js';
import { EXIT, UsageError, type Command } from '../command.js';
import { runDump, type DumpSummary } from '../dump-run.js';
import { DUMP_FORMATS } from '../output/event-format.js';
import { OutputSink } from '../output/sink.js';
import { formatSummary, summaryJson } from '../summary.js';

export const VIEW_NAMES = ['windows', 'splunk', 'cim'] as const;

const OPTIONS: OptionSpec = {
  format: { type: 'string', short: 'f' },
  output: { type: 'string', short: 'o' },
  'input-format': { type: 'string' },
  recover: { type: 'boolean' },
  threads: { type: 'string', short: 'j' },
  view: { type: 'string' },
  raw: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
  'max-errors': { type: 'string' },
  'summary-json': { type: 'string' },
};

const HELP = `usage: vigil dump PATH... [options]

Prints every record of every input. PATH may be a file, a directory (read recursively),
a .gz file or a .zip archive; formats are detected from content (see docs/formats.md).

output:
  -f, --format FMT        jsonl (default): one object a line with file, format, record_id, offset,
                          time, channel, provider, event_id, computer and fields;
                          json: the same objects in one array;
                          xml: one <Events> document of each record as Windows renders it
  -o, --output FILE       write results to FILE instead of standard output
      --view NAME         field names in 'fields': windows (default; Windows/Sigma names),
                          splunk (Splunk Windows add-on names: EventCode, dest, user, ...),
                          cim (CIM Endpoint.Processes names); rules in mappings/views/*.yml
      --raw               carry each record's evtx_dump-shaped JSON under 'event' instead of 'fields'

reading:
      --input-format FMT  skip detection: ${INPUT_FORMATS.join(', ')}
      --recover           also carve records from EVTX chunk slack (reported as recovered)
  -j, --threads N         worker threads for EVTX parsing (default: all cores, at most 3; 1 = inline)

diagnostics:
  -q, --quiet             do not list per-record errors and warnings (the summary still counts them)
      --max-errors N      list at most N per-record errors and warnings
      --summary-json FILE also write the summary as JSON to FILE

A summary goes to standard error: inputs read and failed (each failure named with its reason),
records parsed, recovered and failed, warnings, bytes, seconds, records/s and MB/s.

exit status:
  0  every input was read (even if some records were bad)
  1  at least one input could not be read at all; the summary names it
  2  bad usage
  3  the output could not be written
  70 internal error
`;

function resolveView(name: string): ViewDefinition {
  try {
    return getView(name);
  } catch (err) {
    if (err instanceof AggregateError) {
      const lines = (err.errors as unknown[]).map((e) => (e instanceof LocatedError ? formatDiagnostic(e.toDiagnostic()) : String(e)));
      throw new Error(`the view mappings are invalid:\n${lines.join('\n')}`);
    }
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}

export const dumpCommand: Command = {
  name: 'dump',
  summary: 'print every record of every input (JSONL, JSON or XML) with a summary',
  help: HELP,
  async run(argv) {
    const args = parseCommandArgs(argv, OPTIONS);
    if (args.positionals.length === 0) throw new UsageError('no input given (vigil dump PATH...)');
    const format = choiceOption(args, 'format', DUMP_FORMATS, 'jsonl');
    const viewName = choiceOption(args, 'view', VIEW_NAMES, 'windows');
    const inputFormat = stringOption(args, 'input-format');
    if (inputFormat !== undefined && !(INPUT_FORMATS as readonly string[]).includes(inputFormat)) {
      throw new UsageError(`--input-format must be one of ${INPUT_FORMATS.join(', ')} (got '${inputFormat}')`);
    }
    const threads = intOption(args, 'threads', availableParallelism(), 1, 1024);
    const maxErrorsText = stringOption(args, 'max-errors');
    const maxErrors = maxErrorsText === undefined ? null : intOption(args, 'max-errors', 0, 0, Number.MAX_SAFE_INTEGER);
    const view = resolveView(viewName);

    const outputPath = stringOption(args, 'output');
    let sink: OutputSink;
    try {
      sink = outputPath === undefined ? OutputSink.stdout() : await OutputSink.file(outputPath);
    } catch (err) {
      process.stderr.write(`vigil dump: cannot write ${outputPath}: ${(err as Error).message}\n`);
      return EXIT.outputFailed;
    }
    const summary = await runDump({
      paths: args.positionals,
      format,
      view,
      raw: flagOption(args, 'raw'),
      ...(inputFormat !== undefined ? { inputFormat: inputFormat as InputFormat } : {}),
      recover: flagOption(args, 'recover'),
      threads,
      quiet: flagOption(args, 'quiet'),
      maxErrors,
      sink,
      report: (line) => process.stderr.write(line + '\n'),
      ...(outputPath !== undefined ? { outputPath } : {}),
    });
    process.stderr.write(formatSummary(summary) + '\n');
    const summaryPath = stringOption(args, 'summary-json');
    if (summaryPath !== undefined) {
      try {
        await writeFile(summaryPath, JSON.stringify(summaryJson(summary), null, 2) + '\n');
      } catch (err) {
        process.stderr.write(`vigil dump: cannot write ${summaryPath}: ${(err as Error).message}\n`);
        return EXIT.outputFailed;
      }
    }
    return exitStatus(summary);
  },
};

export function exitStatus(summary: DumpSummary): number {
  if (summary.outputError !== null) return EXIT.outputFailed;
  if (summary.filesFailed > 0) return EXIT.inputFailed;
  return EXIT.ok;
}
