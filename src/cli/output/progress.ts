/**
 * The progress line of `vigil hunt` on a terminal: files done/total, MB read/total, events/s and
 * time left, redrawn in place at most four times a second on standard error. Nothing is drawn
 * when standard error is not a terminal (piped, redirected, CI) or with `--quiet`, so logs and
 * pipes never see carriage returns. Other stderr lines go through `around`, which wipes the
 * line first so a diagnostic never lands in the middle of the bar.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

/** What the run has done so far (cumulative). */
export interface ProgressState {
  readonly filesDone: number;
  readonly bytesDone: number;
  readonly events: number;
}

/** Sizes known before the run; null when they cannot be known (stdin, archives). */
export interface ProgressTotals {
  readonly files: number | null;
  readonly bytes: number | null;
}

/** The part of a stream the bar needs (process.stderr fits). */
export interface TerminalStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

/** A bar on a terminal only, and never with --quiet. */
export function progressWanted(stream: TerminalStream, quiet: boolean): boolean {
  return stream.isTTY === true && !quiet;
}

const MB = 1024 * 1024;
export const REDRAW_MS = 250;

function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

function grouped(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/**
 * The line for a state, without terminal codes: `[#####-----] 12/40 files  130.2/512.0 MB
 * 48,213 events/s  1:12 left`. The bar and the time left need a known byte total.
 */
export function progressLine(state: ProgressState, totals: ProgressTotals, elapsedSeconds: number, columns = 80): string {
  const parts: string[] = [];
  const fraction = totals.bytes !== null && totals.bytes > 0 ? Math.min(1, state.bytesDone / totals.bytes) : null;
  parts.push(totals.files !== null ? `${state.filesDone}/${Math.max(totals.files, state.filesDone)} files` : `${state.filesDone} files`);
  parts.push(totals.bytes !== null ? `${(state.bytesDone / MB).toFixed(1)}/${(Math.max(totals.bytes, state.bytesDone) / MB).toFixed(1)} MB` : `${(state.bytesDone / MB).toFixed(1)} MB`);
  const rate = elapsedSeconds > 0 ? state.events / elapsedSeconds : 0;
  parts.push(`${grouped(rate)} events/s`);
  if (fraction !== null && state.bytesDone > 0 && elapsedSeconds > 0) {
    const bytesPerSecond = state.bytesDone / elapsedSeconds;
    parts.push(`${clock((totals.bytes! - Math.min(state.bytesDone, totals.bytes!)) / bytesPerSecond)} left`);
  } else parts.push(`${clock(elapsedSeconds)} elapsed`);
  const text = parts.join('  ');
  const room = columns - text.length - 4;
  if (fraction === null || room < 10) return text.slice(0, Math.max(0, columns - 1));
  const width = Math.min(30, room);
  const filled = Math.round(fraction * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${text}`;
}

/** Redraws one line in place; `update` is cheap to call per batch (it draws at most every 250 ms). */
export class ProgressBar {
  private lastDraw = -Infinity;
  private shown = false;
  private state: ProgressState = { filesDone: 0, bytesDone: 0, events: 0 };
  private readonly started: number;

  constructor(
    private readonly stream: TerminalStream,
    private readonly totals: ProgressTotals,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.started = now();
  }

  update(state: ProgressState): void {
    this.state = state;
    const t = this.now();
    if (t - this.lastDraw < REDRAW_MS) return;
    this.lastDraw = t;
    this.draw();
  }

  private draw(): void {
    const columns = this.stream.columns !== undefined && this.stream.columns > 0 ? this.stream.columns : 80;
    const line = progressLine(this.state, this.totals, (this.now() - this.started) / 1000, columns);
    // \r to the line start, the text, then erase whatever a longer previous line left.
    this.stream.write(`\r${line}\u001b[K`);
    this.shown = true;
  }

  /** Wipes the line (before other output, and at the end). */
  clear(): void {
    if (!this.shown) return;
    this.stream.write('\r\u001b[K');
    this.shown = false;
  }

  /** Wipes the bar for other output on its terminal; the next update draws it again. */
  interrupt(): void {
    this.clear();
    this.lastDraw = -Infinity;
  }

  /** Wraps a writer of whole lines so each one first wipes the bar (it is redrawn on the next update). */
  around(write: (text: string) => void): (text: string) => void {
    return (text) => {
      this.interrupt();
      write(text);
    };
  }
}

/** Bounds on the size walk: it must stay quick whatever the folder holds. */
const MAX_ENTRIES = 200_000;
const MAX_DEPTH = 32;

/**
 * Counts the files and bytes under the input paths (following symbolic links, as reading does),
 * for the bar's totals. Files that are not logs are counted too, so the totals are an upper
 * bound; compressed inputs (.gz, .zip) and `-` make the byte total unknown (their size read is
 * not their size on disk).
 */
export async function measureInputs(paths: readonly string[]): Promise<ProgressTotals> {
  let files = 0;
  let bytes = 0;
  let bytesKnown = true;
  let entries = 0;
  const seen = new Set<string>();
  const visit = async (p: string, depth: number): Promise<void> => {
    if (entries++ > MAX_ENTRIES) return;
    let st;
    try {
      st = await fs.stat(p);
    } catch {
      return; // the run itself reports a missing or unreadable path
    }
    if (st.isFile()) {
      files++;
      bytes += st.size;
      if (/\.(gz|zip)$/i.test(p)) bytesKnown = false;
      return;
    }
    if (!st.isDirectory() || depth >= MAX_DEPTH) return;
    let real: string;
    let names: string[];
    try {
      real = await fs.realpath(p);
      if (seen.has(real)) return;
      seen.add(real);
      names = await fs.readdir(p);
    } catch {
      return;
    }
    for (const name of names) {
      if (entries > MAX_ENTRIES) return;
      await visit(path.join(p, name), depth + 1);
    }
  };
  for (const p of paths) {
    if (p === '-') {
      bytesKnown = false;
      continue;
    }
    await visit(p, 0);
  }
  if (entries > MAX_ENTRIES) return { files: null, bytes: null };
  return { files, bytes: bytesKnown ? bytes : null };
}
