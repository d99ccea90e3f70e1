/**
 * Scheduled runs of a detection over a data span (spl-and-rba.md §4.2), in UTC.
 *
 * Runs happen exactly at the cron times (no schedule_window delay, no allow_skew), and each run's
 * dispatch window is `[earliest, latest)` evaluated at its nominal time, so ESCU's hourly
 * `-70m@m`..`-10m@m` windows tile the timeline with no gap and no overlap.
 */
import type { Scheduling } from '../../content/model.js';
import { MAX_EPOCH } from './calendar.js';
import { type Cron, nextCronTime, parseCron } from './cron.js';
import { evaluateTimeModifier, parseTimeModifier } from './relative.js';

export interface ScheduledRun {
  /** Nominal cron time, epoch seconds. */
  readonly time: number;
  /** Dispatch window [earliest, latest), epoch seconds. */
  readonly earliest: number;
  readonly latest: number;
}

export const MAX_SCHEDULED_RUNS = 1_000_000;

/** How far around the data the search for the first and last run may reach (1000 years). */
const REACH = 1000 * 366 * 86_400;

/**
 * Every cron time of `s.cronSchedule` whose window [earliest, latest) (from the time modifiers,
 * evaluated at that time, UTC) overlaps [dataStart, dataEnd]; in time order. Windows that are empty
 * (earliest ≥ latest) overlap nothing and are left out. Throws an Error when the schedule or a
 * modifier is malformed, or when more than MAX_SCHEDULED_RUNS runs would be needed.
 */
export function scheduledRuns(s: Scheduling, dataStart: number, dataEnd: number): ScheduledRun[] {
  if (!Number.isFinite(dataStart) || !Number.isFinite(dataEnd)) throw new Error('scheduledRuns: data span is not a pair of numbers');
  if (dataEnd < dataStart) return [];
  const cron = parseCron(s.cronSchedule);
  const earliest = parseTimeModifier(s.earliestTime);
  const latest = parseTimeModifier(s.latestTime);
  const windowAt = (t: number): { earliest: number; latest: number } => ({ earliest: evaluateTimeModifier(earliest, t), latest: evaluateTimeModifier(latest, t) });
  const describe = `schedule '${s.cronSchedule}' with earliest '${s.earliestTime}' and latest '${s.latestTime}'`;

  // Both modifiers are non-decreasing functions of the run time (offsets, calendar moves and
  // snaps all are), so the runs that overlap the data form one contiguous stretch of cron times:
  // from the first whose latest passes dataStart to the last whose earliest is still ≤ dataEnd.
  const reachStart = Math.max(-MAX_EPOCH / 2, dataStart - REACH);
  const reachEnd = Math.min(MAX_EPOCH / 2, dataEnd + REACH);
  if (evaluateTimeModifier(earliest, reachEnd) <= dataEnd) {
    throw new Error(`${describe}: every run, however late, still reaches back into the data (earliest never passes the data's end), so the runs never stop`);
  }
  if (evaluateTimeModifier(latest, reachStart) > dataStart) {
    throw new Error(`${describe}: every run, however early, already reaches the data (latest never falls before the data's start), so the runs have no beginning`);
  }
  const firstTime = firstIntegerWhere((t) => evaluateTimeModifier(latest, t) > dataStart, Math.floor(reachStart), Math.ceil(reachEnd));
  if (firstTime === null) return [];

  const runs: ScheduledRun[] = [];
  for (let t = firstCronAtOrAfter(cron, firstTime); ; t = nextCronTime(cron, t)) {
    const w = windowAt(t);
    if (w.earliest > dataEnd) break;
    if (w.latest > dataStart && w.earliest < w.latest) {
      if (runs.length >= MAX_SCHEDULED_RUNS) {
        throw new Error(`${describe}: more than ${MAX_SCHEDULED_RUNS} runs over the data (${new Date(dataStart * 1000).toISOString()} to ${new Date(dataEnd * 1000).toISOString()})`);
      }
      runs.push({ time: t, earliest: w.earliest, latest: w.latest });
    }
  }
  return runs;
}

function firstCronAtOrAfter(cron: Cron, t: number): number {
  return nextCronTime(cron, t - 1);
}

/** Smallest integer t in [lo, hi] with pred(t), for a predicate false then true; null when never true. */
function firstIntegerWhere(pred: (t: number) => boolean, lo: number, hi: number): number | null {
  if (!pred(hi)) return null;
  if (pred(lo)) return lo;
  // Invariant: pred(lo) false, pred(hi) true.
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (pred(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}
