/** Correlation rules over events built here, with hand-computed expectations. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { FieldValue } from '../../src/core/event.js';
import { compileRules, type CorrelationFinding, type EngineOptions, type Finding } from '../../src/engine/index.js';
import type { CorrelationRule, Rule } from '../../src/ir/nodes.js';
import { at, correlation, detection, event, field, lit, run } from './engine-test-kit.js';

/** Base rules: each fires on events whose `Kind` field names it. */
const base = (id: string, name?: string) => detection(id, field('Kind', lit(id)), undefined, name);
const A = base('A', 'rule_a');
const B = base('B', 'rule_b');

interface Ev {
  kind: string;
  minute: number;
  fields?: Record<string, FieldValue>;
  file?: string;
  record?: number;
}
const ev = (e: Ev) =>
  event({ Kind: e.kind, ...e.fields }, { time: at(e.minute), file: e.file ?? 'f.evtx', ...(e.record === undefined ? {} : { recordId: e.record }) });

function correlations(findings: Finding[]): CorrelationFinding[] {
  return findings.filter((f): f is CorrelationFinding => f.kind === 'correlation');
}

function go(rules: Rule[], events: Ev[], options?: EngineOptions) {
  const { findings, problems } = run(rules, events.map(ev), options);
  assert.deepEqual(problems, []);
  return { all: findings, corr: correlations(findings) };
}

/** Deterministic shuffle. */
function shuffled<T>(xs: readonly T[], seed: number): T[] {
  const out = [...xs];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

const summary = (fs: CorrelationFinding[]) =>
  fs
    .map((f) => `${JSON.stringify(f.group)} ${f.value} ${f.first} ${f.last} [${f.events.map((e) => e.recordId).sort((a, b) => (a ?? 0) - (b ?? 0)).join(',')}]`)
    .sort();

describe('event_count', () => {
  const rule = correlation('C', { type: 'event_count', rules: ['A'], groupBy: ['User'], timespanMs: 5 * 60_000, condition: { op: 'gte', value: 3 } });
  const events: Ev[] = [
    { kind: 'A', minute: 0, fields: { User: 'alice' }, record: 1 },
    { kind: 'A', minute: 1, fields: { User: 'alice' }, record: 2 },
    { kind: 'A', minute: 2, fields: { User: 'alice' }, record: 3 },
    { kind: 'A', minute: 0, fields: { User: 'bob' }, record: 4 },
    { kind: 'A', minute: 10, fields: { User: 'bob' }, record: 5 },
    { kind: 'A', minute: 20, fields: { User: 'bob' }, record: 6 },
    { kind: 'B', minute: 1, fields: { User: 'bob' }, record: 7 },
  ];

  test('counts per group within the timespan', () => {
    const { corr, all } = go([A, B, rule], events);
    assert.deepEqual(summary(corr), [`{"User":"alice"} 3 ${at(0)} ${at(2)} [1,2,3]`]);
    assert.equal(all.filter((f) => f.kind === 'match' && f.rule.id === 'A').length, 0, 'generate: false hides A');
    assert.equal(all.filter((f) => f.kind === 'match' && f.rule.id === 'B').length, 1, 'B is not referenced');
    assert.deepEqual(corr[0]!.events[0], { file: 'f.evtx', recordId: 1, time: at(0), ruleId: 'A' });
  });

  test('arrival order does not change the result (files in any order)', () => {
    const expected = summary(go([A, B, rule], events).corr);
    for (let seed = 1; seed <= 5; seed++) assert.deepEqual(summary(go([A, B, rule], shuffled(events, seed)).corr), expected, `seed ${seed}`);
  });

  test('one finding per window: consumed events do not fire again; later bursts do', () => {
    const burst = (start: number, first: number): Ev[] =>
      [0, 1, 2, 3].map((k) => ({ kind: 'A', minute: start + k, fields: { User: 'u' }, record: first + k }));
    const { corr } = go([A, rule], [...burst(0, 1), ...burst(30, 11)]);
    assert.deepEqual(summary(corr), [`{"User":"u"} 4 ${at(0)} ${at(3)} [1,2,3,4]`, `{"User":"u"} 4 ${at(30)} ${at(33)} [11,12,13,14]`]);
  });

  test('the window slides past events that cannot make a window', () => {
    // 0 alone, then 7, 8, 9 (more than 5 minutes after 0): one finding on 7..9.
    const times = [0, 7, 8, 9];
    const { corr } = go([A, rule], times.map((m, i) => ({ kind: 'A', minute: m, fields: { User: 'u' }, record: i + 1 })));
    assert.deepEqual(summary(corr), [`{"User":"u"} 3 ${at(7)} ${at(9)} [2,3,4]`]);
  });

  test('lt and neq conditions', () => {
    const few = correlation('F', { type: 'event_count', rules: ['A'], groupBy: ['User'], timespanMs: 60_000, condition: { op: 'lt', value: 2 } });
    const { corr } = go([A, few], [
      { kind: 'A', minute: 0, fields: { User: 'x' } },
      { kind: 'A', minute: 0.5, fields: { User: 'y' } },
      { kind: 'A', minute: 0.6, fields: { User: 'y' } },
    ]);
    assert.deepEqual(corr.map((f) => `${f.group['User']}:${f.value}`).sort(), ['x:1', 'y:1']);
    const neq = correlation('N', { type: 'event_count', rules: ['A'], timespanMs: 60_000, condition: { op: 'neq', value: 1 } });
    assert.deepEqual(go([A, neq], [{ kind: 'A', minute: 0 }, { kind: 'A', minute: 0.1 }]).corr.map((f) => f.value), [2]);
  });

  test('a missing group field groups as null', () => {
    const { corr } = go([A, rule], [0, 1, 2].map((m) => ({ kind: 'A', minute: m })));
    assert.deepEqual(corr.map((f) => f.group), [{ User: null }]);
  });
});

describe('value_count', () => {
  test('distinct values per group', () => {
    const rule = correlation('V', {
      type: 'value_count',
      rules: ['A'],
      groupBy: ['IpAddress'],
      fields: ['TargetUserName'],
      timespanMs: 10 * 60_000,
      condition: { op: 'gte', value: 3 },
    });
    const users = (ip: string, names: string[], from: number): Ev[] =>
      names.map((n, i) => ({ kind: 'A', minute: from + i, fields: { IpAddress: ip, TargetUserName: n } }));
    const { corr } = go([A, rule], [...users('10.0.0.1', ['a', 'b', 'a', 'c'], 0), ...users('10.0.0.2', ['a', 'a', 'a', 'a'], 0)]);
    assert.deepEqual(corr.map((f) => [f.group['IpAddress'], f.value, f.events.length]), [['10.0.0.1', 3, 4]]);
  });
});

describe('temporal', () => {
  const temporal = correlation('T', { type: 'temporal', rules: ['A', 'B'], groupBy: ['Host'], timespanMs: 5 * 60_000 });
  const ordered = correlation('O', { type: 'temporal_ordered', rules: ['A', 'B'], groupBy: ['Host'], timespanMs: 5 * 60_000 });
  const pair = (a: number, b: number, host = 'h'): Ev[] => [
    { kind: 'A', minute: a, fields: { Host: host } },
    { kind: 'B', minute: b, fields: { Host: host } },
  ];

  test('all referenced rules within the timespan, any order', () => {
    assert.equal(go([A, B, temporal], pair(0, 3)).corr.length, 1);
    assert.equal(go([A, B, temporal], pair(3, 0)).corr.length, 1);
    assert.equal(go([A, B, temporal], pair(0, 7)).corr.length, 0);
    assert.equal(go([A, B, temporal], [...pair(0, 1, 'h1').slice(0, 1), ...pair(0, 1, 'h2').slice(1)]).corr.length, 0, 'different groups');
    assert.equal(go([A, B, temporal], pair(0, 3))[`corr`][0]!.value, 2);
  });

  test('temporal_ordered needs the rules in order of event time, not of arrival', () => {
    assert.equal(go([A, B, ordered], pair(0, 3)).corr.length, 1);
    assert.equal(go([A, B, ordered], pair(3, 0)).corr.length, 0);
    // B from a file read first, A (earlier in time) from a file read later.
    const events: Ev[] = [
      { kind: 'B', minute: 3, fields: { Host: 'h' }, file: 'first.evtx' },
      { kind: 'A', minute: 1, fields: { Host: 'h' }, file: 'second.evtx' },
    ];
    const { corr } = go([A, B, ordered], events);
    assert.equal(corr.length, 1);
    assert.deepEqual(corr[0]!.events.map((e) => e.file), ['second.evtx', 'first.evtx']);
    assert.equal(corr[0]!.first, at(1));
    assert.equal(corr[0]!.last, at(3));
  });

  test('aliases map one group key onto different fields per rule', () => {
    const aliased = correlation('AL', {
      type: 'temporal',
      rules: ['A', 'B'],
      groupBy: ['ip'],
      aliases: { ip: { A: 'SourceIp', B: 'DestinationIp' } },
      timespanMs: 5 * 60_000,
    });
    const events: Ev[] = [
      { kind: 'A', minute: 0, fields: { SourceIp: '10.0.0.1', DestinationIp: '10.9.9.9' } },
      { kind: 'B', minute: 1, fields: { SourceIp: '10.9.9.9', DestinationIp: '10.0.0.1' } },
      { kind: 'A', minute: 0, fields: { SourceIp: '10.0.0.2' } },
      { kind: 'B', minute: 1, fields: { SourceIp: '10.0.0.2' } },
    ];
    const { corr } = go([A, B, aliased], events);
    assert.deepEqual(corr.map((f) => f.group), [{ ip: '10.0.0.1' }]);
  });

  test('references by rule name resolve', () => {
    const byName = correlation('BN', { type: 'temporal', rules: ['rule_a', 'rule_b'], timespanMs: 60_000 });
    assert.equal(go([A, B, byName], pair(0, 0.5)).corr.length, 1);
  });
});

describe('value aggregates', () => {
  const numbers = (values: number[]): Ev[] => values.map((v, i) => ({ kind: 'A', minute: i * 0.1, fields: { Bytes: v, Host: 'h' } }));
  const agg = (type: CorrelationRule['type'], op: 'gte' | 'lte' | 'gt', value: number, extra: Partial<CorrelationRule> = {}) =>
    correlation('G', { type, rules: ['A'], groupBy: ['Host'], fields: ['Bytes'], timespanMs: 10 * 60_000, condition: { op, value }, ...extra });

  test('value_sum', () => {
    assert.deepEqual(go([A, agg('value_sum', 'gte', 100)], numbers([40, 70])).corr.map((f) => f.value), [110]);
    assert.deepEqual(go([A, agg('value_sum', 'gte', 200)], numbers([40, 70])).corr, []);
  });

  test('value_avg ignores non-numeric values; hex text counts', () => {
    const events = [...numbers([40, 70]), { kind: 'A', minute: 0.5, fields: { Bytes: 'n/a', Host: 'h' } }, { kind: 'A', minute: 0.6, fields: { Bytes: '0x10', Host: 'h' } }];
    assert.deepEqual(go([A, agg('value_avg', 'gt', 10)], events).corr.map((f) => f.value), [42]);
  });

  test('value_percentile interpolates linearly; value_median', () => {
    const ten = numbers([5, 3, 1, 2, 4, 6, 7, 8, 9, 10]);
    const p90 = go([A, agg('value_percentile', 'gte', 9, { percentile: 90 })], ten).corr;
    assert.equal(p90.length, 1);
    assert.ok(Math.abs(p90[0]!.value - 9.1) < 1e-9);
    assert.deepEqual(go([A, agg('value_median', 'lte', 5)], numbers([1, 100, 2])).corr.map((f) => f.value), [2]);
    assert.deepEqual(go([A, agg('value_median', 'lte', 5)], numbers([1, 100, 200])).corr, []);
  });
});

describe('generate and chaining', () => {
  const count2 = (id: string, rules: string[], extra: Partial<CorrelationRule> = {}) =>
    correlation(id, { type: 'event_count', rules, groupBy: ['User'], timespanMs: 5 * 60_000, condition: { op: 'gte', value: 2 }, ...extra });

  test('generate: true keeps the base rule findings', () => {
    const events: Ev[] = [0, 1].map((m) => ({ kind: 'A', minute: m, fields: { User: 'u' } }));
    const on = go([A, count2('C', ['A'], { generate: true })], events).all;
    assert.equal(on.filter((f) => f.kind === 'match').length, 2);
    assert.equal(on.filter((f) => f.kind === 'correlation').length, 1);
    const off = go([A, count2('C', ['A'])], events).all;
    assert.equal(off.filter((f) => f.kind === 'match').length, 0);
  });

  test('a correlation over a correlation joins all underlying events', () => {
    const inner = count2('INNER', ['A']);
    const outer = correlation('OUTER', {
      type: 'event_count',
      rules: ['INNER'],
      groupBy: ['User'],
      timespanMs: 60 * 60_000,
      condition: { op: 'gte', value: 2 },
    });
    const events: Ev[] = [0, 1, 20, 21, 50].map((m, i) => ({ kind: 'A', minute: m, fields: { User: 'u' }, record: i + 1 }));
    const { corr } = go([outer, A, inner], events);
    const outers = corr.filter((f) => f.rule.id === 'OUTER');
    assert.equal(corr.filter((f) => f.rule.id === 'INNER').length, 0, 'inner suppressed by generate: false');
    assert.equal(outers.length, 1);
    assert.equal(outers[0]!.value, 2);
    assert.deepEqual(outers[0]!.events.map((e) => e.recordId), [1, 2, 3, 4]);
    assert.equal(outers[0]!.first, at(0));
    assert.equal(outers[0]!.last, at(21));
    assert.deepEqual(outers[0]!.group, { User: 'u' });
  });

  test('unknown references and cycles are reported', () => {
    const { problems } = compileRules([A, count2('X', ['nope']), count2('P', ['Q']), count2('Q', ['P'])]);
    const ids = problems.map((p) => p.ruleId).sort();
    assert.ok(ids.includes('X'));
    assert.ok(ids.includes('P') && ids.includes('Q'));
    const { problems: p2 } = compileRules([A, correlation('S', { type: 'value_sum', rules: ['A'], condition: { op: 'gt', value: 1 } })]);
    assert.match(p2[0]!.message, /field/);
  });
});

describe('memory bounds and streaming', () => {
  const rule = correlation('C', { type: 'event_count', rules: ['A'], groupBy: ['User'], timespanMs: 5 * 60_000, condition: { op: 'gte', value: 5 } });

  test('events per group are capped; evictions are counted', () => {
    const { engine } = compileRules([A, rule], { correlation: { maxEventsPerGroup: 3 } });
    const out: Finding[] = [];
    for (let m = 0; m < 5; m++) engine.process(ev({ kind: 'A', minute: m * 0.1, fields: { User: 'u' } }), (f) => out.push(f));
    engine.flush((f) => out.push(f));
    assert.equal(correlations(out).length, 0, 'five events never coexist under a cap of three');
    assert.equal(engine.stats.correlation.eventsEvicted, 2);
  });

  test('groups per rule are capped; an evicted group is judged before it goes', () => {
    const three = correlation('C3', { type: 'event_count', rules: ['A'], groupBy: ['User'], timespanMs: 5 * 60_000, condition: { op: 'gte', value: 2 } });
    const { engine } = compileRules([A, three], { correlation: { maxGroupsPerRule: 2 } });
    const out: Finding[] = [];
    const emit = (f: Finding) => out.push(f);
    for (const [user, m] of [['a', 0], ['a', 1], ['b', 1], ['c', 2], ['c', 3], ['d', 4]] as const) engine.process(ev({ kind: 'A', minute: m, fields: { User: user } }), emit);
    assert.deepEqual(correlations(out).map((f) => f.group['User']), ['a'], 'a judged on eviction, before flush');
    engine.flush(emit);
    assert.equal(engine.stats.correlation.groupsEvicted, 2);
    assert.deepEqual(correlations(out).map((f) => f.group['User']), ['a', 'c'], 'b (one event) was evicted without a finding');
  });

  test('entries per rule are capped across groups; the least recently touched group is judged and dropped', () => {
    const two = correlation('C2', { type: 'event_count', rules: ['A'], groupBy: ['User'], timespanMs: 5 * 60_000, condition: { op: 'gte', value: 2 } });
    const { engine } = compileRules([A, two], { correlation: { maxEventsPerRule: 3 } });
    const out: Finding[] = [];
    const emit = (f: Finding) => out.push(f);
    for (const [user, m] of [['a', 0], ['a', 1], ['b', 2], ['b', 3]] as const) engine.process(ev({ kind: 'A', minute: m, fields: { User: user } }), emit);
    assert.deepEqual(correlations(out).map((f) => f.group['User']), ['a'], 'a closed when the fourth entry arrived');
    assert.equal(engine.stats.correlation.groupsEvicted, 1);
    engine.flush(emit);
    assert.deepEqual(correlations(out).map((f) => f.group['User']), ['a', 'b']);
  });

  test('a finite lateness streams findings before flush', () => {
    const two = correlation('C2', { type: 'event_count', rules: ['A'], groupBy: ['User'], timespanMs: 60_000, condition: { op: 'gte', value: 2 } });
    const { engine } = compileRules([A, two], { correlation: { maxLatenessMs: 0 } });
    const out: Finding[] = [];
    const emit = (f: Finding) => out.push(f);
    engine.process(ev({ kind: 'A', minute: 0, fields: { User: 'u' } }), emit);
    engine.process(ev({ kind: 'A', minute: 0.5, fields: { User: 'u' } }), emit);
    assert.equal(out.length, 0, 'window still open');
    engine.process(ev({ kind: 'A', minute: 5, fields: { User: 'u' } }), emit);
    assert.equal(correlations(out).length, 1, 'closed by a later event of the group');
  });

  test('events without a time are counted, not windowed', () => {
    const { engine } = compileRules([A, rule]);
    engine.process(event({ Kind: 'A' }, { time: null }), () => {});
    assert.equal(engine.stats.correlation.untimedEvents, 1);
  });
});

describe('across threads: correlation feeds', () => {
  /** One engine over all events, findings in full (events in their order, times, group, value). */
  const whole = (fs: CorrelationFinding[]) => fs.map((f) => JSON.stringify([f.rule.id, f.group, f.value, f.first, f.last, f.events])).sort();

  /**
   * The events split over `parts` engines as a hunt splits files: the first engine (the main
   * thread's) processes its share and adds every other engine's held feeds, in the order given.
   */
  function split(rules: Rule[], parts: Ev[][], feedOrder: (feeds: ReturnType<typeof take>[]) => ReturnType<typeof take>[] = (f) => f) {
    const findings: Finding[] = [];
    const emit = (f: Finding): void => void findings.push(f);
    const main = compileRules(rules).engine;
    const others = parts.slice(1).map((part) => {
      const engine = compileRules(rules).engine;
      engine.holdFeeds();
      for (const e of part) engine.process(ev(e), emit);
      return engine;
    });
    for (const e of parts[0]!) main.process(ev(e), emit);
    for (const feeds of feedOrder(others.map(take))) main.addFeeds(feeds, emit);
    for (const o of others) o.flush(emit);
    main.flush(emit);
    return findings;
  }
  const take = (engine: ReturnType<typeof compileRules>['engine']) => engine.takeFeeds();

  const value = correlation('V', { type: 'value_count', rules: ['A'], groupBy: ['ip'], fields: ['user'], aliases: { ip: { A: 'IpAddress' } }, timespanMs: 10 * 60_000, condition: { op: 'gte', value: 3 } });
  const ordered = correlation('O', { type: 'temporal_ordered', rules: ['A', 'B'], groupBy: ['Host'], timespanMs: 5 * 60_000, generate: true });
  const outer = correlation('OUT', { type: 'event_count', rules: ['O'], groupBy: ['Host'], timespanMs: 60 * 60_000, condition: { op: 'gte', value: 2 } });
  const events: Ev[] = [];
  for (let i = 0; i < 40; i++) {
    events.push({ kind: 'A', minute: i % 13, fields: { IpAddress: `10.0.0.${i % 3}`, user: `u${i % 5}`, Host: `h${i % 2}`, Noise: 'x'.repeat(i) }, file: `f${i % 4}.evtx`, record: i });
    if (i % 3 === 0) events.push({ kind: 'B', minute: (i % 13) + 1, fields: { Host: `h${i % 2}` }, file: `f${i % 4}.evtx`, record: 100 + i });
  }
  // Same-time hits from different files: their order in a finding must not depend on arrival.
  events.push({ kind: 'A', minute: 3, fields: { IpAddress: '10.0.0.1', user: 'tie', Host: 'h1' }, file: 'z.evtx', record: 7 });
  const rules = [A, B, value, ordered, outer];

  test('engines that hold their feeds, added to one, find what one engine over all events finds', () => {
    const expected = whole(go(rules, events).corr);
    assert.ok(expected.length >= 3, `the fixture fires several correlations (${expected.length})`);
    for (let seed = 1; seed <= 4; seed++) {
      const mixed = shuffled(events, seed);
      const parts = [0, 1, 2].map((k) => mixed.filter((_, i) => i % 3 === k));
      assert.deepEqual(whole(correlations(split(rules, parts))), expected, `seed ${seed}`);
      assert.deepEqual(whole(correlations(split(rules, parts, (f) => [...f].reverse()))), expected, `seed ${seed}, feeds added the other way round`);
    }
  });

  test('base rule findings stay with the engine that matched them; only what the correlations read is held', () => {
    const engine = compileRules(rules).engine;
    assert.equal(engine.feedsCorrelations, true);
    engine.holdFeeds();
    const matches: Finding[] = [];
    for (const e of events) engine.process(ev(e), (f) => void matches.push(f));
    engine.flush((f) => void matches.push(f));
    assert.equal(correlations(matches).length, 0, 'a holding engine correlates nothing itself');
    // O (generate: true) keeps the findings of A and B: they are emitted by the engine that matched them.
    assert.ok(matches.every((f) => f.kind === 'match'));
    assert.equal(matches.length, events.length);
    const feeds = engine.takeFeeds();
    assert.equal(feeds.length, events.filter((e) => e.kind === 'A' || e.kind === 'B').length);
    const a = feeds.find((f) => f.ruleId === 'A')!;
    assert.deepEqual(Object.keys(a.fields).sort(), ['Host', 'IpAddress', 'user'], 'the group-by fields (through aliases) and the counted field, not Noise');
    assert.deepEqual(engine.takeFeeds(), [], 'taken once');
    assert.equal(compileRules([A, B]).engine.feedsCorrelations, false);
  });

  test('a feed naming a rule that feeds nothing here is an error, not dropped', () => {
    const engine = compileRules(rules).engine;
    assert.throws(() => engine.addFeeds([{ ruleId: 'nope', time: at(0), fields: {}, ref: { file: 'f', recordId: 1, time: at(0), ruleId: 'nope' } }], () => undefined), /rule nope/);
  });
});
