/**
 * `vigil example`: the job the README's first command runs. Generates a small realistic
 * incident (EVTX per channel, XmlWinEventLog text, evtx_dump JSONL) under examples/ when it is
 * missing, then dumps all of it with a summary.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { choiceOption, flagOption, parseCommandArgs, stringOption, type OptionSpec } from '../args.js';
import { EXIT, type Command } from '../command.js';
import { runDump } from '../dump-run.js';
import { writeExampleFiles } from '../example/example-files.js';
import { DUMP_FORMATS } from '../output/event-format.js';
import { OutputSink } from '../output/sink.js';
import { packageRoot } from '../repo-root.js';
import { formatSummary } from '../summary.js';
import { getView } from '../../normalize/views.js';
import { VIEW_NAMES, exitStatus } from './dump.js';

const OPTIONS: OptionSpec = {
  dir: { type: 'string' },
  regenerate: { type: 'boolean' },
  format: { type: 'string', short: 'f' },
  view: { type: 'string' },
};

const HELP = `usage: vigil example [options]

Generates example data (if missing) and dumps it: a short intrusion on one workstation
(network logon, shell, encoded PowerShell, download, service install, log cleared) as
  examples/evtx/*.evtx         one EVTX file per channel, written by Vigil's EVTX writer
  examples/xmlwineventlog.xml  the same events as XmlWinEventLog text (Splunk's Windows input)
  examples/evtx-dump.jsonl     the same events as evtx_dump-style JSON lines
then prints every record (as 'vigil dump' does) and a summary on standard error.

options:
      --dir DIR       where the example data lives (default: examples/ in the Vigil folder)
      --regenerate    write the example data again even if it exists
  -f, --format FMT    jsonl (default), json or xml
      --view NAME     windows (default), splunk or cim field names

exit status: as 'vigil dump' (0 when every example file was read).
`;

/** Relative to the working directory when inside it, else absolute. */
function displayPath(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return rel === '' || rel.startsWith('..') || path.isAbsolute(rel) ? p : rel;
}

export const exampleCommand: Command = {
  name: 'example',
  summary: 'generate example data (EVTX, XmlWinEventLog, JSONL) and dump it',
  help: HELP,
  async run(argv) {
    const args = parseCommandArgs(argv, OPTIONS);
    const dir = path.resolve(stringOption(args, 'dir') ?? path.join(packageRoot(), 'examples'));
    const format = choiceOption(args, 'format', DUMP_FORMATS, 'jsonl');
    const view = getView(choiceOption(args, 'view', VIEW_NAMES, 'windows'));
    const marker = path.join(dir, 'xmlwineventlog.xml');
    if (flagOption(args, 'regenerate') || !existsSync(marker)) {
      const files = await writeExampleFiles(dir);
      for (const f of files) process.stderr.write(`vigil example: wrote ${displayPath(f.path)} (${f.events} events)\n`);
    } else {
      process.stderr.write(`vigil example: using existing data in ${dir} (--regenerate to write it again)\n`);
    }
    const summary = await runDump({
      paths: [dir],
      format,
      view,
      raw: false,
      recover: false,
      threads: 1,
      quiet: false,
      maxErrors: null,
      sink: OutputSink.stdout(),
      report: (line) => process.stderr.write(line + '\n'),
    });
    process.stderr.write(formatSummary(summary, 'vigil example') + '\n');
    return summary.inputs.length === 0 ? EXIT.inputFailed : exitStatus(summary);
  },
};
