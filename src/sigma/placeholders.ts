/** Placeholder config for `|expand`: YAML `placeholders: {Name: [values]}` (or a bare map). */
import { readFile } from 'node:fs/promises';
import type { Diagnostic } from '../core/diagnostics.js';
import { describe, locate, parseYamlDocuments, getValue, type YMap } from './yaml-tree.js';

export interface PlaceholderConfig {
  readonly placeholders: Record<string, string[]>;
  readonly problems: Diagnostic[];
}

export function parsePlaceholderConfig(text: string, file: string): PlaceholderConfig {
  const docs = parseYamlDocuments(text, file);
  const problems: Diagnostic[] = docs.flatMap((d) => d.problems);
  const placeholders: Record<string, string[]> = {};
  const root = docs[0]?.root;
  if (root === undefined || root === null || root.kind !== 'map') {
    if (!problems.some((p) => p.severity === 'error')) {
      problems.push({ severity: 'error', code: 'sigma.placeholder.config', message: 'placeholder config must be a map', location: { file, line: 1 } });
    }
    return { placeholders, problems };
  }
  const inner = getValue(root, 'placeholders');
  const map: YMap | undefined = inner === undefined ? root : inner.kind === 'map' ? inner : undefined;
  if (map === undefined) {
    problems.push({ severity: 'error', code: 'sigma.placeholder.config', message: `'placeholders' must be a map`, location: locate(file, inner!.loc) });
    return { placeholders, problems };
  }
  for (const p of map.pairs) {
    const name = p.key.replace(/^%|%$/g, '');
    const v = p.value;
    if (v.kind === 'scalar' && v.type !== 'null') placeholders[name] = [v.text];
    else if (v.kind === 'seq') {
      placeholders[name] = [];
      for (const item of v.items) {
        if (item.kind === 'scalar' && item.type !== 'null') placeholders[name].push(item.text);
        else problems.push({ severity: 'warning', code: 'sigma.placeholder.config', message: `placeholder '${name}': ignoring ${describe(item)}`, location: locate(file, item.loc) });
      }
    } else {
      problems.push({ severity: 'warning', code: 'sigma.placeholder.config', message: `placeholder '${name}' must be a list of values`, location: locate(file, v.loc) });
    }
  }
  return { placeholders, problems };
}

export async function loadPlaceholderConfig(file: string): Promise<PlaceholderConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    return { placeholders: {}, problems: [{ severity: 'error', code: 'sigma.placeholder.config', message: `cannot read placeholder config: ${(e as Error).message}`, location: { file } }] };
  }
  return parsePlaceholderConfig(text, file);
}
