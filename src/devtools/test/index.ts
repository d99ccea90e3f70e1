/** `vigil test`: detection tests (Validation, Unit, Integration) and their reports. */
export { caseFailed, integrationProblem, resolveDataPath, runDetectionTests, unitProblem, type Outcome, type PhaseResult, type TestCaseResult, type TestRun, type TestRunOptions } from './run.js';
export { junitXml, testJson, testTable, testTotals } from './report.js';
export { readTestSpecs, type AttackDataSpec, type DetectionTestSpec, type TestExpectation } from './spec.js';
export { findSigmaTestFiles, runSigmaTests } from './sigma-tests.js';

import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { runDetectionTests, type TestRun, type TestRunOptions } from './run.js';
import { findSigmaTestFiles, runSigmaTests } from './sigma-tests.js';

const MAX_DEPTH = 4;

/** security_content-shaped folders (with detections/) at or below the path, a few levels deep. */
async function contentRoots(p: string, depth: number, out: string[]): Promise<void> {
  const st = await stat(p).catch(() => null);
  if (st === null || !st.isDirectory() || depth > MAX_DEPTH) return;
  if ((await stat(path.join(p, 'detections')).catch(() => null))?.isDirectory() === true) {
    out.push(p);
    return;
  }
  const entries = await readdir(p, { withFileTypes: true }).catch(() => []);
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) if (e.isDirectory() && !e.name.startsWith('.') && e.name !== 'node_modules') await contentRoots(path.join(p, e.name), depth + 1, out);
}

/** Every test under the paths: detections of content folders, and Sigma rules' `*.tests.yml`. */
export async function runAllTests(paths: readonly string[], options: TestRunOptions = {}): Promise<TestRun> {
  const roots: string[] = [];
  for (const p of paths) await contentRoots(p, 0, roots);
  const detections = await runDetectionTests(roots, options);
  const only = options.only ?? [];
  const sigma = (await runSigmaTests(await findSigmaTestFiles(paths), options)).filter((r) => only.length === 0 || only.includes(r.detection) || only.includes(r.id));
  return { results: [...detections.results, ...sigma], problems: detections.problems };
}
