/**
 * `vigil validate PATH...`: finds what each path holds — security_content-shaped folders (a
 * folder with detections/, stories/, macros/, lookups/, data_sources/ or deployments/) and Sigma
 * rule files (every other .yml/.yaml) — and validates each kind. Folders are searched down to a
 * bounded depth, so `vigil validate content/` covers content/splunk and content/sigma.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { defaultAttackCatalog, type AttackCatalog } from '../../risk/attack.js';
import { validateContentRoot } from './content.js';
import { validateSigmaFiles } from './sigma.js';
import { finding, sortFindings, type Finding } from './types.js';

export { type Finding, type FindingSeverity } from './types.js';
export { outputFields, producesField, aggregationName, type OutputFields } from './output-fields.js';

const CONTENT_FOLDERS = ['detections', 'stories', 'macros', 'lookups', 'data_sources', 'deployments'];
const MAX_DEPTH = 12;
const MAX_FILES = 100_000;

export interface ValidateOptions {
  readonly attack?: AttackCatalog;
  /** YYYY-MM-DD (default: today, UTC). */
  readonly today?: string;
}

export interface ValidationResult {
  readonly contentRoots: readonly string[];
  readonly sigmaFiles: readonly string[];
  readonly findings: readonly Finding[];
  readonly errors: number;
  readonly warnings: number;
}

interface Found {
  readonly contentRoots: string[];
  readonly sigmaFiles: string[];
  readonly problems: Finding[];
}

async function isContentRoot(dir: string): Promise<boolean> {
  if (path.basename(dir) === 'detections') return false;
  for (const f of CONTENT_FOLDERS) {
    const st = await stat(path.join(dir, f)).catch(() => null);
    if (st?.isDirectory() === true) return true;
  }
  return false;
}

async function discover(p: string, depth: number, found: Found): Promise<void> {
  if (found.sigmaFiles.length >= MAX_FILES) return;
  const st = await stat(p).catch(() => null);
  if (st === null) {
    found.problems.push(finding('error', 'validate.path', 'no such file or folder', p));
    return;
  }
  if (st.isFile()) {
    if (/\.ya?ml$/i.test(p)) found.sigmaFiles.push(p);
    return;
  }
  if (!st.isDirectory() || depth > MAX_DEPTH) return;
  if (await isContentRoot(p)) {
    found.contentRoots.push(p);
    return;
  }
  const entries = await readdir(p, { withFileTypes: true }).catch(() => []);
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (e.name.startsWith('.') || e.name === 'node_modules') continue;
    const child = path.join(p, e.name);
    // Vigil's Sigma test files (`*.tests.yml`) sit beside rules but are not rules.
    if (e.isFile() && /\.tests\.ya?ml$/i.test(e.name)) continue;
    if (e.isDirectory() || (e.isFile() && /\.ya?ml$/i.test(e.name))) await discover(child, depth + 1, found);
  }
}

function todayUtc(): string {
  return new Date().toISOString().slice(0, 10);
}

export async function validatePaths(paths: readonly string[], options: ValidateOptions = {}): Promise<ValidationResult> {
  const found: Found = { contentRoots: [], sigmaFiles: [], problems: [] };
  for (const p of paths) await discover(p, 0, found);
  const attack = options.attack ?? defaultAttackCatalog();
  const today = options.today ?? todayUtc();
  const all: Finding[] = [...found.problems];
  for (const root of found.contentRoots) all.push(...(await validateContentRoot(root, { attack, today })));
  all.push(...(await validateSigmaFiles(found.sigmaFiles, attack)));
  const findings = sortFindings(all);
  return {
    contentRoots: found.contentRoots,
    sigmaFiles: found.sigmaFiles,
    findings,
    errors: findings.filter((f) => f.severity === 'error').length,
    warnings: findings.filter((f) => f.severity === 'warning').length,
  };
}

/** `file:line:col: severity: message [code]`, one a line, then the totals. */
export function validationText(r: ValidationResult): string {
  const lines = r.findings.map((f) => `${f.file}${f.line !== null ? `:${f.line}${f.column !== null ? `:${f.column}` : ''}` : ''}: ${f.severity}: ${f.message} [${f.code}]`);
  lines.push(`validated ${r.contentRoots.length} content folder(s) and ${r.sigmaFiles.length} Sigma file(s): ${r.errors} error(s), ${r.warnings} warning(s)`);
  return lines.join('\n') + '\n';
}

export function validationJson(r: ValidationResult): string {
  return JSON.stringify({ content_roots: r.contentRoots, sigma_files: r.sigmaFiles, errors: r.errors, warnings: r.warnings, findings: r.findings }, null, 2) + '\n';
}
