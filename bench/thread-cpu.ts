/**
 * Where a command's CPU time goes, thread by thread (Linux only: it reads /proc):
 *
 *   node dist/bench/thread-cpu.js [--jit] -- node dist/src/cli/main.js hunt ... --output /dev/null
 *
 * It runs the command and samples /proc/PID/task/TID/stat every 50 ms, then prints each thread's
 * user + system seconds and the totals for the JavaScript threads (the main thread and worker
 * threads: the two busiest, or as many as `--js-threads N` says) and for the rest (V8's
 * compiler and garbage-collector helpers, libuv). With `--jit` the command (which must start
 * with `node`) runs with `--trace-opt` and the optimizing compiler's time is summed from its
 * "completed compiling ... took a, b, c ms" lines (elapsed time of each job, on whatever thread
 * ran it), so the command's own standard output must go elsewhere (`--output /dev/null`).
 *
 * Used for the README's account of what a second hunt thread costs: each thread is its own V8
 * isolate and compiles the hot code again. The command's descendants are sampled too: a hunt
 * with a thread on every core starts itself again under V8's single-threaded mode.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ThreadCpu {
  readonly tid: string;
  name: string;
  seconds: number;
}

/** Clock ticks per second of /proc's utime and stime (USER_HZ, 100 on Linux). */
const TICKS = 100;

/** The process and its descendants (`vigil hunt` may start itself again: src/cli/relaunch.ts). */
function processTree(pid: number): number[] {
  const all = [pid];
  for (let i = 0; i < all.length; i++) {
    try {
      for (const task of readdirSync(`/proc/${all[i]}/task`)) {
        const children = readFileSync(`/proc/${all[i]}/task/${task}/children`, 'utf8').trim();
        if (children !== '') all.push(...children.split(/\s+/).map(Number));
      }
    } catch {
      // gone already
    }
  }
  return all;
}

function sample(root: number, seen: Map<string, ThreadCpu>): void {
  for (const pid of processTree(root)) sampleProcess(pid, seen);
}

function sampleProcess(pid: number, seen: Map<string, ThreadCpu>): void {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return; // gone already
  }
  for (const tid of tids) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    } catch {
      continue;
    }
    // The name is in parentheses and may hold spaces; the fields after it are space-separated.
    const close = stat.lastIndexOf(')');
    const name = stat.slice(stat.indexOf('(') + 1, close);
    const fields = stat.slice(close + 2).split(' ');
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    const seconds = (Number(fields[11]) + Number(fields[12])) / TICKS;
    const t = seen.get(tid) ?? { tid, name, seconds: 0 };
    t.name = name;
    t.seconds = Math.max(t.seconds, seconds);
    seen.set(tid, t);
  }
}

/** Sum of the optimizing compiler's job times in `--trace-opt` output. */
function jitMilliseconds(traceOutput: string): { jobs: number; ms: number } {
  let jobs = 0;
  let ms = 0;
  for (const m of traceOutput.matchAll(/completed compiling .*? took ([\d.]+), ([\d.]+), ([\d.]+) ms/g)) {
    jobs++;
    ms += Number(m[1]) + Number(m[2]) + Number(m[3]);
  }
  return { jobs, ms };
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: { jit: { type: 'boolean' }, 'js-threads': { type: 'string' }, help: { type: 'boolean' } },
    allowPositionals: true,
  });
  if (values.help === true || positionals.length === 0) {
    process.stdout.write('usage: node dist/bench/thread-cpu.js [--jit] [--js-threads N] -- COMMAND ARGS...\n');
    return;
  }
  const jsThreads = Number(values['js-threads'] ?? 2);
  const [command, ...args] = positionals as [string, ...string[]];
  if (values.jit === true && command !== 'node') throw new Error('--jit needs a command that starts with node');
  const childArgs = values.jit === true ? ['--trace-opt', ...args] : args;
  const started = performance.now();
  const child = spawn(command, childArgs, { stdio: ['ignore', values.jit === true ? 'pipe' : 'inherit', 'inherit'] });
  let trace = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (trace += d));
  const seen = new Map<string, ThreadCpu>();
  const timer = setInterval(() => sample(child.pid!, seen), 50);
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  clearInterval(timer);
  const wall = (performance.now() - started) / 1000;
  const threads = [...seen.values()].sort((a, b) => b.seconds - a.seconds);
  for (const t of threads) if (t.seconds >= 0.05) process.stdout.write(`${t.tid.padStart(8)}  ${t.name.padEnd(16)} ${t.seconds.toFixed(2).padStart(7)} s\n`);
  const js = threads.slice(0, jsThreads).reduce((a, t) => a + t.seconds, 0);
  const rest = threads.slice(jsThreads).reduce((a, t) => a + t.seconds, 0);
  process.stdout.write(
    `exit ${code}; wall ${wall.toFixed(2)} s; CPU ${(js + rest).toFixed(2)} s: ${jsThreads} busiest (JavaScript) threads ${js.toFixed(2)} s, ` +
      `the other ${threads.length - Math.min(jsThreads, threads.length)} threads ${rest.toFixed(2)} s\n`,
  );
  if (values.jit === true) {
    const { jobs, ms } = jitMilliseconds(trace);
    process.stdout.write(`optimizing compiler: ${jobs} jobs, ${(ms / 1000).toFixed(2)} s\n`);
  }
  // Samples every 50 ms: a thread's last 50 ms before it ended may be missing.
}

main().catch((err: unknown) => {
  process.stderr.write(`thread-cpu: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
