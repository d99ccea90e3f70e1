/** Risk incident rules and entity ranking over hand-computed risk events (spl-and-rba.md §5.3). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { evaluateIncidentRules, incidentRulesFromText, loadIncidentRules, rankEntities, riskEventsFromRun, type IncidentRule, type RiskEvent } from '../../src/risk/index.js';
import { detection, rbaRisk, row, run } from './risk-test-kit.js';

const T0 = 1_700_000_000;
const HOUR = 3600;
const DAY = 86_400;

/** A detection named `name` that scores `score` on `dest` with the given techniques. */
function hit(name: string, score: number, dest: string, time: number, techniques: readonly string[] = ['T1505.004']): RiskEvent[] {
  const d = detection({ name, techniques, risk: rbaRisk(`${name} on $dest$`, [{ field: 'dest', type: 'system', score }]) });
  return riskEventsFromRun(run(d, [row({ dest, _time: time })]));
}

const rules = loadIncidentRules();
const scoreRule = rules.filter((r) => r.kind === 'score-threshold');
const tacticRule = rules.filter((r) => r.kind === 'tactic-threshold');

describe('24-hour risk threshold', () => {
  test('three detections on one host, 64 + 48 + 25 = 137 > 100 within a day → one notable', () => {
    const events = [...hit('A', 64, 'web01', T0), ...hit('B', 48, 'web01', T0 + 2 * HOUR), ...hit('C', 25, 'web01', T0 + 5 * HOUR), ...hit('A', 64, 'db01', T0)];
    const notables = evaluateIncidentRules(events, scoreRule);
    assert.equal(notables.length, 1);
    const n = notables[0]!;
    assert.equal(n.risk_object, 'web01');
    assert.equal(n.risk_object_type, 'system');
    assert.equal(n.rule_title, '24 hour risk threshold exceeded for system=web01');
    assert.equal(n.peak.risk_score, 137);
    assert.equal(n.peak.risk_event_count, 3);
    assert.equal(n.peak.start, T0);
    assert.equal(n.peak.end, T0 + 5 * HOUR);
    // 64 + 48 = 112 already crosses: that is the first window, and when the notable is raised.
    assert.equal(n.window.risk_score, 112);
    assert.equal(n.window.risk_event_count, 2);
    assert.equal(n._time, T0 + 2 * HOUR);
    assert.deepEqual(
      n.contributing.map((c) => [c.source, c.score, c.count]),
      [
        ['A - Rule', 64, 1],
        ['B - Rule', 48, 1],
        ['C - Rule', 25, 1],
      ],
    );
    assert.deepEqual(n.mitre_tactic_id, ['TA0003']);
    assert.deepEqual(n.mitre_technique_id, ['T1505.004']);
    assert.equal(n.severity, 'medium', '137 is above 100, not above 150');
  });

  test('the same three spread over two days → no notable', () => {
    const events = [...hit('A', 64, 'web01', T0), ...hit('B', 48, 'web01', T0 + 25 * HOUR), ...hit('C', 25, 'web01', T0 + 50 * HOUR)];
    assert.deepEqual(evaluateIncidentRules(events, scoreRule), []);
  });

  test('the threshold is strict: exactly 100 does not fire', () => {
    const events = [...hit('A', 50, 'h', T0), ...hit('B', 50, 'h', T0 + HOUR)];
    assert.deepEqual(evaluateIncidentRules(events, scoreRule), []);
    assert.equal(evaluateIncidentRules([...events, ...hit('C', 1, 'h', T0 + 2 * HOUR)], scoreRule).length, 1);
  });

  test('events exactly 24 hours apart are not in one window', () => {
    const events = [...hit('A', 64, 'h', T0), ...hit('B', 48, 'h', T0 + DAY)];
    assert.deepEqual(evaluateIncidentRules(events, scoreRule), []);
    assert.equal(evaluateIncidentRules([...hit('A', 64, 'h', T0), ...hit('B', 48, 'h', T0 + DAY - 1)], scoreRule).length, 1);
  });

  test('the first crossing window and the peak are both reported; severity follows the peak', () => {
    const events = [...hit('D', 90, 'h', T0 + 3 * HOUR), ...hit('A', 64, 'h', T0), ...hit('B', 48, 'h', T0 + HOUR), ...hit('C', 25, 'h', T0 + 2 * HOUR)];
    const n = evaluateIncidentRules(events, scoreRule)[0]!;
    assert.equal(n.window.risk_score, 112, 'A + B already cross');
    assert.equal(n.window.end, T0 + HOUR);
    assert.equal(n.peak.risk_score, 227);
    assert.equal(n.peak.risk_event_count, 4);
    assert.equal(n.severity, 'critical', '227 > 200');
  });

  test('a sliding window finds a cluster in the middle of a long history', () => {
    const events = [
      ...hit('A', 60, 'h', T0),
      ...hit('B', 30, 'h', T0 + 30 * HOUR),
      ...hit('C', 30, 'h', T0 + 40 * HOUR),
      ...hit('D', 50, 'h', T0 + 50 * HOUR),
      ...hit('E', 60, 'h', T0 + 100 * HOUR),
    ];
    const n = evaluateIncidentRules(events, scoreRule)[0]!;
    assert.equal(n.window.start, T0 + 30 * HOUR);
    assert.equal(n.window.risk_score, 110);
  });

  test('users and systems with the same name are different objects', () => {
    const d = detection({ name: 'U', risk: rbaRisk('m', [{ field: 'dest', type: 'system', score: 60 }, { field: 'user', type: 'user', score: 60 }]) });
    const events = riskEventsFromRun(run(d, [row({ dest: 'alice', user: 'alice', _time: T0 })]));
    assert.deepEqual(evaluateIncidentRules(events, scoreRule), []);
    assert.equal(rankEntities(events).length, 2);
  });
});

describe('7-day ATT&CK tactic threshold', () => {
  const persistence = ['T1505.004'];
  const execution = ['T1059.001'];
  const credential = ['T1003.001'];

  test('three distinct tactics within 7 days → one notable', () => {
    const events = [...hit('A', 10, 'h', T0, persistence), ...hit('B', 10, 'h', T0 + 3 * DAY, execution), ...hit('C', 10, 'h', T0 + 6 * DAY, credential)];
    const notables = evaluateIncidentRules(events, tacticRule);
    assert.equal(notables.length, 1);
    const n = notables[0]!;
    assert.equal(n.window.tactic_count, 3);
    assert.equal(n.window.source_count, 3);
    assert.deepEqual(n.mitre_tactic_id, ['TA0002', 'TA0003', 'TA0006']);
    assert.deepEqual(n.mitre_tactic, ['execution', 'persistence', 'credential-access']);
    assert.equal(n.rule_kind, 'tactic-threshold');
    assert.equal(n.severity, 'high');
  });

  test('spread over more than 7 days → none; two tactics → none', () => {
    assert.deepEqual(evaluateIncidentRules([...hit('A', 10, 'h', T0, persistence), ...hit('B', 10, 'h', T0 + 4 * DAY, execution), ...hit('C', 10, 'h', T0 + 8 * DAY, credential)], tacticRule), []);
    assert.deepEqual(evaluateIncidentRules([...hit('A', 10, 'h', T0, persistence), ...hit('B', 10, 'h', T0 + HOUR, execution)], tacticRule), []);
  });

  test('one detection with techniques in three tactics counts three tactics', () => {
    const events = hit('Multi', 10, 'h', T0, ['T1053.005']);
    assert.deepEqual(events[0]!.annotations.mitre_tactic_id, ['TA0002', 'TA0003', 'TA0004']);
    assert.equal(evaluateIncidentRules(events, tacticRule).length, 1);
  });

  test('min_sources 4 (ES variant) needs four distinct detections', () => {
    const strict = incidentRulesFromText(`rules:
  - kind: tactic-threshold
    name: strict
    window_seconds: 604800
    min_tactics: 3
    min_sources: 4
`);
    const three = [...hit('A', 10, 'h', T0, persistence), ...hit('B', 10, 'h', T0 + 1, execution), ...hit('C', 10, 'h', T0 + 2, credential)];
    assert.deepEqual(evaluateIncidentRules(three, strict), []);
    const four = [...three, ...hit('D', 10, 'h', T0 + 3, persistence)];
    const n = evaluateIncidentRules(four, strict);
    assert.equal(n.length, 1);
    assert.equal(n[0]!.window.source_count, 4);
    assert.equal(n[0]!.rule_title, 'strict for system=h');
  });
});

describe('incident rule configuration', () => {
  test('thresholds are read from the file', () => {
    const custom: IncidentRule[] = incidentRulesFromText(`rules:
  - kind: score-threshold
    name: low bar
    title: "bar for $risk_object$"
    window_seconds: 3600
    threshold: 10
`);
    assert.equal(custom[0]!.kind, 'score-threshold');
    const n = evaluateIncidentRules([...hit('A', 6, 'h', T0), ...hit('B', 6, 'h', T0 + 100)], custom);
    assert.equal(n.length, 1);
    assert.equal(n[0]!.rule_title, 'bar for h');
    assert.equal(n[0]!.severity, 'medium', 'default severity of a score rule without bands');
  });

  test('bad rules are located errors', () => {
    assert.throws(
      () => incidentRulesFromText('rules:\n  - kind: nonsense\n    name: x\n    window_seconds: -1\n', 'rules.yml'),
      (e: unknown) => e instanceof AggregateError && e.errors.length >= 2 && e.errors.every((x: { location?: { file: string; line?: number } }) => x.location?.file === 'rules.yml' && (x.location.line ?? 0) >= 2),
    );
  });
});

describe('notable tactics', () => {
  test('tactics and techniques of the peak window, each tactic named as the last event naming it names it', () => {
    // Two rules' events interleaved (an annotations object recurs after another), and the two
    // objects name TA0003 differently: the last event in the window that names it decides.
    const base = hit('A', 60, 'web01', T0)[0]!;
    const one = { ...base.annotations, mitre_tactic_id: ['TA0002', 'TA0003'], mitre_tactic: ['execution', 'persistence'], mitre_technique_id: ['T1059.001'] };
    const two = { ...base.annotations, mitre_tactic_id: ['TA0003', 'TA0004'], mitre_tactic: ['persistence (old name)', 'privilege-escalation'], mitre_technique_id: ['T1505.004'] };
    const at = (k: number, annotations: typeof one): RiskEvent => ({ ...base, _time: T0 + k * 60, annotations });
    const forward = (events: readonly RiskEvent[]): Map<string, string> => {
      const names = new Map<string, string>();
      for (const e of events) e.annotations.mitre_tactic_id.forEach((id, i) => names.set(id, e.annotations.mitre_tactic[i]!));
      return names;
    };
    for (const order of [
      [one, two, one],
      [two, one, two],
      [one, one, two, two, one],
      [two, two, one, two],
    ]) {
      const events = order.map((a, k) => at(k, a));
      const [n] = evaluateIncidentRules(events, scoreRule);
      assert.ok(n !== undefined, 'the window crosses 100');
      const names = forward(events);
      assert.deepEqual(n.mitre_tactic_id, [...names.keys()].sort());
      assert.deepEqual(n.mitre_tactic, n.mitre_tactic_id.map((id) => names.get(id)));
      assert.deepEqual(n.mitre_technique_id, [...new Set(events.flatMap((e) => e.annotations.mitre_technique_id))].sort());
      assert.equal(n.peak.tactic_count, names.size);
    }
  });
});

describe('entity ranking', () => {
  test('totals per object, detections with scores and counts, sorted by total then name', () => {
    const events = [
      ...hit('A', 64, 'web01', T0 + 10),
      ...hit('A', 64, 'web01', T0 + 20),
      ...hit('B', 25, 'web01', T0, ['T1059.001']),
      ...hit('B', 25, 'db02', T0),
      ...hit('B', 25, 'db01', T0 + 5),
    ];
    const ranked = rankEntities(events);
    assert.deepEqual(
      ranked.map((r) => [r.risk_object, r.risk_score, r.risk_event_count]),
      [
        ['web01', 153, 3],
        ['db01', 25, 1],
        ['db02', 25, 1],
      ],
    );
    const top = ranked[0]!;
    assert.deepEqual(
      top.detections.map((d) => [d.source, d.score, d.count]),
      [
        ['A - Rule', 128, 2],
        ['B - Rule', 25, 1],
      ],
    );
    assert.deepEqual(top.mitre_tactic_id, ['TA0002', 'TA0003']);
    assert.deepEqual(top.mitre_technique_id, ['T1059.001', 'T1505.004']);
    assert.equal(top.first_time, T0);
    assert.equal(top.last_time, T0 + 20);
  });
});
