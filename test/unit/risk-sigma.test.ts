/** Sigma findings as risk, and the ATT&CK catalog (mappings/risk/sigma.yml, mappings/attack/). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  WarningCounter,
  attackCatalogFromText,
  defaultAttackCatalog,
  evaluateIncidentRules,
  loadIncidentRules,
  loadSigmaRiskConfig,
  riskEventsFromSigmaFinding,
  sigmaRiskConfigFromText,
  usableUser,
  type SigmaFindingInput,
} from '../../src/risk/index.js';

const T0 = 1_700_000_000;

function finding(level: SigmaFindingInput['rule']['level'], fields: SigmaFindingInput['fields'], extra: Partial<SigmaFindingInput> = {}): SigmaFindingInput {
  return {
    rule: { id: 'r-1', title: 'IIS Native-Code Module Added Via AppCmd', level, tags: ['attack.persistence', 'attack.t1505.004'] },
    time: '2023-11-14T22:13:20.000Z',
    fields,
    ...extra,
  };
}

const PROCESS_4688 = {
  Computer: 'WEB01.corp.local',
  SubjectUserName: 'alice',
  SubjectDomainName: 'CORP',
  TargetUserName: '-',
  NewProcessName: 'C:\\Windows\\System32\\inetsrv\\appcmd.exe',
  CommandLine: 'appcmd.exe install module /name:evil /image:C:\\evil.dll',
  ProcessId: '0xf84',
};

describe('Sigma findings as risk', () => {
  test('a high finding scores 64 on the host and the user, with process and command as threat objects', () => {
    const events = riskEventsFromSigmaFinding(finding('high', PROCESS_4688));
    assert.deepEqual(
      events.map((e) => [e.risk_object_type, e.risk_object, e.risk_score]),
      [
        ['system', 'WEB01.corp.local', 64],
        ['user', 'alice', 64],
      ],
    );
    const e = events[0]!;
    assert.deepEqual(e.threat_object, ['appcmd.exe', 'appcmd.exe install module /name:evil /image:C:\\evil.dll']);
    assert.deepEqual(e.threat_object_type, ['process_name', 'command']);
    assert.equal(e._time, T0);
    assert.equal(e.source, 'Sigma - IIS Native-Code Module Added Via AppCmd - Rule');
    assert.equal(e.detection.origin, 'sigma');
    assert.equal(e.risk_message, "Sigma rule 'IIS Native-Code Module Added Via AppCmd' (high) matched on WEB01.corp.local");
    assert.deepEqual(e.annotations.mitre_tactic_id, ['TA0003']);
    assert.deepEqual(e.annotations.mitre_technique_id, ['T1505.004']);
    assert.equal(e.fields['ProcessId'], '0xf84');
  });

  test('level scores: informational 5, low 20, medium 40, high 64, critical 80', () => {
    const scores = (['informational', 'low', 'medium', 'high', 'critical'] as const).map((l) => riskEventsFromSigmaFinding(finding(l, { Computer: 'h' }))[0]!.risk_score);
    assert.deepEqual(scores, [5, 20, 40, 64, 80]);
  });

  test('user choice: TargetUserName unless "-", machine accounts and SYSTEM skipped, domain stripped', () => {
    const users = (fields: Record<string, string>): string[] =>
      riskEventsFromSigmaFinding(finding('low', { Computer: 'h', ...fields }))
        .filter((e) => e.risk_object_type === 'user')
        .map((e) => e.risk_object);
    assert.deepEqual(users({ TargetUserName: 'bob', SubjectUserName: 'alice' }), ['bob']);
    assert.deepEqual(users({ TargetUserName: '-', SubjectUserName: 'alice' }), ['alice']);
    assert.deepEqual(users({ SubjectUserName: 'WEB01$' }), []);
    assert.deepEqual(users({ SubjectUserName: 'WEB01$', User: 'CORP\\carol' }), ['carol']);
    assert.deepEqual(users({ User: 'NT AUTHORITY\\SYSTEM' }), []);
    assert.deepEqual(users({ User: 'dave@corp.local' }), ['dave']);
    const config = loadSigmaRiskConfig();
    assert.equal(usableUser('LOCAL SERVICE', config), null);
    assert.equal(usableUser('  ', config), null);
  });

  test("the event's Computer comes from the finding when the fields lack it; no object → no event", () => {
    const events = riskEventsFromSigmaFinding(finding('medium', { Image: '/usr/bin/curl' }, { computer: 'host9' }));
    assert.deepEqual(
      events.map((e) => e.risk_object),
      ['host9'],
    );
    assert.deepEqual(events[0]!.threat_object, ['curl']);
    assert.deepEqual(riskEventsFromSigmaFinding(finding('medium', { Image: 'x.exe' })), []);
  });

  test('the configuration file drives scores, objects and message', () => {
    const config = sigmaRiskConfigFromText(`scores: {informational: 1, low: 2, medium: 3, high: 4, critical: 5}
message: "$sigma_level$ on $Workstation$"
risk_objects:
  - {type: other, fields: [Workstation]}
threat_objects: []
`);
    const events = riskEventsFromSigmaFinding(finding('critical', { Workstation: 'ws1', Computer: 'ignored' }), { config });
    assert.deepEqual(
      events.map((e) => [e.risk_object_type, e.risk_object, e.risk_score, e.risk_message]),
      [['other', 'ws1', 5, 'critical on ws1']],
    );
  });

  test('three high Sigma findings on one host within a day cross the 24-hour threshold (3 × 64 = 192)', () => {
    const titles = ['A', 'B', 'C'];
    const events = titles.flatMap((t, i) => riskEventsFromSigmaFinding({ rule: { id: t, title: t, level: 'high', tags: [] }, time: T0 + i * 3600, fields: { Computer: 'h' } }));
    const n = evaluateIncidentRules(events, loadIncidentRules().filter((r) => r.kind === 'score-threshold'));
    assert.equal(n.length, 1);
    assert.equal(n[0]!.window.risk_score, 128, 'the second finding already crosses');
    assert.equal(n[0]!.peak.risk_score, 192);
  });

  test('old and underscore tactic tags resolve; unknown techniques are counted', () => {
    const warnings = new WarningCounter();
    const events = riskEventsFromSigmaFinding(
      { rule: { id: 'x', title: 'x', level: 'low', tags: ['attack.defense_evasion', 'attack.t9999.001', 'attack.g0016', 'attack.s0002'] }, time: null, fields: { Computer: 'h' } },
      { warn: warnings.warn, fallbackTime: 7 },
    );
    assert.deepEqual(events[0]!.annotations.mitre_tactic_id, ['TA0005']);
    assert.equal(events[0]!._time, 7);
    assert.equal(warnings.count('risk.unknown-technique'), 1);
  });
});

describe('ATT&CK catalog', () => {
  const attack = defaultAttackCatalog();

  test('sub-techniques inherit their parent tactics; listed ones win', () => {
    assert.deepEqual(attack.technique('T1505.004')?.tactics, ['TA0003']);
    assert.equal(attack.technique('attack.t1505.004')?.name, 'IIS Components');
    assert.deepEqual(attack.technique('T1053.005')?.tactics, ['TA0002', 'TA0003', 'TA0004']);
  });

  test('revoked ids take the tactics of their replacement (v19 Defense Impairment split)', () => {
    assert.equal(attack.technique('T1562.001')?.replacedBy, 'T1685');
    assert.deepEqual(attack.technique('T1562.001')?.tactics, ['TA0112']);
    assert.deepEqual(attack.technique('T1086')?.tactics, ['TA0002']);
    assert.deepEqual(attack.technique('T1070.001')?.tactics, ['TA0112']);
  });

  test('tactics by id, short name or pre-v19 alias; 15 tactics in matrix order', () => {
    assert.equal(attack.tactic('defense-evasion')?.id, 'TA0005');
    assert.equal(attack.tactic('TA0005')?.name, 'Stealth');
    assert.equal(attack.tactic('Privilege_Escalation')?.id, 'TA0004');
    assert.equal(attack.tactic('nonsense'), undefined);
    const all = attack.tactics();
    assert.equal(all.length, 15);
    assert.equal(all[0]!.id, 'TA0043');
    assert.equal(all[all.length - 1]!.id, 'TA0040');
    assert.ok(attack.techniqueCount >= 700, `${attack.techniqueCount} techniques`);
  });

  test('bad data files are located errors', () => {
    const tactics = 'tactics:\n  - {id: TA0001, name: Initial Access, short: initial-access}\n';
    const techniques = 'techniques:\n  T1190: {name: X, tactics: [TA0001]}\n  T1190.001: {name: Y}\n  T2000: {name: Z, tactics: [TA9999]}\n  T3000: {name: W}\n  nonsense: {name: V}\n';
    assert.throws(
      () => attackCatalogFromText(tactics, techniques, { tactics: 't.yml', techniques: 'q.yml' }),
      (e: unknown) => {
        assert.ok(e instanceof AggregateError);
        const messages = e.errors.map((x: Error) => x.message).join('\n');
        assert.match(messages, /unknown tactic id TA9999/);
        assert.match(messages, /T3000.*no tactics/);
        assert.match(messages, /'nonsense' is not a technique id/);
        return true;
      },
    );
    const ok = attackCatalogFromText(tactics, 'techniques:\n  T1190: {name: X, tactics: [TA0001]}\n  T1190.001: {name: Y}\n');
    assert.deepEqual(ok.technique('T1190.001')?.tactics, ['TA0001']);
  });
});
