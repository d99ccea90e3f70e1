/**
 * `vigil hunt` with its results and its progress line on one terminal: the line wipes itself
 * before every write of results, so no screen line holds both, and none is left at the end; the
 * results are fitted to the terminal's width with room for the columns a responder reads. The
 * terminal is emulated here (carriage return, erase to end of line, newline) over what the
 * command wrote to its standard error and standard output, in order.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { EXAMPLE_EVENTS } from '../../src/cli/example/example-events.js';
import { writeEvtx } from '../../src/sinks/evtx-writer/index.js';
import { makeHuntCommand } from '../../src/cli/commands/hunt.js';
import { tempDirs } from '../helpers/temp-dirs.js';

const tempDir = tempDirs();
let logs = '';

/** The lines a terminal shows after `text`: `\r` goes to the line start, ESC[K erases to its end. */
function screen(text: string): string[] {
  const lines: string[] = [''];
  let col = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    const row = lines.length - 1;
    if (c === '\n') {
      lines.push('');
      col = 0;
    } else if (c === '\r') {
      col = 0;
    } else if (c === '\u001b' && text.startsWith('\u001b[K', i)) {
      lines[row] = lines[row]!.slice(0, col);
      i += 2;
    } else {
      const line = lines[row]!.padEnd(col);
      lines[row] = line.slice(0, col) + c + line.slice(col + 1);
      col++;
    }
  }
  return lines;
}

before(async () => {
  const dir = tempDir('vigil-progress-terminal-');
  logs = path.join(dir, 'example.evtx');
  await writeFile(logs, writeEvtx(EXAMPLE_EVENTS));
});

test('results and the progress line on one terminal never share a line', async () => {
  let written = '';
  let bars = 0;
  const terminal = {
    isTTY: true,
    columns: 100,
    write: (text: string): boolean => {
      if (text.includes('events/s')) bars++;
      written += text;
      return true;
    },
  };
  const stdout = Object.assign(
    new Writable({
      write(chunk: Buffer | string, _encoding, done): void {
        written += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
        done();
      },
    }),
    { isTTY: true, columns: 110 },
  );
  // The built-in content (Sigma rules and the IIS detections, risk on), the table to the terminal.
  const command = makeHuntCommand({ stderr: (t) => (written += t), terminal, stdout });
  const code = await command.run([logs, '--threads', '1', '--no-color']);
  assert.equal(code, 0, written);
  assert.ok(bars > 0, 'the progress line was drawn');
  const lines = screen(written);
  const mixed = lines.filter((l) => l.includes('events/s') && !/^read [\d.]+ MB in /.test(l));
  assert.deepEqual(mixed, [], 'no progress line left on the screen, alone or beside results');
  assert.ok(lines.some((l) => l.startsWith('== Risk-ranked entities')), lines.join('\n'));
  assert.ok(lines.some((l) => l.startsWith('LEVEL ')), 'the findings table header starts its line');
  // Fitted to the terminal's 110 columns, with room left for the entities' top detections and
  // the findings' matched fields.
  const results = lines.filter((l) => !/^(read |rules:|events:|findings:|risk:|detections:|vigil hunt)/.test(l));
  assert.deepEqual(results.filter((l) => [...l].length > 110), [], 'no line wider than the terminal');
  const entityHeader = lines.find((l) => l.startsWith('RANK '));
  assert.ok(entityHeader?.includes('TOP DETECTIONS'), entityHeader);
  const header = lines.find((l) => l.startsWith('LEVEL '))!;
  assert.ok(header.includes('MATCHED'), header);
  const row = lines[lines.indexOf(header) + 1]!;
  assert.ok(row.slice(header.indexOf('MATCHED')).trim().length >= 10, `the first finding shows its matched fields: ${row}`);
});
