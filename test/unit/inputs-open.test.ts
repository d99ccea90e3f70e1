import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync, chmodSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildZip } from '../helpers/zip-writer.js';
import { bytesOf, events, openAll, problems, readAll, tempDir } from './inputs-helpers.js';

const KV = 'Name="CustomModule" Image="C:\\x\\evil.dll"\nName="Other" Image="C:\\y\\ok.dll"\n';
const JSONL = '{"EventID": 1, "Computer": "a"}\n{"EventID": 2, "Computer": "b"}\n';

test('a plain file is passed on with its path and size', async (t) => {
  const dir = tempDir(t);
  const f = path.join(dir, 'inventory.txt');
  writeFileSync(f, KV);
  const { inputs, errors } = await openAll([f]);
  assert.deepEqual(errors, []);
  assert.equal(inputs.length, 1);
  assert.equal(inputs[0]!.name, f);
  assert.equal(inputs[0]!.path, f);
  assert.equal(inputs[0]!.size, Buffer.byteLength(KV));
  assert.equal((await bytesOf(inputs[0]!)).toString(), KV);
});

test('a missing path is an error naming it', async (t) => {
  const dir = tempDir(t);
  const missing = path.join(dir, 'nope', 'gone.evtx');
  const { inputs, errors } = await openAll([missing]);
  assert.equal(inputs.length, 0);
  assert.equal(errors.length, 1);
  assert.equal(errors[0]!.code, 'input.not-found');
  // The location names the file (every surface prints it before the message, which does not repeat it).
  assert.equal(errors[0]!.message, 'no such file or directory');
  assert.equal(errors[0]!.location.file, missing);
});

test('directories are walked recursively in sorted order, skipping non-logs', async (t) => {
  const dir = tempDir(t);
  mkdirSync(path.join(dir, 'b', 'deep'), { recursive: true });
  mkdirSync(path.join(dir, 'a'));
  writeFileSync(path.join(dir, 'b', 'deep', 'z.log'), KV);
  writeFileSync(path.join(dir, 'a', 'events.jsonl'), JSONL);
  writeFileSync(path.join(dir, 'README.md'), '# Notes\nThese are notes about the logs.\n');
  writeFileSync(path.join(dir, 'image.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0x0d, 1, 2, 3]));
  writeFileSync(path.join(dir, 'c.txt'), KV);
  writeFileSync(path.join(dir, 'empty.log'), '');
  const { inputs, errors } = await openAll([dir]);
  assert.deepEqual(errors, []);
  assert.deepEqual(
    inputs.map((i) => path.relative(dir, i.name)),
    [path.join('a', 'events.jsonl'), path.join('b', 'deep', 'z.log'), 'c.txt'],
  );
});

test('archives found while walking a directory are opened like the directory', async (t) => {
  const dir = tempDir(t);
  mkdirSync(path.join(dir, 'sub'));
  writeFileSync(path.join(dir, 'sub', 'day1.jsonl.gz'), gzipSync(JSONL));
  writeFileSync(path.join(dir, 'sub', 'notes.txt.gz'), gzipSync('plain words only\n'));
  writeFileSync(path.join(dir, 'bundle.zip'), buildZip([{ name: 'in/zip.txt', data: KV }, { name: 'readme.txt', data: 'words\n' }]));
  const { inputs, errors } = await openAll([dir]);
  assert.deepEqual(errors, []);
  assert.deepEqual(
    inputs.map((i) => path.relative(dir, i.name)),
    ['bundle.zip!in/zip.txt', path.join('sub', 'day1.jsonl.gz')],
  );
  assert.equal(events(await readAll(inputs[1]!)).length, 2);
});

test('forcing a format keeps files the detector would skip', async (t) => {
  const dir = tempDir(t);
  writeFileSync(path.join(dir, 'odd.txt'), 'not obviously a log\n');
  assert.equal((await openAll([dir])).inputs.length, 0);
  const forced = await openAll([dir], { inputFormat: 'kv' });
  assert.equal(forced.inputs.length, 1);
});

test('an empty directory, or one without logs, is an error', async (t) => {
  const dir = tempDir(t);
  const empty = path.join(dir, 'empty');
  mkdirSync(empty);
  const noLogs = path.join(dir, 'docs');
  mkdirSync(noLogs);
  writeFileSync(path.join(noLogs, 'a.md'), 'just prose here\n');
  const { inputs, errors } = await openAll([empty, noLogs]);
  assert.equal(inputs.length, 0);
  assert.deepEqual(
    errors.map((e) => [e.code, e.location.file]),
    [
      ['input.dir.no-logs', empty],
      ['input.dir.no-logs', noLogs],
    ],
  );
  assert.match(errors[1]!.message, /1 file\(s\) not recognised/);
});

test('symlink loops in directories are cut', async (t) => {
  const dir = tempDir(t);
  mkdirSync(path.join(dir, 'sub'));
  writeFileSync(path.join(dir, 'sub', 'x.log'), KV);
  try {
    symlinkSync(dir, path.join(dir, 'sub', 'loop'), 'dir');
  } catch {
    t.skip('symlinks not available');
    return;
  }
  const { inputs, errors } = await openAll([dir]);
  assert.equal(inputs.length, 1);
  assert.ok(errors.some((e) => e.code === 'input.dir.loop' && e.severity === 'warning'));
});

test('an unreadable file is an error naming it', async (t) => {
  if (process.getuid?.() === 0) {
    t.skip('running as root: permissions are not enforced');
    return;
  }
  const dir = tempDir(t);
  const f = path.join(dir, 'secret.log');
  writeFileSync(f, KV);
  chmodSync(f, 0o000);
  const { errors } = await openAll([f]);
  assert.equal(errors[0]?.code, 'input.permission-denied');
});

test('.gz files are read as a decompressed stream', async (t) => {
  const dir = tempDir(t);
  const f = path.join(dir, 'events.jsonl.gz');
  writeFileSync(f, gzipSync(JSONL));
  const { inputs, errors } = await openAll([f]);
  assert.deepEqual(errors, []);
  assert.equal(inputs[0]!.name, f);
  assert.equal(inputs[0]!.path, null);
  const items = await readAll(inputs[0]!);
  assert.deepEqual(
    events(items).map((e) => [e.eventId, e.computer]),
    [
      [1, 'a'],
      [2, 'b'],
    ],
  );
  assert.equal(events(items)[0]!.provenance.format, 'flat-json');
});

test('a truncated .gz ends with a fatal item after the events it held', async (t) => {
  const dir = tempDir(t);
  const many = Array.from({ length: 3000 }, (_, i) => `{"EventID": ${i}, "Note": "${'x'.repeat(40)}${i * 7919}"}`).join('\n');
  const gz = gzipSync(many);
  const f = path.join(dir, 'cut.jsonl.gz');
  writeFileSync(f, gz.subarray(0, Math.floor(gz.length * 0.6)));
  const { inputs } = await openAll([f]);
  const items = await readAll(inputs[0]!);
  const fatals = problems(items, 'fatal');
  assert.equal(fatals.length, 1);
  assert.equal(fatals[0]!.code, 'input.decompress.corrupt');
  assert.ok(events(items).length > 0 && events(items).length < 3000);
});

test('zip members become archive!member inputs (stored, deflate, nested .gz)', async (t) => {
  const dir = tempDir(t);
  const f = path.join(dir, 'bundle.zip');
  writeFileSync(
    f,
    buildZip([
      { name: 'logs/second.jsonl', data: JSONL, method: 8 },
      { name: 'logs/', data: '', method: 0 },
      { name: 'first.txt', data: KV, method: 0 },
      { name: 'notes.md', data: 'hello there, nothing to see\n' },
      { name: 'more/inner.jsonl.gz', data: gzipSync(JSONL), method: 0 },
    ]),
  );
  const { inputs, errors } = await openAll([f]);
  assert.deepEqual(errors, []);
  assert.deepEqual(
    inputs.map((i) => i.name),
    [`${f}!first.txt`, `${f}!logs/second.jsonl`, `${f}!more/inner.jsonl.gz`],
  );
  assert.equal((await bytesOf(inputs[0]!)).toString(), KV);
  assert.equal((await bytesOf(inputs[1]!)).toString(), JSONL);
  assert.equal((await bytesOf(inputs[2]!)).toString(), JSONL);
  const viaRead = events(await readAll(inputs[2]!));
  assert.equal(viaRead.length, 2);
  assert.equal(viaRead[0]!.provenance.file, `${f}!more/inner.jsonl.gz`);
});

test('zip64 archives are read', async (t) => {
  const dir = tempDir(t);
  const f = path.join(dir, 'big.zip');
  writeFileSync(f, buildZip([{ name: 'a.jsonl', data: JSONL }], { zip64: true }));
  const { inputs, errors } = await openAll([f]);
  assert.deepEqual(errors, []);
  assert.equal((await bytesOf(inputs[0]!)).toString(), JSONL);
});

test('encrypted and unsupported members are errors naming the member; others still read', async (t) => {
  const dir = tempDir(t);
  const f = path.join(dir, 'mixed.zip');
  writeFileSync(
    f,
    buildZip([
      { name: 'locked.jsonl', data: JSONL, encrypted: true },
      { name: 'bzip.jsonl', data: JSONL, method: 12 },
      { name: 'fine.jsonl', data: JSONL },
    ]),
  );
  const { inputs, errors } = await openAll([f]);
  assert.deepEqual(inputs.map((i) => i.name), [`${f}!fine.jsonl`]);
  assert.deepEqual(errors.map((e) => e.location.file).sort(), [`${f}!bzip.jsonl`, `${f}!locked.jsonl`]);
  assert.ok(errors.some((e) => /encrypted/.test(e.message)));
  assert.ok(errors.some((e) => /method 12/.test(e.message)));
});

test('zip bombs: a member expanding past the allowance, or past its declared size, is refused', async (t) => {
  const dir = tempDir(t);
  const zeros = Buffer.alloc(8 * 1024 * 1024);
  const f = path.join(dir, 'bomb.zip');
  writeFileSync(
    f,
    buildZip([
      { name: 'honest-bomb.jsonl', data: Buffer.concat([Buffer.from('{"a":1}\n'), zeros]) },
      { name: 'liar.jsonl', data: Buffer.concat([Buffer.from('{"a":1}\n'), zeros]), declaredSize: 100 },
    ]),
  );
  const limits = { minDecompressedAllowance: 1024 * 1024, maxExpansionRatio: 50 };
  const { inputs, errors } = await openAll([f], { limits });
  // The honest member declares 8 MiB from ~8 KiB compressed: refused up front.
  assert.ok(errors.some((e) => e.location.file === `${f}!honest-bomb.jsonl` && /zip bomb/.test(e.message)));
  // The lying member declares 100 bytes: it opens, then stops once inflate passes what it declared.
  const liarError = errors.find((e) => e.location.file === `${f}!liar.jsonl`);
  const liar = inputs.find((i) => i.name === `${f}!liar.jsonl`);
  if (liar !== undefined) {
    const items = await readAll(liar);
    assert.equal(problems(items, 'fatal')[0]?.code, 'input.decompress.too-large');
  } else {
    assert.equal(liarError?.code, 'input.decompress.too-large');
  }
});

test('a .gz expanding past the allowance stops with a fatal item', async (t) => {
  const dir = tempDir(t);
  const f = path.join(dir, 'bomb.jsonl.gz');
  writeFileSync(f, gzipSync(Buffer.concat([Buffer.from('{"a":1}\n'), Buffer.alloc(4 * 1024 * 1024, 0x20)])));
  const { inputs } = await openAll([f], { limits: { minDecompressedAllowance: 64 * 1024, maxExpansionRatio: 10 } });
  const items = await readAll(inputs[0]!);
  assert.equal(problems(items, 'fatal')[0]?.code, 'input.decompress.too-large');
});

test('a corrupt member (bad CRC) is reported for that member: at open when small, as fatal when read', async (t) => {
  const dir = tempDir(t);
  const f = path.join(dir, 'crc.zip');
  const big = Array.from({ length: 4000 }, (_, i) => `{"EventID": ${i}}`).join('\n');
  writeFileSync(
    f,
    buildZip([
      { name: 'big.jsonl', data: big, crc: 0x12345678 },
      { name: 'small.jsonl', data: JSONL, crc: 0x12345678 },
    ]),
  );
  const { inputs, errors } = await openAll([f]);
  assert.deepEqual(errors.map((e) => [e.code, e.location.file]), [['input.zip.crc-mismatch', `${f}!small.jsonl`]]);
  assert.deepEqual(inputs.map((i) => i.name), [`${f}!big.jsonl`]);
  const items = await readAll(inputs[0]!);
  assert.equal(events(items).length, 4000);
  const fatal = problems(items, 'fatal');
  assert.equal(fatal.length, 1);
  assert.equal(fatal[0]!.code, 'input.zip.crc-mismatch');
  assert.equal(fatal[0]!.location.file, `${f}!big.jsonl`);
});

test('a damaged zip is an error naming the archive', async (t) => {
  const dir = tempDir(t);
  const f = path.join(dir, 'broken.zip');
  const good = buildZip([{ name: 'a.jsonl', data: JSONL }]);
  writeFileSync(f, good.subarray(0, good.length - 30));
  const { inputs, errors } = await openAll([f]);
  assert.equal(inputs.length, 0);
  assert.equal(errors[0]?.code, 'input.zip.invalid');
  assert.equal(errors[0]?.location.file, f);
});

test('readInput: undetectable content is one fatal item naming the file', async (t) => {
  const dir = tempDir(t);
  const f = path.join(dir, 'mystery.dat');
  writeFileSync(f, 'hello world, this is not a log\n');
  const { inputs } = await openAll([f]);
  const items = await readAll(inputs[0]!);
  assert.equal(items.length, 1);
  assert.equal(items[0]!.kind, 'fatal');
  const d = problems(items, 'fatal')[0]!;
  assert.equal(d.code, 'input.format.unknown');
  assert.equal(d.location.file, f);
  assert.doesNotMatch(d.message, /mystery\.dat/);
});

test('readInput: a file gone between discovery and reading is one fatal item, named by its location only', async (t) => {
  const dir = tempDir(t);
  const f = path.join(dir, 'rotated.log');
  writeFileSync(f, KV);
  const { inputs } = await openAll([f]);
  unlinkSync(f);
  const items = await readAll(inputs[0]!);
  assert.equal(items.length, 1);
  const d = problems(items, 'fatal')[0]!;
  assert.equal(d.code, 'input.not-found');
  assert.equal(d.location.file, f);
  // The line shows the location before the message: the message does not say the name again.
  assert.equal(d.message, 'no such file or directory');
});

test('readInput: the format override beats detection', async (t) => {
  const dir = tempDir(t);
  const f = path.join(dir, 'pairs.txt');
  writeFileSync(f, 'hello world, this is not a log\nuser=alice action=login\n');
  const { inputs } = await openAll([f]);
  const items = await readAll(inputs[0]!, { inputFormat: 'kv' });
  assert.equal(events(items).length, 1);
  assert.equal(problems(items, 'record-error').length, 1);
  assert.equal(events(items)[0]!.fields['user'], 'alice');
});

test('readInput: the reader sees the whole stream after the head was peeked', async (t) => {
  const dir = tempDir(t);
  const f = path.join(dir, 'long.jsonl');
  const n = 5000;
  writeFileSync(f, Array.from({ length: n }, (_, i) => `{"EventID": ${i}, "pad": "${'p'.repeat(30)}"}`).join('\n'));
  const { inputs } = await openAll([f]);
  const evs = events(await readAll(inputs[0]!));
  assert.equal(evs.length, n);
  assert.deepEqual(evs.slice(0, 3).map((e) => e.eventId), [0, 1, 2]);
  assert.equal(evs[n - 1]!.eventId, n - 1);
});

test('readInput: UTF-16 text (PowerShell redirection) is transcoded', async (t) => {
  const dir = tempDir(t);
  const f = path.join(dir, 'ps.txt');
  writeFileSync(f, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('user=bob action=logon\r\nuser=eve action=logoff\r\n', 'utf16le')]));
  const { inputs } = await openAll([f]);
  const evs = events(await readAll(inputs[0]!));
  assert.deepEqual(evs.map((e) => e.fields['user']), ['bob', 'eve']);
});

test('readInput: an empty file gives one warning and no events', async (t) => {
  const dir = tempDir(t);
  const f = path.join(dir, 'empty.jsonl');
  writeFileSync(f, '');
  const { inputs } = await openAll([f]);
  const items = await readAll(inputs[0]!);
  assert.deepEqual(items.map((i) => i.kind), ['warning']);
});

test('readInput dispatches event XML to the XML reader', async (t) => {
  const dir = tempDir(t);
  const f = path.join(dir, 'xmlwineventlog.txt');
  const ev = (id: number) =>
    `<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Test-Provider'/><EventID>${id}</EventID><TimeCreated SystemTime='2025-01-01T00:00:0${id}.000000000Z'/><EventRecordID>${id}</EventRecordID><Channel>Application</Channel><Computer>box</Computer></System><EventData><Data Name='k'>v${id}</Data></EventData></Event>`;
  writeFileSync(f, `${ev(1)}\n${ev(2)}\n`);
  const { inputs } = await openAll([f]);
  const evs = events(await readAll(inputs[0]!));
  assert.deepEqual(evs.map((e) => [e.provenance.format, e.eventId, e.channel, e.fields['k']]), [
    ['xml', 1, 'Application', 'v1'],
    ['xml', 2, 'Application', 'v2'],
  ]);
});

test('the excluded file (a run\'s output) is never opened, empty or not, named directly, walked or linked to', async (t) => {
  const dir = tempDir(t);
  const log = path.join(dir, 'a.jsonl');
  const out = path.join(dir, 'out.jsonl');
  writeFileSync(log, JSONL);
  const isOutput = (errors: readonly { code: string; severity: string; location: { file: string } }[], file: string): boolean =>
    errors.some((e) => e.code === 'input.is-output' && e.severity === 'warning' && e.location.file === file);
  // Empty (just created by the run) and full (written meanwhile, or left from an earlier run).
  for (const content of ['', JSONL]) {
    writeFileSync(out, content);
    const walked = await openAll([dir], { exclude: out });
    assert.deepEqual(walked.inputs.map((i) => i.name), [log], `walked, ${content.length} bytes`);
    assert.ok(isOutput(walked.errors, out), `walked, ${content.length} bytes: ${JSON.stringify(walked.errors)}`);
    const named = await openAll([out, log], { exclude: out });
    assert.deepEqual(named.inputs.map((i) => i.name), [log]);
    assert.ok(isOutput(named.errors, out));
  }
  // Told apart by the file itself, not its name: a link to it is the output too.
  const link = path.join(dir, 'link.jsonl');
  symlinkSync(out, link);
  const linked = await openAll([dir], { exclude: out });
  assert.deepEqual(linked.inputs.map((i) => i.name), [log]);
  assert.ok(isOutput(linked.errors, link) && isOutput(linked.errors, out));
  // Without the option the full output is an input like any other.
  assert.equal((await openAll([dir])).inputs.length, 3);
});

test("discovery's messages never repeat the file their location names (the line shows it first)", async (t) => {
  const dir = tempDir(t);
  mkdirSync(path.join(dir, 'empty'));
  mkdirSync(path.join(dir, 'walked'));
  writeFileSync(path.join(dir, 'walked', 'x.log'), KV);
  let links = true;
  try {
    symlinkSync(path.join(dir, 'walked'), path.join(dir, 'walked', 'loop'), 'dir');
  } catch {
    links = false;
  }
  writeFileSync(
    path.join(dir, 'mixed.zip'),
    buildZip([
      { name: 'locked.jsonl', data: JSONL, encrypted: true },
      { name: 'inner.zip', data: buildZip([{ name: 'a.jsonl', data: JSONL }]) },
      { name: 'fine.jsonl', data: JSONL },
    ]),
  );
  writeFileSync(path.join(dir, 'notes.zip'), buildZip([{ name: 'readme.txt', data: 'just notes\n' }]));
  const out = path.join(dir, 'out.jsonl');
  writeFileSync(out, JSONL);
  const paths = ['empty', 'walked', 'mixed.zip', 'notes.zip', 'out.jsonl', 'gone.evtx'].map((p) => path.join(dir, p));
  const { errors } = await openAll([...paths, '/dev/null'], { exclude: out });
  const codes = new Set(errors.map((e) => e.code));
  const expected = ['input.dir.no-logs', 'input.zip.member-unsupported', 'input.zip.nested', 'input.zip.no-logs', 'input.is-output', 'input.not-found', 'input.not-a-file'];
  if (links) expected.push('input.dir.loop');
  for (const code of expected) assert.ok(codes.has(code), `${code} among ${[...codes].join(', ')}`);
  for (const e of errors) {
    assert.ok(!e.message.includes(e.location.file), `${e.code}: "${e.message}" repeats ${e.location.file}`);
    assert.ok(!e.message.includes(dir), `${e.code}: "${e.message}" names a path`);
  }
});
