/** Sigma risk held on disk with lean copies in memory (src/cli/hunt/held-risk.ts). */
import assert from 'node:assert/strict';
import { existsSync, writeSync } from 'node:fs';
import { test } from 'node:test';
import { encodeRisk, HeldRisk } from '../../src/cli/hunt/held-risk.js';
import { evaluateIncidentRules, rankEntities, riskEventsFromSigmaFinding, type RiskEvent, type SigmaFindingInput } from '../../src/risk/index.js';

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
  held.discard();
});
