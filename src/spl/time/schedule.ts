/**
 * Scheduled runs of a detection over a data span (spl-and-rba.md §4). INTERFACE STUB.
 */
import type { Scheduling } from '../../content/model.js';

export interface ScheduledRun {
  /** Nominal cron time, epoch seconds. */
  readonly time: number;
  /** Dispatch window [earliest, latest), epoch seconds. */
  readonly earliest: number;
  readonly latest: number;
}

/**
 * Every cron time of `s.cronSchedule` whose window [earliest, latest) (from the time modifiers,
 * evaluated at that time, UTC) overlaps [dataStart, dataEnd]; in time order.
 */
export function scheduledRuns(s: Scheduling, dataStart: number, dataEnd: number): ScheduledRun[] {
  void s;
  void dataStart;
  void dataEnd;
  throw new Error('scheduledRuns: not implemented yet');
}
