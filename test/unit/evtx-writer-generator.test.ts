/** The synthetic event generator behind bench/gen-evtx: varied, reproducible, and sized as asked. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateEvents, generateFile } from '../../bench/gen-evtx.js';
import { parseEvtxBytes } from '../../src/sources/evtx/index.js';

test('the mix covers the advertised channels and event ids', () => {
  const events = generateEvents(1, 3000);
  const seen = new Set(events.map((e) => `${e.channel}:${e.eventId}`));
  for (const id of [1, 3, 7, 11, 13]) assert.ok(seen.has(`Microsoft-Windows-Sysmon/Operational:${id}`), `Sysmon ${id}`);
  for (const id of [4624, 4625, 4688, 4689, 4672]) assert.ok(seen.has(`Security:${id}`), `Security ${id}`);
  assert.ok(seen.has('Microsoft-Windows-PowerShell/Operational:4104'));
  assert.ok(seen.has('System:7045'));
  assert.ok([...seen].some((k) => k.startsWith('Application:')));
  assert.deepEqual(events.map((e) => e.recordId), events.map((_, i) => i + 1));
  const times = events.map((e) => String(e.timeCreated));
  assert.ok(times.every((t) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}Z$/.test(t)), '7-digit ISO timestamps');
  assert.deepEqual([...times].sort(), times, 'time moves forward');
});

test('same seed, same events; another seed, other events', () => {
  const a = generateEvents(42, 200);
  assert.deepEqual(generateEvents(42, 200), a);
  assert.notDeepEqual(generateEvents(43, 200), a);
});

test('generateFile fills exactly the requested number of chunks', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-gen-'));
  try {
    const out = path.join(dir, 'g.evtx');
    const result = generateFile(out, 1024 * 1024, 9);
    const size = statSync(out).size;
    assert.equal(size, result.bytes);
    assert.equal(size, 4096 + 16 * 65536, '1 MiB rounds up to 16 whole chunks');
    const parsed = parseEvtxBytes(new Uint8Array(readFileSync(out)), out);
    assert.equal(parsed.records.length, result.records);
    assert.equal(parsed.failed, 0);
    assert.equal(parsed.chunks, 16);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
