import type { Command } from '../command.js';
import { dumpCommand } from './dump.js';
import { exampleCommand } from './example.js';

/** Every subcommand, in the order `vigil --help` lists them. */
export const COMMANDS: readonly Command[] = [dumpCommand, exampleCommand];
