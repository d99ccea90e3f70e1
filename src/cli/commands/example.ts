/**
 * `vigil example`: the job the README's first command runs. Generates a small realistic
 * incident (EVTX per channel, XmlWinEventLog text, evtx_dump JSONL) under examples/ when it is
 * missing, then dumps all of it with a summary.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { choiceOption, flagOption, parseCommandArgs, stringOption, type OptionSpec } from '../args.js';
import { EXIT, UsageError, type Command } from '../command.js';
import { buildIisScenario } from '../../simulate/iis-scenario.js';
import { SIM_FORMATS, writeIisSimulation } from '../../simulate/write-iis.js';
import { huntCommand } from './hunt.js';
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
  dump: { type: 'boolean' },
  format: { type: 'string', short: 'f' },
  view: { type: 'string' },
};

const HELP = `usage: vigil example [--dump] [options]

The job the README's first command runs. By default: writes a simulated intrusion on an IIS
server (MITRE T1505.004, 'vigil simulate iis --seed 1') under examples/iis/ when it is missing,
then hunts its EVTX files and its Get-WebGlobalModule inventory with Vigil's built-in content
(content/sigma and content/splunk), as 'vigil hunt examples/iis/evtx examples/iis/inventory'
would: the risk-ranked entities, notables and risk incidents first, then every finding.

With --dump: writes a short workstation intrusion (network logon, shell, encoded PowerShell,
download, service install, log cleared) under examples/intrusion/ as EVTX per channel,
XmlWinEventLog text and evtx_dump JSON lines, and prints every record as 'vigil dump' does.

options:
      --dir DIR       where the example data lives (default: examples/ in the Vigil folder)
      --regenerate    write the example data again even if it exists
      --dump          dump the workstation example instead of hunting the IIS case
  -f, --format FMT    hunt: table (default) or jsonl; dump: jsonl (default), json or xml
      --view NAME     dump only: windows (default), splunk or cim field names

exit status: as 'vigil hunt' (or 'vigil dump' with --dump).
`;

/** Relative to the working directory when inside it, else absolute. */
function displayPath(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return rel === '' || rel.startsWith('..') || path.isAbsolute(rel) ? p : rel;
}

async function huntIisCase(root: string, regenerate: boolean, format: string | undefined): Promise<number> {
  const dir = path.join(root, 'iis');
  if (regenerate || !existsSync(path.join(dir, 'manifest.json'))) {
    const written = await writeIisSimulation(dir, buildIisScenario(1), SIM_FORMATS);
    process.stderr.write(`vigil example: wrote ${written.length} files of a simulated T1505.004 intrusion under ${displayPath(dir)}\n`);
  } else {
    process.stderr.write(`vigil example: using the IIS case in ${displayPath(dir)} (--regenerate to write it again)\n`);
  }
  const argv = [path.join(dir, 'evtx'), path.join(dir, 'inventory'), '--threads', '1'];
  if (format !== undefined) argv.push('--format', format);
  return huntCommand.run(argv);
}

export const exampleCommand: Command = {
  name: 'example',
  summary: 'generate an IIS intrusion (T1505.004) and hunt it with the built-in content',
  help: HELP,
  async run(argv) {
    const args = parseCommandArgs(argv, OPTIONS);
    const root = path.resolve(stringOption(args, 'dir') ?? path.join(packageRoot(), 'examples'));
    if (!flagOption(args, 'dump')) {
      const format = stringOption(args, 'format');
      if (format !== undefined && format !== 'table' && format !== 'jsonl') throw new UsageError(`--format must be table or jsonl when hunting (got '${format}')`);
      return huntIisCase(root, flagOption(args, 'regenerate'), format);
    }
    const dir = path.join(root, 'intrusion');
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
