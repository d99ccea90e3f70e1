#!/usr/bin/env node
/** The `vigil` program: dispatches to subcommands listed in ./commands/index.ts. */
import './v8-settings.js'; // first: see there
import { COMMANDS } from './commands/index.js';
import { EXIT, UsageError } from './command.js';
import { fileURLToPath } from 'node:url';
import { allowRelaunch } from './relaunch.js';

const VERSION = '0.1.0';

function topHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return [
    'vigil: detection engine for Windows event logs',
    '',
    'usage: vigil COMMAND [options]',
    '',
    'commands:',
    ...lines,
    '',
    "Run 'vigil COMMAND --help' for a command's options.",
  ].join('\n');
}

export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    process.stderr.write(topHelp() + '\n');
    return EXIT.usage;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(topHelp() + '\n');
    return EXIT.ok;
  }
  if (name === '--version' || name === '-V') {
    process.stdout.write(`vigil ${VERSION}\n`);
    return EXIT.ok;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    process.stderr.write(`vigil: unknown command '${name}'\n\n${topHelp()}\n`);
    return EXIT.usage;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(command.help.trimEnd() + '\n');
    return EXIT.ok;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`vigil ${name}: ${err.message}\nRun 'vigil ${name} --help' for usage.\n`);
      return EXIT.usage;
    }
    process.stderr.write(`vigil ${name}: internal error: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    return EXIT.internal;
  }
}

// This file is the program: a command may start it again with V8 flags (see relaunch.ts).
const argv = process.argv.slice(2);
allowRelaunch(fileURLToPath(import.meta.url), argv);
main(argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`vigil: ${String(err)}\n`);
    process.exitCode = EXIT.internal;
  },
);
