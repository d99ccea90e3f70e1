import type { Command } from '../command.js';
import { dumpCommand } from './dump.js';
import { exampleCommand } from './example.js';
import { huntCommand } from './hunt.js';
import { rulesCommand } from './rules-check.js';
import { simulateCommand } from './simulate.js';

/** Every subcommand, in the order `vigil --help` lists them. */
export const COMMANDS: readonly Command[] = [dumpCommand, huntCommand, rulesCommand, exampleCommand, simulateCommand];
