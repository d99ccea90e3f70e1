/**
 * When each thread of a run was inside given functions, from the CPU profiles `node --cpu-prof`
 * writes (one per thread, main thread and workers alike):
 *
 *   node --cpu-prof --cpu-prof-dir=DIR dist/src/cli/main.js hunt ... --threads 2
 *   node dist/bench/profile-spans.js DIR huntFile compileRules atEnd
 *
 * For every profile and every name, it prints the time of the first and the last sample taken
 * inside a function of that name (on the clock of the earliest profile's start) and how long the
 * samples inside it add up to. Used for the README's "a worker's first file comes N s after the
 * main thread's": the first huntFile sample of each thread.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string };
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

function main(): void {
  const [dir, ...names] = process.argv.slice(2);
  if (dir === undefined || names.length === 0) {
    process.stdout.write('usage: node dist/bench/profile-spans.js PROFILE_DIR FUNCTION...\n');
    return;
  }
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .sort();
  const profiles = files.map((f) => JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as CpuProfile);
  const origin = Math.min(...profiles.map((p) => p.startTime));
  const seconds = (us: number): string => ((us - origin) / 1e6).toFixed(2);
  profiles.forEach((p, i) => {
    const parent = new Map<number, number>();
    for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    const name = new Map(p.nodes.map((n) => [n.id, n.callFrame.functionName]));
    // Which of the names a node's stack holds, computed once per node.
    const within = new Map<number, Set<string>>();
    const namesOf = (id: number): Set<string> => {
      const known = within.get(id);
      if (known !== undefined) return known;
      const up = parent.get(id);
      const set = new Set(up === undefined ? [] : namesOf(up));
      const own = name.get(id);
      if (own !== undefined && names.includes(own)) set.add(own);
      within.set(id, set);
      return set;
    };
    const spans = new Map<string, { first: number; last: number; busy: number }>();
    let t = p.startTime;
    p.samples.forEach((id, s) => {
      t += p.timeDeltas[s] ?? 0;
      for (const n of namesOf(id)) {
        const span = spans.get(n) ?? { first: t, last: t, busy: 0 };
        span.last = t;
        span.busy += p.timeDeltas[s] ?? 0;
        spans.set(n, span);
      }
    });
    process.stdout.write(`${files[i]}: from ${seconds(p.startTime)} to ${seconds(p.endTime)} s\n`);
    for (const n of names) {
      const span = spans.get(n);
      if (span !== undefined) process.stdout.write(`  ${n.padEnd(24)} first ${seconds(span.first)} s, last ${seconds(span.last)} s, samples ${(span.busy / 1e6).toFixed(2)} s\n`);
    }
  });
}

main();
