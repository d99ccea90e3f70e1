import type { Command } from '../command.js';
import { catalogCommand } from './catalog.js';
import { dumpCommand } from './dump.js';
import { exampleCommand } from './example.js';
import { explainCommand } from './explain.js';
import { huntCommand } from './hunt.js';
import { rulesCommand } from './rules-check.js';
import { simulateCommand } from './simulate.js';
import { testCommand } from './test.js';
import { validateCommand } from './validate.js';

/** Every subcommand, in the order `vigil --help` lists them. */
export const COMMANDS: readonly Command[] = [dumpCommand, huntCommand, rulesCommand, exampleCommand, simulateCommand, validateCommand, testCommand, explainCommand, catalogCommand];
