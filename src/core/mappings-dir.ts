/**
 * Where Vigil's data folders live at run time: `mappings/` (field and log-source data files) and
 * `content/` (the built-in rules and detections). Each is found from an environment variable when
 * set, else in the repository folder above this module (it runs from src/ or dist/src/), else in
 * the working directory (a build made outside the repository).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function repositoryDir(top: 'mappings' | 'content', envVar: string, sub: string, marker: string): string {
  const fromEnv = process.env[envVar];
  if (fromEnv) return path.join(fromEnv, sub);
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = path.join(dir, top, sub);
    if (existsSync(path.join(candidate, marker))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return path.join(process.cwd(), top, sub);
}

/** `mappings/<sub>` (`$VIGIL_MAPPINGS_DIR`); `marker` (a file or folder inside it) tells the right folder when searching. */
export function mappingsDir(sub: string, marker = ''): string {
  return repositoryDir('mappings', 'VIGIL_MAPPINGS_DIR', sub, marker);
}

/** The built-in `content/<sub>` folder (`$VIGIL_CONTENT_DIR`). */
export function contentDir(sub: string, marker = ''): string {
  return repositoryDir('content', 'VIGIL_CONTENT_DIR', sub, marker);
}
