/** inputBytesAtLeast: the input's size as a hunt sees it before opening anything (input-size.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { inputBytesAtLeast } from '../../src/cli/hunt/input-size.js';
import { tempDirs } from '../helpers/temp-dirs.js';

const tempDir = tempDirs();

test('files under folders are added up, each folder once, up to the cap', () => {
  const root = tempDir('vigil-input-size-');
  mkdirSync(path.join(root, 'a', 'b'), { recursive: true });
  writeFileSync(path.join(root, 'one.evtx'), Buffer.alloc(1000));
  writeFileSync(path.join(root, 'a', 'two.evtx'), Buffer.alloc(2000));
  writeFileSync(path.join(root, 'a', 'b', 'three.json'), Buffer.alloc(3000));
  // A link back up the tree and a second link to a folder already counted add nothing.
  symlinkSync(root, path.join(root, 'a', 'b', 'loop'));
  symlinkSync(path.join(root, 'a'), path.join(root, 'again'));
  assert.equal(inputBytesAtLeast([root], 1_000_000), 6000);
  // A file given twice, once directly and once in its folder, counts twice, as the run reads it twice.
  assert.equal(inputBytesAtLeast([path.join(root, 'one.evtx'), root], 1_000_000), 7000);
  // The cap: reached, the walk stops and says so.
  assert.equal(inputBytesAtLeast([root], 2500), 2500);
  // A path that cannot be read counts nothing; the run reports it.
  assert.equal(inputBytesAtLeast([path.join(root, 'missing.evtx')], 1_000_000), 0);
});

test('a gzip file counts as the size it records, at least four times its own; an archive ten times', () => {
  const root = tempDir('vigil-input-size-');
  // 1 MB of text packs to a few kilobytes: its recorded size is what counts.
  const text = Buffer.from('EventID=4688 NewProcessName=C:\\Windows\\System32\\cmd.exe\n'.repeat(20_000));
  const packed = gzipSync(text);
  assert.ok(packed.length * 4 < text.length);
  writeFileSync(path.join(root, 'log.txt.gz'), packed);
  assert.equal(inputBytesAtLeast([path.join(root, 'log.txt.gz')], 10_000_000), text.length);
  // Two members: only the last one's size is recorded, so the floor of four times the file counts.
  const twoMembers = Buffer.concat([gzipSync(text), gzipSync(Buffer.from('x'))]);
  writeFileSync(path.join(root, 'two.txt.gz'), twoMembers);
  assert.equal(inputBytesAtLeast([path.join(root, 'two.txt.gz')], 10_000_000), 4 * twoMembers.length);
  // Not gzip inside, or too short to hold a trailer: the floor.
  writeFileSync(path.join(root, 'small.evtx.gz'), Buffer.alloc(10));
  assert.equal(inputBytesAtLeast([path.join(root, 'small.evtx.gz')], 5000), 40);
  writeFileSync(path.join(root, 'logs.zip'), Buffer.alloc(300));
  assert.equal(inputBytesAtLeast([path.join(root, 'logs.zip')], 5000), 3000);
  // The cap still bounds what a compressed file counts for.
  assert.equal(inputBytesAtLeast([path.join(root, 'log.txt.gz')], 5000), 5000);
});

test('an input that is not a file or folder (standard input, a pipe) is as large as the cap', () => {
  assert.equal(inputBytesAtLeast(['/dev/null'], 5000), 5000);
});
