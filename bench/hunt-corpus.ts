/**
 * The shared-corpus pieces `vigil hunt`'s bench and corpus tests agree on: where the SigmaHQ
 * rules are, which of them are Windows rules, a placeholder config for `rules-placeholder/`,
 * and the EVTX corpus as unique files (by SHA-256 in MANIFEST.tsv).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/** SigmaHQ folders of active rules (deprecated/ and unsupported/ are checked apart). */
export const SIGMAHQ_ACTIVE_FOLDERS = ['rules', 'rules-emerging-threats', 'rules-threat-hunting', 'rules-placeholder', 'rules-compliance'] as const;
/** The folders the "full SigmaHQ rule set" runs of hunt use (compliance rules are not detections). */
export const SIGMAHQ_HUNT_FOLDERS = ['rules', 'rules-emerging-threats', 'rules-threat-hunting', 'rules-placeholder'] as const;

const MAX_DEPTH = 16;

/** Every .yml/.yaml file under `dir`, sorted, bounded depth. */
export function yamlFiles(dir: string, depth = 0): string[] {
  if (depth > MAX_DEPTH) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...yamlFiles(p, depth + 1));
    else if (entry.isFile() && /\.ya?ml$/i.test(entry.name)) out.push(p);
  }
  return out;
}

/** Rule files whose logsource says `product: windows` (the "Windows rule set"). */
export function windowsRuleFiles(sigmahqRoot: string, folders: readonly string[] = SIGMAHQ_HUNT_FOLDERS): string[] {
  const out: string[] = [];
  for (const folder of folders) {
    for (const file of yamlFiles(path.join(sigmahqRoot, folder))) {
      if (/^\s+product:\s*['"]?windows['"]?\s*$/im.test(readFileSync(file, 'utf8'))) out.push(file);
    }
  }
  return out;
}

/**
 * Placeholder names the `|expand` values in these files use, each given one value that looks
 * like nothing real (so placeholder rules load and behave deterministically). YAML text ready
 * to write for `--placeholders`.
 */
export function placeholderConfigYaml(files: readonly string[]): string {
  const names = new Set<string>();
  const collect = (text: string): void => {
    for (const m of text.matchAll(/%([A-Za-z0-9_.-]+)%/g)) names.add(m[1] as string);
  };
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    if (!text.includes('|expand')) continue;
    // `key|expand: '%name%'`, or `key|expand:` followed by a list of `- '%name%'` items.
    let listIndent = -1;
    for (const line of text.split('\n')) {
      const indent = line.length - line.trimStart().length;
      if (listIndent >= 0 && /^\s*-\s/.test(line) && indent >= listIndent) {
        collect(line);
        continue;
      }
      listIndent = -1;
      const key = /^(\s*)(?:-\s*)?[^\s:#][^:#]*\|expand(?:\|[^:]*)?:(.*)$/.exec(line);
      if (key === null) continue;
      if ((key[2] as string).trim() === '') listIndent = (key[1] as string).length;
      else collect(key[2] as string);
    }
  }
  return (
    [...names]
      .sort()
      .map((n) => `'${n}': ['vigil-placeholder-${n.toLowerCase()}']`)
      .join('\n') + '\n'
  );
}

export interface CorpusEvtx {
  readonly path: string;
  readonly bytes: number;
  readonly sha256: string;
}

/** The EVTX corpus, one file per distinct SHA-256 (first path in MANIFEST.tsv order). */
export function uniqueCorpusEvtx(evtxRoot: string): CorpusEvtx[] {
  const lines = readFileSync(path.join(evtxRoot, 'MANIFEST.tsv'), 'utf8').split('\n');
  const header = (lines[0] ?? '').split('\t');
  const col = (name: string): number => header.indexOf(name);
  const [pathCol, bytesCol, shaCol] = [col('path'), col('bytes'), col('sha256')];
  if (pathCol < 0 || bytesCol < 0 || shaCol < 0) throw new Error(`${evtxRoot}/MANIFEST.tsv: expected path, bytes and sha256 columns`);
  const seen = new Set<string>();
  const out: CorpusEvtx[] = [];
  for (const line of lines.slice(1)) {
    if (line.trim() === '') continue;
    const cells = line.split('\t');
    const rel = cells[pathCol] as string;
    const sha = cells[shaCol] as string;
    const file = path.join(evtxRoot, rel);
    if (seen.has(sha)) continue;
    try {
      if (!statSync(file).isFile()) continue;
    } catch {
      continue;
    }
    seen.add(sha);
    out.push({ path: file, bytes: Number(cells[bytesCol]), sha256: sha });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Bench arithmetic shared by bench/run.ts and bench/hunt.ts, kept pure so it can be unit-tested.

/** Issue 6's targets: hunting at >= half the speed of bare parsing, 2 cores >= 1.7x one, < 1 GB resident. */
export const HUNT_VS_PARSE_TARGET = 0.5;
export const TWO_CORE_SPEEDUP_TARGET = 1.7;
export const MEMORY_LIMIT_MB = 1024;

/**
 * What each bench row of hunt.ts runs over the same input. Bare parsing is measured three ways:
 * `full-parse hunt` decodes every record in full (the target's baseline), `parse-only hunt`
 * decodes only what routing reads (EventData of no event), `dump jsonl` also renders JSON.
 * `hunt, 1 core` is the one-thread hunt held to one CPU (taskset): a one-thread run is not a
 * one-core run, since V8's compiler and garbage-collector threads use the other cores.
 */
export type HuntBenchKind = 'hunt' | 'hunt, 1 core' | 'full-parse hunt' | 'parse-only hunt' | 'dump jsonl';

/** The baselines hunt MB/s is divided by, the target's own first. */
export const PARSE_BASELINES = ['full-parse hunt', 'parse-only hunt', 'dump jsonl'] as const;

export interface ThroughputSample {
  readonly kind: HuntBenchKind;
  readonly threads: number;
  readonly mbPerSecond: number | null;
}

export interface RatioCheck {
  readonly threads: number;
  /** What the hunt is divided by. */
  readonly baseline: (typeof PARSE_BASELINES)[number];
  readonly huntMbPerSecond: number | null;
  readonly baselineMbPerSecond: number | null;
  readonly ratio: number | null;
  readonly target: number;
  /** null when either side has no rate (a run failed). */
  readonly met: boolean | null;
}

export interface SpeedupCheck {
  readonly threads: number;
  /** What the N-thread hunt is divided by: the one-thread hunt, free or held to one core. */
  readonly over: 'hunt' | 'hunt, 1 core';
  readonly oneThreadMbPerSecond: number | null;
  readonly threadsMbPerSecond: number | null;
  readonly speedup: number | null;
  readonly target: number;
  readonly met: boolean | null;
}

export interface HuntTargets {
  /** Hunt MB/s divided by each bare-parsing baseline's (PARSE_BASELINES), for each thread count measured. */
  readonly huntVsParse: readonly RatioCheck[];
  /** Hunt on 2 threads (or the most threads measured, when 2 was not) over hunt on 1; null with 1 thread only. */
  readonly speedup: SpeedupCheck | null;
  /** The same over the one-thread hunt held to one core; null when that was not measured. */
  readonly speedupOverOneCore: SpeedupCheck | null;
}

function rateOf(samples: readonly ThroughputSample[], kind: HuntBenchKind, threads: number): number | null {
  return samples.find((s) => s.kind === kind && s.threads === threads)?.mbPerSecond ?? null;
}

/** a / b unrounded (what targets are judged on), null without both rates. */
export function quotient(a: number | null, b: number | null): number | null {
  return a === null || b === null || b <= 0 ? null : a / b;
}

const twoDecimals = (v: number | null): number | null => (v === null ? null : Number(v.toFixed(2)));

export function huntTargets(samples: readonly ThroughputSample[]): HuntTargets {
  const threadCounts = [...new Set(samples.filter((s) => s.kind === 'hunt').map((s) => s.threads))].sort((a, b) => a - b);
  const huntVsParse: RatioCheck[] = [];
  for (const threads of threadCounts) {
    for (const baseline of PARSE_BASELINES) {
      const huntRate = rateOf(samples, 'hunt', threads);
      const baseRate = rateOf(samples, baseline, threads);
      if (baseRate === null && !samples.some((s) => s.kind === baseline && s.threads === threads)) continue;
      const ratio = quotient(huntRate, baseRate);
      const met = ratio === null ? null : ratio >= HUNT_VS_PARSE_TARGET;
      huntVsParse.push({ threads, baseline, huntMbPerSecond: huntRate, baselineMbPerSecond: baseRate, ratio: twoDecimals(ratio), target: HUNT_VS_PARSE_TARGET, met });
    }
  }
  const many = threadCounts.includes(2) ? 2 : threadCounts.filter((t) => t > 1).pop();
  const speedupOver = (over: SpeedupCheck['over']): SpeedupCheck | null => {
    if (many === undefined || !samples.some((s) => s.kind === over && s.threads === 1)) return null;
    const one = rateOf(samples, over, 1);
    const n = rateOf(samples, 'hunt', many);
    const value = quotient(n, one);
    const met = value === null ? null : value >= TWO_CORE_SPEEDUP_TARGET;
    return { threads: many, over, oneThreadMbPerSecond: one, threadsMbPerSecond: n, speedup: twoDecimals(value), target: TWO_CORE_SPEEDUP_TARGET, met };
  };
  return { huntVsParse, speedup: speedupOver('hunt'), speedupOverOneCore: speedupOver('hunt, 1 core') };
}

/**
 * The targets judged within each round alone: a round runs the hunt beside its baselines one
 * after the other, so its ratios see the host in one state, where the best rounds of two runs
 * may come from different moments. Rows without a round count as round 1.
 */
export function perRoundTargets(samples: readonly (ThroughputSample & { readonly round?: number })[]): { readonly round: number; readonly targets: HuntTargets }[] {
  const rounds = [...new Set(samples.map((s) => s.round ?? 1))].sort((a, b) => a - b);
  return rounds.map((round) => ({ round, targets: huntTargets(samples.filter((s) => (s.round ?? 1) === round)) }));
}

/**
 * What a hunt pays once whatever its input's size, and what that alone leaves N threads. From
 * the seconds of one corpus copy and of all `copies` hunted on one core: a copy adds
 * `perCopySeconds`; the rest of the one-copy hunt is `fixedSeconds` (V8 compiling the hot code,
 * automata and gates built on first use, the heap grown to hold the rules), which every thread,
 * being its own V8 isolate, pays again. `boundVsOneCore` is the most N threads could then reach
 * over the one-core hunt of all copies if they lost nothing else: the fixed cost once on each
 * thread at the same time, the rest split evenly (the end of the run included, though it runs on
 * one thread), no time spent handing work over and no neighbour core slowing another. Null when
 * the copies add no time (noise at this size) or a run has no time.
 */
export interface FixedCost {
  readonly threads: number;
  readonly copies: number;
  readonly oneCopySeconds: number | null;
  readonly allCopiesSeconds: number | null;
  readonly perCopySeconds: number | null;
  readonly fixedSeconds: number | null;
  readonly boundVsOneCore: number | null;
}

export function fixedCostOf(oneCopySeconds: number | null, allCopiesSeconds: number | null, copies: number, threads: number): FixedCost {
  const none = { threads, copies, oneCopySeconds, allCopiesSeconds, perCopySeconds: null, fixedSeconds: null, boundVsOneCore: null };
  if (oneCopySeconds === null || allCopiesSeconds === null || copies < 2 || threads < 1) return none;
  const perCopy = (allCopiesSeconds - oneCopySeconds) / (copies - 1);
  if (!(perCopy > 0)) return none;
  const fixed = Math.max(0, oneCopySeconds - perCopy);
  const bound = allCopiesSeconds / (fixed + (allCopiesSeconds - fixed) / threads);
  return { threads, copies, oneCopySeconds, allCopiesSeconds, perCopySeconds: Number(perCopy.toFixed(3)), fixedSeconds: Number(fixed.toFixed(2)), boundVsOneCore: twoDecimals(bound) };
}

/**
 * The two-core speedup of the same hunt with risk off (`--no-risk`), beside the same round's
 * with risk on: how much of the gap to the target the risk path makes. Risk events are held by
 * the main thread and ranked and printed there after every thread has finished (the end of the
 * run, `end_seconds`), so on N threads that part does not shrink.
 */
export interface RiskOff {
  readonly threads: number;
  readonly oneCoreSeconds: number | null;
  readonly threadsSeconds: number | null;
  /** One core's hunt seconds ÷ the N threads' (the same input, so the same as their MB/s quotient). */
  readonly speedup: number | null;
  /** The round's two-core speedup with risk on, when known. */
  readonly withRisk: number | null;
}

export function riskOffOf(oneCoreSeconds: number | null, threadsSeconds: number | null, threads: number, withRisk: number | null): RiskOff {
  const speedup = oneCoreSeconds === null || threadsSeconds === null || !(threadsSeconds > 0) ? null : twoDecimals(oneCoreSeconds / threadsSeconds);
  return { threads, oneCoreSeconds, threadsSeconds, speedup, withRisk: twoDecimals(withRisk) };
}

/** The best of several rounds' risk-off runs: each side's fastest run, as the targets take them. */
export function bestRiskOff(runs: readonly RiskOff[]): RiskOff | null {
  if (runs.length === 0) return null;
  const least = (pick: (r: RiskOff) => number | null): number | null => {
    const values = runs.map(pick).filter((v): v is number => v !== null);
    return values.length === 0 ? null : Math.min(...values);
  };
  const withRisk = runs.map((r) => r.withRisk).filter((v): v is number => v !== null);
  return riskOffOf(least((r) => r.oneCoreSeconds), least((r) => r.threadsSeconds), runs[0]!.threads, withRisk.length === 0 ? null : Math.max(...withRisk));
}

export interface MemoryCheck {
  readonly peakRssMb: number | null;
  readonly limitMb: number;
  /** Peak resident memory strictly under the limit; null when it could not be measured. */
  readonly met: boolean | null;
}

export function memoryCheck(peakRssMb: number | null, limitMb: number = MEMORY_LIMIT_MB): MemoryCheck {
  return { peakRssMb, limitMb, met: peakRssMb === null ? null : peakRssMb < limitMb };
}

/** One file a slow peer parser (evtx_dump.py) worked on, possibly cut off or crashed part way. */
export interface PeerFileAttempt {
  readonly bytes: number;
  /** vigil's record count for the file (parsed + recovered); null when unknown. */
  readonly vigilRecords: number | null;
  /** Records the peer printed before it ended or was stopped. */
  readonly emittedRecords: number;
  /** The peer ended by itself with exit status 0 (not cut off, not crashed). */
  readonly completed: boolean;
}

/**
 * Bytes and records to credit a peer with for one file. A clean finish earns the whole file and
 * vigil's record count (as evtxexport's row does); a cut-off or crashed run earns the share of
 * the file's bytes its printed records make of vigil's count, so MB/s covers only work done.
 */
export function creditPeerFile(a: PeerFileAttempt): { bytes: number; records: number } {
  if (a.completed) return { bytes: a.bytes, records: a.vigilRecords ?? a.emittedRecords };
  if (a.vigilRecords === null || a.vigilRecords <= 0) return { bytes: 0, records: a.emittedRecords };
  const share = Math.min(1, Math.max(0, a.emittedRecords) / a.vigilRecords);
  return { bytes: Math.round(a.bytes * share), records: Math.min(a.emittedRecords, a.vigilRecords) };
}

/** Counts occurrences of `needle` in a stream of text chunks, across chunk boundaries. */
export function occurrenceCounter(needle: string): { push(chunk: string): void; readonly count: number } {
  let carry = '';
  let count = 0;
  return {
    push(chunk: string): void {
      const text = carry + chunk;
      let at = text.indexOf(needle);
      let end = 0;
      while (at >= 0) {
        count++;
        end = at + needle.length;
        at = text.indexOf(needle, end);
      }
      // Keep only a tail too short to hold a whole match, and never a counted one.
      carry = text.slice(Math.max(end, text.length - (needle.length - 1)));
    },
    get count(): number {
      return count;
    },
  };
}
