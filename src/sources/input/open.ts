/**
 * Input discovery: turns the paths a user named into InputFiles. Plain files are passed on;
 * directories are walked (sorted, symlink loops and depth bounded) keeping only files whose
 * content looks like a log; `.gz` is decompressed as a stream; `.zip` members become
 * `archive.zip!member` inputs. Problems come back as located diagnostics, never throws.
 */
import { type Dirent, promises as fs, statSync } from 'node:fs';
import path from 'node:path';
import { type Diagnostic, LocatedError, type Severity } from '../../core/diagnostics.js';
import type { InputFormat } from '../../core/event.js';
import { assertNever } from '../../core/xml-tree.js';
import { DETECT_HEAD_BYTES, detectFormat, startsAsEvtxFile } from '../detect.js';
import type { InputFile } from '../source.js';
import { FIRST_READ_BYTES, peekStream, readFileBytes, readWholeFile } from './byte-stream.js';
import { inflateStream } from './inflate.js';
import { type InputLimits, decompressedAllowance, resolveLimits } from './limits.js';
import { type ZipMember, looksLikeZip, readZipDirectory, streamZipMember } from './zip.js';

export interface OpenOptions {
  /** A forced format keeps every file in directories and archives (no content filtering). */
  readonly inputFormat?: InputFormat;
  readonly limits?: Partial<InputLimits>;
  /**
   * A file never opened as an input (the run's own output, which a folder being read may hold),
   * told apart by device and inode before its content is looked at: an output still empty
   * would otherwise pass for "not a log" one time and be read back the next.
   */
  readonly exclude?: string;
}

interface FileIdentity {
  readonly dev: number;
  readonly ino: number;
}

function identityOf(file: string): FileIdentity | null {
  try {
    const st = statSync(file);
    return { dev: st.dev, ino: st.ino };
  } catch {
    return null;
  }
}

/** The warning for the excluded file, or null for any other file. */
function excludedFile(file: string, st: FileIdentity, state: WalkState): { error: Diagnostic } | null {
  const x = state.excluded;
  if (x === null || x.dev !== st.dev || x.ino !== st.ino) return null;
  return problem('input.is-output', 'this is the output file; not read', file, 'warning');
}

export type OpenedInput = InputFile | { readonly error: Diagnostic };

/** gzip streams may nest (a `.gz` of a `.gz`) this deep. */
const MAX_GZIP_NESTING = 3;

export function isGzip(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

/** `message` does not name `file`: a diagnostic's line shows its location first. */
function diagnostic(code: string, message: string, file: string, severity: Severity = 'error'): Diagnostic {
  return { severity, code, message, location: { file } };
}

function problem(code: string, message: string, file: string, severity: Severity = 'error'): { error: Diagnostic } {
  return { error: diagnostic(code, message, file, severity) };
}

/**
 * A file system error the user can act on (missing, not permitted, a symbolic link loop, a folder
 * where a file was expected), in the same words whether the file was being found or read; null
 * for any other error.
 */
export function fsErrorDiagnostic(err: unknown, file: string): Diagnostic | null {
  switch ((err as { code?: unknown }).code) {
    case 'ENOENT':
      return diagnostic('input.not-found', 'no such file or directory', file);
    case 'EACCES':
    case 'EPERM':
      return diagnostic('input.permission-denied', 'permission denied', file);
    case 'ELOOP':
      return diagnostic('input.symlink-loop', 'too many levels of symbolic links', file);
    case 'EISDIR':
      return diagnostic('input.is-directory', 'expected a file, found a directory', file);
    default:
      return null;
  }
}

function describeFsError(err: unknown, file: string): { error: Diagnostic } {
  const known = fsErrorDiagnostic(err, file);
  if (known !== null) return { error: known };
  if (err instanceof LocatedError) return { error: err.toDiagnostic() };
  const message = err instanceof Error ? err.message : String(err);
  return problem('input.read-failed', `cannot read: ${message}`, file);
}

/** Wraps an input in streaming gunzip, bounded relative to its compressed size. */
export function gunzipInput(input: InputFile, compressedBytes: number | null, limits: InputLimits): InputFile {
  const cap = decompressedAllowance(limits, compressedBytes ?? 0);
  const reason =
    compressedBytes === null
      ? 'the default allowance for a compressed stream'
      : `${limits.maxExpansionRatio}x the ${compressedBytes} compressed bytes, at least ${limits.minDecompressedAllowance}`;
  return {
    name: input.name,
    size: null,
    path: null,
    stream: () => inflateStream(input.stream(), { kind: 'gzip', name: input.name, maxOutputBytes: cap, capReason: reason }),
  };
}

function plainFile(file: string, size: number): InputFile {
  return { name: file, size, path: file, stream: () => readWholeFile(file) };
}

/** Reads the head of an input and closes it again. */
async function sniffHead(input: InputFile): Promise<Buffer> {
  const peeked = await peekStream(input.stream(), DETECT_HEAD_BYTES, startsAsEvtxFile);
  await peeked.close();
  return peeked.head;
}

type Sniffed = { readonly kind: 'log'; readonly input: InputFile } | { readonly kind: 'skip' } | { readonly kind: 'zip' };

/**
 * Decides whether an input found inside a directory or archive is a log: unwraps gzip layers,
 * then asks the detector. `forced` keeps anything that is not itself an archive. `page` is the
 * input's first bytes when the caller read them already: an EVTX file's magic decides alone, so
 * such a file is not opened again to be sniffed.
 */
async function sniff(input: InputFile, compressedBytes: number | null, forced: boolean, limits: InputLimits, page: Buffer | null = null): Promise<Sniffed> {
  let current = input;
  let compressed = compressedBytes;
  for (let depth = 0; depth <= MAX_GZIP_NESTING; depth++) {
    const head = depth === 0 && page !== null && startsAsEvtxFile(page) ? page : await sniffHead(current);
    if (head.length === 0) return { kind: 'skip' };
    if (isGzip(head)) {
      if (depth === MAX_GZIP_NESTING) throw new LocatedError('input.gzip.nesting', `gzip nested more than ${MAX_GZIP_NESTING} deep`, { file: input.name });
      current = gunzipInput(current, compressed, limits);
      compressed = null;
      continue;
    }
    if (looksLikeZip(head)) return { kind: 'zip' };
    if (forced) return { kind: 'log', input: current };
    return detectFormat(head, current.name) === null ? { kind: 'skip' } : { kind: 'log', input: current };
  }
  return { kind: 'skip' };
}

interface WalkState {
  readonly options: OpenOptions;
  readonly limits: InputLimits;
  readonly forced: boolean;
  /** Real paths of directories already walked (symlink loops, repeated arguments). */
  readonly visitedDirs: Set<string>;
  readonly excluded: FileIdentity | null;
  yielded: number;
  skipped: number;
}

/** Opens every path in order; directories and archives expand in sorted order. */
export async function* openInputs(paths: readonly string[], options: OpenOptions = {}): AsyncGenerator<OpenedInput> {
  const limits = resolveLimits(options.limits);
  const excluded = options.exclude === undefined ? null : identityOf(options.exclude);
  for (const given of paths) {
    let st;
    try {
      st = await fs.stat(given);
    } catch (err) {
      yield describeFsError(err, given);
      continue;
    }
    const state: WalkState = { options, limits, forced: options.inputFormat !== undefined, visitedDirs: new Set(), excluded, yielded: 0, skipped: 0 };
    if (st.isDirectory()) {
      // Errors met on the way (a dangling link, an unreadable file) already named their file:
      // a folder whose only entries failed gets no second "holds no readable log files" line.
      let errors = 0;
      for await (const item of walkDirectory(given, 0, state)) {
        if ('error' in item && item.error.severity === 'error') errors++;
        yield item;
      }
      if (state.yielded === 0 && errors === 0) {
        const why = state.skipped > 0 ? `${state.skipped} file(s) not recognised as logs` : 'no files';
        yield problem('input.dir.no-logs', `directory holds no readable log files (${why})`, given);
      }
    } else if (st.isFile()) {
      const skip = excludedFile(given, st, state);
      if (skip !== null) yield skip;
      else yield* openFile(given, st.size, true, state);
    } else {
      yield problem('input.not-a-file', 'not a regular file or directory', given);
    }
  }
}

async function* walkDirectory(dir: string, depth: number, state: WalkState): AsyncGenerator<OpenedInput> {
  let real: string;
  let entries: Dirent[];
  try {
    real = await fs.realpath(dir);
    if (state.visitedDirs.has(real)) {
      yield problem('input.dir.loop', 'directory was already walked (symbolic link loop or repeated path); skipped', dir, 'warning');
      return;
    }
    state.visitedDirs.add(real);
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch (err) {
    yield describeFsError(err, dir);
    return;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    let isDir = entry.isDirectory();
    let isFile = entry.isFile();
    let size = 0;
    let skip: { error: Diagnostic } | null = null;
    try {
      if (entry.isSymbolicLink() || isFile) {
        // Blocking, like the reads (see readFileRange): one stat per file adds up over thousands.
        const st = statSync(full);
        isDir = st.isDirectory();
        isFile = st.isFile();
        size = st.size;
        if (isFile) skip = excludedFile(full, st, state);
      }
    } catch (err) {
      yield describeFsError(err, full);
      continue;
    }
    if (skip !== null) {
      yield skip;
      continue;
    }
    if (isDir) {
      if (depth + 1 > state.limits.maxDirectoryDepth) {
        yield problem('input.dir.too-deep', `directory is nested deeper than ${state.limits.maxDirectoryDepth} levels; skipped`, full, 'warning');
        continue;
      }
      yield* walkDirectory(full, depth + 1, state);
    } else if (isFile) {
      yield* openFile(full, size, false, state);
    }
    // Sockets, FIFOs and devices found while walking are not logs.
  }
}

/** A file on disk: plain, gzip or zip. `explicit` files are passed on without content filtering. */
async function* openFile(file: string, size: number, explicit: boolean, state: WalkState): AsyncGenerator<OpenedInput> {
  let page: Buffer;
  try {
    page = await readFileBytes(file, 0, FIRST_READ_BYTES);
  } catch (err) {
    yield describeFsError(err, file);
    return;
  }
  if (looksLikeZip(page)) {
    yield* openZip(file, state);
    return;
  }
  let input = plainFile(file, size);
  if (isGzip(page)) input = gunzipInput(input, size, state.limits);
  if (explicit) {
    state.yielded++;
    yield input;
    return;
  }
  try {
    const verdict = await sniff(input, isGzip(page) ? null : size, state.forced, state.limits, page);
    switch (verdict.kind) {
      case 'log':
        state.yielded++;
        yield verdict.input;
        return;
      case 'skip':
        state.skipped++;
        return;
      case 'zip':
        yield problem('input.zip.nested', 'a zip archive inside a compressed stream is not supported', file);
        return;
      default:
        assertNever(verdict, 'sniff verdict');
    }
  } catch (err) {
    yield describeFsError(err, file);
  }
}

async function* openZip(file: string, state: WalkState): AsyncGenerator<OpenedInput> {
  let members: ZipMember[];
  try {
    members = await readZipDirectory(file, file, state.limits);
  } catch (err) {
    yield describeFsError(err, file);
    return;
  }
  const sorted = members.filter((m) => !m.isDirectory).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  let yielded = 0;
  let failed = 0;
  let skipped = 0;
  for (const member of sorted) {
    const display = `${file}!${member.name}`;
    if (member.problem !== null) {
      failed++;
      yield problem('input.zip.member-unsupported', `member ${member.problem}`, display);
      continue;
    }
    if (member.uncompressedSize === 0) {
      skipped++;
      continue;
    }
    const input: InputFile = {
      name: display,
      size: member.uncompressedSize,
      path: null,
      stream: () => streamZipMember(file, file, member, state.limits),
    };
    let verdict: Sniffed;
    try {
      verdict = await sniff(input, member.uncompressedSize, state.forced, state.limits);
    } catch (err) {
      failed++;
      yield describeFsError(err, display);
      continue;
    }
    switch (verdict.kind) {
      case 'log':
        yielded++;
        yield verdict.input;
        break;
      case 'skip':
        skipped++;
        break;
      case 'zip':
        failed++;
        yield problem('input.zip.nested', 'nested zip archives are not read; extract the inner archive first', display);
        break;
      default:
        assertNever(verdict, 'sniff verdict');
    }
  }
  state.yielded += yielded;
  state.skipped += skipped;
  if (yielded === 0 && failed === 0) {
    const why = skipped > 0 ? `${skipped} member(s) not recognised as logs` : 'no members';
    yield problem('input.zip.no-logs', `archive holds no readable log files (${why})`, file);
  }
}
