/**
 * `vigil hunt` filters and run reporting (hunt-fakes.ts backend, the example incident's EVTX):
 * rule filters (level, status, id, tag, file) with excluded-rule reporting, event filters
 * (--from/--to, --channel, --event-id) on the main thread and in worker threads, --timezone
 * printing, the progress line (off when not a terminal), hits per rule, and one clear line per
 * broken input or rule while the run goes on.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile, chmod } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { contentDir } from '../../src/core/mappings-dir.js';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeExampleFiles } from '../../src/cli/example/example-files.js';
import { EXAMPLE_EVENTS } from '../../src/cli/example/example-events.js';
import { UsageError } from '../../src/cli/command.js';
import { makeHuntCommand } from '../../src/cli/commands/hunt.js';
import type { RuleReport } from '../../src/cli/hunt/api.js';
import type { DetectionRule, Rule } from '../../src/ir/nodes.js';
import type { MatchRecord } from '../../src/cli/hunt/finding-record.js';
import { fileMatchesGlob, NO_RULE_FILTER, normaliseTag, ruleExclusion, type RuleFacts, type RuleFilter } from '../../src/cli/hunt/filters.js';
import { applyRuleFilter } from '../../src/cli/hunt/load-rules.js';
import { formatTime, parseTimeBound, parseTimeZone } from '../../src/cli/output/time-format.js';
import { ProgressBar, progressLine, progressWanted } from '../../src/cli/output/progress.js';
import { detection, eventCount, fakeBackend } from './hunt-fakes.js';

const FAKE_ENGINE = new URL('./hunt-fakes.js', import.meta.url).href;
let dir = '';
let evtxDir = '';
let rulesFile = '';

const count = (p: (e: (typeof EXAMPLE_EVENTS)[number]) => boolean): number => EXAMPLE_EVENTS.filter(p).length;
const SYSMON_1 = count((e) => e.eventId === 1);
const SEC_4688 = count((e) => e.eventId === 4688);

function withStatus(rule: DetectionRule, status: string): DetectionRule {
  return { ...rule, meta: { ...rule.meta, status } };
}

const RULES: Rule[] = [
  detection('r-sysmon-1', 'Process created (Sysmon)', 'high', [1], ['attack.execution', 'attack.t1059.001']),
  detection('r-4688', 'Process created (Security)', 'medium', [4688], ['attack.discovery']),
];

interface Result {
  code: number;
  stderr: string;
  output: string;
  summary: SummaryJson;
}

interface SummaryJson {
  rules: { loaded: number; excluded: number; excluded_by_reason: Record<string, number>; excluded_rules: { id: string; reason: string; message: string }[]; not_loaded_rules: { id: string | null; location: string }[] };
  events: number;
  events_filtered: { total: number; time: number; channel: number; event_id: number; untimed_kept: number };
  hits_per_rule: { id: string; hits: number }[];
  inputs: { name: string; status: string; events: number; failed: number; filtered: number }[];
  total_seconds: number;
  end_seconds: number;
  seconds: number;
}

async function hunt(args: string[], rules: Rule[] = RULES, extra: RuleReport[] = [], terminal?: { write(t: string): unknown; isTTY?: boolean; columns?: number }): Promise<Result> {
  let stderr = '';
  const tag = Math.random().toString(36).slice(2);
  const out = path.join(dir, `out-${tag}.jsonl`);
  const sum = path.join(dir, `sum-${tag}.json`);
  const command = makeHuntCommand({
    backend: fakeBackend(rules, extra),
    workerEngineModule: FAKE_ENGINE,
    stderr: (t) => (stderr += t),
    terminal: terminal ?? { write: () => true, isTTY: false },
  });
  const code = await command.run([...args, '--rules', rulesFile, '--output', out, '--summary-json', sum, '--no-risk']);
  const output = await readFile(out, 'utf8').catch(() => '');
  const summary = JSON.parse(await readFile(sum, 'utf8').catch(() => '{}')) as SummaryJson;
  return { code, stderr, output, summary };
}

function matches(text: string): MatchRecord[] {
  return text
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as MatchRecord)
    .filter((l) => l.kind === 'match');
}

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'vigil-hunt-filters-'));
  await writeExampleFiles(path.join(dir, 'example'));
  evtxDir = path.join(dir, 'example', 'evtx');
  rulesFile = path.join(dir, 'rules.yml');
  await writeFile(rulesFile, 'title: placeholder for the fake loader\n');
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------
// Rule filters

const FACTS: RuleFacts = { id: 'ABC-1', level: 'medium', status: 'test', tags: ['attack.persistence', 'attack.t1505.004', 'attack.defense_evasion'], file: '/x/rules/windows/web/iis_module.yml', type: null };
const filter = (f: Partial<RuleFilter>): RuleFilter => ({ ...NO_RULE_FILTER, ...f });

test('rule filter: level, status default and explicit, ids, tags (prefix, T-ids, _/-), file globs', () => {
  assert.equal(ruleExclusion(filter({}), FACTS), null);
  assert.equal(ruleExclusion(filter({ minLevel: 'high' }), FACTS)?.reason, 'level');
  assert.equal(ruleExclusion(filter({ minLevel: 'medium' }), FACTS), null);
  assert.equal(ruleExclusion(filter({}), { ...FACTS, status: 'deprecated' })?.reason, 'status');
  assert.equal(ruleExclusion(filter({}), { ...FACTS, status: 'unsupported' })?.reason, 'status');
  assert.equal(ruleExclusion(filter({ statuses: 'all' }), { ...FACTS, status: 'deprecated' }), null);
  assert.equal(ruleExclusion(filter({ statuses: ['stable'] }), FACTS)?.reason, 'status');
  assert.equal(ruleExclusion(filter({ statuses: ['stable'] }), { ...FACTS, status: null }), null);
  assert.equal(ruleExclusion(filter({ excludeIds: ['abc-1'] }), FACTS)?.reason, 'id');
  assert.equal(ruleExclusion(filter({ includeIds: ['other'] }), FACTS)?.reason, 'id');
  assert.equal(ruleExclusion(filter({ includeTags: [normaliseTag('attack.t1505')] }), FACTS), null);
  assert.equal(ruleExclusion(filter({ includeTags: [normaliseTag('T1505.004')] }), FACTS), null);
  assert.equal(ruleExclusion(filter({ includeTags: [normaliseTag('attack.t150')] }), FACTS)?.reason, 'tag');
  assert.equal(ruleExclusion(filter({ excludeTags: [normaliseTag('attack.defense-evasion')] }), FACTS)?.reason, 'tag');
  // Excludes win over includes.
  assert.equal(ruleExclusion(filter({ includeTags: ['attack.persistence'], excludeTags: ['attack.t1505.004'] }), FACTS)?.reason, 'tag');
  assert.equal(ruleExclusion(filter({ excludeFiles: ['iis_*.yml'] }), FACTS)?.reason, 'file');
  assert.equal(ruleExclusion(filter({ excludeFiles: ['windows/**'] }), FACTS)?.reason, 'file');
  assert.equal(ruleExclusion(filter({ excludeFiles: ['web/*.yml'] }), FACTS)?.reason, 'file');
  assert.equal(ruleExclusion(filter({ excludeFiles: ['linux/**'] }), FACTS), null);
  assert.equal(fileMatchesGlob('C:\\rules\\a.yml', 'rules/a.yml'), true);
  assert.equal(fileMatchesGlob('/r/a.yml', 'a.y?l'), true);
  assert.equal(fileMatchesGlob('/r/a.yml', '*.yaml'), false);
  assert.equal(ruleExclusion(filter({ detectionTypes: ['ttp'] }), { ...FACTS, type: 'Anomaly' })?.reason, 'type');
  assert.equal(ruleExclusion(filter({ detectionTypes: ['ttp'] }), FACTS), null, 'type filters leave Sigma rules alone');
});

test('correlations keep their low base rules under --min-level; a base rule excluded by id takes its correlation along', () => {
  const base = detection('b-low', 'Low base', 'low', [4688]);
  const corr = eventCount('c-crit', 'Critical correlation', ['b-low'], 2);
  const other = detection('o-low', 'Other low', 'low', [1]);
  const kept = applyRuleFilter([base, corr, other], [], filter({ minLevel: 'critical' }));
  assert.deepEqual(kept.rules.map((r) => r.meta.id).sort(), ['b-low', 'c-crit']);
  assert.deepEqual(kept.excluded.map((e) => e.id), ['o-low']);
  const byId = applyRuleFilter([base, corr, other], [], filter({ excludeIds: ['b-low'] }));
  assert.deepEqual(byId.rules.map((r) => r.meta.id), ['o-low']);
  const why = byId.excluded.find((e) => e.id === 'c-crit');
  assert.equal(why?.reason, 'id');
  assert.match(why?.message ?? '', /its rule b-low is excluded/);
});

for (const threads of ['1', '3']) {
  test(`--min-level and --exclude-tag leave rules out, reported as excluded (threads ${threads})`, async () => {
    const r = await hunt([evtxDir, '--format', 'jsonl', '--threads', threads, '--min-level', 'high']);
    assert.equal(r.code, 0, r.stderr);
    const ids = new Set(matches(r.output).map((m) => m.rule.id));
    assert.deepEqual([...ids], ['r-sysmon-1']);
    assert.equal(matches(r.output).length, SYSMON_1);
    assert.match(r.stderr, /rules: 1 loaded, 0 not loaded, 1 excluded by filters \(1 level\)/);
    assert.equal(r.summary.rules.excluded, 1);
    assert.deepEqual(r.summary.rules.excluded_rules.map((e) => [e.id, e.reason]), [['r-4688', 'level']]);
    const tagged = await hunt([evtxDir, '--format', 'jsonl', '--threads', threads, '--exclude-tag', 'T1059']);
    assert.deepEqual([...new Set(matches(tagged.output).map((m) => m.rule.id))], ['r-4688']);
    assert.deepEqual(tagged.summary.rules.excluded_by_reason, { tag: 1 });
  });
}

test('status: deprecated rules are left out by default and run with --status all', async () => {
  const rules = [RULES[0]!, withStatus(RULES[1] as DetectionRule, 'deprecated')];
  const byDefault = await hunt([evtxDir, '--format', 'jsonl', '--threads', '1'], rules);
  assert.equal(matches(byDefault.output).filter((m) => m.rule.id === 'r-4688').length, 0);
  assert.match(byDefault.summary.rules.excluded_rules[0]?.message ?? '', /status deprecated is left out by default/);
  const all = await hunt([evtxDir, '--format', 'jsonl', '--threads', '1', '--status', 'all'], rules);
  assert.equal(matches(all.output).filter((m) => m.rule.id === 'r-4688').length, SEC_4688);
  const stableOnly = await hunt([evtxDir, '--format', 'jsonl', '--threads', '1', '--status', 'stable,test'], [withStatus(RULES[0] as DetectionRule, 'experimental'), RULES[1]!]);
  assert.deepEqual(stableOnly.summary.rules.excluded_by_reason, { status: 1 });
  await assert.rejects(hunt([evtxDir, '--min-level', 'severe']), (e: unknown) => e instanceof UsageError && /--min-level must be one of/.test(e.message));
});

test('--include-id keeps only the named rules', async () => {
  const r = await hunt([evtxDir, '--format', 'jsonl', '--threads', '1', '--include-id', 'R-4688']);
  assert.deepEqual([...new Set(matches(r.output).map((m) => m.rule.id))], ['r-4688']);
  assert.deepEqual(r.summary.rules.excluded_by_reason, { id: 1 });
});

// ---------------------------------------------------------------------------------------------
// Event filters

for (const threads of ['1', '3']) {
  test(`--event-id and --channel drop events before matching and count them (threads ${threads})`, async () => {
    const r = await hunt([evtxDir, '--format', 'jsonl', '--threads', threads, '--event-id', '4688,4624']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(matches(r.output).length, SEC_4688);
    const dropped = count((e) => e.eventId !== 4688 && e.eventId !== 4624);
    assert.equal(r.summary.events_filtered.event_id, dropped);
    assert.equal(r.summary.events, EXAMPLE_EVENTS.length);
    assert.match(r.stderr, new RegExp(`events: ${EXAMPLE_EVENTS.length} read, ${EXAMPLE_EVENTS.length - dropped} checked \\(${dropped} filtered out: ${dropped} by --event-id\\)`));
    const ch = await hunt([evtxDir, '--format', 'jsonl', '--threads', threads, '--channel', 'microsoft-windows-sysmon/operational']);
    assert.equal(matches(ch.output).length, SYSMON_1);
    assert.equal(ch.summary.events_filtered.channel, count((e) => e.channel !== 'Microsoft-Windows-Sysmon/Operational'));
  });

  test(`--from/--to keep the events inside the range, both ends included (threads ${threads})`, async () => {
    const times = EXAMPLE_EVENTS.map((e) => String(e.timeCreated)).sort();
    const from = times[Math.floor(times.length / 2)]!;
    const inRange = (e: (typeof EXAMPLE_EVENTS)[number]): boolean => String(e.timeCreated) >= from;
    const r = await hunt([evtxDir, '--format', 'jsonl', '--threads', threads, '--from', from]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(matches(r.output).length, count((e) => inRange(e) && (e.eventId === 1 || e.eventId === 4688)));
    assert.equal(r.summary.events_filtered.time, count((e) => !inRange(e)));
    for (const m of matches(r.output)) assert.ok(String(m.event.time) >= from.slice(0, 23), `${m.event.time} before ${from}`);
    // The same instant written in another zone selects the same events.
    const local = formatTime(from, '+09:00');
    const r9 = await hunt([evtxDir, '--format', 'jsonl', '--threads', threads, '--from', local]);
    assert.equal(matches(r9.output).length, matches(r.output).length);
    const none = await hunt([evtxDir, '--format', 'jsonl', '--threads', threads, '--to', '2000-01-01']);
    assert.equal(matches(none.output).length, 0);
    assert.equal(none.summary.events_filtered.time, EXAMPLE_EVENTS.length);
  });
}

test('events without a time are kept under --from and counted', async () => {
  const jsonl = path.join(dir, 'untimed.jsonl');
  await writeFile(jsonl, [{ EventID: 4688 }, { EventID: 4688, TimeCreated: '1999-01-01T00:00:00Z' }, { EventID: 4688, TimeCreated: '2024-05-14T09:00:00Z' }].map((o) => JSON.stringify(o)).join('\n') + '\n');
  const r = await hunt([jsonl, '--format', 'jsonl', '--threads', '1', '--from', '2024-01-01']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.summary.events_filtered.untimed_kept, 1);
  assert.equal(r.summary.events_filtered.time, 1);
  assert.equal(matches(r.output).length, 2);
  assert.match(r.stderr, /1 event without a time kept/);
});

test('bad --from/--to/--event-id/--timezone values are usage errors', async () => {
  await assert.rejects(hunt([evtxDir, '--from', 'yesterday-ish']), (e: unknown) => e instanceof UsageError && /--from takes an ISO-8601/.test(e.message));
  await assert.rejects(hunt([evtxDir, '--from', '2024-05-15', '--to', '2024-05-14']), (e: unknown) => e instanceof UsageError && /--from is after --to/.test(e.message));
  await assert.rejects(hunt([evtxDir, '--event-id', '70000']), UsageError);
  await assert.rejects(hunt([evtxDir, '--timezone', 'Mars/Olympus']), (e: unknown) => e instanceof UsageError && /unknown time zone/.test(e.message));
});

// ---------------------------------------------------------------------------------------------
// Time zones

test('formatTime: UTC by default, fixed offsets, IANA zones with DST, fractions kept, junk unchanged', () => {
  assert.equal(formatTime('2024-05-14T09:12:44.0120000Z', 'UTC'), '2024-05-14T09:12:44.0120000Z');
  assert.equal(formatTime('2024-05-14T09:12:44.0120000Z', 'Asia/Tokyo'), '2024-05-14T18:12:44.0120000+09:00');
  assert.equal(formatTime('2024-05-14T23:30:00Z', '+09:00', { precision: 'seconds' }), '2024-05-15T08:30:00+09:00');
  assert.equal(formatTime('2024-01-15T12:00:00Z', 'America/New_York'), '2024-01-15T07:00:00-05:00');
  assert.equal(formatTime('2024-07-15T12:00:00Z', 'America/New_York'), '2024-07-15T08:00:00-04:00');
  assert.equal(formatTime('2024-05-14T09:12:44.5Z', '-05:30', { precision: 'milliseconds', separator: ' ' }), '2024-05-14 03:42:44.500-05:30');
  assert.equal(formatTime('not a time', 'UTC'), 'not a time');
  assert.equal(formatTime(null, 'UTC'), '-');
  assert.deepEqual(parseTimeZone('utc'), { kind: 'utc' });
  assert.deepEqual(parseTimeZone('UTC+02'), { kind: 'offset', minutes: 120 });
  assert.throws(() => parseTimeZone('+25:00'), /out of range/);
});

test('parseTimeBound: dates, offsets, zone of the wall time, relative times', () => {
  const now = Date.UTC(2024, 4, 20, 12, 0, 0);
  assert.equal(parseTimeBound('2024-05-14', 'from'), Date.UTC(2024, 4, 14));
  assert.equal(parseTimeBound('2024-05-14', 'to'), Date.UTC(2024, 4, 15) - 1);
  assert.equal(parseTimeBound('2024-05-14T09:00:00+02:00', 'from'), Date.UTC(2024, 4, 14, 7));
  assert.equal(parseTimeBound('2024-05-14 09:00', 'from', parseTimeZone('Europe/Paris')), Date.UTC(2024, 4, 14, 7));
  assert.equal(parseTimeBound('7d', 'from', undefined, now), now - 7 * 86_400_000);
  assert.equal(parseTimeBound('-24h', 'from', undefined, now), now - 86_400_000);
  assert.throws(() => parseTimeBound('2024-13-01', 'to'), /no such date/);
});

// ---------------------------------------------------------------------------------------------
// Progress

test('progress: none when standard error is not a terminal or with --quiet; a throttled line on a terminal', async () => {
  assert.equal(progressWanted({ write: () => true, isTTY: false }, false), false);
  assert.equal(progressWanted({ write: () => true, isTTY: true }, true), false);
  assert.equal(progressWanted({ write: () => true, isTTY: true }, false), true);
  const line = progressLine({ filesDone: 2, bytesDone: 50 * 1024 * 1024, events: 1000 }, { files: 4, bytes: 100 * 1024 * 1024 }, 10, 100);
  assert.match(line, /^\[#+-+\] 2\/4 files {2}50\.0\/100\.0 MB {2}100 events\/s {2}0:10 left$/);
  assert.match(progressLine({ filesDone: 1, bytesDone: 10, events: 5 }, { files: null, bytes: null }, 5), /^1 files {2}0\.0 MB {2}1 events\/s {2}0:05 elapsed$/);
  let t = 0;
  const drawn: string[] = [];
  const bar = new ProgressBar({ write: (s: string) => drawn.push(s), isTTY: true, columns: 100 }, { files: 2, bytes: 100 }, () => t);
  bar.update({ filesDone: 0, bytesDone: 0, events: 0 });
  t = 100;
  bar.update({ filesDone: 1, bytesDone: 50, events: 10 });
  assert.equal(drawn.length, 1, 'at most one redraw per 250 ms');
  t = 300;
  bar.update({ filesDone: 1, bytesDone: 50, events: 10 });
  assert.equal(drawn.length, 2);
  bar.clear();
  assert.equal(drawn.at(-1), '\r\u001b[K');

  const piped = await hunt([evtxDir, '--format', 'jsonl', '--threads', '1']);
  assert.doesNotMatch(piped.stderr, /\r/);
  const writes: string[] = [];
  const tty = await hunt([evtxDir, '--format', 'jsonl', '--threads', '1'], RULES, [], { write: (s: string) => writes.push(s), isTTY: true, columns: 120 });
  assert.equal(tty.code, 0);
  assert.ok(writes.some((w) => /^\r.*files.*MB.*events\/s/.test(w)), writes.join('|'));
  assert.equal(writes.at(-1), '\r\u001b[K', 'the line is wiped before the summary');
  const quiet = await hunt([evtxDir, '--format', 'jsonl', '--threads', '1', '--quiet'], RULES, [], { write: (s: string) => writes.push(`quiet:${s}`), isTTY: true });
  assert.equal(quiet.code, 0);
  assert.ok(!writes.some((w) => w.startsWith('quiet:')));
});

// ---------------------------------------------------------------------------------------------
// Summary

test('summary: hits per rule (text and JSON), time taken, per-file counts', async () => {
  const r = await hunt([evtxDir, '--format', 'jsonl', '--threads', '3']);
  const byRule = new Map<string, number>();
  for (const m of matches(r.output)) byRule.set(m.rule.id, (byRule.get(m.rule.id) ?? 0) + 1);
  assert.deepEqual(Object.fromEntries(r.summary.hits_per_rule.map((h) => [h.id, h.hits])), Object.fromEntries(byRule));
  assert.match(r.stderr, /hits per rule:\n/);
  assert.match(r.stderr, new RegExp(`\\n +${SYSMON_1} +high +Process created \\(Sysmon\\) \\(r-sysmon-1\\)\\n`));
  assert.match(r.stderr, new RegExp(`\\n +${SEC_4688} +medium +Process created \\(Security\\) \\(r-4688\\)\\n`));
  assert.match(r.stderr, /time taken [\d.]+ s with rule loading/);
  assert.equal(typeof r.summary.total_seconds, 'number');
  assert.ok(r.summary.end_seconds >= 0 && r.summary.end_seconds <= r.summary.seconds, `end ${r.summary.end_seconds} s of ${r.summary.seconds}`);
  assert.equal(r.summary.inputs.reduce((n, i) => n + i.events, 0), EXAMPLE_EVENTS.length);
});

// ---------------------------------------------------------------------------------------------
// Broken inputs and rules: one clear line each, the run goes on

const BROKEN_RULE: RuleReport = {
  file: 'rules/broken.yml',
  line: 5,
  title: 'Broken',
  status: 'not-loaded',
  kind: 'unknown',
  problems: [{ severity: 'error', code: 'sigma.yaml', message: 'flow map not closed', location: { file: 'rules/broken.yml', line: 5 } }],
};

test('missing path, directory with no logs, unreadable entry, corrupted file, broken rule: one line each, the rest still hunted', async () => {
  const bad = path.join(dir, 'bad');
  await mkdir(path.join(bad, 'empty'), { recursive: true });
  await mkdir(path.join(bad, 'dangling'), { recursive: true });
  await symlink(path.join(bad, 'gone.evtx'), path.join(bad, 'dangling', 'link.evtx'));
  await writeFile(path.join(bad, 'corrupt.evtx'), Buffer.concat([Buffer.from('ElfFile\0'), Buffer.alloc(200, 0x41)]));
  const missing = path.join(bad, 'missing.evtx');
  const r = await hunt([evtxDir, missing, path.join(bad, 'empty'), path.join(bad, 'dangling'), path.join(bad, 'corrupt.evtx'), '--format', 'jsonl', '--threads', '1'], RULES, [BROKEN_RULE]);
  assert.equal(r.code, 1, 'an input that could not be read at all gives status 1');
  const lines = r.stderr.split('\n');
  const one = (re: RegExp): void => assert.equal(lines.filter((l) => re.test(l) && !l.startsWith('  failed:')).length, 1, `${re}: ${r.stderr}`);
  one(/missing\.evtx: error: no such file or directory.*\[input\.not-found\]/);
  // The line's location names the folder; the message does not say it again.
  one(/empty: error: directory holds no readable log files \(no files\) \[input\.dir\.no-logs\]/);
  one(/link\.evtx: error: no such file or directory/);
  // The folder holding only the dangling link gets no second "no readable log files" line.
  assert.equal(lines.filter((l) => /dangling: error: directory holds no readable log files/.test(l)).length, 0, r.stderr);
  // A garbage EVTX header with nothing after it: one error naming the file, the offset and the
  // damaged header fields; the file counts as failed.
  one(/corrupt\.evtx \(offset 0xd0\): error: file ends inside its 4096-byte header \(208 bytes\).*damaged \(.*\) \[evtx\.file\.truncated-header\]/);
  assert.equal(lines.filter((l) => l.includes('corrupt.evtx') && !l.startsWith('  ')).length, 1, r.stderr);
  one(/rules\/broken\.yml:5: not loaded: 'Broken': flow map not closed \[sigma\.yaml\]/);
  // The good inputs were still hunted.
  assert.equal(matches(r.output).length, SYSMON_1 + SEC_4688);
  assert.equal(r.summary.rules.not_loaded_rules[0]?.location, 'rules/broken.yml:5');
  const damaged = r.summary.inputs.find((i) => i.name.endsWith('corrupt.evtx'));
  assert.equal(damaged?.events, 0);
  assert.equal(damaged?.status, 'failed');
  assert.match(r.stderr, /inputs: 5 read, 4 failed/);
});

test('an unreadable file (permission denied) gives one line and the run goes on', async (t) => {
  if (process.getuid?.() === 0) {
    t.skip('running as root: chmod 000 does not stop root from reading (the dangling-link case above covers an unreadable entry)');
    return;
  }
  const locked = path.join(dir, 'locked.evtx');
  await writeFile(locked, 'x');
  await chmod(locked, 0o000);
  const r = await hunt([evtxDir, locked, '--format', 'jsonl', '--threads', '1']);
  assert.equal(r.code, 1);
  assert.equal(r.stderr.split('\n').filter((l) => /locked\.evtx: error: permission denied/.test(l)).length, 1, r.stderr);
  assert.equal(matches(r.output).length, SYSMON_1 + SEC_4688);
});

test('a file with many bad records lists the first ten, then one line; the summary counts all', async () => {
  const jsonl = path.join(dir, 'many-bad.jsonl');
  await writeFile(jsonl, Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? '{"EventID": 4688}' : '{not json')).join('\n') + '\n');
  const r = await hunt([jsonl, '--format', 'jsonl', '--threads', '1']);
  const listed = r.stderr.split('\n').filter((l) => l.startsWith(jsonl) && /error/.test(l));
  assert.equal(listed.length, 10, r.stderr);
  assert.equal(r.stderr.split('\n').filter((l) => l.includes('more record problems not listed')).length, 1);
  assert.equal(r.summary.inputs[0]?.failed, 15);
  assert.match(r.stderr, /files with bad records:\n {2}.*many-bad\.jsonl: 15 events, 15 records failed/);
});

// ---------------------------------------------------------------------------------------------
// Splunk-style detections

test('--detection-type and --exclude-tag apply to Splunk-style detections (ATT&CK ids as tags), counted as excluded', async () => {
  const root = contentDir('splunk');
  const docs = (await readdirDeep(path.join(root, 'detections'))).filter((f) => /\.ya?ml$/.test(f));
  const parsed = await Promise.all(docs.map(async (f) => parseYaml(await readFile(f, 'utf8')) as { type: string; tags: { mitre_attack_id?: string[] } }));
  const keptExpected = parsed.filter((d) => d.type === 'TTP' && !(d.tags.mitre_attack_id ?? []).includes('T1562.002')).length;
  assert.ok(keptExpected > 0 && keptExpected < parsed.length, 'the content has detections on both sides of the filter');
  let stderr = '';
  const sum = path.join(dir, 'splunk-sum.json');
  const command = makeHuntCommand({ backend: fakeBackend(RULES, []), stderr: (t) => (stderr += t), terminal: { write: () => true, isTTY: false } });
  const code = await command.run([evtxDir, '--rules', rulesFile, '--detections', root, '--no-risk', '--detection-type', 'TTP', '--exclude-tag', 'T1562.002', '--output', path.join(dir, 'splunk-out.txt'), '--summary-json', sum]);
  assert.equal(code, 0, stderr);
  const doc = JSON.parse(await readFile(sum, 'utf8')) as { detections: { total: number; excluded: number } };
  assert.equal(doc.detections.total, keptExpected);
  assert.equal(doc.detections.excluded, parsed.length - keptExpected);
  assert.match(stderr, new RegExp(`detections: ${keptExpected} \\(.*, ${parsed.length - keptExpected} excluded by filters\\)`));
});

async function readdirDeep(root: string): Promise<string[]> {
  const entries = await readdir(root, { withFileTypes: true });
  const out: string[] = [];
  for (const e of entries) {
    const full = path.join(root, e.name);
    if (e.isDirectory()) out.push(...(await readdirDeep(full)));
    else out.push(full);
  }
  return out;
}
