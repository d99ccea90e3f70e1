/** Locates the shared third-party corpus; tests that need it skip with one line when it is absent. */
import { existsSync } from 'node:fs';
import path from 'node:path';

export const REPO_ROOT = process.cwd();

export function corpusDir(): string | null {
  const dir = path.resolve(process.env.VIGIL_CORPUS ?? path.join(REPO_ROOT, '..', 'shared', 'corpus'));
  return existsSync(dir) ? dir : null;
}

/** Returns the corpus path joined with `parts`, or null (and the reason for a skip message). */
export function corpusPath(...parts: string[]): string | null {
  const dir = corpusDir();
  if (dir === null) return null;
  const p = path.join(dir, ...parts);
  return existsSync(p) ? p : null;
}

export const NO_CORPUS = 'corpus not found (set VIGIL_CORPUS or place ../shared/corpus); skipped';
