/** SPL time: relative modifiers, strftime/strptime, cron, spans and scheduled runs (all UTC). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { nextCronTime, parseCron } from '../../src/spl/time/cron.js';
import { strftime, strptime } from '../../src/spl/time/format.js';
import { applyTimeModifier, isTimeModifier } from '../../src/spl/time/relative.js';
import { MAX_SCHEDULED_RUNS, scheduledRuns } from '../../src/spl/time/schedule.js';
import { floorToSpan, nextSpanStart, parseSpan } from '../../src/spl/time/span.js';

/** Epoch seconds of a UTC wall-clock time, from Date.UTC (independent of the code under test). */
const utc = (y: number, mo: number, d: number, h = 0, mi = 0, s = 0): number => Date.UTC(y, mo - 1, d, h, mi, s) / 1000;
const iso = (epoch: number): string => new Date(epoch * 1000).toISOString().replace('.000Z', 'Z');

// Wednesday 2024-07-17 14:37:25 UTC, the "search at 14:37:25" of spl-and-rba.md §4.1.
const NOW = utc(2024, 7, 17, 14, 37, 25);

describe('relative time modifiers', () => {
  test('the worked examples of §4.1', () => {
    assert.equal(iso(applyTimeModifier('-70m@m', NOW)), '2024-07-17T13:27:00Z');
    assert.equal(iso(applyTimeModifier('-10m@m', NOW)), '2024-07-17T14:27:00Z');
    assert.equal(iso(applyTimeModifier('-24h@h', NOW)), '2024-07-16T14:00:00Z');
    assert.equal(iso(applyTimeModifier('@d', NOW)), '2024-07-17T00:00:00Z');
    // 24 h 10 min earlier, minute-aligned.
    assert.equal(applyTimeModifier('-1450m@m', NOW), utc(2024, 7, 16, 14, 27, 0));
  });

  test('chains run left to right: offset then snap, snap then offset', () => {
    assert.equal(iso(applyTimeModifier('@d-2h', NOW)), '2024-07-16T22:00:00Z');
    assert.equal(iso(applyTimeModifier('-2h@h', NOW)), '2024-07-17T12:00:00Z');
    // -5d = Fri 12th; the Monday on or before it is the 8th.
    assert.equal(iso(applyTimeModifier('-5d@w1', NOW)), '2024-07-08T00:00:00Z');
    assert.equal(iso(applyTimeModifier('@d+1d@h-30s', NOW)), '2024-07-17T23:59:30Z');
  });

  test('unit spellings are equivalent and 1 is implied', () => {
    const minus90s = NOW - 90;
    for (const m of ['-90s', '-90sec', '-90secs', '-90second', '-90seconds']) assert.equal(applyTimeModifier(m, NOW), minus90s, m);
    for (const m of ['-1m', '-1min', '-1mins', '-1minute', '-1minutes', '-m']) assert.equal(applyTimeModifier(m, NOW), NOW - 60, m);
    for (const m of ['-1h', '-1hr', '-1hrs', '-1hour', '-1hours', '-h']) assert.equal(applyTimeModifier(m, NOW), NOW - 3600, m);
    for (const m of ['-1d', '-1day', '-1days', '-d']) assert.equal(applyTimeModifier(m, NOW), NOW - 86400, m);
    for (const m of ['-1w', '-1week', '-1weeks', '-w']) assert.equal(applyTimeModifier(m, NOW), NOW - 7 * 86400, m);
    for (const m of ['-1mon', '-1month', '-1months', '-mon']) assert.equal(iso(applyTimeModifier(m, NOW)), '2024-06-17T14:37:25Z', m);
    for (const m of ['-1q', '-1qtr', '-1qtrs', '-1quarter', '-1quarters', '-q']) assert.equal(iso(applyTimeModifier(m, NOW)), '2024-04-17T14:37:25Z', m);
    for (const m of ['-1y', '-1yr', '-1yrs', '-1year', '-1years', '-y']) assert.equal(iso(applyTimeModifier(m, NOW)), '2023-07-17T14:37:25Z', m);
    assert.equal(applyTimeModifier('+1h', NOW), NOW + 3600);
  });

  test('snaps round down to week days, months, quarters and years', () => {
    assert.equal(iso(applyTimeModifier('@w0', NOW)), '2024-07-14T00:00:00Z');
    assert.equal(applyTimeModifier('@w', NOW), applyTimeModifier('@w0', NOW));
    assert.equal(applyTimeModifier('@w7', NOW), applyTimeModifier('@w0', NOW));
    assert.equal(iso(applyTimeModifier('@w3', NOW)), '2024-07-17T00:00:00Z', 'today is Wednesday');
    assert.equal(iso(applyTimeModifier('@w4', NOW)), '2024-07-11T00:00:00Z');
    assert.equal(iso(applyTimeModifier('@w6', NOW)), '2024-07-13T00:00:00Z');
    assert.equal(iso(applyTimeModifier('@mon', NOW)), '2024-07-01T00:00:00Z');
    assert.equal(iso(applyTimeModifier('@q', NOW)), '2024-07-01T00:00:00Z');
    assert.equal(iso(applyTimeModifier('@q', utc(2024, 6, 30, 23, 59, 59))), '2024-04-01T00:00:00Z');
    assert.equal(iso(applyTimeModifier('@q', utc(2024, 2, 29, 12))), '2024-01-01T00:00:00Z');
    assert.equal(iso(applyTimeModifier('@y', NOW)), '2024-01-01T00:00:00Z');
    assert.equal(iso(applyTimeModifier('@h', utc(2024, 7, 17, 11, 59, 0))), '2024-07-17T11:00:00Z', 'rounds down, never up');
    assert.equal(applyTimeModifier('@s', NOW + 0.75), NOW);
  });

  test('calendar offsets clamp to the end of the month', () => {
    assert.equal(iso(applyTimeModifier('-1mon', utc(2024, 3, 31, 8))), '2024-02-29T08:00:00Z');
    assert.equal(iso(applyTimeModifier('+1y', utc(2024, 2, 29))), '2025-02-28T00:00:00Z');
    assert.equal(iso(applyTimeModifier('-13mon@mon', NOW)), '2023-06-01T00:00:00Z');
  });

  test('now, epoch numbers and absolute times', () => {
    assert.equal(applyTimeModifier('now', NOW), NOW);
    assert.equal(applyTimeModifier('0', NOW), 0);
    assert.equal(applyTimeModifier('1', NOW), 1);
    assert.equal(applyTimeModifier('1700000000', NOW), 1700000000);
    assert.equal(applyTimeModifier('1700000000.5', NOW), 1700000000.5);
    assert.equal(applyTimeModifier('10/19/2024:00:00:00', NOW), utc(2024, 10, 19));
    assert.equal(applyTimeModifier('1/2/2024:3:04:05', NOW), utc(2024, 1, 2, 3, 4, 5));
    assert.equal(applyTimeModifier(' -70M@M ', NOW), applyTimeModifier('-70m@m', NOW), 'trimmed, case-insensitive');
  });

  test('malformed modifiers throw a message naming the modifier', () => {
    for (const bad of ['', '-5', '5m', '@', '-5x', '@w8', '@5m', 'yesterday', '02/30/2024:00:00:00', '13/01/2024:00:00:00', '-1234567890d', '-'.repeat(300)]) {
      assert.throws(() => applyTimeModifier(bad, NOW), (e: Error) => e.message.startsWith('time modifier '), JSON.stringify(bad));
      assert.equal(isTimeModifier(bad), false, bad);
    }
    assert.throws(() => applyTimeModifier('-99999999y', NOW), /outside the supported range/);
    for (const good of ['now', '0', '-70m@m', '@d-2h', '-5d@w1', '+1h', '10/19/2024:00:00:00']) assert.equal(isTimeModifier(good), true, good);
  });
});

describe('strftime', () => {
  const T = utc(2023, 11, 14, 22, 13, 20) + 0.123456; // a Tuesday, day 318

  test('date and time variables', () => {
    assert.equal(strftime(T, '%Y-%m-%dT%H:%M:%S'), '2023-11-14T22:13:20');
    assert.equal(strftime(T, '%y %b %B %a %A %j'), '23 Nov November Tue Tuesday 318');
    assert.equal(strftime(T, '%I:%M %p'), '10:13 PM');
    assert.equal(strftime(utc(2023, 1, 5, 0, 7), '%I %p %e|%k'), '12 AM  5| 0');
    assert.equal(strftime(T, '%T %F'), '22:13:20 2023-11-14');
    assert.equal(strftime(T, '%Z %z %s 100%%'), 'UTC +0000 1700000000 100%');
  });

  test('sub-second variables', () => {
    assert.equal(strftime(T, '%3N|%6N|%9N|%N'), '123|123456|123456000|123456000');
    assert.equal(strftime(T, '%Q|%6Q|%f'), '123|123456|123456');
    assert.equal(strftime(utc(2024, 1, 1) - 0.0000004, '%Y-%m-%d %H:%M:%S.%6N'), '2024-01-01 00:00:00.000000', 'rounded to the microsecond');
  });

  test('week numbers', () => {
    assert.equal(strftime(utc(2021, 1, 3), '%V %G %U %W %u %w'), '53 2020 01 00 7 0');
    assert.equal(strftime(utc(2024, 12, 30), '%V %G'), '01 2025');
  });

  test('unknown variables are kept', () => {
    assert.equal(strftime(T, '%q-%Y'), '%q-2023');
  });
});

describe('strptime', () => {
  test('the ctime format and the US format round-trip', () => {
    for (const epoch of [0, 1700000000, utc(2024, 2, 29, 23, 59, 59), utc(1999, 12, 31, 12), utc(2038, 1, 19, 3, 14, 8)]) {
      for (const format of ['%Y-%m-%dT%H:%M:%S', '%m/%d/%Y %H:%M:%S']) {
        const text = strftime(epoch, format);
        assert.equal(strptime(text, format), epoch, `${format} ${text}`);
      }
    }
    assert.equal(strptime('2023-11-14T22:13:20', '%Y-%m-%dT%H:%M:%S'), utc(2023, 11, 14, 22, 13, 20));
    assert.equal(strptime('11/14/2023 22:13:20', '%m/%d/%Y %H:%M:%S'), utc(2023, 11, 14, 22, 13, 20));
  });

  test('names, 12-hour clock, two-digit years, day of year, offsets, sub-seconds, epoch', () => {
    assert.equal(strptime('Tue, 14 nov 2023 10:13:20 PM', '%a, %d %b %Y %I:%M:%S %p'), utc(2023, 11, 14, 22, 13, 20));
    assert.equal(strptime('12:00 AM 01/02/24', '%I:%M %p %D'), utc(2024, 1, 2, 0, 0));
    assert.equal(strptime('68-01-01', '%y-%m-%d'), utc(2068, 1, 1));
    assert.equal(strptime('69-01-01', '%y-%m-%d'), utc(1969, 1, 1));
    assert.equal(strptime('2024 060', '%Y %j'), utc(2024, 2, 29));
    assert.equal(strptime('2024-07-17 16:37:25 +0200', '%Y-%m-%d %H:%M:%S %z'), NOW);
    assert.equal(strptime('2024-07-17 09:37:25 -05:00', '%Y-%m-%d %H:%M:%S %z'), NOW);
    assert.equal(strptime('2024-07-17T14:37:25Z', '%Y-%m-%dT%H:%M:%S%z'), NOW);
    assert.equal(strptime('2024-07-17 14:37:25.250', '%Y-%m-%d %H:%M:%S.%3N'), NOW + 0.25);
    assert.equal(strptime('1700000000', '%s'), 1700000000);
    assert.equal(strptime('July 17, 2024', '%B %d, %Y'), utc(2024, 7, 17));
  });

  test('text that does not fit gives null', () => {
    assert.equal(strptime('2023-13-01', '%Y-%m-%d'), null);
    assert.equal(strptime('2023-02-30', '%Y-%m-%d'), null);
    assert.equal(strptime('2023/02/01', '%Y-%m-%d'), null);
    assert.equal(strptime('25:00', '%H:%M'), null);
    assert.equal(strptime('Foo 1 2024', '%b %d %Y'), null);
    assert.equal(strptime('', '%Y'), null);
    assert.equal(strptime('x'.repeat(10_000), '%Y'), null);
  });
});

describe('cron', () => {
  test('fields: *, lists, ranges, steps, names', () => {
    const c = parseCron('*/15 9-17/4 1,15 jan-mar,DEC mon-fri');
    assert.deepEqual(c.minutes, [0, 15, 30, 45]);
    assert.deepEqual(c.hours, [9, 13, 17]);
    assert.deepEqual(c.daysOfMonth, [1, 15]);
    assert.deepEqual(c.months, [1, 2, 3, 12]);
    assert.deepEqual(c.daysOfWeek, [1, 2, 3, 4, 5]);
    assert.equal(c.dayOfMonthRestricted, true);
    assert.equal(c.dayOfWeekRestricted, true);
    assert.deepEqual(parseCron('5/20 * * * 7').minutes, [5, 25, 45]);
    assert.deepEqual(parseCron('0 0 * * 7').daysOfWeek, [0], '7 is Sunday');
  });

  test('malformed specs throw with the field named', () => {
    assert.throws(() => parseCron('0 * * *'), /expected 5 fields/);
    assert.throws(() => parseCron('60 * * * *'), /minute value 60 is outside 0-59/);
    assert.throws(() => parseCron('0 5-2 * * *'), /hour range '5-2' runs backwards/);
    assert.throws(() => parseCron('*/0 * * * *'), /step '0' must be a positive number/);
    assert.throws(() => parseCron('0 0 * foo *'), /month value 'foo'/);
    assert.throws(() => parseCron('0 0 0 * *'), /day-of-month value 0/);
    assert.throws(() => parseCron('0 0 1,,2 * *'), /empty list item/);
  });

  test('next time is strictly after, on whole minutes', () => {
    const hourly = parseCron('0 * * * *');
    assert.equal(iso(nextCronTime(hourly, NOW)), '2024-07-17T15:00:00Z');
    assert.equal(iso(nextCronTime(hourly, utc(2024, 7, 17, 15))), '2024-07-17T16:00:00Z');
    assert.equal(iso(nextCronTime(hourly, utc(2024, 12, 31, 23, 30))), '2025-01-01T00:00:00Z');
    assert.equal(iso(nextCronTime(parseCron('10 0 * * *'), NOW)), '2024-07-18T00:10:00Z');
    assert.equal(iso(nextCronTime(parseCron('* * * * *'), NOW)), '2024-07-17T14:38:00Z');
    assert.equal(iso(nextCronTime(parseCron('30 14 * * *'), NOW)), '2024-07-18T14:30:00Z');
    assert.equal(iso(nextCronTime(parseCron('0 0 29 2 *'), NOW)), '2028-02-29T00:00:00Z');
  });

  test('day-of-month and day-of-week: OR when both restricted, AND when one starts with *', () => {
    // From Wed 17 July: the 20th (Saturday) or any Monday; Monday the 22nd comes after the 20th.
    assert.equal(iso(nextCronTime(parseCron('0 0 20 * 1'), NOW)), '2024-07-20T00:00:00Z');
    assert.equal(iso(nextCronTime(parseCron('0 0 25 * 1'), NOW)), '2024-07-22T00:00:00Z');
    // Only Mondays (day-of-month unrestricted).
    assert.equal(iso(nextCronTime(parseCron('0 0 * * mon'), NOW)), '2024-07-22T00:00:00Z');
    // */2 counts as unrestricted: odd days AND Mondays → Monday the 29th (the 22nd is even).
    assert.equal(iso(nextCronTime(parseCron('0 0 */2 * 1'), NOW)), '2024-07-29T00:00:00Z');
  });

  test('an impossible spec ends with a clear error instead of looping', () => {
    const start = Date.now();
    assert.throws(() => nextCronTime(parseCron('0 0 31 2 *'), NOW), /never matches in the 100 years after/);
    assert.throws(() => nextCronTime(parseCron('0 0 30 feb *'), NOW), /never matches/);
    assert.ok(Date.now() - start < 2000, 'gives up quickly');
  });
});

describe('spans', () => {
  test('parse', () => {
    assert.deepEqual(parseSpan('5m'), { seconds: 300 });
    assert.deepEqual(parseSpan('1h'), { seconds: 3600 });
    assert.deepEqual(parseSpan('30sec'), { seconds: 30 });
    assert.deepEqual(parseSpan('2d'), { seconds: 172800 });
    assert.deepEqual(parseSpan('1w'), { seconds: 604800 });
    assert.deepEqual(parseSpan('300'), { seconds: 300 });
    assert.deepEqual(parseSpan('100ms'), { seconds: 0.1 });
    assert.deepEqual(parseSpan('1mon'), { months: 1 });
    assert.deepEqual(parseSpan('1q'), { months: 3 });
    assert.deepEqual(parseSpan('2y'), { months: 24 });
    for (const bad of ['', '0m', '5x', 'm5', '1.5mon', '-5m']) assert.throws(() => parseSpan(bad), /span /, bad);
  });

  test('fixed spans are aligned to the epoch in UTC', () => {
    assert.equal(iso(floorToSpan(NOW, parseSpan('5m'))), '2024-07-17T14:35:00Z');
    assert.equal(iso(floorToSpan(NOW, parseSpan('1h'))), '2024-07-17T14:00:00Z');
    assert.equal(iso(floorToSpan(NOW, parseSpan('1d'))), '2024-07-17T00:00:00Z');
    assert.equal(iso(floorToSpan(NOW, parseSpan('7m'))), iso(Math.floor(NOW / 420) * 420));
    // 1970-01-01 was a Thursday, so epoch-aligned weeks start on Thursdays.
    assert.equal(iso(floorToSpan(NOW, parseSpan('1w'))), '2024-07-11T00:00:00Z');
    assert.equal(floorToSpan(utc(2024, 1, 1, 0, 5), parseSpan('5m')), utc(2024, 1, 1, 0, 5), 'a bucket start maps to itself');
    assert.ok(Math.abs(floorToSpan(0.3, parseSpan('100ms')) - 0.3) < 1e-12, 'float noise does not drop a bucket');
    assert.equal(floorToSpan(-1, parseSpan('1h')), -3600);
  });

  test('month, quarter and year spans follow the calendar', () => {
    assert.equal(iso(floorToSpan(NOW, parseSpan('1mon'))), '2024-07-01T00:00:00Z');
    assert.equal(iso(floorToSpan(NOW, parseSpan('1q'))), '2024-07-01T00:00:00Z');
    assert.equal(iso(floorToSpan(NOW, parseSpan('2mon'))), '2024-07-01T00:00:00Z');
    assert.equal(iso(floorToSpan(utc(2024, 6, 30), parseSpan('2mon'))), '2024-05-01T00:00:00Z');
    assert.equal(iso(floorToSpan(NOW, parseSpan('1y'))), '2024-01-01T00:00:00Z');
    assert.equal(iso(nextSpanStart(utc(2024, 12, 1), parseSpan('1mon'))), '2025-01-01T00:00:00Z');
  });
});

describe('scheduled runs', () => {
  const ESCU = { cronSchedule: '0 * * * *', earliestTime: '-70m@m', latestTime: '-10m@m', scheduleWindow: 'auto' };

  test('hourly -70m@m..-10m@m windows tile the data exactly', () => {
    const start = utc(2024, 7, 2, 13, 5, 12);
    const end = utc(2024, 7, 2, 17, 2, 40);
    const runs = scheduledRuns(ESCU, start, end);
    // Windows are [HH-1:50, HH:50): the first that reaches 13:05:12 is [12:50, 13:50) at 14:00; the
    // last that starts before 17:02:40 is [16:50, 17:50) at 18:00.
    assert.deepEqual(runs.map((r) => iso(r.time)), ['14:00', '15:00', '16:00', '17:00', '18:00'].map((t) => `2024-07-02T${t}:00Z`));
    assert.equal(iso(runs[0]!.earliest), '2024-07-02T12:50:00Z');
    assert.equal(iso(runs[0]!.latest), '2024-07-02T13:50:00Z');
    for (let i = 1; i < runs.length; i++) {
      assert.equal(runs[i]!.earliest, runs[i - 1]!.latest, 'no gap, no overlap');
      assert.equal(runs[i]!.time - runs[i - 1]!.time, 3600);
    }
    assert.ok(runs[0]!.earliest <= start && runs.at(-1)!.latest > end, 'the windows cover the data');
    for (const r of runs) assert.equal(r.latest - r.earliest, 3600);
  });

  test('every data time falls in exactly one window', () => {
    const start = utc(2024, 7, 2, 0, 0, 0);
    const runs = scheduledRuns(ESCU, start, start + 86400);
    for (let t = start; t <= start + 86400; t += 37) {
      assert.equal(runs.filter((r) => r.earliest <= t && t < r.latest).length, 1, iso(t));
    }
  });

  test('a window boundary is exclusive at latest', () => {
    const boundary = utc(2024, 7, 2, 13, 50);
    const runs = scheduledRuns(ESCU, boundary, boundary);
    assert.deepEqual(runs.map((r) => iso(r.time)), ['2024-07-02T15:00:00Z']);
  });

  test('daily baseline schedule and a schedule whose window lies after the run', () => {
    const baseline = { cronSchedule: '10 0 * * *', earliestTime: '-1450m@m', latestTime: '-10m@m', scheduleWindow: null };
    const runs = scheduledRuns(baseline, utc(2024, 7, 2, 6), utc(2024, 7, 3, 6));
    assert.deepEqual(runs.map((r) => iso(r.time)), ['2024-07-03T00:10:00Z', '2024-07-04T00:10:00Z']);
    assert.equal(iso(runs[0]!.earliest), '2024-07-02T00:00:00Z');
    const ahead = { cronSchedule: '0 0 * * *', earliestTime: 'now', latestTime: '+1d', scheduleWindow: null };
    assert.deepEqual(scheduledRuns(ahead, utc(2024, 7, 2, 6), utc(2024, 7, 2, 7)).map((r) => iso(r.time)), ['2024-07-02T00:00:00Z']);
  });

  test('empty data span and empty windows give no runs', () => {
    assert.deepEqual(scheduledRuns(ESCU, 100, 50), []);
    const inverted = { cronSchedule: '0 * * * *', earliestTime: '-10m', latestTime: '-70m', scheduleWindow: null };
    assert.deepEqual(scheduledRuns(inverted, utc(2024, 1, 1), utc(2024, 1, 2)), []);
  });

  test('run counts are capped, and never-ending schedules are refused', () => {
    const everyMinute = { cronSchedule: '* * * * *', earliestTime: '-1m', latestTime: 'now', scheduleWindow: null };
    const years = 3 * 365 * 86400;
    assert.ok(MAX_SCHEDULED_RUNS < years / 60);
    assert.throws(() => scheduledRuns(everyMinute, 0, years), /more than 1000000 runs/);
    const allTime = { cronSchedule: '0 * * * *', earliestTime: '0', latestTime: 'now', scheduleWindow: null };
    assert.throws(() => scheduledRuns(allTime, utc(2024, 1, 1), utc(2024, 1, 2)), /never passes the data's end/);
    assert.throws(() => scheduledRuns({ ...ESCU, cronSchedule: '0 0 31 2 *' }, utc(2024, 1, 1), utc(2024, 1, 2)), /never matches/);
    assert.throws(() => scheduledRuns({ ...ESCU, earliestTime: '-70x' }, utc(2024, 1, 1), utc(2024, 1, 2)), /time modifier '-70x'/);
  });
});
