/**
 * Reading the small YAML data files under `mappings/splunk` and `mappings/cim`: parse with
 * positions, and report problems as LocatedErrors with file:line:column.
 */
import { readFileSync } from 'node:fs';
import { LocatedError } from '../core/diagnostics.js';
import { YamlData } from '../core/yaml-data.js';

/** Parses a YAML text; throws a LocatedError at the first syntax error. */
export function parseYamlFile(text: string, file: string, code: string): YamlData {
  const y = new YamlData(file, text, code);
  const first = y.syntaxErrors[0];
  if (first !== undefined) throw first;
  return y;
}

export function readYamlFile(file: string, code: string): YamlData {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new LocatedError(code, `cannot read ${file}: ${(err as Error).message}`, { file });
  }
  return parseYamlFile(text, file, code);
}
