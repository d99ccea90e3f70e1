/** `vigil test PATH...`: runs every detection's tests (Validation, Unit, Integration). */
import { writeFile } from 'node:fs/promises';
import { choiceOption, flagOption, parseCommandArgs, stringOption, type OptionSpec, type ParsedArgs } from '../args.js';
import { EXIT, UsageError, type Command } from '../command.js';
import { missingPaths } from '../hunt/load-rules.js';
import { junitXml, runAllTests, testJson, testTable, testTotals } from '../../devtools/test/index.js';

const OPTIONS: OptionSpec = {
  format: { type: 'string', short: 'f' },
  junit: { type: 'string' },
  'data-root': { type: 'string' },
  detection: { type: 'string', multiple: true },
  macros: { type: 'string' },
  'unit-only': { type: 'boolean' },
};

const FORMATS = ['table', 'json'] as const;

const HELP = `usage: vigil test PATH... [options]

Runs the tests of every detection in security_content-shaped folders (a folder with detections/,
at or below PATH), as contentctl test does, and of every Sigma rule with a '<rule>.tests.yml'
beside it, with Vigil's engine in place of a Splunk server. Each test replays its
attack_data files, with the source, sourcetype and host it names, and is judged in three phases:

  Validation   'vigil validate' finds no error in the detection's file
  Unit         one run over all time: at least one result row (or what the test's 'expect' says),
               every risk-object field present and not null in every row, each threat-object
               field non-null in some row
  Integration  one run per scheduled window (as 'vigil hunt --replay-schedule'), then risk events
               for every risk object with its declared score, risk messages with every $token$
               filled, notables when the deployment raises them (TTP)

attack_data paths: absolute, or relative to --data-root; without it, to the working directory,
then to the content folder and its parent folders. URLs are not downloaded.
See docs/validate-and-test.md (the 'expect' extension, formats).

options:
  -f, --format FMT      table (default) or json
      --junit FILE      also write JUnit XML to FILE (for CI)
      --data-root DIR   the folder attack_data paths are relative to
      --detection NAME  only this detection (name or id; repeatable)
      --macros FILE     macro overrides (YAML or macros.conf), as for 'vigil hunt'
      --unit-only       skip the integration phase

exit status: 0 every test passed, 1 a test failed or errored, 2 bad usage, 3 the JUnit file
could not be written.
`;

function listOption(args: ParsedArgs, name: string): string[] {
  const v = args.values[name] as unknown;
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  return typeof v === 'string' ? [v] : [];
}

export interface TestCommandHooks {
  readonly stdout?: (text: string) => void;
  readonly stderr?: (text: string) => void;
}

export function makeTestCommand(hooks: TestCommandHooks = {}): Command {
  return {
    name: 'test',
    summary: "run detections' tests (validation, unit, integration); JUnit XML for CI",
    help: HELP,
    async run(argv) {
      const stdout = hooks.stdout ?? ((t: string) => void process.stdout.write(t));
      const stderr = hooks.stderr ?? ((t: string) => void process.stderr.write(t));
      const args = parseCommandArgs(argv, OPTIONS);
      if (args.positionals.length === 0) throw new UsageError('no content given (vigil test CONTENT...)');
      const missing = missingPaths(args.positionals);
      if (missing.length > 0) throw new UsageError(`content not found: ${missing.join(', ')}`);
      const format = choiceOption(args, 'format', FORMATS, 'table');
      const dataRoot = stringOption(args, 'data-root');
      if (dataRoot !== undefined && missingPaths([dataRoot]).length > 0) throw new UsageError(`--data-root not found: ${dataRoot}`);
      const macrosFile = stringOption(args, 'macros');
      if (macrosFile !== undefined && missingPaths([macrosFile]).length > 0) throw new UsageError(`macro file not found: ${macrosFile}`);
      const run = await runAllTests(args.positionals, {
        ...(dataRoot !== undefined ? { dataRoot } : {}),
        ...(macrosFile !== undefined ? { macrosFile } : {}),
        only: listOption(args, 'detection'),
        unitOnly: flagOption(args, 'unit-only'),
      });
      stdout(format === 'json' ? testJson(run) : testTable(run));
      const junit = stringOption(args, 'junit');
      if (junit !== undefined) {
        try {
          await writeFile(junit, junitXml(run));
        } catch (err) {
          stderr(`vigil test: cannot write ${junit}: ${(err as Error).message}\n`);
          return EXIT.outputFailed;
        }
      }
      const t = testTotals(run);
      return t.failed > 0 || t.cases === 0 || run.problems.length > 0 ? EXIT.inputFailed : EXIT.ok;
    },
  };
}

export const testCommand: Command = makeTestCommand();
