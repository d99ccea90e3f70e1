/**
 * `vigil hunt` and `vigil dump` (the real CLI, spawned) on EVTX files whose header is garbage
 * behind a right `ElfFile\0` magic: readable chunks give one warning and the file is hunted; no
 * readable chunk gives one error line naming the file and offset, a failed input and status 1.
 * A real dirty header keeps its per-field warnings. Fixtures are built here from the example events.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EXAMPLE_EVENTS } from '../../src/cli/example/example-events.js';
import { writeEvtx } from '../../src/sinks/evtx-writer/index.js';
import { runVigil as vigil, type VigilRun as Run } from '../helpers/run-vigil.js';

const HEADER = 4096;
const PROCESS_CREATED = EXAMPLE_EVENTS.filter((e) => e.eventId === 4688).length;

const RULE = `title: Process created (test)
id: 3f0b7c52-1d2e-4c1a-9a57-4688a0000001
status: test
level: medium
logsource:
  product: windows
  service: security
detection:
  selection:
    EventID: 4688
  condition: selection
`;

interface InputSummary {
  name: string;
  status: string;
  events: number;
  warnings: number;
  reason: { code: string; location: { file: string; offset?: number } } | null;
}

let dir = '';
let rule = '';
const files = { good: '', readable: '', unreadable: '', dirty: '' };

/** Deterministic bytes from a seed (xorshift), so the garbage is the same on every run. */
function garbage(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'vigil-corrupt-header-'));
  rule = path.join(dir, 'rule.yml');
  await writeFile(rule, RULE);
  const clean = Buffer.from(writeEvtx(EXAMPLE_EVENTS));
  assert.ok(clean.length > HEADER, 'the writer produced at least one chunk');

  files.good = path.join(dir, 'good.evtx');
  await writeFile(files.good, clean);

  // Random bytes after the magic: the header is garbage, the chunks are intact.
  const readable = Buffer.from(clean);
  readable.set(garbage(HEADER - 8, 0x5eed), 8);
  files.readable = path.join(dir, 'readable-corrupt.evtx');
  await writeFile(files.readable, readable);

  // Zeros after the magic and garbage for every chunk: nothing in it can be read.
  const unreadable = Buffer.from(clean);
  unreadable.fill(0, 8, HEADER);
  unreadable.set(garbage(unreadable.length - HEADER, 0xbad), HEADER);
  files.unreadable = path.join(dir, 'unreadable-corrupt.evtx');
  await writeFile(files.unreadable, unreadable);

  // A real but dirty header: dirty flag set, CRC left stale, chunk count 0 against one chunk.
  const dirty = Buffer.from(clean);
  dirty.writeUInt32LE(dirty.readUInt32LE(120) | 0x1, 120);
  dirty.writeUInt16LE(0, 42);
  files.dirty = path.join(dir, 'dirty.evtx');
  await writeFile(files.dirty, dirty);
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function hunt(inputs: string[], threads: string): Promise<Run & { findings: number; inputs: InputSummary[] }> {
  const tag = Math.random().toString(36).slice(2);
  const out = path.join(dir, `findings-${tag}.jsonl`);
  const sum = path.join(dir, `summary-${tag}.json`);
  const r = await vigil(['hunt', ...inputs, '--rules', rule, '--no-risk', '--format', 'jsonl', '--output', out, '--summary-json', sum, '--threads', threads]);
  const findings = (await readFile(out, 'utf8').catch(() => '')).split('\n').filter((l) => l.length > 0).length;
  const summary = JSON.parse(await readFile(sum, 'utf8').catch(() => '{"inputs":[]}')) as { inputs: InputSummary[] };
  return { ...r, findings, inputs: summary.inputs };
}

/** Problem lines naming `file` (the summary's indented repeats left out). */
function linesNaming(stderr: string, file: string): string[] {
  return stderr.split('\n').filter((l) => l.includes(path.basename(file)) && !l.startsWith(' '));
}

const byName = (inputs: InputSummary[], file: string): InputSummary | undefined => inputs.find((i) => i.name === file);

for (const threads of ['1', '3']) {
  test(`hunt (--threads ${threads}): readable chunks behind a corrupt header give one warning and are hunted; a dirty header keeps its warnings`, async () => {
    const r = await hunt([files.good, files.readable, files.dirty], threads);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.findings, 3 * PROCESS_CREATED);
    const corrupt = linesNaming(r.stderr, files.readable);
    assert.equal(corrupt.length, 1, r.stderr);
    assert.match(corrupt[0]!, /readable-corrupt\.evtx \(offset 0x[0-9a-f]+\): warning: file header is corrupt \(bad [^)]*version[^)]*\); .*\[evtx\.header\.corrupt\]$/);
    // No line per damaged field any more.
    assert.doesNotMatch(r.stderr, /readable-corrupt\.evtx.*\[evtx\.header\.(version|size|block-size|crc|chunk-range|flags)\]/);
    const dirty = linesNaming(r.stderr, files.dirty).join('\n');
    assert.match(dirty, /\[evtx\.header\.dirty\]/);
    assert.match(dirty, /\[evtx\.header\.crc\]/);
    assert.match(dirty, /\[evtx\.file\.extra-chunks\]/);
    assert.doesNotMatch(dirty, /\[evtx\.(header\.corrupt|file\.corrupt-header)\]/);
    for (const file of [files.good, files.readable, files.dirty]) {
      const input = byName(r.inputs, file);
      assert.equal(input?.status, 'read', file);
      assert.equal(input?.events, EXAMPLE_EVENTS.length, file);
    }
    assert.equal(byName(r.inputs, files.readable)?.warnings, 1);
  });

  test(`hunt (--threads ${threads}): no readable chunk behind a corrupt header is one error line, a failed input and status 1`, async () => {
    const r = await hunt([files.good, files.unreadable], threads);
    assert.equal(r.code, 1, r.stderr);
    const lines = linesNaming(r.stderr, files.unreadable);
    assert.equal(lines.length, 1, r.stderr);
    // The header size field at 0x20 is the first wrong one when everything after the magic is zero.
    assert.match(
      lines[0]!,
      /unreadable-corrupt\.evtx \(offset 0x20\): error: file header is corrupt \(bad version, size, block-size, crc\) and none of the 1 chunk after it holds a readable record: nothing could be read.* \[evtx\.file\.corrupt-header\]$/,
    );
    assert.match(r.stderr, /inputs: 1 read, 1 failed/);
    const failed = byName(r.inputs, files.unreadable);
    assert.equal(failed?.status, 'failed');
    assert.equal(failed?.events, 0);
    assert.equal(failed?.reason?.code, 'evtx.file.corrupt-header');
    assert.equal(failed?.reason?.location.offset, 0x20);
    // The good file was still hunted.
    assert.equal(byName(r.inputs, files.good)?.status, 'read');
    assert.equal(r.findings, PROCESS_CREATED);
  });
}

test('dump: the unreadable file alone exits 1 with one line and no output; the readable one exits 0 with every event', async () => {
  const bad = await vigil(['dump', files.unreadable, '--threads', '1']);
  assert.equal(bad.code, 1, bad.stderr);
  assert.equal(bad.stdout, '');
  assert.equal(linesNaming(bad.stderr, files.unreadable).length, 1, bad.stderr);
  assert.match(bad.stderr, /\[evtx\.file\.corrupt-header\]/);
  assert.match(bad.stderr, /1 input: 0 read, 1 failed/);

  const ok = await vigil(['dump', files.readable, '--threads', '1']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stdout.split('\n').filter((l) => l.length > 0).length, EXAMPLE_EVENTS.length);
  assert.deepEqual(
    linesNaming(ok.stderr, files.readable).map((l) => /\[([a-z.-]+)\]$/.exec(l)?.[1]),
    ['evtx.header.corrupt'],
  );
});
