/**
 * Sigma risk held by each hunt thread (src/cli/hunt/thread-risk.ts): the threads' sorted parts,
 * merged on the main thread, print the same lines in the same order as one list holding every
 * event; a dead worker's file reads back what it held; the cap is shared.
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { encodeSigmaRisk, HeldRisk, sigmaRuleJson, type EncodedSigmaRisk, type RiskList, type SigmaRuleJson } from '../../src/cli/hunt/held-risk.js';
import { mergeRiskLists, recoverRiskFile, RiskBudget, threadRiskEvents, ThreadRiskHolder, timeOrderedList, type ThreadRiskPart } from '../../src/cli/hunt/thread-risk.js';
import type { RankedRisk } from '../../src/risk/index.js';
import { sigmaEventFields, sigmaFindingRisk, sigmaRuleRisk } from '../../src/risk/sigma-risk.js';
import { ByteLines } from '../../src/cli/output/byte-lines.js';
import { prng } from '../fuzz/evtx-synth.js';

/** Risk events of findings of a few rules, with many equal times (ties are where order is decided). */
function sampleRisk(count: number, seed = 7): EncodedSigmaRisk[] {
  const next = prng(seed);
  const rules = new Map<string, SigmaRuleJson>();
  const out: EncodedSigmaRisk[] = [];
  for (let i = 0; out.length < count; i++) {
    const id = `r-${Math.floor(next() * 5)}`;
    const view = { id, title: `Rule ${id}`, level: (['low', 'medium', 'high', 'critical'] as const)[i % 4]!, tags: ['attack.persistence', 'attack.t1505.004'] };
    const json = rules.get(id) ?? sigmaRuleJson(sigmaRuleRisk(view));
    rules.set(id, json);
    const fields = { Computer: `WEB0${Math.floor(next() * 3)}`, SubjectUserName: `user${Math.floor(next() * 4)}`, CommandLine: `appcmd install module /name:m${i} ${'é'.repeat(i % 5)}` };
    const risk = sigmaFindingRisk({ rule: view, time: `2024-05-14T0${Math.floor(next() * 3)}:00:0${Math.floor(next() * 2)}.000Z`, fields }, () => json.rule);
    if (risk !== null) out.push(...encodeSigmaRisk(risk, JSON.stringify(sigmaEventFields(fields)), json));
  }
  return out;
}

function printed(events: readonly RankedRisk[], printerOf: (i: number) => HeldRisk): string[] {
  return events.map((e, i) => {
    const out = new ByteLines();
    assert.ok(printerOf(i).appendLine(e, out), 'every event has its line');
    return Buffer.concat(out.take(true)).toString('utf8');
  });
}

/** The lines one list holding every event prints, in its order (the reference of every test here). */
function oneListLines(events: readonly EncodedSigmaRisk[]): (string | null)[] {
  const whole = HeldRisk.create();
  try {
    for (const e of events) whole.add(e);
    return whole.sorted().map((e) => whole.line(e));
  } finally {
    whole.discard();
  }
}

/** What a thread's part prints, read as the main thread reads it. */
function partLines(part: ThreadRiskPart): string[] {
  const { held, list } = threadRiskEvents(part, null);
  try {
    return printed(list.events, () => held);
  } finally {
    held.discard();
  }
}

async function withDir<T>(body: (dir: string) => T | Promise<T>): Promise<T> {
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-thread-risk-'));
  try {
    return await body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("threads' sorted parts merge into the lines and order of one list holding every event", async () => {
  await withDir((dir) => {
    const events = sampleRisk(3000);
    const expected = oneListLines(events);

    // Dealt out as the threads would make them: the main thread's own list and two workers'.
    const own = HeldRisk.create();
    const budget = new RiskBudget();
    const holders = [0, 1].map((n) => new ThreadRiskHolder({ budget: budget.shared, limit: budget.limit, file: path.join(dir, `thread-${n}.jsonl`) }, () => undefined));
    events.forEach((e, i) => (i % 3 === 0 ? own.add(e) : holders[i % 3 - 1]!.add([e])));
    const parts = holders.map((h) => h.part());
    // One worker's lines come written in order; the other's are read from where they were held.
    const lines = holders[0]!.writeInOrder();
    assert.ok(lines !== null);
    const readers = parts.map((p) => threadRiskEvents(p, own));
    readers[0]!.held.readInOrder(lines.file, lines.lengths);
    const lists: RiskList[] = [timeOrderedList([]), own.sortedPlaces(), ...readers.map((r) => r.list)];
    const printers = [own, own, ...readers.map((r) => r.held)];
    const merged = mergeRiskLists(lists);
    assert.equal(merged.events.length, events.length);
    assert.deepEqual(printed(merged.events, (i) => printers[merged.from[i]!]!), expected);
    for (const r of readers) r.held.discard();
    own.discard();
  });
});

test("a worker's lines written in order are read from the line printing has reached when they come late", async () => {
  await withDir((dir) => {
    const events = sampleRisk(400, 5);
    const holder = new ThreadRiskHolder({ budget: new SharedArrayBuffer(4), limit: 1_000_000, file: path.join(dir, 'thread-1.jsonl') }, () => undefined);
    holder.add(events);
    const part = holder.part();
    const expected = partLines(part);
    const lines = holder.writeInOrder();
    assert.ok(lines !== null);
    // Line 300 rewritten in the file (same length): printed as the file has it only if read from there.
    const bytes = readFileSync(lines.file);
    let at = 0;
    for (let i = 0; i < 300; i++) at += lines.lengths[i]!;
    const marked = Buffer.from(bytes.subarray(at, at + lines.lengths[300]!).toString('latin1').replace('"kind":"risk"', '"kind":"RISK"'), 'latin1');
    marked.copy(bytes, at);
    writeFileSync(lines.file, bytes);
    const { held, list } = threadRiskEvents(part, null);
    const got: string[] = [];
    list.events.forEach((e, i) => {
      if (i === 123) held.readInOrder(lines.file, lines.lengths, 123);
      const out = new ByteLines();
      assert.ok(held.appendLine(e, out));
      got.push(Buffer.concat(out.take(true)).toString('utf8'));
    });
    assert.equal(got[300], expected[300]!.replace('"kind":"risk"', '"kind":"RISK"'), 'line 300 came from the file');
    got[300] = expected[300]!;
    assert.deepEqual(got, expected);
    held.discard();
  });
});

test('events ordered by time alone (list 0) come first among events of their time', () => {
  const sigma = sampleRisk(200);
  const held = HeldRisk.create();
  for (const e of sigma) held.add(e);
  const first = held.sorted()[0]!;
  const detection: RankedRisk = { ...first, risk_object: 'zzz-from-a-detection', detection: { id: 'zzz', name: 'Splunk', type: 'TTP', origin: 'spl' } };
  const late: RankedRisk = { ...detection, _time: first._time + 1e6 };
  const merged = mergeRiskLists([timeOrderedList([late, detection]), held.sortedPlaces()]);
  assert.equal(merged.events[0], detection);
  assert.equal(merged.events.at(-1), late);
  assert.deepEqual([...merged.from].filter((l) => l === 0).length, 2);
  held.discard();
});

test("a dead worker's file reads back every event it had written, in the lines it would have printed", async () => {
  await withDir(async (dir) => {
    const events = sampleRisk(500, 11);
    const file = path.join(dir, 'thread-1.jsonl');
    const holder = new ThreadRiskHolder({ budget: new SharedArrayBuffer(4), limit: 1_000_000, file }, () => undefined);
    holder.add(events);
    holder.sync();
    // The worker died while writing: a line cut short is counted, not read.
    appendFileSync(file, 'E[0,1715644800,"system","WEB0');
    const back = HeldRisk.create();
    const got = await recoverRiskFile(file, (e) => back.add(e));
    assert.deepEqual(got, { events: events.length, bad: 1 });
    assert.deepEqual(
      back.sorted().map((e) => back.line(e)),
      oneListLines(events),
    );
    back.discard();
  });
});

test('the cap on held risk events is shared by every thread', () => {
  const a = new RiskBudget(new SharedArrayBuffer(4), 5);
  const b = new RiskBudget(a.shared, 5);
  const taken = [a, b, a, b, a, b, a, b].map((x) => x.take());
  assert.deepEqual(taken, [true, true, true, true, true, false, false, false]);
  const holder = new ThreadRiskHolder({ budget: a.shared, limit: 5, file: null }, () => undefined);
  const events = sampleRisk(3);
  holder.add(events);
  const part = holder.part();
  assert.equal(part.time.length, 0);
  assert.equal(part.dropped, events.length);
});

test('a worker without a file holds its events in memory and its part carries their texts', () => {
  const events = sampleRisk(50, 3);
  const holder = new ThreadRiskHolder({ budget: new SharedArrayBuffer(4), limit: 1_000_000, file: null }, () => undefined);
  holder.add(events);
  const part = holder.part();
  assert.equal(part.file, null);
  assert.ok(part.memory !== null && part.memory.length > 0);
  assert.equal(holder.writeInOrder(), null, 'no file: no lines in order');
  assert.deepEqual(partLines(part), oneListLines(events));
});

test('a worker whose file cannot be made holds its events in memory and names no file in its part', async () => {
  await withDir((dir) => {
    const events = sampleRisk(40, 5);
    const warnings: string[] = [];
    const holder = new ThreadRiskHolder({ budget: new SharedArrayBuffer(4), limit: 1_000_000, file: path.join(dir, 'no-such-folder', 'thread-1.jsonl') }, (m) => warnings.push(m));
    holder.add(events);
    const part = holder.part();
    assert.equal(part.file, null, 'the main thread must not open a file that was never made');
    assert.equal(warnings.length, 1);
    assert.deepEqual(partLines(part), oneListLines(events));
  });
});
