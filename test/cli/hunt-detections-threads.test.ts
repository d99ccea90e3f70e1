/**
 * `vigil hunt --threads N` with Splunk-style detections: the detections' heads run in the hunt
 * workers beside the Sigma rules, each file's kept rows are merged in input order, and the output
 * must be what one thread gives. The real program simulates an IIS case (seed 1), which is then
 * hunted as many files (EVTX, XML, JSONL, WinEventLog text and the module inventory) on one
 * thread and on three.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runVigil, type VigilRun as Run } from '../helpers/run-vigil.js';
import { huntingDetectionYaml } from '../helpers/hunting-detection.js';

const REPO = process.cwd();
const PACK = 'content/splunk';
let dir = '';

/**
 * A detection whose result is its heads' rows in the order they were kept (no `stats` to sort
 * them): every process start, with the sourcetype and source that tell the input files apart.
 */
const ORDER_DETECTION = huntingDetectionYaml({
  name: 'Process Start Order',
  id: '0b7e5c3e-6a51-4c1f-9d1e-2f0c7a1d9e01',
  date: '2026-12-04',
  search: 'EventCode=1 OR EventCode=4688 | head 5000 | table _time sourcetype source host Image',
  story: 'Thread Order',
  technique: 'T1505.004',
});

function vigil(args: readonly string[]): Promise<Run> {
  return runVigil(args, { cwd: REPO });
}

/** Every format of the case: 4 × 5 channel files and the inventory, so workers get many files. */
function inputs(): string[] {
  return ['evtx', 'xml', 'jsonl', 'winevtlog', 'inventory'].map((f) => path.join(dir, f));
}

async function hunt(threads: number, ...extra: string[]): Promise<Run> {
  const run = await vigil(['hunt', ...inputs(), '--format', 'jsonl', '--threads', String(threads), '--quiet', ...extra]);
  assert.equal(run.code, 0, run.stderr);
  return run;
}

function kindOf(line: string): string {
  return (JSON.parse(line) as { kind: string }).kind;
}

function lines(stdout: string): string[] {
  return stdout.split('\n').filter((l) => l !== '');
}

/** The summary line that starts with `prefix` (detections:, risk:, findings:, read, the inputs line). */
function summaryLine(run: Run, prefix: string): string {
  const line = run.stderr.split('\n').find((l) => l.startsWith(prefix));
  assert.ok(line !== undefined, `no '${prefix}' line in:\n${run.stderr}`);
  return line;
}

/** The summary's counts, without the timings (which differ from run to run). */
function countsOf(run: Run): string[] {
  return ['detections:', 'risk:', 'events:', 'vigil hunt: '].map((p) => summaryLine(run, p));
}

function assertThreads(run: Run, threads: number): void {
  const read = summaryLine(run, 'read ');
  if (threads === 1) assert.match(read, /\(main thread\)/);
  else assert.match(read, new RegExp(`\\(${threads} threads: the main thread and ${threads - 1} workers\\)`));
}

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'vigil-hunt-threads-'));
  const sim = await vigil(['simulate', 'iis', '--out', dir, '--seed', '1']);
  assert.equal(sim.code, 0, sim.stderr);
  assert.ok((await readdir(path.join(dir, 'evtx'))).length >= 5);
  await mkdir(path.join(dir, 'order', 'detections'), { recursive: true });
  await writeFile(path.join(dir, 'order', 'detections', 'process_start_order.yml'), ORDER_DETECTION);
});

after(async () => {
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

test('--detections on three threads: workers run the heads, and the output is byte for byte one thread\'s', async () => {
  const one = await hunt(1, '--detections', PACK);
  const three = await hunt(3, '--detections', PACK);
  assertThreads(one, 1);
  assertThreads(three, 3);
  const records = lines(one.stdout);
  const kinds = new Set(records.map(kindOf));
  // Something to compare: result rows, their risk and notables.
  assert.ok(records.filter((l) => kindOf(l) === 'detection').length >= 9, `records: ${records.length}`);
  for (const k of ['detection', 'risk', 'notable', 'entity']) assert.ok(kinds.has(k), `no ${k} records`);
  // Every format holds the attack's events: the heads keep them from all four (on any thread).
  const evtxOnly = await vigil(['hunt', path.join(dir, 'evtx'), '--detections', PACK, '--format', 'jsonl', '--threads', '1', '--quiet']);
  const keptOf = (r: Run): number => Number(/; (\d+) events kept by their searches/.exec(summaryLine(r, 'detections:'))?.[1]);
  assert.ok(keptOf(evtxOnly) > 0 && keptOf(three) >= 4 * keptOf(evtxOnly), `kept ${keptOf(three)} vs ${keptOf(evtxOnly)} from EVTX alone`);
  assert.equal(three.stdout, one.stdout);
  assert.deepEqual(countsOf(three), countsOf(one));
  assert.match(summaryLine(one, 'detections:'), /detections: 9 \(9 run, 0 not runnable\)/);
});

test('rows kept in input order: a detection that prints its kept rows as they are', async () => {
  const order = path.join(dir, 'order');
  const one = await hunt(1, '--detections', order);
  const three = await hunt(3, '--detections', order);
  assertThreads(three, 3);
  const sources = lines(one.stdout).map((l) => (JSON.parse(l) as { row: { sourcetype: string; source: string } }).row);
  // Each format's files in turn (EVTX and XML: XmlWinEventLog, then text: WinEventLog), so an
  // order of merging other than the inputs' would show.
  assert.ok(sources.length > 100, `${sources.length} rows`);
  assert.equal(sources[0]!.sourcetype, 'XmlWinEventLog');
  assert.equal(sources.at(-1)!.sourcetype, 'WinEventLog');
  assert.equal(three.stdout, one.stdout);
});

test('--replay-schedule on three threads gives one thread\'s scheduled runs', async () => {
  const one = await hunt(1, '--detections', PACK, '--replay-schedule');
  const three = await hunt(3, '--detections', PACK, '--replay-schedule');
  assertThreads(three, 3);
  const allTime = await hunt(1, '--detections', PACK);
  // The windows make a difference (more runs than detections), so the comparison means something.
  const runsOf = (r: Run): number => Number(/; (\d+) runs;/.exec(summaryLine(r, 'detections:'))?.[1]);
  assert.ok(runsOf(one) > runsOf(allTime), `${runsOf(one)} scheduled runs vs ${runsOf(allTime)}`);
  assert.ok(lines(one.stdout).some((l) => kindOf(l) === 'detection'));
  assert.equal(three.stdout, one.stdout);
  assert.deepEqual(countsOf(three), countsOf(one));
});

test('the built-in content on three threads: same end-of-run records in order, same Sigma findings as a set', async () => {
  const one = await hunt(1);
  const three = await hunt(3);
  assertThreads(one, 1);
  assertThreads(three, 3);
  const split = (r: Run): { matches: string[]; end: string[] } => {
    const all = lines(r.stdout);
    return { matches: all.filter((l) => kindOf(l) === 'match').sort(), end: all.filter((l) => kindOf(l) !== 'match') };
  };
  const a = split(one);
  const b = split(three);
  assert.ok(a.matches.length > 0 && a.end.some((l) => kindOf(l) === 'detection'));
  // Risk from Sigma findings and from detections both reach the end records.
  assert.ok(a.end.some((l) => l.includes('"origin":"sigma"')) && a.end.some((l) => l.includes('"origin":"spl"')));
  assert.deepEqual(b.matches, a.matches);
  assert.deepEqual(b.end, a.end);
  assert.deepEqual(countsOf(three), countsOf(one));
  assert.equal(summaryLine(three, 'findings:'), summaryLine(one, 'findings:'));
});

/** The findings the HTML report embeds (its report-data JSON), each as sorted JSON text. */
async function reportFindings(file: string): Promise<string[]> {
  const html = await readFile(file, 'utf8');
  const m = /<script id="report-data" type="application\/json">([\s\S]*?)<\/script>/.exec(html);
  assert.ok(m !== null, 'the report embeds its findings');
  return (JSON.parse(m[1]!) as unknown[]).map((f) => JSON.stringify(f)).sort();
}

test('the HTML report hunts on worker threads and embeds the same findings, event fields included', async () => {
  const one = path.join(dir, 'report-1.html');
  const three = path.join(dir, 'report-3.html');
  const a = await vigil(['hunt', ...inputs(), '--format', 'html', '-o', one, '--threads', '1', '--quiet']);
  const b = await vigil(['hunt', ...inputs(), '--format', 'html', '-o', three, '--threads', '3', '--quiet']);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(b.code, 0, b.stderr);
  assertThreads(a, 1);
  assertThreads(b, 3);
  const fa = await reportFindings(one);
  const fb = await reportFindings(three);
  assert.ok(fa.length > 0);
  assert.ok(fb.some((f) => f.includes('"fields":{')), 'findings made in workers carry their event fields');
  assert.deepEqual(fb, fa);
});
