/** Sigma risk held on disk with lean copies in memory (src/cli/hunt/held-risk.ts). */
import assert from 'node:assert/strict';
import { existsSync, writeSync } from 'node:fs';
import { test } from 'node:test';
import { encodeRisk, encodeSigmaRisk, HeldRisk, sigmaRuleJson, type EncodedRisk, type EncodedSigmaRisk, type SigmaRuleJson } from '../../src/cli/hunt/held-risk.js';
import { evaluateIncidentRules, rankEntities, riskEventsFromSigmaFinding, type RankedRisk, type RiskEvent, type SigmaFindingInput } from '../../src/risk/index.js';
import { sigmaEventFields, sigmaFindingRisk, sigmaRiskEvents, sigmaRuleRisk } from '../../src/risk/sigma-risk.js';
import { seededRandom } from '../fuzz/evtx-synth.js';
import { ByteLines } from '../../src/cli/output/byte-lines.js';

function finding(id: string, level: SigmaFindingInput['rule']['level'], time: string, host: string, user: string): SigmaFindingInput {
  return {
    rule: { id, title: `Rule ${id}`, level, tags: ['attack.persistence', 'attack.t1505.004', 'attack.execution', 'attack.t1059.001'] },
    time,
    fields: { Computer: host, SubjectUserName: user, SubjectDomainName: 'CORP', CommandLine: `cmd ${id} ${'é'.repeat(3)}`, NewProcessName: 'C:\\x.exe' },
  };
}

function sampleEvents(): RiskEvent[] {
  const out: RiskEvent[] = [];
  const hosts = ['WEB01', 'WEB02', 'DB01'];
  for (let i = 0; i < 300; i++) {
    const minute = String(i % 60).padStart(2, '0');
    const f = finding(`r-${i % 7}`, (['low', 'medium', 'high', 'critical'] as const)[i % 4]!, `2024-05-14T0${i % 10}:${minute}:00.000Z`, hosts[i % 3]!, `user${i % 5}`);
    out.push(...riskEventsFromSigmaFinding(f));
  }
  return out;
}

/** The order the hunt printed in before events were held: time, detection, entity, then JSON. */
function referenceOrder(a: RiskEvent, b: RiskEvent): number {
  const t = (x: string, y: string): number => (x < y ? -1 : x > y ? 1 : 0);
  return a._time - b._time || t(a.detection.id, b.detection.id) || t(a.risk_object_type, b.risk_object_type) || t(a.risk_object, b.risk_object);
}

test('held risk gives back every event byte for byte, in time order, whatever order they arrived in', () => {
  const events = sampleEvents();
  assert.ok(events.length >= 600);
  const forward = HeldRisk.create();
  const backward = HeldRisk.create();
  for (const e of events) forward.add(encodeRisk(e));
  for (const e of [...events].reverse()) backward.add(encodeRisk(e));
  const a = forward.sorted().map((e) => forward.line(e));
  const b = backward.sorted().map((e) => backward.line(e));
  assert.deepEqual(a, b, 'arrival order does not change what is printed');
  assert.deepEqual([...a].sort(), events.map((e) => JSON.stringify(e)).sort(), 'every event comes back whole');
  const parsed = a.map((l) => JSON.parse(l!) as RiskEvent);
  for (let i = 1; i < parsed.length; i++) assert.ok(referenceOrder(parsed[i - 1]!, parsed[i]!) <= 0, `order at ${i}`);
  forward.discard();
  backward.discard();
});

test('ranking and incident rules give the same answer on the lean copies as on the full events', () => {
  const events = sampleEvents().sort(referenceOrder);
  const held = HeldRisk.create();
  for (const e of events) held.add(encodeRisk(e));
  const lean = held.sorted();
  assert.equal(lean.length, events.length);
  assert.deepEqual(rankEntities(lean), rankEntities(events));
  assert.deepEqual(evaluateIncidentRules(lean), evaluateIncidentRules(events));
  // Lean copies share their annotation objects instead of holding one each.
  assert.equal(new Set(lean.map((e) => e.annotations)).size <= 7, true);
  held.discard();
});

test('an event not held here has no line, and discard removes the file', () => {
  const held = HeldRisk.create();
  const [e] = sampleEvents();
  held.add(encodeRisk(e!));
  assert.equal(held.line(e!), null, 'a full event is printed by the caller, not read back');
  assert.equal(held.appendLine(e!, new ByteLines()), false);
  const dir = (held as unknown as { dir: string }).dir;
  assert.ok(existsSync(dir));
  held.discard();
  assert.equal(existsSync(dir), false);
  assert.throws(() => held.add(encodeRisk(e!)), /after discard/);
});

test('a temporary folder that cannot be used keeps the lines in memory, said once, nothing lost', () => {
  const events = sampleEvents();
  const warnings: string[] = [];
  const held = HeldRisk.create({ tmpDir: '/nonexistent/vigil-test', warn: (m) => warnings.push(m) });
  for (const e of events) held.add(encodeRisk(e));
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /kept in memory/);
  assert.deepEqual(held.sorted().map((e) => held.line(e)).sort(), events.map((e) => JSON.stringify(e)).sort());
  held.discard();
});

test('a write that fails part way (disk full) keeps every line, those already written and the rest', () => {
  // Enough events to flush at least once (each line is ~1 KB; the buffer flushes at 1 MB).
  const events = [...sampleEvents(), ...sampleEvents(), ...sampleEvents(), ...sampleEvents()];
  let writes = 0;
  const warnings: string[] = [];
  const held = HeldRisk.create({
    warn: (m) => warnings.push(m),
    writeAt: (fd, buf, offset, length, position) => {
      if (++writes > 1) throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
      return writeSync(fd, buf, offset, length, position);
    },
  });
  for (const e of events) held.add(encodeRisk(e));
  const lines = held.sorted().map((e) => held.line(e));
  assert.ok(writes >= 2, `the file was written and then failed (${writes} writes)`);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /ENOSPC/);
  assert.deepEqual([...lines].sort(), events.map((e) => JSON.stringify(e)).sort());
  held.discard();
});

test('lines read back through the block cache are whole: long lines, lines across blocks, evictions, reads between adds', () => {
  const events: RiskEvent[] = [];
  for (let i = 0; i < 4000; i++) {
    // Times rise with arrival, so printing reads the file front to back (right after the first part, too).
    const f = finding(`r-${i % 11}`, 'high', new Date(Date.UTC(2024, 4, 14) + i * 1000).toISOString(), `HOST${i % 40}`, `user${i % 3}`);
    // Now and then a line longer than two read blocks, and lines of every length in between.
    const pad = i % 500 === 0 ? 'x'.repeat(40_000) : 'é'.repeat(i % 97);
    for (const e of riskEventsFromSigmaFinding(f)) events.push({ ...e, risk_message: `${e.risk_message} ${pad}` });
  }
  const held = HeldRisk.create();
  // A first part small enough for the cache to hold all of it, its last block only partly written.
  const half = 100;
  for (const e of events.slice(0, half)) held.add(encodeRisk(e));
  const early = held.sorted().map((e) => held.line(e));
  // More events after reading: the file grows and what was cached of its end must not be reused.
  for (const e of events.slice(half)) held.add(encodeRisk(e));
  const sorted = held.sorted();
  const lines = sorted.map((e) => held.line(e));
  assert.deepEqual([...lines].sort(), events.map((e) => JSON.stringify(e)).sort());
  assert.deepEqual([...early].sort(), events.slice(0, half).map((e) => JSON.stringify(e)).sort());
  // Backwards (every block falls out of the cache in turn) gives the same lines.
  assert.deepEqual([...sorted].reverse().map((e) => held.line(e)), [...lines].reverse());
  // As bytes: long lines, lines across two blocks, and evicted blocks read into again.
  assert.equal(printedBytes(held, sorted), lines.map((l) => l + '\n').join(''));
  assert.equal(printedBytes(held, [...sorted].reverse()), [...lines].reverse().map((l) => l + '\n').join(''));
  held.discard();
});

// ---------------------------------------------------------------------------------------------
// Sigma events held as their varying parts, rebuilt at print time


const AWKWARD = ['plain', 'say "hi"', 'C:\\Windows\\cmd.exe', 'é ü 中文 🙂', 'lone \ud800 high', '\udfff', 'nul \u0000 here', 'tab\tline\n', '', '1e21', '-0'];

/**
 * Random Sigma findings of several rules, interleaved, as the hunt encodes them (one rule JSON
 * per rule, like FindingRisk) and as plain events (what JSON.stringify of each must print).
 */
function sigmaSample(seed: number, count: number): { encoded: EncodedSigmaRisk[]; plain: RiskEvent[] } {
  const r = seededRandom(seed);
  const levels = ['informational', 'low', 'medium', 'high', 'critical'] as const;
  const rules = Array.from({ length: 6 }, (_, i) => ({
    id: `r-${i}-${r.pick(['a', 'é', '"q"', '\\'])}`,
    title: `Rule ${i} ${r.pick(AWKWARD)}`,
    level: levels[i % levels.length]!,
    tags: ['attack.execution', 'attack.t1059.001', 'attack.persistence', 'attack.t1505.004'].slice(0, 1 + (i % 4)),
  }));
  const ruleJson = new Map<string, SigmaRuleJson>();
  const encoded: EncodedSigmaRisk[] = [];
  const plain: RiskEvent[] = [];
  for (let i = 0; i < count; i++) {
    const rule = r.pick(rules);
    // Few distinct times and entities, so many events tie on everything but their content.
    const time = r.pick([1715675400, 1715675400.5, 1715675460, 0, 1e21]);
    const fields: Record<string, string | number> = {
      Computer: r.pick(['WEB01', 'DB "2"', 'hôte\\x']),
      SubjectUserName: r.pick(['alice', 'CORP\\bob', 'é\\ñ', 'SYSTEM']),
      // Now and then fields over 32 KB, and once one larger than the write buffer (1 MB of UTF-8).
      CommandLine: i === 7 ? 'é'.repeat(400_000) : i % 97 === 0 ? r.pick(AWKWARD).repeat(2) + 'é"\\'.repeat(12_000) : r.pick(AWKWARD) + ' ' + r.pick(AWKWARD),
      NewProcessName: r.pick(AWKWARD),
      ProcessId: r.pick([1, 1.5, -0, 2 ** 53 + 2, 1e-7]),
    };
    const input: SigmaFindingInput = { rule, time, fields, computer: null };
    const json = ruleJson.get(rule.id) ?? sigmaRuleJson(sigmaRuleRisk(rule));
    ruleJson.set(rule.id, json);
    const risk = sigmaFindingRisk(input, () => json.rule);
    if (risk === null) continue;
    const eventFields = sigmaEventFields(fields);
    encoded.push(...encodeSigmaRisk(risk, JSON.stringify(eventFields), json));
    plain.push(...sigmaRiskEvents(risk, eventFields));
  }
  return { encoded, plain };
}

/** The printed lines, read back as strings (`line`) and checked against the bytes `appendLine` copies. */
function printed(held: HeldRisk): string[] {
  const sorted = held.sorted();
  const lines = sorted.map((e) => held.line(e)!);
  assert.equal(printedBytes(held, sorted), lines.map((l) => l + '\n').join(''), 'appendLine writes the bytes of line');
  return lines;
}

/** What the hunt prints: each event's line appended as bytes (small pieces, so lines straddle them). */
function printedBytes(held: HeldRisk, events: readonly RankedRisk[]): string {
  const out = new ByteLines(4096);
  for (const e of events) {
    assert.ok(held.appendLine(e, out), 'held here');
    out.newline();
  }
  return Buffer.concat(out.take(true)).toString('utf8');
}

test('held Sigma events print exactly JSON.stringify of the plain events, in one order whatever the arrival order and thread', () => {
  const { encoded, plain } = sigmaSample(5, 1500);
  assert.ok(encoded.length > 2000, `${encoded.length} events`);
  assert.ok(encoded.some((e) => e.stored.length > 32 * 1024), 'some events carry fields over 32 KB');
  assert.ok(encoded.some((e) => Buffer.byteLength(e.stored) > 1 << 20), 'one is longer than the write buffer');
  const expected = plain.map((e) => JSON.stringify(e));
  const inOrder = HeldRisk.create();
  for (const e of encoded) inOrder.add(e);
  const lines = printed(inOrder);
  assert.deepEqual([...lines].sort(), [...expected].sort(), 'every event comes back whole');
  const parsed = lines.map((l) => JSON.parse(l) as RiskEvent);
  for (let i = 1; i < parsed.length; i++) assert.ok(referenceOrder(parsed[i - 1]!, parsed[i]!) <= 0, `order at ${i}`);
  // Reversed, shuffled, and posted by workers (structured clones, a batch at a time): the same lines in the same order.
  const r = seededRandom(9);
  const shuffled = [...encoded];
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = r.int(i + 1);
    [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
  }
  for (const arrival of [[...encoded].reverse(), shuffled]) {
    const held = HeldRisk.create();
    for (let i = 0; i < arrival.length; i += 50) for (const e of structuredClone(arrival.slice(i, i + 50))) held.add(e);
    assert.deepEqual(printed(held), lines);
    held.discard();
  }
  // Ties on time, detection and entity are common here, so the content hash decides their order.
  let ties = 0;
  for (let i = 1; i < parsed.length; i++) if (referenceOrder(parsed[i - 1]!, parsed[i]!) === 0 && lines[i - 1] !== lines[i]) ties++;
  assert.ok(ties > 50, `${ties} ties broken by content`);
  inOrder.discard();
});

test('sorted() orders by time, detection, entity type, entity, then content hash, as a plain comparator of those does', () => {
  const r = seededRandom(23);
  const held = HeldRisk.create();
  const types = ['user', 'system', 'other'] as const;
  const arrived: EncodedRisk[] = [];
  for (let i = 0; i < 3000; i++) {
    const f = finding(r.pick(['r-b', 'r-a', 'r-é', 'r-A', 'r-10', 'r-9']), 'high', '2024-05-14T00:00:00.000Z', 'WEB01', 'alice');
    const [e] = riskEventsFromSigmaFinding(f);
    const object = r.pick(['alice', 'Alice', 'bob', 'é', 'zz', 'WEB01', '', 'a'.repeat(3)]);
    // Few times, so most events tie on time; now and then a time that is not a number (a tie with every time).
    const time = r.pick([1715675400, 1715675400, 1715675460, 0, -5, Number.NaN]);
    const encoded = encodeRisk({ ...e!, _time: time, risk_object: object, risk_object_type: r.pick(types), risk_message: `m${r.int(5)}` });
    arrived.push(encoded);
    held.add(encoded);
  }
  const textOrder = (x: string, y: string): number => (x < y ? -1 : x > y ? 1 : 0);
  // The comparator sorted() stood for before it ranked the texts, over the events in arrival order.
  const reference = [...arrived].sort(
    (a, b) =>
      a._time - b._time ||
      textOrder(a.detection.id, b.detection.id) ||
      textOrder(a.risk_object_type, b.risk_object_type) ||
      textOrder(a.risk_object, b.risk_object) ||
      a.key - b.key,
  );
  const shown = (e: RankedRisk): string => `${e._time}|${e.detection.id}|${e.risk_object_type}|${e.risk_object}|${(e as { key?: number }).key}`;
  assert.deepEqual(held.sorted().map(shown), reference.map(shown));
  held.discard();
});

test('held Sigma events keep one copy of each rule JSON, also from structured clones', () => {
  const { encoded } = sigmaSample(11, 400);
  const held = HeldRisk.create();
  for (let i = 0; i < encoded.length; i += 20) for (const e of structuredClone(encoded.slice(i, i + 20))) held.add(e);
  const pieces = new Set(held.sorted().map((e) => (e as unknown as { pieces: object }).pieces));
  assert.equal(pieces.size, new Set(encoded.map((e) => e.pieces)).size);
  held.discard();
});

test('Sigma and whole-JSON events held together; memory and disk-full fallbacks lose nothing', () => {
  const { encoded, plain } = sigmaSample(23, 3000);
  const others = sampleEvents();
  const all: EncodedRisk[] = [];
  // Interleaved, with whole-JSON events between the events of a finding now and then.
  for (let i = 0; i < Math.max(encoded.length, others.length); i++) {
    if (i < encoded.length) all.push(i % 2 === 0 ? encoded[i]! : structuredClone(encoded[i]!));
    if (i < others.length) all.push(encodeRisk(others[i]!));
  }
  const expected = [...plain, ...others].map((e) => JSON.stringify(e)).sort();
  const reference = HeldRisk.create();
  for (const e of all) reference.add(e);
  const lines = printed(reference);
  assert.deepEqual([...lines].sort(), expected);
  reference.discard();

  const warnings: string[] = [];
  const inMemory = HeldRisk.create({ tmpDir: '/nonexistent/vigil-test', warn: (m) => warnings.push(m) });
  for (const e of all) inMemory.add(e);
  assert.deepEqual(printed(inMemory), lines);
  assert.equal(warnings.length, 1);
  inMemory.discard();

  // The disk fills at some write: some texts in the file, the rest (and events pointing at them) in memory.
  const sigmaOnly = HeldRisk.create();
  for (const e of encoded) sigmaOnly.add(e);
  const sigmaLines = printed(sigmaOnly);
  sigmaOnly.discard();
  for (const [name, events, want] of [['mixed', all, lines], ['Sigma only', encoded, sigmaLines]] as const) {
    for (const failAt of [2, 3, 4]) {
      let writes = 0;
      const full = HeldRisk.create({
        warn: (m) => warnings.push(m),
        writeAt: (fd, buf, offset, length, position) => {
          if (++writes >= failAt) throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
          return writeSync(fd, buf, offset, length, position);
        },
      });
      for (const e of events) full.add(e);
      assert.deepEqual(printed(full), want, `${name}: disk full at write ${failAt}`);
      assert.ok(writes >= failAt, `${name}: ${writes} writes`);
      full.discard();
    }
  }
});
