/**
 * `vigil simulate iis`: writes realistic malicious-IIS-component activity (T1505.004) mixed with
 * benign IIS server activity, in every format Vigil reads, plus a manifest of the attack events.
 */
import path from 'node:path';
import { intOption, parseCommandArgs, stringOption, type OptionSpec } from '../args.js';
import { EXIT, UsageError, type Command } from '../command.js';
import { DEFAULT_BENIGN, MAX_BENIGN, buildIisScenario } from '../../simulate/iis-scenario.js';
import { SIM_FORMATS, writeIisSimulation, type SimFormat } from '../../simulate/write-iis.js';

const OPTIONS: OptionSpec = {
  out: { type: 'string', short: 'o' },
  seed: { type: 'string' },
  formats: { type: 'string' },
  benign: { type: 'string' },
};

const HELP = `usage: vigil simulate iis --out DIR [--seed N] [--formats evtx,xml,winevtlog,jsonl] [--benign N]

Writes a simulated intrusion on an IIS server (MITRE T1505.004: rogue native module, GAC
install, HTTP logging disabled) mixed with benign IIS server activity, deterministic per seed:
  DIR/evtx/*.evtx            one EVTX file per channel (Security, Sysmon, PowerShell,
                             Application, IIS-Configuration)
  DIR/xml/*.xml              XmlWinEventLog, one event a line
  DIR/winevtlog/*.log        classic WinEventLog text
  DIR/jsonl/*.jsonl          evtx_dump-style JSON lines
  DIR/inventory/webglobalmodule.log   Get-WebGlobalModule inventory (key=value), one rogue module
  DIR/manifest.json          every attack event (behaviour, rule, channel, EventID, record id)
Hunt it with: vigil hunt DIR/evtx --rules content/sigma/iis

options:
  -o, --out DIR       output folder (required; created if needed)
      --seed N        0..4294967295 (default 1)
      --formats LIST  comma-separated subset of ${SIM_FORMATS.join(',')} (default: all)
      --benign N      number of benign events (default ${DEFAULT_BENIGN})
`;

function parseFormats(text: string | undefined): SimFormat[] {
  if (text === undefined) return [...SIM_FORMATS];
  const out: SimFormat[] = [];
  for (const raw of text.split(',')) {
    const f = raw.trim();
    if (f === '') continue;
    if (!(SIM_FORMATS as readonly string[]).includes(f)) throw new UsageError(`--formats: unknown format '${f}' (use ${SIM_FORMATS.join(', ')})`);
    if (!out.includes(f as SimFormat)) out.push(f as SimFormat);
  }
  if (out.length === 0) throw new UsageError('--formats names no format');
  return out;
}

export const simulateCommand: Command = {
  name: 'simulate',
  summary: 'write simulated attack + benign activity (iis: T1505.004) with a manifest',
  help: HELP,
  async run(argv) {
    const args = parseCommandArgs(argv, OPTIONS);
    const [scenario, ...extra] = args.positionals;
    if (scenario === undefined) throw new UsageError('simulate needs a scenario: iis');
    if (scenario !== 'iis') throw new UsageError(`unknown scenario '${scenario}' (known: iis)`);
    if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`);
    const out = stringOption(args, 'out');
    if (out === undefined) throw new UsageError('--out DIR is required');
    const seed = intOption(args, 'seed', 1, 0, 0xffffffff);
    const benign = intOption(args, 'benign', DEFAULT_BENIGN, 0, MAX_BENIGN);
    const formats = parseFormats(stringOption(args, 'formats'));
    const dir = path.resolve(out);
    const s = buildIisScenario(seed, benign);
    let files;
    try {
      files = await writeIisSimulation(dir, s, formats);
    } catch (err) {
      process.stderr.write(`vigil simulate: cannot write ${dir}: ${err instanceof Error ? err.message : String(err)}\n`);
      return EXIT.outputFailed;
    }
    for (const f of files) process.stderr.write(`vigil simulate: wrote ${f.path} (${f.events} ${f.path.endsWith('manifest.json') ? 'attack events listed' : 'events'})\n`);
    return EXIT.ok;
  },
};
