/**
 * SplRunner's split per-event side: `takeKept` hands over what the heads kept (plain data that
 * survives structured cloning, as a hunt worker's postMessage does) and `addKept` appends such
 * parts. Parts merged in input order must leave a runner in the same state as one runner that
 * read every event itself: the same result rows, stats and row-cap warnings.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Diagnostic } from '../../src/core/diagnostics.js';
import type { VigilEvent } from '../../src/core/event.js';
import type { Detection } from '../../src/content/index.js';
import { DEFAULT_SCHEDULING, type DetectionPlan } from '../../src/engine/spl/plans.js';
import { HEAD_ROWS_CAPPED, SplRunner, type DetectionRun, type KeptRows } from '../../src/engine/spl/runner.js';
import { DEFAULT_LIMITS, type ExecLimits } from '../../src/spl/exec/types.js';
import { compileSearch } from '../../src/spl/exec/compile.js';
import { parseSpl } from '../../src/spl/index.js';
import { at, event } from './engine-test-kit.js';

function plan(name: string, spl: string): DetectionPlan {
  const detection = { name, origin: { file: `${name}.yml`, pos: { line: 1, column: 1 } } } as unknown as Detection;
  return { detection, search: compileSearch(parseSpl(spl)), scheduling: DEFAULT_SCHEDULING, actions: { risk: false, notable: false } };
}

const PLANS: readonly DetectionPlan[] = [
  plan('Process Seq', 'search EventCode=1 | table Seq, Image'),
  plan('Network Count', 'search EventCode=3 | stats count values(Seq) as seqs by Image'),
];

/** Three "files" of events: process (1) and network (3) events, with a running number each. */
function files(): VigilEvent[][] {
  let seq = 0;
  const file = (name: string, ids: readonly number[]): VigilEvent[] =>
    ids.map((id) => {
      seq++;
      return event({ Seq: String(seq), Image: id === 1 ? `C:\\p${seq % 2}.exe` : 'C:\\net.exe' }, { eventId: id, file: name, time: at(seq * 7) });
    });
  return [file('a.evtx', [1, 3, 1, 1]), file('b.evtx', [3, 3, 1]), file('c.evtx', [1, 1, 3, 4])];
}

interface Made {
  readonly runner: SplRunner;
  readonly warnings: Diagnostic[];
}

function makeRunner(limits: ExecLimits = DEFAULT_LIMITS, plans: readonly DetectionPlan[] = PLANS): Made {
  const warnings: Diagnostic[] = [];
  const runner = new SplRunner(plans, { replaySchedule: false, lookups: [], limits, now: 1_700_000_000, warn: (d) => warnings.push(d) });
  return { runner, warnings };
}

/** The result rows as plain objects, per detection, in order. */
function results(runs: readonly DetectionRun[]): unknown[] {
  return runs.map((r) => ({ detection: r.plan.detection.name, window: r.window, rows: r.rows.map((row) => Object.fromEntries(row)) }));
}

function oneRunner(limits?: ExecLimits): { made: Made; runs: DetectionRun[] } {
  const made = makeRunner(limits);
  for (const f of files()) for (const e of f) made.runner.process(e);
  return { made, runs: made.runner.finish() };
}

/** Each file read by a runner of its own (a worker), its part cloned as postMessage would. */
function partsOfFiles(limits?: ExecLimits): KeptRows[] {
  return files().map((f) => {
    const { runner } = makeRunner(limits);
    for (const e of f) runner.process(e);
    return structuredClone(runner.takeKept());
  });
}

test('parts cloned and merged in input order give the rows and stats of one runner', () => {
  const single = oneRunner();
  const merged = makeRunner();
  for (const part of partsOfFiles()) merged.runner.addKept(part);
  const runs = merged.runner.finish();
  assert.deepEqual(results(runs), results(single.runs));
  // The process rows come out in event order: 1, 3, 4 (file a), 7 (b), 8, 9 (c).
  assert.deepEqual(
    runs[0]!.rows.map((r) => r.get('Seq')),
    ['1', '3', '4', '7', '8', '9'],
  );
  const a = merged.runner.stats();
  const b = single.made.runner.stats();
  assert.equal(a.events, 11);
  assert.deepEqual({ ...a, runs: 0 }, { ...b, runs: 0 });
  assert.equal(a.runs, b.runs);
});

test('a cloned part keeps its rows as Maps with their values', () => {
  const { runner } = makeRunner();
  for (const e of files()[0]!) runner.process(e);
  const part = structuredClone(runner.takeKept());
  const row = part.rows[0]![0]![0]!;
  assert.ok(row instanceof Map);
  assert.equal(row.get('Seq'), '1');
  assert.equal(row.get('EventCode'), '1');
  assert.deepEqual(part.detections, ['Process Seq', 'Network Count']);
  assert.equal(part.events, 4);
  assert.equal(part.dataStart, Date.parse(at(7)) / 1000);
  assert.equal(part.dataEnd, Date.parse(at(28)) / 1000);
});

test('takeKept starts the runner afresh; the same runner can merge its own parts back', () => {
  const single = oneRunner();
  const { runner } = makeRunner();
  const parts: KeptRows[] = [];
  for (const f of files()) {
    for (const e of f) runner.process(e);
    parts.push(runner.takeKept());
    assert.equal(runner.stats().events, 0);
    assert.equal(runner.stats().rowsKept, 0);
  }
  // Merged out of order, the rows come out in that order: the order of addKept is the order.
  const shuffled = makeRunner();
  for (const p of [parts[2]!, parts[0]!, parts[1]!]) shuffled.runner.addKept(structuredClone(p));
  assert.deepEqual(
    shuffled.runner.finish()[0]!.rows.map((r) => r.get('Seq')),
    ['8', '9', '1', '3', '4', '7'],
  );
  for (const p of parts) runner.addKept(p);
  assert.deepEqual(results(runner.finish()), results(single.runs));
});

test('the row cap applies across parts: same kept rows, drops and one warning per detection', () => {
  const limits: ExecLimits = { ...DEFAULT_LIMITS, maxHeadRows: 2 };
  const single = oneRunner(limits);
  const merged = makeRunner(limits);
  const parts = partsOfFiles(limits);
  // File a alone has 3 process matches: its own runner already dropped one.
  assert.deepEqual(parts[0]!.dropped, [1, 0]);
  for (const part of parts) merged.runner.addKept(part);
  assert.deepEqual(results(merged.runner.finish()), results(single.runs));
  const a = merged.runner.stats();
  const b = single.made.runner.stats();
  assert.equal(b.rowsDropped, 4 + 2); // process: 6 matches, 2 kept; network: 4 matches, 2 kept
  assert.equal(a.rowsDropped, b.rowsDropped);
  assert.equal(a.rowsKept, b.rowsKept);
  const capped = (w: readonly Diagnostic[]): string[] => w.filter((d) => d.code === HEAD_ROWS_CAPPED).map((d) => d.message).sort();
  assert.equal(capped(merged.warnings).length, 2);
  assert.deepEqual(capped(merged.warnings), capped(single.made.warnings));
});

test('a part from a runner over other detections is refused', () => {
  const other = makeRunner(DEFAULT_LIMITS, [PLANS[1]!, PLANS[0]!]);
  for (const e of files()[0]!) other.runner.process(e);
  const part = other.runner.takeKept();
  const { runner } = makeRunner();
  assert.throws(() => runner.addKept(part), /other detections/);
  assert.equal(runner.stats().events, 0);
});

test('the heads share the now() they were given', () => {
  assert.equal(makeRunner().runner.headNow, 1_700_000_000);
});
