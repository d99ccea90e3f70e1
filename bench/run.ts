/**
 * `npm run bench`: throughput and peak memory of `vigil dump` beside libevtx's `evtxexport` and
 * python-evtx's `evtx_dump.py`, in one run, on a generated EVTX (≥ 1 GB by default) and on the
 * real corpus.
 *
 *   node dist/bench/run.js [--size-mb N] [--quick] [--threads N] [--corpus DIR] [--no-corpus]
 *                          [--no-generated] [--no-evtxexport] [--no-evtx-dump-py] [--peer-timeout-s N]
 *                          [--no-hunt] [--memory-size-mb N] [--out FILE] [--data-dir DIR]
 *
 * Then, unless --no-hunt (or --no-corpus), bench/hunt.ts: `vigil hunt` with the SigmaHQ Windows
 * rules over the corpus repeated to --size-mb, beside bare parsing, and the memory run over
 * --memory-size-mb (results beside --out, as hunt-latest.json).
 *
 * evtx_dump.py parses at tens of records a second, so it runs file by file under a time cap per
 * data set (--peer-timeout-s); on the generated data set it reads the 64 MB generated file. Its
 * printed records are counted as they stream past (the text itself is dropped), so a run cut off
 * or stopped by a Python exception is credited with the share of the file's bytes its records
 * make of vigil's count for that file, and MB/s covers only the bytes it finished.
 *
 * Every run writes its output to /dev/null. Wall time, peak RSS and CPU time come from GNU time
 * (`%e`, `%M`, which covers the largest process of the run, `%U + %S`) when /usr/bin/time exists, else from
 * polling the child's VmHWM in /proc. Record counts come from vigil's own summary; evtxexport's
 * records/s use the same count (it reads the same files).
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { creditPeerFile, occurrenceCounter } from './hunt-corpus.js';
import { benchDataFile } from './gen-evtx.js';
import { packageRoot } from '../src/cli/repo-root.js';
import { benchRunHead } from './run-context.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const VIGIL_MAIN = path.join(HERE, '..', 'src', 'cli', 'main.js');
const GEN_EVTX = path.join(HERE, 'gen-evtx.js');
const MB = 1024 * 1024;

const ROOT = packageRoot();

interface Options {
  readonly sizeMb: number;
  readonly threads: number;
  readonly corpus: string | null;
  readonly generated: boolean;
  readonly evtxexport: boolean;
  readonly out: string;
  readonly dataDir: string;
  readonly quick: boolean;
  /** Also run bench/hunt.ts (vigil hunt with the SigmaHQ Windows rules over the corpus). */
  readonly hunt: boolean;
  /** Run python-evtx's evtx_dump.py, for at most `peerTimeoutS` seconds per data set. */
  readonly evtxDumpPy: boolean;
  readonly peerTimeoutS: number;
  /** Passed on to bench/hunt.ts when given (its default: 5120, none with --quick). */
  readonly memorySizeMb: string | null;
}

/** Default evtx_dump.py cap per data set: keeps `npm run bench` near 15 minutes on 2 cores. */
const PEER_TIMEOUT_S = 45;
const PEER_TIMEOUT_QUICK_S = 10;
/** The generated size evtx_dump.py reads in place of a larger generated file. */
const PEER_GENERATED_MB = 64;

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      'size-mb': { type: 'string' },
      quick: { type: 'boolean' },
      threads: { type: 'string' },
      corpus: { type: 'string' },
      'no-corpus': { type: 'boolean' },
      'no-generated': { type: 'boolean' },
      'no-evtxexport': { type: 'boolean' },
      'no-hunt': { type: 'boolean' },
      'no-evtx-dump-py': { type: 'boolean' },
      'peer-timeout-s': { type: 'string' },
      'memory-size-mb': { type: 'string' },
      out: { type: 'string' },
      'data-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(
      'usage: node dist/bench/run.js [--size-mb N] [--quick] [--threads N] [--corpus DIR] [--no-corpus] [--no-generated]\n' +
        '                              [--no-evtxexport] [--no-evtx-dump-py] [--peer-timeout-s N] [--no-hunt] [--memory-size-mb N]\n' +
        '                              [--out FILE] [--data-dir DIR]\n' +
        '  --no-hunt            skip the vigil hunt bench (bench/hunt.ts; results in bench/results/hunt-latest.json)\n' +
        `  --peer-timeout-s N   time cap of evtx_dump.py per data set (default ${PEER_TIMEOUT_S}, ${PEER_TIMEOUT_QUICK_S} with --quick)\n` +
        '  --no-evtx-dump-py    skip python-evtx\'s evtx_dump.py\n' +
        '  --memory-size-mb N   size of the hunt bench\'s memory run (default 5120; 0 skips it; none with --quick)\n' +
        '  --quick              a small run: 64 MB generated file (unless --size-mb), the corpus, one corpus copy for hunt\n',
    );
    process.exit(0);
  }
  const quick = values.quick === true;
  const sizeMb = Number(values['size-mb'] ?? (quick ? 64 : 1024));
  if (!Number.isInteger(sizeMb) || sizeMb < 1) throw new Error(`--size-mb takes a positive whole number`);
  const threads = Number(values.threads ?? availableParallelism());
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`--threads takes a positive whole number`);
  const peerTimeoutS = Number(values['peer-timeout-s'] ?? (quick ? PEER_TIMEOUT_QUICK_S : PEER_TIMEOUT_S));
  if (!Number.isFinite(peerTimeoutS) || peerTimeoutS <= 0) throw new Error('--peer-timeout-s takes a positive number of seconds');
  const memorySizeMb = values['memory-size-mb'] ?? null;
  if (memorySizeMb !== null && !/^\d+$/.test(memorySizeMb)) throw new Error('--memory-size-mb takes a whole number (0 skips the memory run)');
  const corpusDefault = path.resolve(process.env.VIGIL_CORPUS ?? path.join(ROOT, '..', 'shared', 'corpus'), 'evtx');
  const corpus = values['no-corpus'] ? null : path.resolve(values.corpus ?? corpusDefault);
  return {
    sizeMb,
    threads,
    corpus,
    generated: values['no-generated'] !== true,
    evtxexport: values['no-evtxexport'] !== true,
    out: path.resolve(values.out ?? path.join(ROOT, 'bench', 'results', 'latest.json')),
    dataDir: path.resolve(values['data-dir'] ?? path.join(ROOT, 'bench', 'data')),
    quick,
    hunt: values['no-hunt'] !== true,
    evtxDumpPy: values['no-evtx-dump-py'] !== true,
    peerTimeoutS,
    memorySizeMb,
  };
}

// ---------------------------------------------------------------------------------------------
// Running and measuring one command

interface Measured {
  readonly exitCode: number | null;
  readonly seconds: number;
  /** User + system CPU seconds of the run (GNU time `%U + %S`), null without GNU time. */
  readonly cpuSeconds: number | null;
  readonly peakRssMb: number | null;
  readonly stderrTail: string;
}

const GNU_TIME = '/usr/bin/time';

function hasGnuTime(): boolean {
  // VIGIL_BENCH_NO_GNU_TIME=1 exercises the /proc polling fallback.
  return existsSync(GNU_TIME) && process.env.VIGIL_BENCH_NO_GNU_TIME !== '1';
}

function readHwmKb(pid: number): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /VmHWM:\s+(\d+)\s+kB/.exec(status);
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** Direct children of a process (Linux `/proc/PID/task/TID/children`); empty when unavailable. */
function childPids(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const text = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
      if (text) for (const c of text.split(/\s+/)) out.push(Number(c));
    }
  } catch {
    // the process ended, or the kernel does not offer children lists
  }
  return out;
}

/** Largest VmHWM in a process tree (a shell loop running evtxexport, for instance); bounded depth. */
function treeHwmKb(pid: number, depth = 0): number {
  let best = readHwmKb(pid) ?? 0;
  if (depth < 4) for (const c of childPids(pid)) best = Math.max(best, treeHwmKb(c, depth + 1));
  return best;
}

/** Runs `cmd args` with stdout to /dev/null; measures wall time and peak RSS. */
function measure(cmd: string, args: readonly string[], timeoutMs: number): Promise<Measured> {
  const useTime = hasGnuTime();
  const timeFile = path.join(tmpdir(), `vigil-bench-time-${process.pid}-${Date.now()}.txt`);
  const argv = useTime ? ['-f', '%e %M %U %S', '-o', timeFile, cmd, ...args] : [...args];
  const started = process.hrtime.bigint();
  return new Promise((resolve) => {
    const child = spawn(useTime ? GNU_TIME : cmd, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString('utf8')).slice(-4000);
    });
    let hwmKb = 0;
    const poll = useTime
      ? null
      : setInterval(() => {
          if (child.pid !== undefined) hwmKb = Math.max(hwmKb, treeHwmKb(child.pid));
        }, 50);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => {
      stderr += String(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (poll) clearInterval(poll);
      let seconds = Number(process.hrtime.bigint() - started) / 1e9;
      let peak: number | null = hwmKb > 0 ? hwmKb / 1024 : null;
      let cpuSeconds: number | null = null;
      if (useTime && existsSync(timeFile)) {
        const line = readFileSync(timeFile, 'utf8').trim().split('\n').pop() ?? '';
        const m = /^([\d.]+)\s+(\d+)\s+([\d.]+)\s+([\d.]+)$/.exec(line);
        if (m) {
          seconds = Number(m[1]) > 0 ? Math.max(Number(m[1]), 0) : seconds;
          peak = Number(m[2]) / 1024;
          cpuSeconds = Number(m[3]) + Number(m[4]);
        }
        rmSync(timeFile, { force: true });
      }
      resolve({ exitCode: code, seconds, cpuSeconds, peakRssMb: peak, stderrTail: stderr });
    });
  });
}

/** The installed Debian package version of a peer, for the results file; null off Debian. */
function debianVersion(pkg: string): string | null {
  try {
    const v = execFileSync('dpkg-query', ['-W', '-f', '${Version}', pkg], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 }).trim();
    return v === '' ? null : v;
  } catch {
    return null;
  }
}

function commandExists(name: string): boolean {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir && existsSync(path.join(dir, name))) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Data sets

interface DataSet {
  readonly name: string;
  readonly files: readonly string[];
  readonly bytes: number;
}

async function generatedDataSet(sizeMb: number, dir: string): Promise<DataSet> {
  mkdirSync(dir, { recursive: true });
  const file = benchDataFile(dir, sizeMb);
  if (!existsSync(file)) {
    if (!existsSync(GEN_EVTX)) throw new Error(`generator not built: ${GEN_EVTX} (run npm run build)`);
    process.stderr.write(`bench: generating ${file} (${sizeMb} MB)...\n`);
    const gen = await measure(process.execPath, [GEN_EVTX, '--out', file + '.tmp', '--size-mb', String(sizeMb)], 3 * 3600_000);
    if (gen.exitCode !== 0) throw new Error(`gen-evtx failed (${gen.exitCode}): ${gen.stderrTail}`);
    const { renameSync } = await import('node:fs');
    renameSync(file + '.tmp', file);
    process.stderr.write(`bench: generated in ${gen.seconds.toFixed(1)} s\n`);
  }
  return { name: `generated ${sizeMb} MB`, files: [file], bytes: statSync(file).size };
}

function walkEvtx(dir: string, out: string[], depth = 0): void {
  if (depth > 16) return;
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) walkEvtx(full, out, depth + 1);
    else if (entry.isFile() && entry.name.toLowerCase().endsWith('.evtx')) out.push(full);
  }
}

/** Every EVTX in the corpus, each distinct content once. */
function corpusDataSet(dir: string): DataSet | null {
  if (!existsSync(dir)) return null;
  const all: string[] = [];
  walkEvtx(dir, all);
  const seen = new Set<string>();
  const files: string[] = [];
  let bytes = 0;
  for (const f of all) {
    const data = readFileSync(f);
    const digest = createHash('sha256').update(data).digest('hex');
    if (seen.has(digest)) continue;
    seen.add(digest);
    files.push(f);
    bytes += data.length;
  }
  return files.length === 0 ? null : { name: `corpus (${files.length} unique EVTX files)`, files, bytes };
}

// ---------------------------------------------------------------------------------------------
// Runs

interface Row {
  readonly dataset: string;
  readonly tool: string;
  readonly mode: string;
  readonly threads: number;
  readonly seconds: number | null;
  readonly bytes: number;
  readonly records: number | null;
  readonly mbPerSecond: number | null;
  readonly recordsPerSecond: number | null;
  readonly peakRssMb: number | null;
  /**
   * CPU seconds (user + system, all threads) and MB per CPU second: on a shared machine, wall
   * time swings with other load while CPU time mostly does not.
   */
  readonly cpuSeconds: number | null;
  readonly mbPerCpuSecond: number | null;
  /** Throughput relative to evtxexport on the same data set (wall time). */
  readonly speedupVsEvtxexport: number | null;
  /** The same by CPU time. */
  readonly cpuSpeedupVsEvtxexport: number | null;
  /** Throughput relative to evtx_dump.py on the same data set (wall time, and by CPU time). */
  readonly speedupVsEvtxDumpPy: number | null;
  readonly cpuSpeedupVsEvtxDumpPy: number | null;
  /** For a capped peer run: how much of the data set it got through (null: all of it, or not capped). */
  readonly coverage: Coverage | null;
  readonly note: string | null;
}

interface Coverage {
  readonly capSeconds: number;
  readonly cutOff: boolean;
  readonly filesCompleted: number;
  readonly filesTotal: number;
  /** Bytes credited (whole files finished cleanly, plus the finished share of the others). */
  readonly bytesCredited: number;
  readonly bytesTotal: number;
  /** The files it ran on, when not the data set's own (the 64 MB generated file). */
  readonly substitute: string | null;
}

/** The columns computed against the peer rows once a data set is done. */
type Ratios = 'speedupVsEvtxexport' | 'cpuSpeedupVsEvtxexport' | 'speedupVsEvtxDumpPy' | 'cpuSpeedupVsEvtxDumpPy';
type MeasuredRow = Omit<Row, Ratios>;

interface VigilSummary {
  records: { parsed: number; recovered: number; failed: number };
  bytes: number;
  inputs?: Array<{ name: string; parsed: number; recovered: number }>;
}

/** Record counts by input path from a dump summary (what peers' records/s are counted against). */
function recordsByFile(s: VigilSummary): Map<string, number> {
  return new Map((s.inputs ?? []).map((i) => [i.name, i.parsed + i.recovered]));
}

/** vigil's record count of each file, from an unmeasured dump (for files no measured run read). */
async function vigilRecordCounts(files: readonly string[]): Promise<Map<string, number>> {
  const summaryFile = path.join(tmpdir(), `vigil-bench-counts-${process.pid}.json`);
  await measure(process.execPath, [VIGIL_MAIN, 'dump', '--quiet', '--output', '/dev/null', '--summary-json', summaryFile, ...files], 3600_000);
  try {
    return recordsByFile(JSON.parse(readFileSync(summaryFile, 'utf8')) as VigilSummary);
  } catch {
    return new Map();
  } finally {
    rmSync(summaryFile, { force: true });
  }
}

async function runVigil(ds: DataSet, format: 'jsonl' | 'xml', threads: number, counts?: Map<string, number>): Promise<MeasuredRow> {
  const summaryFile = path.join(tmpdir(), `vigil-bench-summary-${process.pid}.json`);
  const args = [VIGIL_MAIN, 'dump', '--quiet', '--format', format, '--threads', String(threads), '--output', '/dev/null', '--summary-json', summaryFile, ...ds.files];
  const m = await measure(process.execPath, args, 3 * 3600_000);
  let records: number | null = null;
  let note: string | null = null;
  try {
    const s = JSON.parse(readFileSync(summaryFile, 'utf8')) as VigilSummary;
    records = s.records.parsed + s.records.recovered;
    for (const [file, n] of recordsByFile(s)) counts?.set(file, n);
    if (s.records.failed > 0) note = `${s.records.failed} records failed`;
  } catch {
    note = `no summary (exit ${m.exitCode}): ${m.stderrTail.trim().split('\n').pop() ?? ''}`;
  }
  rmSync(summaryFile, { force: true });
  if (m.exitCode !== 0 && m.exitCode !== 1) note = `failed: exit ${m.exitCode}; ${note ?? ''}`;
  return row(ds, 'vigil dump', format, threads, m, records, note);
}

function row(ds: DataSet, tool: string, mode: string, threads: number, m: Measured, records: number | null, note: string | null): MeasuredRow {
  // A run that crashed or was killed measured nothing worth a rate.
  const ok = m.seconds > 0 && (m.exitCode === 0 || m.exitCode === 1);
  return {
    dataset: ds.name,
    tool,
    mode,
    threads,
    seconds: Number(m.seconds.toFixed(2)),
    bytes: ds.bytes,
    records,
    mbPerSecond: ok ? Number((ds.bytes / MB / m.seconds).toFixed(2)) : null,
    recordsPerSecond: ok && records !== null ? Math.round(records / m.seconds) : null,
    peakRssMb: m.peakRssMb === null ? null : Number(m.peakRssMb.toFixed(1)),
    cpuSeconds: m.cpuSeconds === null ? null : Number(m.cpuSeconds.toFixed(2)),
    mbPerCpuSecond: ok && m.cpuSeconds !== null && m.cpuSeconds > 0 ? Number((ds.bytes / MB / m.cpuSeconds).toFixed(2)) : null,
    coverage: null,
    note,
  };
}

/** evtxexport takes one file per run: a shell loop over the data set, measured as one run. */
async function runEvtxexport(ds: DataSet, records: number | null): Promise<MeasuredRow> {
  const listFile = path.join(tmpdir(), `vigil-bench-files-${process.pid}.txt`);
  writeFileSync(listFile, ds.files.join('\n') + '\n');
  const script = 'status=0; while IFS= read -r f; do evtxexport -f xml "$f" >/dev/null 2>&1 || status=1; done < "$1"; exit $status';
  const m = await measure('/bin/sh', ['-c', script, 'sh', listFile], 6 * 3600_000);
  rmSync(listFile, { force: true });
  const note = m.exitCode === 0 ? null : 'evtxexport failed on some files (time still covers all of them)';
  return row(ds, 'evtxexport', 'xml', 1, m, records, note);
}

function missingRow(ds: DataSet, tool: string, why: string): MeasuredRow {
  return {
    dataset: ds.name,
    tool,
    mode: 'xml',
    threads: 1,
    seconds: null,
    bytes: ds.bytes,
    records: null,
    mbPerSecond: null,
    recordsPerSecond: null,
    peakRssMb: null,
    cpuSeconds: null,
    mbPerCpuSecond: null,
    coverage: null,
    note: why,
  };
}

async function benchDataSet(ds: DataSet, options: Options): Promise<Row[]> {
  process.stderr.write(`bench: ${ds.name}: ${(ds.bytes / MB).toFixed(1)} MB in ${ds.files.length} file(s)\n`);
  const rows: MeasuredRow[] = [];
  const step = async (label: string, f: () => Promise<MeasuredRow>): Promise<void> => {
    process.stderr.write(`bench:   ${label}... `);
    const r = await f();
    process.stderr.write(`${r.seconds ?? '-'} s, ${r.mbPerSecond ?? '-'} MB/s, peak ${r.peakRssMb ?? '-'} MB${r.note ? ` (${r.note})` : ''}\n`);
    rows.push(r);
  };
  const counts = new Map<string, number>();
  await step('vigil dump --format jsonl --threads 1', () => runVigil(ds, 'jsonl', 1, counts));
  await step(`vigil dump --format jsonl --threads ${options.threads}`, () => runVigil(ds, 'jsonl', options.threads));
  await step('vigil dump --format xml --threads 1', () => runVigil(ds, 'xml', 1));
  const records = rows[0]?.records ?? null;
  if (!options.evtxexport) rows.push(missingRow(ds, 'evtxexport', 'skipped (--no-evtxexport)'));
  else if (!commandExists('evtxexport')) rows.push(missingRow(ds, 'evtxexport', 'evtxexport not installed (apt-get install libevtx-utils)'));
  else await step('evtxexport -f xml', () => runEvtxexport(ds, records));
  if (!options.evtxDumpPy) rows.push(missingRow(ds, EVTX_DUMP_PY, 'skipped (--no-evtx-dump-py)'));
  else if (!commandExists(EVTX_DUMP_PY)) rows.push(missingRow(ds, EVTX_DUMP_PY, 'evtx_dump.py not installed (apt-get install python3-evtx)'));
  else await step(`evtx_dump.py (cap ${options.peerTimeoutS} s)`, () => runEvtxDumpPy(ds, counts, options));
  return withRatios(rows);
}

/** Each row's throughput over the peers' on the same data set, by wall and by CPU time. */
function withRatios(rows: readonly MeasuredRow[]): Row[] {
  const ratio = (v: number | null, base: number | null | undefined): number | null =>
    // Three significant digits: python-evtx sits two orders of magnitude below the others.
    base != null && base > 0 && v !== null ? Number((v / base).toPrecision(3)) : null;
  const libevtx = rows.find((r) => r.tool === 'evtxexport');
  const python = rows.find((r) => r.tool === EVTX_DUMP_PY);
  return rows.map((r) => ({
    ...r,
    speedupVsEvtxexport: ratio(r.mbPerSecond, libevtx?.mbPerSecond),
    cpuSpeedupVsEvtxexport: ratio(r.mbPerCpuSecond, libevtx?.mbPerCpuSecond),
    speedupVsEvtxDumpPy: ratio(r.mbPerSecond, python?.mbPerSecond),
    cpuSpeedupVsEvtxDumpPy: ratio(r.mbPerCpuSecond, python?.mbPerCpuSecond),
  }));
}

// ---------------------------------------------------------------------------------------------
// python-evtx's evtx_dump.py: file by file under a time cap, its records counted as they stream

const EVTX_DUMP_PY = 'evtx_dump.py';

interface PeerRun {
  readonly exitCode: number | null;
  readonly cutOff: boolean;
  readonly seconds: number;
  readonly cpuSeconds: number | null;
  readonly peakRssMb: number | null;
  /** `</Event>` closings seen on its standard output. */
  readonly records: number;
}

/** User + system CPU seconds of a process tree from /proc (what GNU time cannot report for a killed run). */
function treeCpuSeconds(pid: number, depth = 0): number {
  let ticks = 0;
  try {
    // Fields after the parenthesised command name: state is 3rd, utime 14th, stime 15th.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks = Number(fields[11]) + Number(fields[12]);
  } catch {
    // ended meanwhile
  }
  let seconds = Number.isFinite(ticks) ? ticks / CLOCK_TICKS : 0;
  if (depth < 4) for (const c of childPids(pid)) seconds += treeCpuSeconds(c, depth + 1);
  return seconds;
}

/** Linux's USER_HZ, which /proc/PID/stat counts in (100 on every mainstream build). */
const CLOCK_TICKS = 100;

/**
 * Runs `cmd args` in its own process group with stdout piped here and counted (then dropped),
 * killing the whole group after `timeoutMs`. Completed runs take GNU time's figures; a killed
 * one keeps the last /proc sample of its tree.
 */
function measurePeer(cmd: string, args: readonly string[], timeoutMs: number): Promise<PeerRun> {
  const useTime = hasGnuTime();
  const timeFile = path.join(tmpdir(), `vigil-bench-peer-time-${process.pid}-${Date.now()}.txt`);
  const argv = useTime ? ['-f', '%e %M %U %S', '-o', timeFile, cmd, ...args] : [...args];
  const started = process.hrtime.bigint();
  return new Promise((resolve) => {
    const child = spawn(useTime ? GNU_TIME : cmd, argv, { stdio: ['ignore', 'pipe', 'ignore'], detached: true });
    const counter = occurrenceCounter('</Event>');
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (text: string) => counter.push(text));
    let hwmKb = 0;
    let cpu = 0;
    const sample = (): void => {
      if (child.pid === undefined) return;
      hwmKb = Math.max(hwmKb, treeHwmKb(child.pid));
      cpu = Math.max(cpu, treeCpuSeconds(child.pid));
    };
    const poll = setInterval(sample, 100);
    let cutOff = false;
    const timer = setTimeout(() => {
      sample();
      cutOff = true;
      // The group is this run's own (detached above): GNU time and the Python under it.
      if (child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          child.kill('SIGKILL');
        }
      }
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      clearInterval(poll);
      let seconds = Number(process.hrtime.bigint() - started) / 1e9;
      let cpuSeconds: number | null = cpu > 0 ? cpu : null;
      if (!cutOff && useTime && existsSync(timeFile)) {
        const m = /^([\d.]+)\s+(\d+)\s+([\d.]+)\s+([\d.]+)$/.exec(readFileSync(timeFile, 'utf8').trim().split('\n').pop() ?? '');
        if (m) {
          if (Number(m[1]) > 0) seconds = Number(m[1]);
          hwmKb = Math.max(hwmKb, Number(m[2]));
          cpuSeconds = Number(m[3]) + Number(m[4]);
        }
      }
      rmSync(timeFile, { force: true });
      // GNU time reports the command's own failure as its exit status.
      resolve({ exitCode: cutOff ? null : code, cutOff, seconds, cpuSeconds, peakRssMb: hwmKb > 0 ? hwmKb / 1024 : null, records: counter.count });
    });
    child.on('error', () => undefined);
  });
}

/** The files evtx_dump.py reads for a data set: the data set's own, or the 64 MB generated file. */
async function peerFiles(ds: DataSet, counts: Map<string, number>, options: Options): Promise<{ files: readonly string[]; substitute: string | null }> {
  if (!ds.name.startsWith('generated ') || options.sizeMb <= PEER_GENERATED_MB) return { files: ds.files, substitute: null };
  const small = await generatedDataSet(PEER_GENERATED_MB, options.dataDir);
  for (const [file, n] of await vigilRecordCounts(small.files)) counts.set(file, n);
  return { files: small.files, substitute: path.basename(small.files[0] ?? '') };
}

async function runEvtxDumpPy(ds: DataSet, counts: Map<string, number>, options: Options): Promise<MeasuredRow> {
  const { files, substitute } = await peerFiles(ds, counts, options);
  const capMs = options.peerTimeoutS * 1000;
  const deadline = Date.now() + capMs;
  let seconds = 0;
  let cpuSeconds: number | null = 0;
  let peakRssMb = 0;
  let bytesCredited = 0;
  let recordsCredited = 0;
  let filesCompleted = 0;
  let crashed = 0;
  let cutOff = false;
  let bytesTotal = 0;
  for (const file of files) bytesTotal += statSync(file).size;
  for (const file of files) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      cutOff = true;
      break;
    }
    const run = await measurePeer(EVTX_DUMP_PY, [file], remaining);
    seconds += run.seconds;
    cpuSeconds = cpuSeconds === null || run.cpuSeconds === null ? null : cpuSeconds + run.cpuSeconds;
    peakRssMb = Math.max(peakRssMb, run.peakRssMb ?? 0);
    const completed = !run.cutOff && run.exitCode === 0;
    const credit = creditPeerFile({ bytes: statSync(file).size, vigilRecords: counts.get(file) ?? null, emittedRecords: run.records, completed });
    bytesCredited += credit.bytes;
    recordsCredited += credit.records;
    if (completed) filesCompleted++;
    else if (!run.cutOff) crashed++;
    if (run.cutOff) {
      cutOff = true;
      break;
    }
  }
  const notes: string[] = [];
  if (substitute !== null) notes.push(`read ${substitute} (same generator) instead of the ${options.sizeMb} MB file`);
  if (cutOff) notes.push(`cut off at ${options.peerTimeoutS} s: ${filesCompleted} of ${files.length} files, ${(bytesCredited / MB).toFixed(1)} of ${(bytesTotal / MB).toFixed(1)} MB; rates over the bytes finished`);
  if (crashed > 0) notes.push(`${crashed} file(s) stopped on a Python exception (credited pro rata)`);
  const ok = seconds > 0 && bytesCredited > 0;
  return {
    dataset: ds.name,
    tool: EVTX_DUMP_PY,
    mode: 'xml',
    threads: 1,
    seconds: Number(seconds.toFixed(2)),
    bytes: bytesCredited,
    records: recordsCredited,
    mbPerSecond: ok ? Number((bytesCredited / MB / seconds).toFixed(3)) : null,
    recordsPerSecond: ok ? Math.round(recordsCredited / seconds) : null,
    peakRssMb: peakRssMb > 0 ? Number(peakRssMb.toFixed(1)) : null,
    cpuSeconds: cpuSeconds === null ? null : Number(cpuSeconds.toFixed(2)),
    mbPerCpuSecond: ok && cpuSeconds !== null && cpuSeconds > 0 ? Number((bytesCredited / MB / cpuSeconds).toFixed(3)) : null,
    coverage: { capSeconds: options.peerTimeoutS, cutOff, filesCompleted, filesTotal: files.length, bytesCredited, bytesTotal, substitute },
    note: notes.length > 0 ? notes.join('; ') : null,
  };
}

function markdownTable(rows: readonly Row[]): string {
  const fmt = (v: number | null, suffix = ''): string => (v === null ? '–' : `${v.toLocaleString('en-US')}${suffix}`);
  const lines = [
    '| data | tool | output | threads | seconds | MB/s | records/s | peak RSS (MB) | vs evtxexport | vs evtx_dump.py | CPU s | MB/CPU-s | vs evtxexport (CPU) | note |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.dataset} | ${r.tool} | ${r.mode} | ${r.threads} | ${fmt(r.seconds)} | ${fmt(r.mbPerSecond)} | ${fmt(r.recordsPerSecond)} | ${fmt(r.peakRssMb)} | ${fmt(r.speedupVsEvtxexport, '×')} | ${fmt(r.speedupVsEvtxDumpPy, '×')} | ${fmt(r.cpuSeconds)} | ${fmt(r.mbPerCpuSecond)} | ${fmt(r.cpuSpeedupVsEvtxexport, '×')} | ${r.note ?? ''} |`,
    );
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (!existsSync(VIGIL_MAIN)) throw new Error(`vigil not built: ${VIGIL_MAIN} (run npm run build)`);
  const datasets: DataSet[] = [];
  if (options.generated) datasets.push(await generatedDataSet(options.sizeMb, options.dataDir));
  if (options.corpus !== null) {
    const corpus = corpusDataSet(options.corpus);
    if (corpus) datasets.push(corpus);
    else process.stderr.write(`bench: no corpus at ${options.corpus}; skipped\n`);
  }
  const rows: Row[] = [];
  const loadBefore = loadavg();
  for (const ds of datasets) rows.push(...(await benchDataSet(ds, options)));
  const head = benchRunHead('run.js', loadBefore);
  const result = {
    ...head,
    machine: {
      ...head.machine,
      peakRssSource: hasGnuTime() ? 'GNU time %M (largest process of the run)' : '/proc VmHWM of the child',
    },
    peers: {
      evtxexport: debianVersion('libevtx-utils'),
      'evtx_dump.py': debianVersion('python3-evtx'),
      evtxDumpPyCapSecondsPerDataSet: options.peerTimeoutS,
    },
    datasets: datasets.map((d) => ({ name: d.name, files: d.files.length, bytes: d.bytes })),
    rows,
  };
  mkdirSync(path.dirname(options.out), { recursive: true });
  writeFileSync(options.out, JSON.stringify(result, null, 2) + '\n');
  process.stdout.write(`\n${markdownTable(rows)}\n\nMachine: ${result.machine.cpu}, ${result.machine.cores} cores, Node ${result.machine.node}. Results: ${path.relative(process.cwd(), options.out)}\n`);
  if (!options.hunt) return;
  if (options.corpus === null) process.stderr.write('bench: hunt bench skipped (it needs the corpus; --no-corpus given)\n');
  else await runHuntBench(options);
}

/** Hunting: bench/hunt.ts in its own process (same corpus, data folder and thread count). */
async function runHuntBench(options: Options): Promise<void> {
  const script = path.join(HERE, 'hunt.js');
  if (!existsSync(script)) throw new Error(`hunt bench not built: ${script} (run npm run build)`);
  const out = path.join(path.dirname(options.out), 'hunt-latest.json');
  const args = [script, '--threads', String(options.threads), '--data-dir', options.dataDir, '--out', out];
  args.push(...(options.quick ? ['--quick'] : ['--size-mb', String(options.sizeMb)]));
  if (options.memorySizeMb !== null) args.push('--memory-size-mb', options.memorySizeMb);
  if (options.corpus !== null) args.push('--corpus', path.dirname(options.corpus));
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, args, { stdio: 'inherit' });
    child.on('close', resolve);
    child.on('error', () => resolve(null));
  });
  if (code !== 0) throw new Error(`hunt bench failed (exit ${code})`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
