/**
 * The shared-corpus pieces `vigil hunt`'s bench and corpus tests agree on: where the SigmaHQ
 * rules are, which of them are Windows rules, a placeholder config for `rules-placeholder/`,
 * and the EVTX corpus as unique files (by SHA-256 in MANIFEST.tsv).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/** SigmaHQ folders of active rules (deprecated/ and unsupported/ are checked apart). */
export const SIGMAHQ_ACTIVE_FOLDERS = ['rules', 'rules-emerging-threats', 'rules-threat-hunting', 'rules-placeholder', 'rules-compliance'] as const;
/** The folders the "full SigmaHQ rule set" runs of hunt use (compliance rules are not detections). */
export const SIGMAHQ_HUNT_FOLDERS = ['rules', 'rules-emerging-threats', 'rules-threat-hunting', 'rules-placeholder'] as const;

const MAX_DEPTH = 16;

/** Every .yml/.yaml file under `dir`, sorted, bounded depth. */
export function yamlFiles(dir: string, depth = 0): string[] {
  if (depth > MAX_DEPTH) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...yamlFiles(p, depth + 1));
    else if (entry.isFile() && /\.ya?ml$/i.test(entry.name)) out.push(p);
  }
  return out;
}

/** Rule files whose logsource says `product: windows` (the "Windows rule set"). */
export function windowsRuleFiles(sigmahqRoot: string, folders: readonly string[] = SIGMAHQ_HUNT_FOLDERS): string[] {
  const out: string[] = [];
  for (const folder of folders) {
    for (const file of yamlFiles(path.join(sigmahqRoot, folder))) {
      if (/^\s+product:\s*['"]?windows['"]?\s*$/im.test(readFileSync(file, 'utf8'))) out.push(file);
    }
  }
  return out;
}

/**
 * Placeholder names the `|expand` values in these files use, each given one value that looks
 * like nothing real (so placeholder rules load and behave deterministically). YAML text ready
 * to write for `--placeholders`.
 */
export function placeholderConfigYaml(files: readonly string[]): string {
  const names = new Set<string>();
  const collect = (text: string): void => {
    for (const m of text.matchAll(/%([A-Za-z0-9_.-]+)%/g)) names.add(m[1] as string);
  };
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    if (!text.includes('|expand')) continue;
    // `key|expand: '%name%'`, or `key|expand:` followed by a list of `- '%name%'` items.
    let listIndent = -1;
    for (const line of text.split('\n')) {
      const indent = line.length - line.trimStart().length;
      if (listIndent >= 0 && /^\s*-\s/.test(line) && indent >= listIndent) {
        collect(line);
        continue;
      }
      listIndent = -1;
      const key = /^(\s*)(?:-\s*)?[^\s:#][^:#]*\|expand(?:\|[^:]*)?:(.*)$/.exec(line);
      if (key === null) continue;
      if ((key[2] as string).trim() === '') listIndent = (key[1] as string).length;
      else collect(key[2] as string);
    }
  }
  return (
    [...names]
      .sort()
      .map((n) => `'${n}': ['vigil-placeholder-${n.toLowerCase()}']`)
      .join('\n') + '\n'
  );
}

export interface CorpusEvtx {
  readonly path: string;
  readonly bytes: number;
  readonly sha256: string;
}

/** The EVTX corpus, one file per distinct SHA-256 (first path in MANIFEST.tsv order). */
export function uniqueCorpusEvtx(evtxRoot: string): CorpusEvtx[] {
  const lines = readFileSync(path.join(evtxRoot, 'MANIFEST.tsv'), 'utf8').split('\n');
  const header = (lines[0] ?? '').split('\t');
  const col = (name: string): number => header.indexOf(name);
  const [pathCol, bytesCol, shaCol] = [col('path'), col('bytes'), col('sha256')];
  if (pathCol < 0 || bytesCol < 0 || shaCol < 0) throw new Error(`${evtxRoot}/MANIFEST.tsv: expected path, bytes and sha256 columns`);
  const seen = new Set<string>();
  const out: CorpusEvtx[] = [];
  for (const line of lines.slice(1)) {
    if (line.trim() === '') continue;
    const cells = line.split('\t');
    const rel = cells[pathCol] as string;
    const sha = cells[shaCol] as string;
    const file = path.join(evtxRoot, rel);
    if (seen.has(sha)) continue;
    try {
      if (!statSync(file).isFile()) continue;
    } catch {
      continue;
    }
    seen.add(sha);
    out.push({ path: file, bytes: Number(cells[bytesCol]), sha256: sha });
  }
  return out;
}
