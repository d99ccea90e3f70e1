/**
 * `vigil` started again with V8 flags that only take effect when given at start-up.
 *
 * When a hunt runs a thread on every core, V8's single-threaded mode is faster: each isolate's
 * optimizing compiler and garbage collector then run on that isolate's own thread, instead of
 * helper threads that take cores from the other threads' hunting (measured in docs/hunt.md,
 * "Threads": two threads on 1 GB of the corpus 6.7% faster, the 5.2 GB collection 2% in
 * less memory). With a core to spare it is slower, since the helpers then use that core. The
 * choice depends on the input, so it is made once the hunt's arguments are read; setting the
 * flag from inside a running process stops V8 with a trap, so the program starts itself again
 * with it, standard streams shared, signals passed on and the exit status passed back.
 */
import { spawn } from 'node:child_process';
import { EXIT } from './command.js';

export const SINGLE_THREADED_V8 = '--single-threaded';
/** `VIGIL_V8_RELAUNCH=0` keeps V8's default threads (for tools that follow one process). */
export const RELAUNCH_ENV = 'VIGIL_V8_RELAUNCH';

/** Signals a terminal or a supervisor sends to stop a program: passed on to the relaunched one. */
const PASSED_ON: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

let entry: { readonly script: string; readonly argv: readonly string[] } | null = null;

/**
 * Called by the program's entry point with its own path and arguments. Only then can a command
 * relaunch: a command run in-process (a test, `vigil example`) has no program to start again.
 */
export function allowRelaunch(script: string, argv: readonly string[]): void {
  entry = { script, argv: [...argv] };
}

/** Whether this process runs under V8's single-threaded mode (given on its command line). */
export function runsSingleThreadedV8(): boolean {
  return process.execArgv.includes(SINGLE_THREADED_V8);
}

/**
 * Whether the program may start itself again under V8's single-threaded mode for `command`: it
 * must be the command the program was started with (`vigil example` runs a hunt of its own).
 */
export function mayRelaunchSingleThreaded(command: string): boolean {
  // A debugger attached to this process would lose the run (and the second could not take its port).
  const debugged = process.execArgv.some((a) => a.startsWith('--inspect') || a.startsWith('--debug'));
  return entry !== null && entry.argv[0] === command && !debugged && !runsSingleThreadedV8() && process.env[RELAUNCH_ENV] !== '0';
}

/**
 * Runs the program again with `flags` before its script and resolves with its exit status. A
 * signal that ended it ends this process too (its handlers removed first), so a shell sees the
 * same outcome. Rejects when the program could not be started (the caller then goes on itself).
 */
export async function relaunch(flags: readonly string[]): Promise<number> {
  if (entry === null) throw new Error('internal: relaunch outside the program entry point');
  // The handlers go in before the child starts: a signal that came between its start and their
  // installing would end this process by default and leave the child running, an orphan. Node
  // runs them from the event loop, so `child` is set by the time one runs.
  let child: ReturnType<typeof spawn> | null = null;
  const handlers = PASSED_ON.map((signal) => [signal, () => void child?.kill(signal)] as const);
  for (const [signal, pass] of handlers) process.on(signal, pass);
  let ended: [number | null, NodeJS.Signals | null];
  try {
    const started = spawn(process.execPath, [...process.execArgv, ...flags, entry.script, ...entry.argv], { stdio: 'inherit' });
    child = started;
    ended = await new Promise((resolve, reject) => {
      started.once('error', reject);
      started.once('exit', (c, s) => resolve([c, s]));
    });
  } finally {
    for (const [signal, pass] of handlers) process.off(signal, pass);
  }
  const [code, signal] = ended;
  if (signal !== null) process.kill(process.pid, signal);
  return code ?? EXIT.internal;
}
