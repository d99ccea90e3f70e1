/** Risk events and notables from Splunk-style detection runs (spl-and-rba.md §5.1, §5.4). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { WarningCounter, fillMessage, notablesFromRun, parseEscuTime, riskEventsFromRun, riskFromRuns, rowEventTime, severityForScore } from '../../src/risk/index.js';
import { detection, rbaRisk, row, run } from './risk-test-kit.js';

const T0 = 1_700_000_000;

const processDetection = detection({
  name: 'Windows IIS Components Add New Module',
  risk: rbaRisk(
    '$process_name$ ran on $dest$ by $user$',
    [
      { field: 'dest', type: 'system', score: 60 },
      { field: 'user', type: 'user', score: 56 },
    ],
    [
      { field: 'process_name', type: 'process_name' },
      { field: 'parent_process_name', type: 'parent_process_name' },
    ],
  ),
});

describe('risk events from a detection run', () => {
  test('one event per risk object with its own score, message filled, threat objects parallel', () => {
    const r = row({ _time: T0 + 100, dest: 'web01', user: 'alice', process_name: 'appcmd.exe', parent_process_name: ['cmd.exe', 'powershell.exe'], count: 3 });
    const events = riskEventsFromRun(run(processDetection, [r]));
    assert.equal(events.length, 2);
    const [system, user] = events;
    assert.equal(system!.risk_object, 'web01');
    assert.equal(system!.risk_object_type, 'system');
    assert.equal(system!.risk_score, 60);
    assert.equal(user!.risk_object, 'alice');
    assert.equal(user!.risk_object_type, 'user');
    assert.equal(user!.risk_score, 56);
    assert.equal(system!.risk_message, 'appcmd.exe ran on web01 by alice');
    assert.deepEqual(system!.threat_object, ['appcmd.exe', 'cmd.exe', 'powershell.exe']);
    assert.deepEqual(system!.threat_object_type, ['process_name', 'parent_process_name', 'parent_process_name']);
    assert.equal(system!.search_name, 'Windows IIS Components Add New Module - Rule');
    assert.equal(system!.source, system!.search_name);
    assert.equal(system!._time, T0 + 100);
    assert.equal(system!.info_min_time, 1_699_999_400);
    assert.equal(system!.info_max_time, 1_700_003_000);
    assert.equal(system!.info_search_time, 1_700_003_600);
    assert.equal(system!.fields['count'], 3);
    assert.deepEqual(system!.analytic_stories, ['IIS Components']);
    assert.deepEqual(system!.detection, { id: 'id-Windows IIS Components Add New Module', name: 'Windows IIS Components Add New Module', type: 'TTP', origin: 'spl' });
  });

  test('annotations carry the techniques, their names and the tactics derived from them', () => {
    const events = riskEventsFromRun(run(processDetection, [row({ dest: 'web01' })]));
    const a = events[0]!.annotations;
    assert.deepEqual(a.mitre_attack, ['T1505', 'T1505.004']);
    assert.deepEqual(a.mitre_technique, ['Server Software Component', 'IIS Components']);
    assert.deepEqual(a.mitre_tactic_id, ['TA0003']);
    assert.deepEqual(a.mitre_tactic, ['persistence']);
  });

  test('a multivalue risk object gives one event per distinct value', () => {
    const events = riskEventsFromRun(run(processDetection, [row({ dest: ['web01', 'web02', 'web01'], user: 'alice', process_name: 'x.exe' })]));
    assert.deepEqual(
      events.map((e) => `${e.risk_object_type}:${e.risk_object}`),
      ['system:web01', 'system:web02', 'user:alice'],
    );
    assert.equal(events[0]!.risk_message, 'x.exe ran on web01, web02, web01 by alice', 'tokens show the row value as it is');
  });

  test('a missing, empty or "null" risk-object value gives no event; "unknown" is kept', () => {
    const events = riskEventsFromRun(run(processDetection, [row({ dest: '', user: 'null' }), row({ process_name: 'a.exe' }), row({ dest: 'unknown', user: '  ' })]));
    assert.deepEqual(
      events.map((e) => `${e.risk_object_type}:${e.risk_object}`),
      ['system:unknown'],
    );
  });

  test('a message field with no value leaves the token empty and is reported once per occurrence', () => {
    const warnings = new WarningCounter();
    const events = riskEventsFromRun(run(processDetection, [row({ dest: 'web01' }), row({ dest: 'web02' })]), { warn: warnings.warn });
    assert.equal(events[0]!.risk_message, ' ran on web01 by ');
    assert.equal(warnings.count('risk.message-field-missing'), 4);
    assert.equal(warnings.list().length, 2, 'one line per missing field, with a count');
  });

  test('tags-style risk scores round(impact × confidence / 100) for every object', () => {
    const d = detection({ risk: { kind: 'tags', impact: 70, confidence: 70, message: 'on $dest$', riskObjects: [{ field: 'dest', type: 'system', score: 0 }], threatObjects: [] } });
    assert.equal(riskEventsFromRun(run(d, [row({ dest: 'h' })]))[0]!.risk_score, 49);
  });

  test('nothing when the plan has no risk action or the detection no risk', () => {
    assert.deepEqual(riskEventsFromRun(run(processDetection, [row({ dest: 'web01' })], { risk: false })), []);
    assert.deepEqual(riskEventsFromRun(run(detection({ risk: null }), [row({ dest: 'web01' })])), []);
  });

  test('the search-name prefix reproduces ESCU stanza names', () => {
    const e = riskEventsFromRun(run(processDetection, [row({ dest: 'w' })]), { searchNamePrefix: 'ESCU - ' })[0]!;
    assert.equal(e.search_name, 'ESCU - Windows IIS Components Add New Module - Rule');
  });

  test('an unknown technique adds no tactic and is counted, never thrown', () => {
    const warnings = new WarningCounter();
    const d = detection({ techniques: ['T9999', 'T1059.001', 'not-a-technique'] });
    const e = riskEventsFromRun(run(d, [row({ dest: 'w' }), row({ dest: 'v' })]), { warn: warnings.warn });
    assert.deepEqual(e[0]!.annotations.mitre_tactic_id, ['TA0002']);
    assert.deepEqual(e[0]!.annotations.mitre_technique_id, ['T1059.001']);
    assert.equal(warnings.count('risk.unknown-technique'), 2, 'T9999 and not-a-technique, once per run');
  });
});

describe('risk event time', () => {
  test('numeric _time first, then lastTime/firstTime as %Y-%m-%dT%H:%M:%S UTC, then the run time', () => {
    assert.equal(rowEventTime(row({ _time: '1700000123', lastTime: '2020-01-01T00:00:00' }), 5), 1_700_000_123);
    assert.equal(rowEventTime(row({ lastTime: '2023-11-14T22:15:00', firstTime: '2023-11-14T22:00:00' }), 5), Date.UTC(2023, 10, 14, 22, 15, 0) / 1000);
    assert.equal(rowEventTime(row({ firstTime: '2023-11-14T22:00:00' }), 5), Date.UTC(2023, 10, 14, 22, 0, 0) / 1000);
    assert.equal(rowEventTime(row({ lastTime: 1_600_000_000 }), 5), 1_600_000_000);
    assert.equal(rowEventTime(row({ lastTime: '11/14/2023 22:00:00' }), 5), 5);
    assert.equal(rowEventTime(row({}), 5), 5);
  });

  test('parseEscuTime rejects impossible dates', () => {
    assert.equal(parseEscuTime('2023-13-01T00:00:00'), null);
    assert.equal(parseEscuTime('2023-01-01 00:00:00'), null);
    assert.equal(parseEscuTime('1970-01-02T00:00:00'), 86_400);
  });

  test('risk events use the row time; rows without one use the run time', () => {
    const events = riskEventsFromRun(run(processDetection, [row({ dest: 'a', lastTime: '2023-11-14T22:15:00' }), row({ dest: 'b' })], { time: 42 }));
    assert.deepEqual(
      events.map((e) => e._time),
      [Date.UTC(2023, 10, 14, 22, 15, 0) / 1000, 42],
    );
  });
});

describe('message tokens', () => {
  test('every $field$ is filled; unknown text between dollars stays; missing fields are listed', () => {
    const values: Record<string, string[]> = { a: ['1'], 'Processes.dest': ['h1', 'h2'] };
    const filled = fillMessage('$a$ on $Processes.dest$ costs $5 and $missing$; $$ stays', (f) => values[f]);
    assert.equal(filled.text, '1 on h1, h2 costs $5 and ; $$ stays');
    assert.deepEqual(filled.missing, ['missing']);
  });
});

describe('notables', () => {
  test('a TTP detection with the notable action gives one notable per row', () => {
    const d = detection({ risk: rbaRisk('m', [{ field: 'dest', type: 'system', score: 64 }, { field: 'user', type: 'user', score: 25 }]) });
    const notables = notablesFromRun(run(d, [row({ dest: 'a', _time: T0 }), row({ dest: 'b', _time: T0 + 5 })]));
    assert.equal(notables.length, 2);
    const n = notables[0]!;
    assert.equal(n.rule_title, 'Windows IIS Components Add New Module');
    assert.equal(n.rule_name, 'Windows IIS Components Add New Module - Rule');
    assert.equal(n.severity, 'high', 'highest score 64 is in 61–80');
    assert.equal(n.risk_score, 64);
    assert.equal(n.status, 'new');
    assert.equal(n.owner, 'unassigned');
    assert.equal(n.security_domain, 'endpoint');
    assert.equal(n.fields['dest'], 'a');
    assert.equal(notables[1]!._time, T0 + 5);
  });

  test('no risk → severity high; no notable action → no notable', () => {
    const corr = detection({ type: 'Correlation', risk: null, securityDomain: null });
    const n = notablesFromRun(run(corr, [row({ risk_object: 'x' })], { notable: true, risk: false }));
    assert.equal(n[0]!.severity, 'high');
    assert.equal(n[0]!.risk_score, null);
    assert.equal(n[0]!.security_domain, 'threat');
    const anomaly = detection({ type: 'Anomaly' });
    assert.deepEqual(notablesFromRun(run(anomaly, [row({ dest: 'x' })])), []);
  });

  test('severity bands: 0–20 informational, 21–40 low, 41–60 medium, 61–80 high, 81–100 critical', () => {
    const cases: [number, string][] = [
      [0, 'informational'],
      [20, 'informational'],
      [21, 'low'],
      [40, 'low'],
      [41, 'medium'],
      [60, 'medium'],
      [61, 'high'],
      [80, 'high'],
      [81, 'critical'],
      [100, 'critical'],
    ];
    for (const [score, band] of cases) assert.equal(severityForScore(score), band, `score ${score}`);
    const d = detection({ risk: rbaRisk('m', [{ field: 'dest', type: 'system', score: 25 }]) });
    assert.equal(notablesFromRun(run(d, [row({ dest: 'a' })]))[0]!.severity, 'low');
  });
});

describe('hostile input', () => {
  test('huge multivalues and messages are capped; a run of many rows is handled in linear time', () => {
    const many = Array.from({ length: 5000 }, (_, i) => `h${i}`);
    const d = detection({ risk: rbaRisk('$dest$ $dest$ $dest$', [{ field: 'dest', type: 'system', score: 1 }]) });
    const events = riskEventsFromRun(run(d, [row({ dest: many })]));
    assert.equal(events.length, 1000, 'values per risk-object field are capped');
    assert.ok(events[0]!.risk_message.length <= 8192);
    const rows = Array.from({ length: 20_000 }, (_, i) => row({ dest: `h${i % 50}`, _time: T0 + i }));
    const started = Date.now();
    const { events: all, notables } = riskFromRuns([run(d, rows)]);
    assert.equal(all.length, 20_000);
    assert.equal(notables.length, 20_000);
    assert.ok(Date.now() - started < 10_000);
  });

  test('message templates with stray dollars and odd field names do not break filling', () => {
    const filled = fillMessage('$'.repeat(1000) + '$a b$ $a$', (f) => (f === 'a' ? ['x'] : undefined));
    assert.ok(filled.text.endsWith(' x'));
  });
});
