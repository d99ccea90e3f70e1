/** `vigil validate PATH...`: schema and cross-reference checks for detections and Sigma rules. */
import { choiceOption, flagOption, parseCommandArgs, type OptionSpec } from '../args.js';
import { EXIT, UsageError, type Command } from '../command.js';
import { validatePaths, validationJson, validationText } from '../../devtools/validate/index.js';

const OPTIONS: OptionSpec = {
  format: { type: 'string', short: 'f' },
  strict: { type: 'boolean' },
};

const FORMATS = ['text', 'json'] as const;

const HELP = `usage: vigil validate PATH... [options]

Checks Splunk-style content (security_content-shaped folders: detections/, stories/, macros/,
lookups/, data_sources/, deployments/) the way 'contentctl validate' does, and Sigma rules the way
'sigma check' does, and more. Folders are searched: 'vigil validate content/' checks both packs.
See docs/validate-and-test.md for every check and its code.

detections: strict schema (unknown keys, required fields, enums, UUIDs, dates), file name = name
in snake case, unique ids and names, the search parses, compiles and ends with its own
\`<name>_filter\` macro, every macro, lookup, data source and story it names exists, its ATT&CK ids
exist, every risk object, threat object and risk-message $token$ is a field the search produces,
and production detections have tests.
Sigma: the spec's schema, tags (namespaces, ATT&CK ids and tactics), a known logsource, condition
identifiers that exist, duplicate keys, modifiers and regular expressions.

options:
  -f, --format FMT  text (default): file:line:column: severity: message [code]; json
      --strict      warnings count as errors for the exit status

exit status: 0 no errors, 1 errors found (or a PATH is missing), 2 bad usage.
`;

export interface ValidateCommandHooks {
  readonly stdout?: (text: string) => void;
  readonly today?: string;
}

export function makeValidateCommand(hooks: ValidateCommandHooks = {}): Command {
  return {
    name: 'validate',
    summary: 'check detections, stories, macros and Sigma rules (schema, references, fields)',
    help: HELP,
    async run(argv) {
      const stdout = hooks.stdout ?? ((t: string) => void process.stdout.write(t));
      const args = parseCommandArgs(argv, OPTIONS);
      if (args.positionals.length === 0) throw new UsageError('nothing to validate (vigil validate PATH...)');
      const format = choiceOption(args, 'format', FORMATS, 'text');
      const result = await validatePaths(args.positionals, hooks.today !== undefined ? { today: hooks.today } : {});
      stdout(format === 'json' ? validationJson(result) : validationText(result));
      const failed = result.errors > 0 || (flagOption(args, 'strict') && result.warnings > 0);
      return failed ? EXIT.inputFailed : EXIT.ok;
    },
  };
}

export const validateCommand: Command = makeValidateCommand();
