/** Worker half of the parallel Sigma load: loads its share of files and posts the IR rules back. */
import { parentPort, workerData } from 'node:worker_threads';
import { loadSigmaRules } from '../../sigma/index.js';

interface Job {
  readonly files: readonly string[];
}

async function main(): Promise<void> {
  const job = workerData as Job;
  const set = await loadSigmaRules([...job.files]);
  // Filters and correlations act across files: the caller reloads everything in one piece.
  const crossDocument = set.reports.some((r) => r.kind === 'filter' || r.kind === 'correlation');
  parentPort?.postMessage({ rules: set.rules, crossDocument });
}

main().catch((e: unknown) => parentPort?.postMessage({ error: e instanceof Error ? e.message : String(e) }));
