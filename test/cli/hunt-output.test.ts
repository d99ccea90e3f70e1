/**
 * `vigil hunt` output formats, end to end: the real program hunts a `vigil simulate iis` case
 * (seed 1, written here into a temp folder) with the built-in content, and its table, JSONL and
 * CSV must match test/golden/hunt-output/ line for line (the temp folder and the repository
 * path are replaced by <case> and <repo>). The CSV is parsed back (BOM, quoting, multi-line
 * cells); the HTML report is opened in headless Chromium. After an intended output change,
 * review the diff and refresh with
 *   UPDATE_GOLDEN=1 node --test dist/test/cli/hunt-output.test.js
 * and the screenshot in docs/ with VIGIL_SCREENSHOTS=1.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildIisScenario } from '../../src/simulate/iis-scenario.js';
import { writeIisSimulation } from '../../src/simulate/write-iis.js';
import { CSV_COLUMNS, csvCell, csvRowLine, findingCsvRow, parseCsv } from '../../src/cli/hunt/finding-csv.js';
import { createFindingFormatter, tableStyleFor } from '../../src/cli/hunt/finding-format.js';
import type { MatchRecord } from '../../src/cli/hunt/finding-record.js';
import { LineSplitter, ReportCollector, type ReportItem } from '../../src/cli/report/report-collect.js';
import { barWidth, writeHtmlReport } from '../../src/cli/report/html-report.js';
import { defaultAttackCatalog } from '../../src/risk/index.js';
import { parseTimeZone } from '../../src/cli/output/time-format.js';
import { browserSkipReason, launchBrowser } from '../helpers/browser.js';
import { runVigil, type VigilRun as Run } from '../helpers/run-vigil.js';

function vigil(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return runVigil(args, { cwd: REPO, env });
}

const REPO = process.cwd();
const GOLDEN_DIR = path.join(REPO, 'test', 'golden', 'hunt-output');
const UPDATE = process.env.UPDATE_GOLDEN === '1';
const SCENARIO = buildIisScenario(1);
let dir = '';

/** The case's inputs: the EVTX channels and the module inventory, on one thread for a fixed order. */
function huntArgs(...extra: string[]): string[] {
  return ['hunt', path.join(dir, 'evtx'), path.join(dir, 'inventory'), '--threads', '1', ...extra];
}

function normalise(text: string): string {
  return text.replaceAll(dir, '<case>').replaceAll(REPO, '<repo>');
}

async function compareGolden(name: string, got: string): Promise<void> {
  const golden = path.join(GOLDEN_DIR, name);
  if (UPDATE || !existsSync(golden)) {
    await mkdir(GOLDEN_DIR, { recursive: true });
    await writeFile(golden, got);
    if (!UPDATE) assert.fail(`golden file was missing and has been written: ${golden}; review it and run again`);
    return;
  }
  const want = (await readFile(golden, 'utf8')).split('\n');
  const lines = got.split('\n');
  for (let i = 0; i < Math.max(lines.length, want.length); i++) {
    assert.equal(lines[i], want[i], `line ${i + 1} differs from ${path.relative(REPO, golden)}`);
  }
}

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'vigil-hunt-output-'));
  await writeIisSimulation(dir, SCENARIO, ['evtx']);
});

after(async () => {
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

test('golden: table (no colour), the risk-ranked attacked host first', async () => {
  const r = await vigil(huntArgs('--no-color'));
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stdout, /\u001b\[/, 'no colour codes with --no-color');
  const ranked = r.stdout.split('\n').find((l) => l.startsWith('1 '));
  assert.match(ranked ?? '', new RegExp(`system\\s+${SCENARIO.host.replaceAll('.', '\\.')}`));
  await compareGolden('iis-seed1.table.txt', normalise(r.stdout));
});

test('golden: JSONL', async () => {
  const r = await vigil(huntArgs('--format', 'jsonl'));
  assert.equal(r.code, 0, r.stderr);
  for (const line of r.stdout.trimEnd().split('\n')) JSON.parse(line);
  await compareGolden('iis-seed1.jsonl', normalise(r.stdout));
});

test('golden: CSV, and it parses back with every row complete', async () => {
  const r = await vigil(huntArgs('--format', 'csv'));
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.stdout.startsWith('\uFEFFTimestamp,Computer,'), 'UTF-8 BOM, then the header');
  // Every record ends in CRLF; a bare LF only ever appears inside a quoted cell as part of CRLF.
  assert.ok(r.stdout.endsWith('\r\n'));
  assert.doesNotMatch(r.stdout.replaceAll('\r\n', ''), /\n/);
  const rows = parseCsv(r.stdout);
  assert.deepEqual(rows[0], [...CSV_COLUMNS]);
  for (const [i, row] of rows.entries()) assert.equal(row.length, CSV_COLUMNS.length, `row ${i + 1} has ${row.length} cells`);
  const body = rows.slice(1);
  const at = (c: (typeof CSV_COLUMNS)[number]): number => CSV_COLUMNS.indexOf(c);
  // Sigma findings and Splunk-style detection rows, both with ISO-8601 timestamps.
  assert.ok(body.some((row) => row[at('Kind')] === 'match'));
  assert.ok(body.some((row) => row[at('Kind')]!.startsWith('detection ')));
  for (const row of body) assert.match(row[at('Timestamp')]!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
  // The GAC install script block spans lines: kept whole inside one cell.
  const multi = body.find((row) => row[at('Details')]!.includes('\r\n'));
  assert.ok(multi !== undefined, 'a multi-line Details cell');
  assert.match(multi[at('Details')]!, /GacInstall/);
  await compareGolden('iis-seed1.csv', normalise(r.stdout));
});

test('CSV cells: quotes, separators, line breaks and formula guard survive a round trip', () => {
  const hostile: MatchRecord = {
    kind: 'match',
    rule: { id: 'r-1', title: 'Quote "test", with comma', level: 'high', tags: [], attack: { tactics: ['execution'], techniques: ['T1059.001'] }, file: 'r.yml:1' },
    variant: 'x',
    event: { file: 'C:\\logs\\a,b.evtx', record_id: 7, time: '2024-01-01T00:00:00Z', computer: '=HYPERLINK("http://x")', channel: 'Security', provider: 'p', event_id: 4688 },
    matched: { CommandLine: 'line one\nline "two"\r\nline three', User: '@admin', Other: '-2+3' },
  };
  const text = '\uFEFF' + csvRowLine(findingCsvRow(hostile));
  const [row] = parseCsv(text);
  assert.ok(row !== undefined);
  const at = (c: (typeof CSV_COLUMNS)[number]): string => row[CSV_COLUMNS.indexOf(c)]!;
  assert.equal(at('RuleTitle'), 'Quote "test", with comma');
  assert.equal(at('File'), 'C:\\logs\\a,b.evtx');
  assert.equal(at('Computer'), `'=HYPERLINK("http://x")`, 'a formula gets a leading apostrophe');
  assert.equal(at('Details'), 'CommandLine: line one\r\nline "two"\r\nline three ¦ User: @admin ¦ Other: -2+3');
  assert.equal(csvCell('@SUM(A1)'), "'@SUM(A1)");
  assert.equal(csvCell('+1'), "'+1");
  assert.equal(csvCell('plain'), 'plain');
  assert.equal(csvCell('a"b'), '"a""b"');
});

test('table: colour by level and fitted to the terminal width', () => {
  const record: MatchRecord = {
    kind: 'match',
    rule: { id: 'r', title: 'A rule with a long title that goes on and on', level: 'high', tags: [], attack: { tactics: [], techniques: [] }, file: 'r.yml' },
    variant: 'x',
    event: { file: 'f', record_id: 1, time: '2024-01-01T00:00:00Z', computer: 'HOST', channel: 'Security', provider: 'p', event_id: 4688 },
    matched: { CommandLine: 'x'.repeat(500) },
  };
  const style = tableStyleFor({ toTerminal: true, noColor: false, env: {}, columns: 150 });
  assert.deepEqual(style, { color: true, width: 150 });
  const line = createFindingFormatter('table', style).finding(record);
  assert.ok(line.startsWith('\u001b[91m'), 'high is red');
  const visible = line.replace(/\u001b\[[0-9;]*m/g, '').trimEnd();
  assert.equal([...visible].length, 150);
  assert.ok(visible.endsWith('…'));
  assert.equal(tableStyleFor({ toTerminal: true, noColor: true, env: {}, columns: 150 }).color, false, '--no-color');
  assert.equal(tableStyleFor({ toTerminal: true, noColor: false, env: { NO_COLOR: '1' }, columns: 150 }).color, false, 'NO_COLOR');
  assert.equal(tableStyleFor({ toTerminal: true, noColor: false, env: { NO_COLOR: '' }, columns: 150 }).color, true, 'empty NO_COLOR does not count');
  assert.deepEqual(tableStyleFor({ toTerminal: false, noColor: false, env: {}, columns: 150 }), { color: false, width: null }, 'files and pipes stay plain');
  const narrow = createFindingFormatter('table', { color: false, width: 60 }).finding(record).trimEnd();
  assert.equal([...narrow].length, 60);
  // Between the full layout and narrow ones, RULE gives up width so the matched fields still show.
  for (const columns of [110, 120, 140]) {
    const fitted = createFindingFormatter('table', { color: false, width: columns });
    const row = fitted.finding(record).trimEnd();
    assert.equal([...row].length, columns);
    assert.match(row, /A rule with a long.*… CommandLine=x+…$/, `${columns} columns: ${row}`);
    const header = fitted.header.trimEnd();
    assert.equal(header.indexOf('MATCHED'), row.indexOf('CommandLine='), `${columns} columns: the header's MATCHED is above the fields`);
  }
});

test('--timezone: table and CSV times in the zone, with the zone named or the offset written', () => {
  const record: MatchRecord = {
    kind: 'match',
    rule: { id: 'r', title: 'T', level: 'low', tags: [], attack: { tactics: [], techniques: [] }, file: 'r.yml' },
    variant: 'x',
    event: { file: 'f', record_id: 1, time: '2024-01-01T23:30:00.1234567Z', computer: 'HOST', channel: 'Security', provider: 'p', event_id: 4688 },
    matched: {},
  };
  const timeZone = parseTimeZone('+09:00');
  const csv = createFindingFormatter('csv', { color: false, width: null, timeZone });
  const [row] = parseCsv(csv.finding(record));
  assert.equal(row?.[0], '2024-01-02T08:30:00.1234567+09:00');
  // Workers build the same formatter from the style they are handed (hunt-worker.ts).
  assert.equal(csv.workerSafe, true);
  const table = createFindingFormatter('table', { color: false, width: null, timeZone });
  assert.match(table.header, /^LEVEL\s+TIME \(\+09:00\)/);
  assert.match(table.finding(record), /^low\s+2024-01-02 08:30:00 /);
});

test('report collector: over the caps, the least severe findings are left out and counted', () => {
  const item = (level: ReportItem['level'], minute: number): ReportItem => ({
    kind: 'match',
    time: `2024-01-01T00:${String(minute).padStart(2, '0')}:00Z`,
    level,
    computer: 'H',
    title: `t-${level}`,
    rule_id: level,
    event_id: '1',
    channel: null,
    file: null,
    record_id: null,
    tactics: ['Persistence'],
    techniques: [],
    matched: {},
    fields: null,
  });
  const c = new ReportCollector(3, 1 << 20);
  c.add(item('low', 1));
  c.add(item('high', 2));
  c.add(item('informational', 3));
  c.add(item('critical', 4));
  c.add(item('medium', 5));
  const kept = c.keptJson().map((j) => (JSON.parse(j) as ReportItem).level);
  assert.deepEqual(kept, ['high', 'critical', 'medium']);
  assert.equal(c.leftOut, 2);
  const counts = c.counts();
  assert.equal(counts.total, 5);
  assert.equal(counts.tactics.get('Persistence'), 5);
  assert.equal(counts.bucketMs, 60_000);
  assert.equal(counts.buckets.size, 5);
  // Five minutes of data: one bar a minute; three days: one bar an hour.
  assert.deepEqual(barWidth(5 * 60_000, 60_000), [60_000, 'minute']);
  assert.deepEqual(barWidth(3 * 86_400_000, 60_000), [3_600_000, 'hour']);
});

test('line splitter: lines cut across pieces come back whole; an overlong one is skipped', () => {
  const got: string[] = [];
  const s = new LineSplitter((l) => got.push(l), 10);
  for (const piece of ['ab', 'c\nde', 'f\n', 'x'.repeat(8), 'y'.repeat(8), '\nlast']) s.push(piece);
  s.end();
  assert.deepEqual(got, ['abc', 'def', 'last']);
  assert.equal(s.skipped, 1);
});

test('HTML report: hostile text stays text (no markup, no early end of the data script)', async () => {
  const c = new ReportCollector();
  const evil = '</script><script>alert(1)</script><img src=x onerror=alert(2)>';
  c.add({ kind: 'match', time: '2024-01-01T00:00:00Z', level: 'high', computer: evil, title: evil, rule_id: evil, event_id: '1', channel: null, file: null, record_id: null, tactics: [evil], techniques: [], matched: { [evil]: evil }, fields: { a: evil } });
  let html = '';
  const items = c.keptJson();
  await writeHtmlReport({ counts: c.counts(), kept: items.length, leftOut: 0, risk: null, catalog: defaultAttackCatalog() }, items, async (t) => ((html += t), true));
  assert.equal(html.split('</script>').length - 1, 2, 'only the report\'s own two scripts end');
  assert.doesNotMatch(html, /<img/);
  const data = /<script id="report-data" type="application\/json">([\s\S]*?)<\/script>/.exec(html);
  assert.ok(data !== null);
  const parsed = JSON.parse(data[1]!) as ReportItem[];
  assert.equal(parsed[0]?.title, evil, 'the data keeps the text exactly');
});

test('--format html needs --output', async () => {
  const r = await vigil(huntArgs('--format', 'html'));
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--format html needs --output/);
});

test('HTML report: renders offline in Chromium with chart, ranking and drill-down', async (t) => {
  const out = path.join(dir, 'report.html');
  const r = await vigil(huntArgs('--format', 'html', '--output', out));
  assert.equal(r.code, 0, r.stderr);
  const html = await readFile(out, 'utf8');
  assert.doesNotMatch(html, /(src|href)\s*=\s*["']?(https?:)?\/\//i, 'no external references');
  assert.match(html, /Content-Security-Policy" content="default-src 'none'/);
  const skip = browserSkipReason();
  if (skip !== null) return t.skip(skip);
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1500 } });
    const problems: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(String(e)));
    page.on('request', (q) => requests.push(q.url()));
    const url = pathToFileURL(out).href;
    await page.goto(url);
    assert.equal(await page.title(), 'Vigil hunt report');
    const bars = await page.locator('#timeline-chart rect.bar').count();
    assert.ok(bars > 0, 'the timeline chart has bars');
    const firstEntity = await page.locator('#entities tbody tr').first().locator('.entity').textContent();
    assert.equal(firstEntity, SCENARIO.host, 'the attacked host is ranked first');
    const rows = await page.locator('#findings tbody tr.finding').count();
    assert.ok(rows > 10, `drill-down rows: ${rows}`);
    await page.locator('#findings tbody tr.finding').first().click();
    const fieldRows = await page.locator('#findings tr.detail table.fields tr').count();
    assert.ok(fieldRows > 5, `the drill-down shows the event's fields (${fieldRows})`);
    assert.ok((await page.locator('#findings tr.detail table.fields tr.hit').count()) > 0, 'matched fields are highlighted');
    await page.fill('#filter', 'gacutil');
    const filtered = await page.locator('#findings tbody tr.finding').count();
    assert.ok(filtered > 0 && filtered < rows, `the filter narrows the list (${filtered} of ${rows})`);
    await page.fill('#filter', '');
    assert.deepEqual(problems, [], 'no console errors');
    assert.deepEqual(requests, [url], 'no request but the file itself');
    if (process.env.VIGIL_SCREENSHOTS === '1') {
      const shot = path.join(REPO, 'docs', 'screenshots', 'hunt-report.png');
      await mkdir(path.dirname(shot), { recursive: true });
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.screenshot({ path: shot });
    }
  } finally {
    await browser.close();
  }
});
