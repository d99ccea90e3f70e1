import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseInteger, parseTimestamp } from '../../src/sources/text/text-event.js';

const TIMES: ReadonlyArray<readonly [string | number, string | null]> = [
  ['2025-03-03T10:11:12.1234567Z', '2025-03-03T10:11:12.1234567Z'],
  ['2025-03-03T10:11:12Z', '2025-03-03T10:11:12Z'],
  ['2025-03-03 10:11:12.615', '2025-03-03T10:11:12.615Z'],
  ['2025-03-03T12:11:12+02:00', '2025-03-03T10:11:12.000Z'],
  ['2025-03-03 12:11:12.250 +0200', '2025-03-03T10:11:12.250Z'],
  ['07/04/2025 11:05:09 PM', '2025-07-04T23:05:09Z'],
  ['07/04/2025 12:05:09 AM', '2025-07-04T00:05:09Z'],
  ['07/04/2025 12:05:09 PM', '2025-07-04T12:05:09Z'],
  ['7/4/25 1:05:09 pm', '2025-07-04T13:05:09Z'],
  ['02/29/2024 01:00:00 AM', '2024-02-29T01:00:00Z'],
  ['02/29/2025 01:00:00 AM', null],
  ['13/01/2025 01:00:00 AM', null],
  ['07/04/2025 13:05:09 PM', null],
  ['2025-04-31T00:00:00Z', null],
  ['/Date(1735689600000)/', '2025-01-01T00:00:00.000Z'],
  [1735689600, '2025-01-01T00:00:00.000Z'],
  [1735689600123, '2025-01-01T00:00:00.123Z'],
  ['yesterday', null],
  ['', null],
];

for (const [input, expected] of TIMES) {
  test(`parseTimestamp(${JSON.stringify(input)}) → ${expected}`, () => {
    assert.equal(parseTimestamp(input), expected);
  });
}

test('parseInteger reads decimal and 0x hex, rejects the rest', () => {
  assert.equal(parseInteger('4688'), 4688);
  assert.equal(parseInteger(' 42 '), 42);
  assert.equal(parseInteger('0x1c2c'), 0x1c2c);
  assert.equal(parseInteger(7), 7);
  assert.equal(parseInteger(1.5), null);
  assert.equal(parseInteger('12abc'), null);
  assert.equal(parseInteger(''), null);
  assert.equal(parseInteger(null), null);
});
