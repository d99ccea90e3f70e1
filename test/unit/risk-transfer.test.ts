/** Risk events posted by hunt workers with each rule's shared parts sent once (src/cli/hunt/risk-transfer.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EncodedRisk, EncodedSigmaRisk, SigmaRulePieces } from '../../src/cli/hunt/held-risk.js';
import { RiskPacker, RiskUnpacker } from '../../src/cli/hunt/risk-transfer.js';

function rule(n: number): Omit<EncodedSigmaRisk, 'stored' | 'key' | '_time' | 'risk_object' | 'risk_object_type'> {
  const pieces: SigmaRulePieces = { scores: `,"risk_score":${n}`, middle: `,"source":"Sigma - R${n} - Rule"`, hash: 1000 + n };
  return {
    kind: 'sigma',
    pieces,
    risk_score: 10 * n,
    calculated_risk_score: 10 * n,
    source: `Sigma - R${n} - Rule`,
    detection: { id: `id-${n}`, name: `R${n}`, type: 'Sigma', origin: 'sigma' },
    annotations: { mitre_attack: [`T10${n}`], mitre_technique_id: [`T10${n}`], mitre_technique: ['x'], mitre_tactic_id: ['TA0002'], mitre_tactic: ['execution'] },
  } as Omit<EncodedSigmaRisk, 'stored' | 'key' | '_time' | 'risk_object' | 'risk_object_type'>;
}

test('events cross as rule numbers and come back equal, every event of a rule sharing its objects', () => {
  const rules = [rule(1), rule(2), rule(3)];
  const events: EncodedRisk[] = [];
  for (let i = 0; i < 60; i++) {
    const r = rules[(i * 7) % 3]!;
    events.push({ ...r, stored: `,"risk_message":"m${i}"\u0000,"fields":{}}`, key: i * 31, _time: 1_700_000_000 + i, risk_object: i % 2 ? 'WEB01' : 'alice', risk_object_type: i % 2 ? 'system' : 'user' });
    if (i % 10 === 0) events.push({ kind: 'json', stored: `{"kind":"risk","n":${i}}`, key: i, _time: i, risk_object: 'h', risk_object_type: 'system', risk_score: 1, calculated_risk_score: 1, source: 's', detection: { id: 'd', name: 'n', type: 'Sigma', origin: 'sigma' }, annotations: rules[0]!.annotations });
  }
  const packer = new RiskPacker();
  const unpacker = new RiskUnpacker();
  const received: EncodedRisk[] = [];
  // Batches as a worker posts them, copied the way postMessage copies them.
  for (let at = 0; at < events.length; at += 9) {
    const packed = events.slice(at, at + 9).map((e) => packer.pack(e));
    const message = structuredClone({ riskRules: packer.takeNewRules(), risk: packed });
    received.push(...unpacker.unpack(message.riskRules, message.risk));
  }
  assert.deepEqual(received, events);
  const sigma = received.filter((e): e is EncodedSigmaRisk => e.kind === 'sigma');
  for (const a of sigma) {
    for (const b of sigma) {
      if (a.detection.id !== b.detection.id) continue;
      assert.equal(a.pieces, b.pieces);
      assert.equal(a.annotations, b.annotations);
      assert.equal(a.detection, b.detection);
    }
  }
  // Each rule's parts crossed once.
  const again = new RiskPacker();
  const sent = events.map((e) => again.pack(e));
  assert.equal(again.takeNewRules().length, 3);
  assert.equal(again.takeNewRules().length, 0);
  assert.ok(sent.every((p) => p.kind === 'json' || !('pieces' in p)));
});

test('an event naming a rule that never came is an error, not a wrong line', () => {
  const unpacker = new RiskUnpacker();
  assert.throws(() => unpacker.unpack([], [{ kind: 'packed', rule: 0, stored: 'x', key: 1, _time: 0, risk_object: 'h', risk_object_type: 'system' }]), /rule #0/);
});
