/**
 * How much input a hunt has before it opens any of it: enough to tell whether more threads can
 * pay for their start. Each hunting thread past the first is a V8 isolate that compiles the hot
 * code again on the same cores, which costs more than a small input's share is worth (a folder
 * of three logs, 22 MB: 0.89 s on one thread, 1.30 s on two with the built-in content).
 */
import { closeSync, openSync, readdirSync, readSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';

/** Entries looked at before the input is called large (a folder of many files). */
const MAX_WALK_ENTRIES = 20_000;
const MAX_WALK_DEPTH = 64;
const GZIP = /\.gz$/i;
const ARCHIVE = /\.(tgz|zip)$/i;
/**
 * What a compressed file is taken to unpack to, at least: a gzip file's own record of its size
 * (the last four bytes: exact for one member under 4 GiB) is used when larger, since a stream of
 * several members records only the last one's. Event logs pack several times over (EVTX often
 * tenfold or more), so these err towards large, where threads pay.
 */
const GZIP_RATIO_FLOOR = 4;
const ARCHIVE_RATIO = 10;

/** A gzip file's recorded size (ISIZE, the little-endian size modulo 4 GiB in its last four bytes); 0 if it cannot be read. */
function gzipRecordedSize(file: string, size: number): number {
  if (size < 18) return 0;
  let fd: number | null = null;
  try {
    fd = openSync(file, 'r');
    const tail = Buffer.alloc(4);
    return readSync(fd, tail, 0, 4, size - 4) === 4 ? tail.readUInt32LE(0) : 0;
  } catch {
    return 0;
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

/** The bytes a file is counted as: its size, or for a compressed file what it is taken to unpack to. */
function countedBytes(file: string, size: number): number {
  if (GZIP.test(file)) return Math.max(gzipRecordedSize(file, size), GZIP_RATIO_FLOOR * size);
  if (ARCHIVE.test(file)) return ARCHIVE_RATIO * size;
  return size;
}

/**
 * Bytes of the regular files under `paths` (symbolic links followed, each folder once), or
 * `cap` as soon as they reach it: only "at least cap" matters then. A compressed file counts as
 * what it is taken to unpack to (`countedBytes`). A folder of more than MAX_WALK_ENTRIES entries
 * or an input that is not a regular file or folder (standard input, a pipe) counts as `cap`, as
 * a size that cannot be known cheaply. A path that cannot be read counts nothing (the run
 * reports it).
 */
export function inputBytesAtLeast(paths: readonly string[], cap: number): number {
  let total = 0;
  let entries = 0;
  const seen = new Set<string>();
  // False once the total is known to reach the cap.
  const visit = (p: string, depth: number): boolean => {
    if (++entries > MAX_WALK_ENTRIES) total = cap;
    if (total >= cap) return false;
    let st;
    try {
      st = statSync(p);
    } catch {
      return true;
    }
    if (st.isFile()) {
      total += countedBytes(p, st.size);
      return total < cap;
    }
    if (!st.isDirectory()) {
      total = cap;
      return false;
    }
    if (depth > MAX_WALK_DEPTH) return true;
    let names: string[];
    try {
      const real = realpathSync(p);
      if (seen.has(real)) return true;
      seen.add(real);
      names = readdirSync(p);
    } catch {
      return true;
    }
    for (const name of names) if (!visit(path.join(p, name), depth + 1)) return false;
    return true;
  };
  for (const p of paths) if (!visit(p, 0)) break;
  return Math.min(total, cap);
}
