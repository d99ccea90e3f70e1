/** Routing: an event meets only rules whose scope can match it. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compileRules } from '../../src/engine/index.js';
import { RoutingIndex } from '../../src/engine/routing.js';
import type { DetectionRule } from '../../src/ir/nodes.js';
import type { VigilEvent } from '../../src/core/event.js';
import { SYSMON_CHANNEL, SYSMON_PROVIDER, and, detection, event, field, lit, or, pat, run, scope } from './engine-test-kit.js';

const anyImage = field('Image', pat('*'));

function scoped(id: string, s: Parameters<typeof scope>[0], condition = anyImage): DetectionRule {
  return detection(id, condition, [{ label: id, scope: scope(s), condition }]);
}

describe('routing', () => {
  const sysmon1 = scoped('sysmon-1', { channels: [SYSMON_CHANNEL], providers: [SYSMON_PROVIDER], eventIds: [1] });
  const security4688 = scoped('security-4688', { channels: ['Security'], eventIds: [4688] });
  const open = scoped('open', {});
  const anyChannelId1 = scoped('id-1-any-channel', { eventIds: [1] });

  const ids = (rules: DetectionRule[], e: ReturnType<typeof event>): string[] =>
    run(rules, [e])
      .findings.map((f) => f.rule.id)
      .sort();

  test('a Sysmon EventID 1 rule never sees Security 1 or another provider’s 1', () => {
    const rules = [sysmon1, security4688, open, anyChannelId1];
    assert.deepEqual(ids(rules, event({ Image: 'x' })), ['id-1-any-channel', 'open', 'sysmon-1']);
    assert.deepEqual(ids(rules, event({ Image: 'x' }, { channel: 'Security', provider: 'Microsoft-Windows-Security-Auditing' })), [
      'id-1-any-channel',
      'open',
    ]);
    assert.deepEqual(ids(rules, event({ Image: 'x' }, { provider: 'Other-Provider' })), ['id-1-any-channel', 'open']);
    assert.deepEqual(ids(rules, event({ Image: 'x' }, { eventId: 2 })), ['open']);
    assert.deepEqual(ids(rules, event({ Image: 'x' }, { channel: 'Security', provider: null, eventId: 4688 })), ['open', 'security-4688']);
  });

  test('channel and provider names compare case-insensitively; unknown ones do not pass a scoped rule', () => {
    assert.deepEqual(ids([sysmon1], event({ Image: 'x' }, { channel: SYSMON_CHANNEL.toUpperCase(), provider: SYSMON_PROVIDER.toLowerCase() })), ['sysmon-1']);
    assert.deepEqual(ids([sysmon1], event({ Image: 'x' }, { channel: null })), []);
    assert.deepEqual(ids([sysmon1], event({ Image: 'x' }, { eventId: null })), []);
    assert.deepEqual(ids([open], event({ Image: 'x' }, { channel: null, provider: null, eventId: null })), ['open']);
  });

  test('scope.extra is checked before the condition and must hold', () => {
    const extra = field('EventType', lit('CreateKey'));
    const rule = detection('reg-add', anyImage, [
      { label: 'sysmon-12', scope: scope({ channels: [SYSMON_CHANNEL], eventIds: [12], extra }), condition: anyImage },
    ]);
    assert.deepEqual(ids([rule], event({ Image: 'x', EventType: 'CreateKey' }, { eventId: 12 })), ['reg-add']);
    assert.deepEqual(ids([rule], event({ Image: 'x', EventType: 'DeleteKey' }, { eventId: 12 })), []);
  });

  test('variants route separately: a process_creation-like rule fires on Sysmon 1 and on Security 4688', () => {
    const rule = detection('proc', anyImage, [
      { label: 'sysmon', scope: scope({ channels: [SYSMON_CHANNEL], eventIds: [1] }), condition: field('Image', pat('*\\whoami.exe')) },
      { label: 'security-4688', scope: scope({ channels: ['Security'], eventIds: [4688] }), condition: field('NewProcessName', pat('*\\whoami.exe')) },
    ]);
    const { findings } = run(rule ? [rule] : [], [
      event({ Image: 'C:\\whoami.exe' }),
      event({ NewProcessName: 'C:\\whoami.exe' }, { channel: 'Security', eventId: 4688 }),
      event({ NewProcessName: 'C:\\whoami.exe' }, { channel: 'Security', eventId: 1 }),
      event({ Image: 'C:\\whoami.exe' }, { channel: 'Security', eventId: 4688 }),
    ]);
    assert.deepEqual(
      findings.map((f) => (f.kind === 'match' ? f.variant : '')),
      ['sysmon', 'security-4688'],
    );
  });

  test('unrouted rules are not tested at all', () => {
    const rules = Array.from({ length: 50 }, (_, i) => scoped(`r${i}`, { channels: [SYSMON_CHANNEL], eventIds: [100 + i] }));
    const { engine } = compileRules(rules);
    engine.process(event({ Image: 'x' }, { eventId: 1 }), () => {});
    assert.equal(engine.stats.variantsTested, 0);
    engine.process(event({ Image: 'x' }, { eventId: 105 }), () => {});
    assert.equal(engine.stats.variantsTested, 1);
  });

  test('a rule testing its own provider is gated on its other literals, not on that', () => {
    // Like SigmaHQ's service-install rules: Provider_Name holds for every event of the route, so
    // only the ImagePath substrings can keep the rule from being evaluated.
    const condition = and(field('Provider_Name', lit('Service Control Manager')), or(field('ImagePath', pat('*mimikatz*')), field('ImagePath', pat('*psexesvc*'))));
    const rules = Array.from({ length: 5 }, (_, i) => scoped(`svc${i}`, { channels: ['System'], eventIds: [7045] }, condition));
    const { engine } = compileRules(rules);
    const install = (imagePath: string): VigilEvent => event({ ImagePath: imagePath }, { channel: 'System', provider: 'Service Control Manager', eventId: 7045 });
    const found: string[] = [];
    engine.process(install('C:\\Windows\\system32\\svchost.exe -k netsvcs'), (f) => found.push(f.rule.id));
    assert.equal(engine.stats.variantsTested, 0, 'no ImagePath literal occurs: no rule is evaluated');
    engine.process(install('C:\\Windows\\PSEXESVC.exe'), (f) => found.push(f.rule.id));
    assert.equal(engine.stats.variantsTested, 5);
    assert.deepEqual(found, ['svc0', 'svc1', 'svc2', 'svc3', 'svc4']);
  });

  test('a rule without variants is reported, not dropped silently', () => {
    const rule: DetectionRule = { ...detection('none', anyImage), variants: [] };
    const { problems } = compileRules([rule]);
    assert.equal(problems.length, 1);
    assert.equal(problems[0]!.ruleId, 'none');
  });

  test('keys with the same candidates share what was derived for them; other candidates get their own', () => {
    const items = [
      { name: 'channel-wide', scope: scope({ channels: ['Security'] }) },
      { name: '4688', scope: scope({ channels: ['Security'], eventIds: [4688] }) },
      { name: 'open', scope: scope({}) },
    ];
    const derived: string[][] = [];
    const index = new RoutingIndex(items, (list) => {
      const names = list.map((i) => i.name);
      derived.push(names);
      return { names };
    });
    const a = index.route(4624, 'Security', null);
    const b = index.route(4625, 'SECURITY', 'Microsoft-Windows-Security-Auditing');
    const c = index.route(4688, 'Security', null);
    const d = index.route(1, 'System', null);
    assert.equal(a, b, 'two ids meeting the same rules share one derived route');
    assert.deepEqual(a.names, ['channel-wide', 'open']);
    assert.deepEqual(c.names, ['channel-wide', '4688', 'open']);
    assert.deepEqual(d.names, ['open']);
    assert.deepEqual(derived, [['channel-wide', 'open'], ['channel-wide', '4688', 'open'], ['open']]);
  });
});
