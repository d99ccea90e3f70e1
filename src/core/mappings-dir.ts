/**
 * Where the `mappings/` data files live at run time: `$VIGIL_MAPPINGS_DIR` when set, else the
 * repository folder found above this module (it runs from src/ or dist/src/), else the working
 * directory (a build made outside the repository).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** `mappings/<sub>`; `marker` (a file or folder inside it) tells the right folder when searching. */
export function mappingsDir(sub: string, marker = ''): string {
  const fromEnv = process.env.VIGIL_MAPPINGS_DIR;
  if (fromEnv) return path.join(fromEnv, sub);
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = path.join(dir, 'mappings', sub);
    if (existsSync(path.join(candidate, marker))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return path.join(process.cwd(), 'mappings', sub);
}

/**
 * The built-in `content/<sub>` folder (rules and detections that ship with Vigil), found like
 * the mappings: `$VIGIL_CONTENT_DIR` when set, else the repository folder above this module.
 */
export function contentDir(sub: string, marker = ''): string {
  const fromEnv = process.env.VIGIL_CONTENT_DIR;
  if (fromEnv) return path.join(fromEnv, sub);
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = path.join(dir, 'content', sub);
    if (existsSync(path.join(candidate, marker))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return path.join(process.cwd(), 'content', sub);
}
