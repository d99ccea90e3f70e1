/**
 * Loading a large Sigma corpus on several threads. Each worker runs the ordinary loader on a
 * slice of the files; the IR it returns is plain data. Filters and correlations act across
 * files, so when any worker meets one the whole set is loaded again in one piece: the result
 * is always what `loadSigmaRules` would give for the rules (reports are not collected).
 */
import { readdir, realpath, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Rule } from '../../ir/nodes.js';
import { loadSigmaRules } from '../../sigma/index.js';

const MAX_WALK_ENTRIES = 200_000;
/** Below this many files a worker's start-up costs more than it saves. */
const MIN_FILES_FOR_WORKERS = 400;
const MAX_WORKERS = 4;

export interface ParallelLoad {
  readonly rules: Rule[];
  /** Threads used (1 when loaded on this thread). */
  readonly threads: number;
}

/** Rule files under the paths (`.yml`/`.yaml`), sorted, each once. */
export async function ruleFiles(paths: readonly string[]): Promise<string[]> {
  const files = new Set<string>();
  const visited = new Set<string>();
  let entries = 0;
  const walk = async (p: string): Promise<void> => {
    let st;
    try {
      st = await stat(p);
    } catch {
      return;
    }
    if (st.isFile()) {
      files.add(path.resolve(p));
      return;
    }
    if (!st.isDirectory()) return;
    const real = await realpath(p).catch(() => p);
    if (visited.has(real)) return;
    visited.add(real);
    const list = await readdir(p, { withFileTypes: true }).catch(() => []);
    for (const e of list) {
      if (++entries > MAX_WALK_ENTRIES) return;
      const full = path.join(p, e.name);
      if (e.isDirectory() || e.isSymbolicLink()) await walk(full);
      else if (e.isFile() && /\.ya?ml$/i.test(e.name)) files.add(path.resolve(full));
    }
  };
  for (const p of paths) await walk(p);
  return [...files].sort();
}

function runWorker(files: readonly string[]): Promise<{ rules: Rule[]; crossDocument: boolean }> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./load-worker.js', import.meta.url), { workerData: { files } });
    worker.once('message', (m: { rules?: Rule[]; crossDocument?: boolean; error?: string }) => {
      if (m.error !== undefined) reject(new Error(m.error));
      else resolve({ rules: m.rules ?? [], crossDocument: m.crossDocument === true });
      void worker.terminate();
    });
    worker.once('error', reject);
  });
}

/** Contiguous slices (files of one folder stay together), as even as possible. */
function slices<T>(items: readonly T[], n: number): T[][] {
  const out: T[][] = [];
  const size = Math.ceil(items.length / n);
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export interface ParallelOptions {
  /** Threads to use, this one included (default: one per CPU, at most 4). */
  readonly threads?: number;
  /** Fewest files worth starting workers for (default 400). */
  readonly minFiles?: number;
}

export async function loadSigmaParallel(paths: readonly string[], options: ParallelOptions = {}): Promise<ParallelLoad> {
  const threads = Math.max(1, Math.min(options.threads ?? availableParallelism(), MAX_WORKERS));
  const single = async (): Promise<ParallelLoad> => ({ rules: (await loadSigmaRules([...paths])).rules, threads: 1 });
  if (threads < 2) return single();
  const files = await ruleFiles(paths);
  if (files.length < (options.minFiles ?? MIN_FILES_FOR_WORKERS)) return single();
  try {
    // This thread takes the first slice itself rather than idling while the workers run.
    const [own, ...others] = slices(files, threads);
    const here = async (): Promise<{ rules: Rule[]; crossDocument: boolean }> => {
      const set = await loadSigmaRules(own ?? []);
      return { rules: set.rules, crossDocument: set.reports.some((r) => r.kind === 'filter' || r.kind === 'correlation') };
    };
    const parts = await Promise.all([here(), ...others.map(runWorker)]);
    if (parts.some((p) => p.crossDocument)) return single();
    return { rules: parts.flatMap((p) => p.rules), threads: parts.length };
  } catch (e) {
    if (process.env['VIGIL_DEBUG_EXPLAIN'] !== undefined) process.stderr.write(`parallel load failed: ${(e as Error).message}\n`);
    // Workers unavailable (sandbox, missing build file): the ordinary load gives the same rules.
    return single();
  }
}
