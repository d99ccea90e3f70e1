/**
 * Runs the real `vigil` program (the built dist/src/cli/main.js) as a child process, for the
 * CLI tests that check what a user sees: exit status, standard output and standard error.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const VIGIL_MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

export interface VigilRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface VigilRunOptions {
  readonly cwd?: string;
  /** Added to this process's environment. */
  readonly env?: NodeJS.ProcessEnv;
}

export function runVigil(args: readonly string[], options: VigilRunOptions = {}): Promise<VigilRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [VIGIL_MAIN, ...args],
      { maxBuffer: 64 * 1024 * 1024, ...(options.cwd !== undefined ? { cwd: options.cwd } : {}), env: { ...process.env, ...options.env } },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
