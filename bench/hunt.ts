/**
 * `vigil hunt` throughput: the full SigmaHQ Windows rule set over the EVTX corpus repeated to at
 * least 1 GB, on one thread and on all cores, with peak memory, beside bare parsing of the same
 * input on the same thread counts; then a memory run over a larger repetition (5 GB by default).
 *
 *   node dist/bench/hunt.js [--size-mb N] [--quick] [--threads N] [--memory-size-mb N] [--large-file-mb N]
 *                           [--corpus DIR] [--out FILE] [--data-dir DIR]
 *
 * For each thread count (1, 2 and --threads) four runs read the same input:
 *   - hunt: `vigil hunt --rules <every SigmaHQ Windows rule>`;
 *   - full-parse hunt: `vigil hunt --rules <one rule on a field no event has>`: every event reaches
 *     the rule and every record is decoded in full to look for the field, and nothing matches, so
 *     it costs parsing and nothing else (bare parsing, the target's baseline);
 *   - parse-only hunt: `vigil hunt --rules <one rule on EventID 999999>`: routing sets the rule
 *     aside for every real event, so records are decoded only as far as routing reads (System);
 *   - dump jsonl: `vigil dump --format jsonl -o /dev/null` (parsing plus JSON rendering).
 * With one thread, the hunt also runs held to one CPU (`taskset --cpu-list 0`): the free
 * one-thread run is not a one-core run, since V8's compiler and garbage-collector threads work on
 * the other cores beside it (its "cores used", CPU s over wall s, shows how much).
 * One large file (--large-file-mb, a generated EVTX file of 512 MB by default): the hunt and the
 * full-parse hunt on one thread and on --threads, where the threads share the file's chunk
 * ranges (a responder's one big Security.evtx); shown apart, not part of the targets.
 * Then issue 6's targets: hunt MB/s / full-parse MB/s >= 0.5 (also shown against the other two),
 * 2-thread hunt MB/s / 1 core >= 1.7 (also shown over the free one-thread run, and on the memory
 * run's input, hunted held to one core just before it), and peak RSS of the memory run < 1024 MB.
 *
 * The input is a folder of symbolic links (rep-000/..., rep-001/..., each linking every unique
 * corpus file once), so nothing is copied. Findings go to /dev/null as JSONL. Wall time is
 * measured here; peak RSS is the larger of GNU time's %M and polling the child's VmHWM in /proc
 * (worker threads share the process, so both cover them); CPU seconds are GNU time's %U + %S;
 * events, bytes and hunting time come from vigil's --summary-json.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { benchDataFile, generateFile } from './gen-evtx.js';
import {
  fixedCostOf,
  bestRiskOff,
  riskOffOf,
  type RiskOff,
  huntTargets,
  perRoundTargets,
  memoryCheck,
  quotient,
  placeholderConfigYaml,
  SIGMAHQ_HUNT_FOLDERS,
  uniqueCorpusEvtx,
  windowsRuleFiles,
  type CorpusEvtx,
  type FixedCost,
  yamlFiles,
  type HuntBenchKind,
  type HuntTargets,
  type MemoryCheck,
  type RatioCheck,
  type SpeedupCheck,
} from './hunt-corpus.js';
import { packageRoot } from '../src/cli/repo-root.js';
import { benchRunHead } from './run-context.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const VIGIL_MAIN = path.join(HERE, '..', 'src', 'cli', 'main.js');
const MB = 1024 * 1024;

const ROOT = packageRoot();

interface Options {
  readonly sizeMb: number;
  readonly threads: number;
  readonly corpus: string;
  readonly out: string;
  readonly dataDir: string;
  /** Size of the memory run's input; null skips it (--quick, or --memory-size-mb 0). */
  readonly memorySizeMb: number | null;
  /** How many times the 1 GB runs and the ceiling are repeated; targets use the best of them. */
  readonly rounds: number;
  /** Size of the one generated EVTX file hunted on 1 and N threads; null skips it. */
  readonly largeFileMb: number | null;
  /** How many generated 16 MB EVTX files the folder hunted on 1 and N threads holds; null skips it. */
  readonly mediumFiles: number | null;
  /** Corpus copies (1, 2, 4) hunted on 1 and N threads, where one thread may be faster; false skips it. */
  readonly smallInputs: boolean;
}

/** `--judge FILE`: a results file to judge again; nothing runs, so no run option applies. */
interface JudgeCommand {
  readonly judge: string;
}

function parseOptions(argv: string[]): Options | JudgeCommand {
  const { values } = parseArgs({
    args: argv,
    options: {
      'size-mb': { type: 'string' },
      quick: { type: 'boolean' },
      threads: { type: 'string' },
      corpus: { type: 'string' },
      out: { type: 'string' },
      'data-dir': { type: 'string' },
      'memory-size-mb': { type: 'string' },
      rounds: { type: 'string' },
      'large-file-mb': { type: 'string' },
      'medium-files': { type: 'string' },
      'no-small-inputs': { type: 'boolean' },
      judge: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help === true) {
    process.stdout.write(
      'usage: node dist/bench/hunt.js [--size-mb N] [--quick] [--threads N] [--memory-size-mb N] [--large-file-mb N] [--medium-files N] [--no-small-inputs] [--corpus DIR] [--out FILE] [--data-dir DIR]\n' +
        '       node dist/bench/hunt.js --judge FILE\n' +
        '  --quick             one copy of the corpus instead of >= 1 GB, and no memory run\n' +
        '  --memory-size-mb N  hunt the corpus repeated to N MB on all threads and check peak RSS < 1024 MB,\n' +
        '                      after hunting it on one thread held to one core (the two-core target at that size)\n' +
        '                      (default 5120; 0 skips it; --quick skips it unless given)\n' +
        '  --rounds N          repeat the 1 GB runs and the ceilings N times, alternating, and judge the\n' +
        '                      targets on the best of each (default 2; 1 with --quick)\n' +
        '  --large-file-mb N   also hunt one generated EVTX file of N MB on 1 and N threads, whose chunk\n' +
        '                      ranges the threads share (default 512; 64 with --quick; 0 skips it)\n' +
        '  --medium-files N    also hunt a folder of N generated 16 MB EVTX files (one server\'s logs, each cut\n' +
        '                      into chunk ranges among several inputs) on 1 and N threads (default 8; 4 with --quick; 0 skips it)\n' +
        '  --no-small-inputs   skip hunting 1, 2 and 4 corpus copies on 1 and N threads (where one thread can be\n' +
        '                      faster: each thread past the first warms up its own compiler; skipped with --quick)\n' +
        '  --judge FILE        run nothing: print the targets of an earlier results file, each round\'s own too\n',
    );
    process.exit(0);
  }
  if (values.judge !== undefined) return { judge: path.resolve(values.judge) };
  const sizeMb = Number(values['size-mb'] ?? (values.quick === true ? 1 : 1024));
  if (!Number.isInteger(sizeMb) || sizeMb < 1) throw new Error('--size-mb takes a positive whole number');
  const threads = Number(values.threads ?? availableParallelism());
  if (!Number.isInteger(threads) || threads < 1) throw new Error('--threads takes a positive whole number');
  const memorySizeMb = Number(values['memory-size-mb'] ?? (values.quick === true ? 0 : 5120));
  if (!Number.isInteger(memorySizeMb) || memorySizeMb < 0) throw new Error('--memory-size-mb takes a whole number (0 skips the memory run)');
  const rounds = Number(values.rounds ?? (values.quick === true ? 1 : 2));
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error('--rounds takes a positive whole number');
  const largeFileMb = Number(values['large-file-mb'] ?? (values.quick === true ? 64 : 512));
  if (!Number.isInteger(largeFileMb) || largeFileMb < 0) throw new Error('--large-file-mb takes a whole number (0 skips the one-file runs)');
  const mediumFiles = Number(values['medium-files'] ?? (values.quick === true ? 4 : 8));
  if (!Number.isInteger(mediumFiles) || mediumFiles < 0) throw new Error('--medium-files takes a whole number (0 skips the folder runs)');
  return {
    smallInputs: values['no-small-inputs'] !== true && values.quick !== true,
    mediumFiles: mediumFiles === 0 ? null : mediumFiles,
    rounds,
    largeFileMb: largeFileMb === 0 ? null : largeFileMb,
    memorySizeMb: memorySizeMb === 0 ? null : memorySizeMb,
    sizeMb,
    threads,
    corpus: path.resolve(values.corpus ?? process.env['VIGIL_CORPUS'] ?? path.join(ROOT, '..', 'shared', 'corpus')),
    out: path.resolve(values.out ?? path.join(ROOT, 'bench', 'results', 'hunt-latest.json')),
    dataDir: path.resolve(values['data-dir'] ?? path.join(ROOT, 'bench', 'data')),
  };
}

interface InputSet {
  readonly dir: string;
  readonly files: number;
  readonly bytes: number;
  readonly repetitions: number;
  readonly uniqueFiles: number;
  readonly uniqueBytes: number;
}

/** The unique corpus files, and an error when there are none to repeat. */
function corpusFiles(evtxRoot: string): CorpusEvtx[] {
  const unique = uniqueCorpusEvtx(evtxRoot);
  if (unique.length === 0 || unique.every((f) => f.bytes === 0)) throw new Error(`no EVTX files in ${evtxRoot}`);
  return unique;
}

/** A folder of symlinks repeating the unique corpus files until `sizeMb` is reached. */
function buildInput(unique: readonly CorpusEvtx[], sizeMb: number, dataDir: string): InputSet {
  const uniqueBytes = unique.reduce((a, f) => a + f.bytes, 0);
  return corpusCopies(unique, Math.max(1, Math.ceil((sizeMb * MB) / uniqueBytes)), dataDir);
}

/** A folder of symlinks holding `repetitions` copies of the unique corpus files, made once. */
function corpusCopies(unique: readonly CorpusEvtx[], repetitions: number, dataDir: string): InputSet {
  const uniqueBytes = unique.reduce((a, f) => a + f.bytes, 0);
  const dir = path.join(dataDir, `hunt-corpus-x${repetitions}`);
  const marker = path.join(dir, '.complete');
  if (!existsSync(marker)) {
    rmSync(dir, { recursive: true, force: true });
    for (let r = 0; r < repetitions; r++) {
      const rep = path.join(dir, `rep-${String(r).padStart(3, '0')}`);
      mkdirSync(rep, { recursive: true });
      unique.forEach((f, i) => symlinkSync(f.path, path.join(rep, `${String(i).padStart(4, '0')}-${path.basename(f.path)}`)));
    }
    writeFileSync(marker, `${repetitions} x ${unique.length} files\n`);
  }
  return { dir, files: repetitions * unique.length, bytes: repetitions * uniqueBytes, repetitions, uniqueFiles: unique.length, uniqueBytes };
}

function readHwmKb(pid: number): number | null {
  try {
    const m = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

interface Measured {
  readonly exitCode: number | null;
  readonly seconds: number;
  readonly peakRssMb: number | null;
  /** User + system CPU seconds of the run (GNU time), null without /usr/bin/time. */
  readonly cpuSeconds: number | null;
  readonly stderrTail: string;
}

const GNU_TIME = '/usr/bin/time';
/** util-linux taskset, which holds a process (all its threads) to the CPUs given. */
const TASKSET = '/usr/bin/taskset';

/** Whether a run can be held to one core here (taskset present and more than one CPU to leave idle). */
function canPinToOneCore(): boolean {
  return existsSync(TASKSET) && availableParallelism() > 1;
}

/** `args` run by node, held to CPU number `cpu` when one is given (see canPinToOneCore). */
function nodeCommand(args: readonly string[], cpu: number | null): string[] {
  return cpu !== null ? [TASKSET, '--cpu-list', String(cpu), process.execPath, ...args] : [process.execPath, ...args];
}

function measure(args: readonly string[], timeoutMs: number, cpu: number | null = null): Promise<Measured> {
  const started = process.hrtime.bigint();
  const useTime = existsSync(GNU_TIME);
  const timeFile = path.join(tmpdir(), `vigil-hunt-bench-time-${process.pid}-${Date.now()}.txt`);
  return new Promise((resolve) => {
    const command = nodeCommand(args, cpu);
    const child = useTime
      ? spawn(GNU_TIME, ['-f', '%U %S %M', '-o', timeFile, ...command], { stdio: ['ignore', 'ignore', 'pipe'] })
      : spawn(command[0] as string, command.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
    // The vigil process: GNU time's only child once it has started (taskset becomes node).
    const vigilPid = (): number | undefined => {
      if (!useTime || child.pid === undefined) return child.pid;
      try {
        const kids = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/);
        return kids[0] ? Number(kids[0]) : undefined;
      } catch {
        return undefined;
      }
    };
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString('utf8')).slice(-4000);
    });
    let hwmKb = 0;
    const poll = setInterval(() => {
      const pid = vigilPid();
      if (pid !== undefined) hwmKb = Math.max(hwmKb, readHwmKb(pid) ?? 0);
    }, 50);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => (stderr += String(err)));
    child.on('close', (code) => {
      clearTimeout(timer);
      clearInterval(poll);
      let cpuSeconds: number | null = null;
      if (useTime && existsSync(timeFile)) {
        const m = /([\d.]+)\s+([\d.]+)\s+(\d+)\s*$/.exec(readFileSync(timeFile, 'utf8').trim());
        if (m) {
          cpuSeconds = Number(m[1]) + Number(m[2]);
          // %M is the child's maximum resident set (kB), which polling can miss between samples.
          hwmKb = Math.max(hwmKb, Number(m[3]));
        }
        rmSync(timeFile, { force: true });
      }
      resolve({ exitCode: code, seconds: Number(process.hrtime.bigint() - started) / 1e9, peakRssMb: hwmKb > 0 ? hwmKb / 1024 : null, cpuSeconds, stderrTail: stderr });
    });
  });
}

interface HuntSummaryJson {
  events: number;
  bytes: number;
  seconds: number;
  /** Of `seconds`, the end of the run after the last input (risk merged, ranked and printed). */
  end_seconds?: number;
  rules: { loaded: number; not_loaded: number; seconds: number };
  findings: { total: number };
  files: { total: number; failed: number };
  matching: { mode: string; threads: number };
}

interface DumpSummaryJson {
  files: { total: number; failed: number };
  records: { parsed: number; recovered: number; failed: number };
  bytes: number;
  seconds: number;
}

/**
 * The input's files dealt round-robin into `parts` folders of symlinks (to the same corpus
 * files), for the ceiling run: independent processes, one per part.
 */
function splitInput(input: InputSet, parts: number): InputSet[] {
  const files: { path: string; bytes: number }[] = [];
  for (const rep of readdirSync(input.dir).filter((d) => d.startsWith('rep-')).sort()) {
    for (const f of readdirSync(path.join(input.dir, rep)).sort()) {
      const p = path.join(input.dir, rep, f);
      files.push({ path: p, bytes: statSync(p).size });
    }
  }
  return Array.from({ length: parts }, (_, k) => {
    const dir = `${input.dir}-part-${k + 1}-of-${parts}`;
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const mine = files.filter((_, i) => i % parts === k);
    mine.forEach((f, i) => symlinkSync(realpathSync(f.path), path.join(dir, `${String(i).padStart(6, '0')}-${path.basename(f.path)}`)));
    return { dir, files: mine.length, bytes: mine.reduce((a, f) => a + f.bytes, 0), repetitions: input.repetitions, uniqueFiles: input.uniqueFiles, uniqueBytes: input.uniqueBytes };
  });
}

interface Row {
  readonly kind: HuntBenchKind;
  readonly threads: number;
  readonly mode: string | null;
  readonly wallSeconds: number;
  /**
   * From the first input opened to the last output written (rule loading excluded), as vigil's
   * summary reports it; for dump, its own reading time.
   */
  readonly huntSeconds: number | null;
  readonly ruleSeconds: number | null;
  readonly events: number | null;
  readonly eventsPerSecond: number | null;
  readonly mbPerSecond: number | null;
  readonly peakRssMb: number | null;
  readonly findings: number | null;
  /** CPU seconds (user + system) of the whole run, and the load average when it started. */
  readonly cpuSeconds: number | null;
  /** CPU seconds over wall seconds: how many cores the run kept busy on average. */
  readonly coresUsed: number | null;
  readonly loadAverageAtStart: number;
  readonly note: string | null;
  /** Which repetition (1-based) of the runs this row is. */
  readonly round?: number;
  /** A hunt's end of run (its summary's `end_seconds`): in the results file, not the tables. */
  readonly endSeconds?: number | null;
}

/** A Sigma rule no real event matches, on an EventID routing sets aside: hunting costs parsing only. */
const NEVER_MATCHING_RULE = `title: Vigil bench parse-only rule (never matches)
id: 6f1c2a9e-0b7d-4c53-9a41-5e8d2f3b7c10
status: test
description: Bench baseline. EventID 999999 does not exist, so every event is routed past this rule.
logsource:
  product: windows
detection:
  selection:
    EventID: 999999
  condition: selection
level: informational
`;

/** A Sigma rule every event reaches and none matches: each record is decoded in full, in vain. */
const FULL_PARSE_RULE = `title: Vigil bench full-parse rule (never matches)
id: 0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9
status: test
description: Bench baseline. Every Windows event is routed here, and reading a field no event has decodes the whole record.
logsource:
  product: windows
detection:
  selection:
    VigilBenchAbsentField: never
  condition: selection
level: informational
`;

function rate(amount: number | null, seconds: number | null, digits: number): number | null {
  if (amount === null || seconds === null || seconds <= 0) return null;
  return Number((amount / seconds).toFixed(digits));
}

/**
 * Runs vigil with `--summary-json FILE` added, measured; reads the summary back (null, with the
 * reason in `note`, when the run left none) and notes failed inputs.
 */
async function measureWithSummary<S extends { files: { total: number; failed: number } }>(
  args: readonly string[],
  summaryFile: string,
  cpu: number | null = null,
): Promise<{ m: Measured; s: S | null; note: string | null; loadAverageAtStart: number }> {
  const loadAverageAtStart = Number((loadavg()[0] ?? 0).toFixed(2));
  const m = await measure([...args, '--summary-json', summaryFile], 3 * 3600_000, cpu);
  let s: S | null = null;
  let note: string | null = null;
  try {
    s = JSON.parse(readFileSync(summaryFile, 'utf8')) as S;
    if (s.files.failed > 0) note = `${s.files.failed} of ${s.files.total} inputs failed (damaged corpus samples)`;
  } catch {
    note = `no summary (exit ${m.exitCode}): ${m.stderrTail.trim().split('\n').pop() ?? ''}`;
  }
  rmSync(summaryFile, { force: true });
  return { m, s, note, loadAverageAtStart };
}

/** The columns every row takes from the measured process (time, memory, CPU). */
function processColumns(m: Measured, loadAverageAtStart: number, note: string | null): Pick<Row, 'wallSeconds' | 'peakRssMb' | 'cpuSeconds' | 'coresUsed' | 'loadAverageAtStart' | 'note'> {
  return {
    wallSeconds: Number(m.seconds.toFixed(2)),
    peakRssMb: m.peakRssMb === null ? null : Number(m.peakRssMb.toFixed(1)),
    cpuSeconds: m.cpuSeconds === null ? null : Number(m.cpuSeconds.toFixed(2)),
    coresUsed: rate(m.cpuSeconds, m.seconds, 2),
    loadAverageAtStart,
    note,
  };
}

/** A hunt of `input`; 'hunt, 1 core' runs are held to CPU `cpu` (the first by default). */
async function runHunt(
  kind: Exclude<HuntBenchKind, 'dump jsonl'>,
  input: InputSet,
  ruleFiles: readonly string[],
  placeholders: string,
  threads: number,
  tag = '',
  cpu = 0,
  extra: readonly string[] = [],
): Promise<Row> {
  const summaryFile = path.join(tmpdir(), `vigil-hunt-bench-${process.pid}-${threads}${tag}.json`);
  const args = [
    VIGIL_MAIN, 'hunt', input.dir, '--format', 'jsonl', '--output', '/dev/null', '--quiet', '--threads', String(threads),
    '--placeholders', placeholders, ...extra, '--rules', ...ruleFiles,
  ];
  const { m, s, note, loadAverageAtStart } = await measureWithSummary<HuntSummaryJson>(args, summaryFile, kind === 'hunt, 1 core' ? cpu : null);
  const huntSeconds = s?.seconds ?? null;
  return {
    kind,
    threads,
    mode: s?.matching.mode ?? null,
    huntSeconds,
    ruleSeconds: s?.rules.seconds ?? null,
    events: s?.events ?? null,
    eventsPerSecond: rate(s?.events ?? null, huntSeconds, 0),
    mbPerSecond: rate(s === null ? null : s.bytes / MB, huntSeconds, 2),
    findings: s?.findings.total ?? null,
    ...processColumns(m, loadAverageAtStart, note),
    endSeconds: s?.end_seconds ?? null,
  };
}

/** `vigil dump --format jsonl` of the same input: parsing plus JSON rendering, no rules at all. */
async function runDump(input: InputSet, threads: number): Promise<Row> {
  const summaryFile = path.join(tmpdir(), `vigil-hunt-bench-dump-${process.pid}-${threads}.json`);
  const args = [VIGIL_MAIN, 'dump', input.dir, '--format', 'jsonl', '--output', '/dev/null', '--quiet', '--threads', String(threads)];
  const { m, s, note, loadAverageAtStart } = await measureWithSummary<DumpSummaryJson>(args, summaryFile);
  const events = s === null ? null : s.records.parsed + s.records.recovered;
  const seconds = s?.seconds ?? null;
  return {
    kind: 'dump jsonl',
    threads,
    mode: null,
    huntSeconds: seconds,
    ruleSeconds: null,
    events,
    eventsPerSecond: rate(events, seconds, 0),
    mbPerSecond: rate(s === null ? null : s.bytes / MB, seconds, 2),
    findings: null,
    ...processColumns(m, loadAverageAtStart, note),
  };
}

const fmt = (v: number | string | null): string => (v === null ? '–' : typeof v === 'number' ? v.toLocaleString('en-US') : v);

function markdownTable(rows: readonly Row[]): string {
  const lines = [
    '| run | round | threads | matching | wall s | rules s | hunt s | events | events/s | MB/s | peak RSS (MB) | CPU s | cores used | load avg | findings | note |',
    '| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.kind} | ${fmt(r.round ?? null)} | ${r.threads} | ${fmt(r.mode)} | ${fmt(r.wallSeconds)} | ${fmt(r.ruleSeconds)} | ${fmt(r.huntSeconds)} | ${fmt(r.events)} | ${fmt(r.eventsPerSecond)} | ${fmt(r.mbPerSecond)} | ${fmt(r.peakRssMb)} | ${fmt(r.cpuSeconds)} | ${fmt(r.coresUsed)} | ${fmt(r.loadAverageAtStart)} | ${fmt(r.findings)} | ${r.note ?? ''} |`,
    );
  }
  return lines.join('\n');
}

interface MemoryRun {
  readonly sizeMb: number;
  readonly input: Omit<InputSet, 'dir'>;
  readonly row: Row;
  readonly check: MemoryCheck;
  /**
   * The same input hunted on one thread held to one core, run just before `row`: the two-core
   * target again at this size, where each thread's fixed cost (FixedCost) weighs five times less
   * than on the 1 GB input. One pair, not rounds (the one-core hunt takes about a minute). Absent
   * from results files written before it was measured.
   */
  readonly oneCore?: Row | null;
  readonly speedupOverOneCore?: SpeedupCheck | null;
}

/** N independent one-thread processes at once: what the machine allows N threads at best. */
interface CeilingRun {
  readonly processes: number;
  /** All parts' bytes over the slowest part's reading time. */
  readonly mbPerSecond: number | null;
  /** That rate over the one-thread hunt's: the most any N-thread split of this work can gain here. */
  readonly vsOneThread: number | null;
  readonly parts: readonly Row[];
}

/**
 * The ceiling of the two-core target: N one-thread hunts at once, each held to a core of its own
 * (the N parts of the input), over the one-thread hunt held to one core. One part is also hunted
 * alone on one core, the others idle: how much slower it ran beside the others tells what a busy
 * neighbour costs a core here (shared cache, memory bus, host), apart from what every process
 * pays to start (compiler warm-up, end of run), which the ceiling includes too.
 */
interface HeldCeilingRun {
  readonly processes: number;
  /** All parts' bytes over the slowest part's reading time. */
  readonly mbPerSecond: number | null;
  /** That rate over the one-core hunt's. */
  readonly vsOneCore: number | null;
  readonly parts: readonly Row[];
  /** The first part alone on one core. */
  readonly alone: Row | null;
  /** The first part's hunt seconds beside the others over its seconds alone. */
  readonly slowdownBeside: number | null;
}

interface HeldCeilings {
  /** The best round's, over the best one-core rate. */
  readonly best: HeldCeilingRun | null;
  readonly rounds: readonly HeldCeilingRun[];
}

/** One round's fixed cost (see FixedCost): one corpus copy held to one core beside that round's all copies. */
interface FixedCostRun extends FixedCost {
  readonly round: number;
  readonly oneCopy: Row;
}

/** A round's risk-off runs (see RiskOff): the held one-thread hunt and the N-thread hunt. */
interface RiskOffRun extends RiskOff {
  readonly round: number;
  readonly rows: readonly Row[];
}

/** The round that left the most room (the highest bound): the target judged against its best case. */
function widestBound(rounds: readonly FixedCostRun[]): FixedCostRun | null {
  let best: FixedCostRun | null = null;
  for (const r of rounds) if (r.boundVsOneCore !== null && (best === null || r.boundVsOneCore > (best.boundVsOneCore ?? -1))) best = r;
  return best;
}

function heldCeilingOf(parts: readonly Row[], alone: Row | null, oneCoreMbPerSecond: number | null): HeldCeilingRun {
  const c = ceilingOf(parts.length, parts, oneCoreMbPerSecond);
  const slowdown = quotient(parts[0]?.huntSeconds ?? null, alone?.huntSeconds ?? null);
  return {
    processes: parts.length,
    mbPerSecond: c.mbPerSecond,
    vsOneCore: c.vsOneThread,
    parts,
    alone,
    slowdownBeside: slowdown === null ? null : Number(slowdown.toFixed(2)),
  };
}

/** The round whose held ceiling was highest, its quotient taken over the best one-core rate. */
function bestHeldCeiling(rounds: readonly HeldCeilingRun[], oneCoreMbPerSecond: number | null): HeldCeilingRun | null {
  let best: HeldCeilingRun | null = null;
  for (const r of rounds) if (best === null || (r.mbPerSecond ?? -1) > (best.mbPerSecond ?? -1)) best = r;
  if (best === null) return null;
  const vs = quotient(best.mbPerSecond, oneCoreMbPerSecond);
  return { ...best, vsOneCore: vs === null ? null : Number(vs.toFixed(2)) };
}

function rateOf(rows: readonly Row[], kind: HuntBenchKind, threads: number): number | null {
  return rows.find((r) => r.kind === kind && r.threads === threads)?.mbPerSecond ?? null;
}

/** Per run kind and thread count, the round with the highest MB/s. */
function bestRows(rows: readonly Row[]): Row[] {
  const best = new Map<string, Row>();
  for (const r of rows) {
    const key = `${r.kind}|${r.threads}`;
    const have = best.get(key);
    if (have === undefined || (r.mbPerSecond ?? -1) > (have.mbPerSecond ?? -1)) best.set(key, r);
  }
  return [...best.values()];
}

/**
 * The ceiling of one round (from its parts), or the best of several rounds' ceilings against the
 * best one-thread rate (`rounds` given).
 */
function ceilingOf(processes: number, parts: readonly Row[], oneThreadMbPerSecond: number | null, rounds?: readonly CeilingRun[]): CeilingRun {
  let mbPerSecond: number | null;
  if (rounds !== undefined) {
    const rates = rounds.map((c) => c.mbPerSecond).filter((v): v is number => v !== null);
    mbPerSecond = rates.length === 0 ? null : Math.max(...rates);
    parts = rounds.flatMap((c) => c.parts);
  } else {
    const slowest = Math.max(...parts.map((p) => p.huntSeconds ?? Number.NaN));
    const mb = parts.reduce((a, p) => a + (p.mbPerSecond ?? Number.NaN) * (p.huntSeconds ?? Number.NaN), 0);
    mbPerSecond = Number.isFinite(slowest) && Number.isFinite(mb) && slowest > 0 ? Number((mb / slowest).toFixed(2)) : null;
  }
  const vsOneThread = mbPerSecond !== null && oneThreadMbPerSecond !== null && oneThreadMbPerSecond > 0 ? Number((mbPerSecond / oneThreadMbPerSecond).toFixed(2)) : null;
  return { processes, mbPerSecond, vsOneThread, parts };
}

const metText = (met: boolean | null): string => (met === null ? 'not measured' : met ? 'met' : 'NOT MET');

/**
 * A judged quotient as the tables show it: two decimals, or, where those would round a miss up
 * to the goal (0.497 shown as 0.5 beside NOT MET), the exact quotient cut to three.
 */
function shownQuotient(rounded: number | null, numerator: number | null, denominator: number | null, target: number, met: boolean | null): string {
  const exact = quotient(numerator, denominator);
  if (rounded === null || exact === null || met !== false || rounded < target) return fmt(rounded);
  return (Math.floor(exact * 1000) / 1000).toFixed(3);
}

const shownRatio = (c: RatioCheck | null | undefined): string =>
  c == null ? fmt(null) : shownQuotient(c.ratio, c.huntMbPerSecond, c.baselineMbPerSecond, c.target, c.met);
const shownSpeedup = (c: SpeedupCheck | null | undefined): string =>
  c == null ? fmt(null) : shownQuotient(c.speedup, c.threadsMbPerSecond, c.oneThreadMbPerSecond, c.target, c.met);

type RoundTargets = ReturnType<typeof perRoundTargets>;

/**
 * The targets judged on the best rounds, with each round's own value beside them ("each round":
 * the same quotient within one round, which saw the host in one state).
 */
function targetsTable(
  targets: HuntTargets,
  memory: MemoryRun | null,
  ceiling: CeilingRun | null,
  perRound: RoundTargets,
  held: HeldCeilings | null = null,
  fixed: readonly FixedCostRun[] = [],
  riskOff: readonly RiskOff[] = [],
): string {
  const lines = ['| target | threads | measured (best rounds) | each round | goal | result |', '| --- | ---: | ---: | ---: | ---: | --- |'];
  const eachRound = (shown: (t: HuntTargets) => string): string => (perRound.length < 2 ? '–' : perRound.map((r) => shown(r.targets)).join(', '));
  for (const c of targets.huntVsParse) {
    const rounds = eachRound((t) => shownRatio(t.huntVsParse.find((x) => x.threads === c.threads && x.baseline === c.baseline)));
    lines.push(`| hunt MB/s ÷ ${c.baseline} MB/s | ${c.threads} | ${shownRatio(c)} (${fmt(c.huntMbPerSecond)} / ${fmt(c.baselineMbPerSecond)}) | ${rounds} | ≥ ${c.target} | ${metText(c.met)} |`);
  }
  const s = targets.speedup;
  for (const check of [targets.speedupOverOneCore, s]) {
    if (check === null) continue;
    const over = check.over === 'hunt' ? '1 thread (free to use every core for V8 threads)' : '1 thread held to 1 core';
    const rounds = eachRound((t) => shownSpeedup(check.over === 'hunt' ? t.speedup : t.speedupOverOneCore));
    lines.push(
      `| hunt MB/s, ${check.threads} threads ÷ ${over} | ${check.threads} | ${shownSpeedup(check)} (${fmt(check.threadsMbPerSecond)} / ${fmt(check.oneThreadMbPerSecond)}) | ${rounds} | ≥ ${check.target} | ${metText(check.met)} |`,
    );
  }
  if (ceiling !== null) {
    lines.push(
      `| (ceiling) ${ceiling.processes} independent one-thread hunts at once ÷ 1 thread | ${ceiling.processes} | ${fmt(ceiling.vsOneThread)} (${fmt(ceiling.mbPerSecond)} / ${fmt(s?.oneThreadMbPerSecond ?? null)}) | – | (the most ${ceiling.processes} threads can gain on this machine) | – |`,
    );
  }
  const h = held?.best ?? null;
  if (held !== null && h !== null) {
    const rounds = (shown: (r: HeldCeilingRun) => string): string => (held.rounds.length < 2 ? '–' : held.rounds.map(shown).join(', '));
    const oneCore = targets.speedupOverOneCore?.oneThreadMbPerSecond ?? null;
    lines.push(
      `| (ceiling) ${h.processes} one-thread hunts at once, each held to a core of its own ÷ 1 thread held to 1 core | ${h.processes} × 1 | ${fmt(h.vsOneCore)} (${fmt(h.mbPerSecond)} / ${fmt(oneCore)}) | ${rounds((r) => fmt(r.vsOneCore))} | (the most ${h.processes} cores can gain here) | – |`,
      `| (machine) 1/${h.processes} of the files on one core: hunt s beside the others ÷ alone | 1 | ${fmt(h.slowdownBeside)} (${fmt(h.parts[0]?.huntSeconds ?? null)} / ${fmt(h.alone?.huntSeconds ?? null)}) | ${rounds((r) => fmt(r.slowdownBeside))} | (1 = a busy neighbour core costs nothing) | – |`,
    );
  }
  const widest = widestBound(fixed);
  if (widest !== null) {
    const rounds = fixed.length < 2 ? '–' : fixed.map((r) => fmt(r.boundVsOneCore)).join(', ');
    lines.push(
      `| (bound) ${widest.threads} threads each paying a one-copy hunt's fixed cost (${fmt(widest.fixedSeconds)} s of ${fmt(widest.oneCopySeconds)}; a copy adds ${fmt(widest.perCopySeconds)} s) and losing nothing else ÷ 1 thread held to 1 core | ${widest.threads} | ${fmt(widest.boundVsOneCore)} (${fmt(widest.allCopiesSeconds)} s on 1 core) | ${rounds} | (the most ${widest.threads} V8 isolates can gain on this input) | – |`,
    );
  }
  const scale = memory?.speedupOverOneCore ?? null;
  if (memory !== null && scale != null) {
    lines.push(
      `| hunt MB/s, ${scale.threads} threads ÷ 1 thread held to 1 core, on the memory run's ${(memory.input.bytes / MB).toFixed(0)} MB (one pair) | ${scale.threads} | ${shownSpeedup(scale)} (${fmt(scale.threadsMbPerSecond)} / ${fmt(scale.oneThreadMbPerSecond)}) | – | ≥ ${scale.target} | ${metText(scale.met)} |`,
    );
  }
  const off = bestRiskOff(riskOff);
  if (off !== null) {
    const rounds = riskOff.length < 2 ? '–' : riskOff.map((r) => fmt(r.speedup)).join(', ');
    const withRisk = riskOff.length < 2 ? fmt(off.withRisk) : riskOff.map((r) => fmt(r.withRisk)).join(', ');
    lines.push(
      `| (risk off) hunt --no-risk, ${off.threads} threads ÷ 1 thread held to 1 core | ${off.threads} | ${fmt(off.speedup)} (${fmt(off.oneCoreSeconds)} s / ${fmt(off.threadsSeconds)} s) | ${rounds} | (risk on, the same rounds: ${withRisk}) | – |`,
    );
  }
  if (memory !== null) {
    lines.push(
      `| peak RSS hunting ${(memory.input.bytes / MB).toFixed(0)} MB | ${memory.row.threads} | ${fmt(memory.check.peakRssMb)} MB | – | < ${memory.check.limitMb} MB | ${metText(memory.check.met)} |`,
    );
  }
  return lines.join('\n');
}

/** `--judge FILE`: the targets of an earlier run, judged again from its rows (nothing is run). */
function judgeResults(file: string): void {
  const r = JSON.parse(readFileSync(file, 'utf8')) as {
    rows: Row[];
    best: Row[];
    ceiling: CeilingRun | null;
    heldCeiling?: HeldCeilings | null;
    fixedCost?: FixedCostRun[] | null;
    riskOff?: RiskOff[] | null;
    memory: MemoryRun | null;
    largeFile?: LargeFileRun | null;
    date: string;
  };
  const perRound = perRoundTargets(r.rows);
  if (r.largeFile != null) process.stdout.write(`${largeFileText(r.largeFile)}\n\n`);
  process.stdout.write(`Targets (issue 6) of ${path.relative(process.cwd(), file)} (${r.date}):\n\n${targetsTable(huntTargets(r.best), r.memory, r.ceiling, perRound, r.heldCeiling ?? null, r.fixedCost ?? [], r.riskOff ?? [])}\n`);
}

function progressLine(r: Row): void {
  process.stderr.write(`${r.wallSeconds} s wall, ${r.eventsPerSecond ?? '-'} events/s, ${r.mbPerSecond ?? '-'} MB/s, peak ${r.peakRssMb ?? '-'} MB, CPU ${r.cpuSeconds ?? '-'} s${r.note ? ` (${r.note})` : ''}\n`);
}

/** Runs `a` then `b` when `aFirst`, else `b` then `a`; their rows as [a's, b's]. */
async function inTurn(aFirst: boolean, a: () => Promise<Row>, b: () => Promise<Row>): Promise<[Row, Row]> {
  if (aFirst) {
    const x = await a();
    return [x, await b()];
  }
  const y = await b();
  return [await a(), y];
}

/** 1 and --threads, plus 2 when more cores are asked for (the 2-core target is about two). */
function threadCountsFor(threads: number): number[] {
  return [...new Set([1, Math.min(2, threads), threads])].sort((a, b) => a - b);
}

function inputSummary(input: InputSet): Omit<InputSet, 'dir'> {
  return { files: input.files, bytes: input.bytes, repetitions: input.repetitions, uniqueFiles: input.uniqueFiles, uniqueBytes: input.uniqueBytes };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if ('judge' in options) {
    judgeResults(options.judge);
    return;
  }
  if (!existsSync(VIGIL_MAIN)) throw new Error(`vigil not built: ${VIGIL_MAIN} (run npm run build)`);
  const sigmahq = path.join(options.corpus, 'sigma', 'sigmahq-rules');
  const evtx = path.join(options.corpus, 'evtx');
  if (!existsSync(sigmahq) || !existsSync(path.join(evtx, 'MANIFEST.tsv'))) {
    process.stderr.write(`bench hunt: no corpus at ${options.corpus} (sigma/sigmahq-rules and evtx/MANIFEST.tsv); skipped\n`);
    return;
  }
  const loadBefore = loadavg();
  const ruleFiles = windowsRuleFiles(sigmahq);
  mkdirSync(options.dataDir, { recursive: true });
  const placeholders = path.join(options.dataDir, 'hunt-placeholders.yml');
  writeFileSync(placeholders, placeholderConfigYaml(SIGMAHQ_HUNT_FOLDERS.flatMap((f) => yamlFiles(path.join(sigmahq, f)))));
  const parseOnlyRule = path.join(options.dataDir, 'hunt-parse-only-rule.yml');
  writeFileSync(parseOnlyRule, NEVER_MATCHING_RULE);
  const fullParseRule = path.join(options.dataDir, 'hunt-full-parse-rule.yml');
  writeFileSync(fullParseRule, FULL_PARSE_RULE);
  // The corpus's unique files, read once for every input made of copies of them.
  const unique = corpusFiles(evtx);
  const input = buildInput(unique, options.sizeMb, options.dataDir);
  process.stderr.write(
    `bench hunt: ${ruleFiles.length} Windows rule files; input ${(input.bytes / MB).toFixed(0)} MB = ${input.repetitions} x ${input.uniqueFiles} unique corpus files (${(input.uniqueBytes / MB).toFixed(1)} MB)\n`,
  );
  const rows: Row[] = [];
  const announced = async (label: string, run: () => Promise<Row>): Promise<Row> => {
    process.stderr.write(`bench hunt:   ${label}... `);
    const r = await run();
    progressLine(r);
    return r;
  };
  // The 1 GB runs, whose rows the targets are judged on.
  const step = async (label: string, run: () => Promise<Row>): Promise<Row> => {
    const r = await announced(label, run);
    rows.push(r);
    return r;
  };
  // Per thread count, the three runs back to back, so a change in machine load hits them alike;
  // the whole block again for each round. A slow spell on a shared VM only ever slows a run, so
  // the targets take the best round of each run. The two-core target's pair (the hunt held to one
  // core, the hunt on all threads) runs back to back, first one then the other in turn, so host
  // drift between them lands in its quotient as seldom one way as the other.
  const ceilings: CeilingRun[] = [];
  const heldRounds: HeldCeilingRun[] = [];
  const most = Math.max(...threadCountsFor(options.threads));
  const pinned = most > 1 && canPinToOneCore();
  if (most > 1 && !pinned) process.stderr.write(`bench hunt: no ${TASKSET} or one CPU only: the one-core hunt is not run\n`);
  const parts = most > 1 ? splitInput(input, most) : [];
  // One corpus copy, for what a hunt pays once (FixedCost): measured where the one-core hunt is.
  const oneCopy = most > 1 && pinned && input.repetitions > 1 ? corpusCopies(unique, 1, options.dataDir) : null;
  const fixedCosts: FixedCostRun[] = [];
  const riskOffRuns: RiskOffRun[] = [];
  for (let round = 1; round <= options.rounds; round++) {
    const tag = options.rounds > 1 ? ` (round ${round} of ${options.rounds})` : '';
    const inRound = (r: Row): Row => ({ ...r, round });
    const heldHunt = (): Promise<Row> => step(`hunt --threads 1, held to one core${tag}`, async () => inRound(await runHunt('hunt, 1 core', input, ruleFiles, placeholders, 1)));
    const mostHunt = (): Promise<Row> => step(`hunt --threads ${most}${tag}`, async () => inRound(await runHunt('hunt', input, ruleFiles, placeholders, most)));
    for (const threads of threadCountsFor(options.threads)) {
      await step(`full-parse hunt --threads ${threads}${tag}`, async () => inRound(await runHunt('full-parse hunt', input, [fullParseRule], placeholders, threads)));
      await step(`parse-only hunt --threads ${threads}${tag}`, async () => inRound(await runHunt('parse-only hunt', input, [parseOnlyRule], placeholders, threads)));
      // The pair of the two-core target runs after this loop, together.
      if (!(pinned && threads === most)) await step(`hunt --threads ${threads}${tag}`, async () => inRound(await runHunt('hunt', input, ruleFiles, placeholders, threads)));
      await step(`dump --format jsonl --threads ${threads}${tag}`, async () => inRound(await runDump(input, threads)));
    }
    if (pinned) await inTurn(round % 2 === 1, heldHunt, mostHunt);
    // The machine's own ceiling for N threads: N independent one-thread hunts at once, each on
    // 1/N of the files (separate processes share nothing but the CPUs, caches and memory bus).
    if (parts.length > 0) {
      process.stderr.write(`bench hunt:   ceiling: ${most} independent one-thread hunts at once, 1/${most} of the files each${tag}... `);
      const partRows = await Promise.all(parts.map((part, k) => runHunt('hunt', part, ruleFiles, placeholders, 1, `part${k}`)));
      const c = ceilingOf(most, partRows, rateOf(rows.filter((r) => r.round === round), 'hunt', 1));
      ceilings.push(c);
      process.stderr.write(`${c.mbPerSecond ?? '-'} MB/s together (${c.vsOneThread ?? '-'}x that round's one thread)\n`);
    }
    // The same, each part held to a core of its own: the ceiling of the two-core target, whose
    // baseline is the one-thread hunt held to one core; then the first part alone on one core.
    if (parts.length > 0 && pinned && most <= availableParallelism()) {
      process.stderr.write(`bench hunt:   one-core ceiling: ${most} one-thread hunts at once, each held to a core of its own${tag}... `);
      const heldRows = await Promise.all(parts.map((part, k) => runHunt('hunt, 1 core', part, ruleFiles, placeholders, 1, `held-part${k}`, k)));
      process.stderr.write(`${heldRows.map((r) => r.huntSeconds ?? '-').join(' s, ')} s\n`);
      const alone = await announced(`1/${most} of the files alone, held to one core${tag}`, () => runHunt('hunt, 1 core', parts[0]!, ruleFiles, placeholders, 1, 'alone-part0', 0));
      const h = heldCeilingOf(heldRows, alone, rateOf(rows.filter((r) => r.round === round), 'hunt, 1 core', 1));
      heldRounds.push(h);
      process.stderr.write(`bench hunt:     ${h.mbPerSecond ?? '-'} MB/s together (${h.vsOneCore ?? '-'}x that round's one core); a core ${h.slowdownBeside ?? '-'}x as slow beside the others\n`);
    }
    if (oneCopy !== null) {
      const one = await announced(`one corpus copy, held to one core${tag}`, () => runHunt('hunt, 1 core', oneCopy, ruleFiles, placeholders, 1, 'one-copy'));
      const all = rows.find((r) => r.round === round && r.kind === 'hunt, 1 core' && r.threads === 1) ?? null;
      const f = { ...fixedCostOf(one.huntSeconds, all?.huntSeconds ?? null, input.repetitions, most), round, oneCopy: one };
      fixedCosts.push(f);
      process.stderr.write(`bench hunt:     paid once: ${f.fixedSeconds ?? '-'} s, a copy ${f.perCopySeconds ?? '-'} s; at most ${f.boundVsOneCore ?? '-'}x one core on ${most} threads\n`);
    }
    // The two-core speedup again with risk off: what the risk path (held and printed on the main thread) costs it.
    if (most > 1 && pinned) {
      const off = ['--no-risk'];
      const heldOff = (): Promise<Row> => announced(`hunt --no-risk --threads 1, held to one core${tag}`, () => runHunt('hunt, 1 core', input, ruleFiles, placeholders, 1, 'risk-off-1', 0, off));
      const mostOff = (): Promise<Row> => announced(`hunt --no-risk --threads ${most}${tag}`, () => runHunt('hunt', input, ruleFiles, placeholders, most, 'risk-off-n', 0, off));
      // In turn too, the other way round from the pair with risk on.
      const [oneCore, many] = await inTurn(round % 2 === 0, heldOff, mostOff);
      const inThisRound = rows.filter((r) => r.round === round);
      const withRisk = quotient(rateOf(inThisRound, 'hunt', most), rateOf(inThisRound, 'hunt, 1 core', 1));
      const r = { ...riskOffOf(oneCore.huntSeconds, many.huntSeconds, most, withRisk), round, rows: [oneCore, many] };
      riskOffRuns.push(r);
      process.stderr.write(`bench hunt:     risk off: ${most} threads ${r.speedup ?? '-'}x one core (risk on: ${r.withRisk ?? '-'}x)\n`);
    }
  }
  for (const part of parts) rmSync(part.dir, { recursive: true, force: true });
  const best = bestRows(rows);
  const ceiling = ceilings.length === 0 ? null : ceilingOf(most, [], rateOf(best, 'hunt', 1), ceilings);
  const heldCeiling: HeldCeilings | null = heldRounds.length === 0 ? null : { best: bestHeldCeiling(heldRounds, rateOf(best, 'hunt, 1 core', 1)), rounds: heldRounds };
  const targets = huntTargets(best);
  const perRound = perRoundTargets(rows);
  let memory: MemoryRun | null = null;
  if (options.memorySizeMb !== null) {
    const big = buildInput(unique, options.memorySizeMb, options.dataDir);
    process.stderr.write(`bench hunt: memory run: ${(big.bytes / MB).toFixed(0)} MB = ${big.repetitions} x ${big.uniqueFiles} files\n`);
    const oneCore =
      pinned && options.threads > 1
        ? await announced('hunt --threads 1, held to one core', () => runHunt('hunt, 1 core', big, ruleFiles, placeholders, 1, 'scale-1'))
        : null;
    process.stderr.write(`bench hunt:   hunt --threads ${options.threads}... `);
    const row = await runHunt('hunt', big, ruleFiles, placeholders, options.threads);
    progressLine(row);
    const speedupOverOneCore = oneCore === null ? null : huntTargets([oneCore, row]).speedupOverOneCore;
    memory = { sizeMb: options.memorySizeMb, input: inputSummary(big), row, check: memoryCheck(row.peakRssMb), oneCore, speedupOverOneCore };
  }
  let largeFile: LargeFileRun | null = null;
  // Its rows stay apart from the 1 GB runs' (they are not part of the targets).
  const threadRuns: ThreadRuns = { threads: options.threads, ruleFiles, fullParseRule, placeholders, announced };
  if (options.largeFileMb !== null) largeFile = await runLargeFile(options.largeFileMb, options.dataDir, threadRuns);
  const mediumFiles = options.mediumFiles === null ? null : await runMediumFiles(options.mediumFiles, options.dataDir, threadRuns);
  const smallInputs = options.smallInputs ? await runSmallInputs(unique, options.dataDir, threadRuns) : null;
  const head = benchRunHead('hunt.js', loadBefore);
  const result = {
    ...head,
    machine: {
      ...head.machine,
      peakRssSource: 'max of GNU time %M and polled /proc VmHWM of the vigil process (worker threads included)',
      cpuSource: existsSync(GNU_TIME) ? 'GNU time %U + %S' : 'unavailable (no /usr/bin/time)',
      oneCore: pinned ? `${TASKSET} --cpu-list 0` : 'not run',
    },
    rules: {
      set: 'SigmaHQ rules/, rules-emerging-threats/, rules-threat-hunting/, rules-placeholder/ with product: windows',
      files: ruleFiles.length,
      fullParse: 'one generated rule (product: windows) on a field no event has: every event reaches it and is decoded in full',
      parseOnly: 'one generated rule on EventID 999999 (product: windows), which no event reaches',
    },
    input: inputSummary(input),
    rounds: options.rounds,
    rows,
    /** The rows the targets were judged on: the best round of each run. */
    best,
    targets,
    /** The same targets judged within each round alone. */
    perRound,
    ceiling,
    /** The two-core target's own ceiling: the parts at once, each held to a core (see HeldCeilingRun). */
    heldCeiling,
    /** Per round: what a hunt pays once, and the most that leaves N threads (see FixedCost). */
    fixedCost: fixedCosts,
    /** Per round: the two-core speedup with --no-risk, beside that round's with risk (see RiskOff). */
    riskOff: riskOffRuns,
    memory,
    largeFile,
    mediumFiles,
    smallInputs,
  };
  mkdirSync(path.dirname(options.out), { recursive: true });
  writeFileSync(options.out, JSON.stringify(result, null, 2) + '\n');
  process.stdout.write(
    `\nvigil hunt, ${ruleFiles.length} SigmaHQ Windows rules, beside bare parsing; ${(input.bytes / MB).toFixed(0)} MB of EVTX (${input.files} files):\n\n${markdownTable(rows)}\n\n` +
      `events/s and MB/s over the reading itself (rule loading excluded, shown apart); CPU s covers the whole run.\n` +
      `full-parse hunt = the same hunt with one rule every event reaches and none matches (each record decoded in full: bare parsing);\n` +
      `parse-only hunt = one rule no event reaches (records decoded only as far as routing reads); dump jsonl = vigil dump --format jsonl -o /dev/null.\n` +
      `hunt, 1 core = the one-thread hunt held to one CPU with taskset; cores used = CPU s / wall s (V8's compiler and GC threads run beside the main thread).\n` +
      `A load average near or above the core count means other work shared the CPUs.\n\n` +
      (largeFile === null ? '' : `${largeFileText(largeFile)}\n\n`) +
      (mediumFiles === null ? '' : `${mediumFilesText(mediumFiles)}\n\n`) +
      (smallInputs === null ? '' : `${smallInputsText(smallInputs)}\n\n`) +
      `Targets (issue 6):\n\n${targetsTable(targets, memory, ceiling, perRound, heldCeiling, fixedCosts, riskOffRuns)}\n\nResults: ${path.relative(process.cwd(), options.out)}\n`,
  );
}

/** Bare parsing and the hunt of one input on 1 and N threads (see onOneAndNThreads). */
interface OneAndNThreads {
  readonly rows: readonly Row[];
  /** N-thread hunt MB/s over the one-thread hunt's, and the same for bare parsing. */
  readonly huntSpeedup: number | null;
  readonly fullParseSpeedup: number | null;
}

/** One generated EVTX file hunted on 1 and N threads (the threads share its chunk ranges). */
interface LargeFileRun extends OneAndNThreads {
  readonly sizeMb: number;
  readonly bytes: number;
}

/** What the runs on one thread and on N share: the thread count, the rules and how a run is announced. */
interface ThreadRuns {
  readonly threads: number;
  readonly ruleFiles: readonly string[];
  readonly fullParseRule: string;
  readonly placeholders: string;
  readonly announced: (label: string, run: () => Promise<Row>) => Promise<Row>;
}

async function runLargeFile(sizeMb: number, dataDir: string, runs: ThreadRuns): Promise<LargeFileRun> {
  const file = await generatedFile(sizeMb, dataDir);
  const bytes = statSync(file).size;
  const input: InputSet = { dir: file, files: 1, bytes, repetitions: 1, uniqueFiles: 1, uniqueBytes: bytes };
  process.stderr.write(`bench hunt: one large file: ${path.relative(process.cwd(), file)} (${(bytes / MB).toFixed(0)} MB, generated)\n`);
  return { sizeMb, bytes, ...(await onOneAndNThreads('one file', input, runs)) };
}

/** Size of each file of the medium-files folder: under the only input's cut size, over the one among several. */
const MEDIUM_FILE_MB = 16;

/** A folder of generated files hunted on 1 and N threads (the threads share the files' chunk ranges). */
interface MediumFilesRun extends OneAndNThreads {
  readonly files: number;
  readonly bytes: number;
}

/**
 * The shape of a typical collection from one server: a handful of logs of some megabytes each,
 * not thousands of small ones. Made once, each file from its own seed, in
 * `DATA_DIR/medium-16mb-xN/`.
 */
async function runMediumFiles(count: number, dataDir: string, runs: ThreadRuns): Promise<MediumFilesRun> {
  const dir = path.join(dataDir, `medium-${MEDIUM_FILE_MB}mb-x${count}`);
  mkdirSync(dir, { recursive: true });
  let bytes = 0;
  for (let i = 0; i < count; i++) {
    const file = path.join(dir, `medium-${String(i).padStart(3, '0')}.evtx`);
    if (!existsSync(file)) {
      generateFile(file + '.tmp', MEDIUM_FILE_MB * MB, 1000 + i);
      renameSync(file + '.tmp', file);
    }
    bytes += statSync(file).size;
  }
  const input: InputSet = { dir, files: count, bytes, repetitions: 1, uniqueFiles: count, uniqueBytes: bytes };
  process.stderr.write(`bench hunt: a folder of ${count} generated ${MEDIUM_FILE_MB} MB files: ${path.relative(process.cwd(), dir)} (${(bytes / MB).toFixed(0)} MB)\n`);
  return { files: count, bytes, ...(await onOneAndNThreads('medium files', input, runs)) };
}

function mediumFilesText(run: MediumFilesRun): string {
  return (
    `A folder of ${run.files} files of ${MEDIUM_FILE_MB} MB (${(run.bytes / MB).toFixed(0)} MB generated EVTX; their chunk ranges shared by the threads):\n\n${markdownTable(run.rows)}\n\n` +
    `N threads over one: hunt ${run.huntSpeedup ?? '-'}x, full-parse hunt ${run.fullParseSpeedup ?? '-'}x.`
  );
}

/** One to four copies of the corpus hunted on one thread and on N: where a second thread starts to pay. */
interface SmallInputsRun {
  readonly copies: readonly { readonly copies: number; readonly bytes: number; readonly one: Row; readonly many: Row }[];
}

/** Corpus copies hunted (SigmaHQ rules) on one thread and on N, smallest first. */
async function runSmallInputs(unique: readonly CorpusEvtx[], dataDir: string, { threads, ruleFiles, placeholders, announced }: ThreadRuns): Promise<SmallInputsRun> {
  const copies: SmallInputsRun['copies'][number][] = [];
  for (const k of [1, 2, 4]) {
    const input = corpusCopies(unique, k, dataDir);
    const label = `${k} corpus cop${k === 1 ? 'y' : 'ies'}: hunt --threads`;
    const one = await announced(`${label} 1`, () => runHunt('hunt', input, ruleFiles, placeholders, 1));
    const many = await announced(`${label} ${threads}`, () => runHunt('hunt', input, ruleFiles, placeholders, threads));
    copies.push({ copies: k, bytes: input.bytes, one, many });
  }
  return { copies };
}

function smallInputsText(run: SmallInputsRun): string {
  const rows = run.copies.map((c) => {
    const quotient = c.one.huntSeconds !== null && c.many.huntSeconds !== null ? (c.one.huntSeconds / c.many.huntSeconds).toFixed(2) : '-';
    return `| ${c.copies} | ${(c.bytes / MB).toFixed(0)} | ${c.one.huntSeconds ?? '-'} | ${c.many.huntSeconds ?? '-'} | ${quotient} |`;
  });
  const threads = run.copies[0]?.many.threads ?? 0;
  return (
    `Small inputs (corpus copies, SigmaHQ rules; hunt seconds, rule loading apart):\n\n` +
    `| copies | MB | 1 thread s | ${threads} threads s | 1 thread s ÷ ${threads} threads s |\n| ---: | ---: | ---: | ---: | ---: |\n${rows.join('\n')}`
  );
}

/**
 * Bare parsing and the hunt of `input`, on one thread and on `threads`, with each N-thread run's
 * MB/s over the one-thread run's (null when either is missing or N is 1).
 */
async function onOneAndNThreads(
  label: string,
  input: InputSet,
  { threads, ruleFiles, fullParseRule, placeholders, announced }: ThreadRuns,
): Promise<OneAndNThreads> {
  const rows: Row[] = [];
  for (const n of new Set([1, threads])) {
    rows.push(await announced(`${label}: full-parse hunt --threads ${n}`, async () => runHunt('full-parse hunt', input, [fullParseRule], placeholders, n)));
    rows.push(await announced(`${label}: hunt --threads ${n}`, async () => runHunt('hunt', input, ruleFiles, placeholders, n)));
  }
  const speedup = (kind: HuntBenchKind): number | null => {
    const one = rows.find((r) => r.kind === kind && r.threads === 1)?.mbPerSecond ?? null;
    const many = rows.find((r) => r.kind === kind && r.threads === threads)?.mbPerSecond ?? null;
    return one === null || many === null || threads === 1 ? null : Number((many / one).toFixed(2));
  };
  return { rows, huntSpeedup: speedup('hunt'), fullParseSpeedup: speedup('full-parse hunt') };
}

/** The generated file of `sizeMb` MB in the data folder, made once (bench/gen-evtx.ts, as bench/run.ts does). */
async function generatedFile(sizeMb: number, dataDir: string): Promise<string> {
  const file = benchDataFile(dataDir, sizeMb);
  if (existsSync(file)) return file;
  process.stderr.write(`bench hunt: generating ${file}... `);
  const made = generateFile(file + '.tmp', sizeMb * MB, 1);
  renameSync(file + '.tmp', file);
  process.stderr.write(`${made.records} records in ${made.seconds.toFixed(1)} s\n`);
  return file;
}

function largeFileText(run: LargeFileRun): string {
  return (
    `One large file (${(run.bytes / MB).toFixed(0)} MB generated EVTX; its chunk ranges shared by the threads):\n\n${markdownTable(run.rows)}\n\n` +
    `N threads over one: hunt ${run.huntSpeedup ?? '-'}x, full-parse hunt ${run.fullParseSpeedup ?? '-'}x.`
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`bench hunt: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
