/**
 * The skipping substring scan (src/engine/skip-scan.ts) and the per-route narrowing of keyword
 * scans it serves (src/engine/engine.ts, needles.ts): both must find exactly what `includes` finds.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Expr, ValueMatch } from '../../src/ir/nodes.js';
import type { FieldValue } from '../../src/core/event.js';
import { SkipScanner, skipScanSuits } from '../../src/engine/skip-scan.js';
import { and, detection, event, run, scope } from './engine-test-kit.js';
import { seededRandom } from '../fuzz/evtx-synth.js';


const sorted = (ids: Iterable<number>): number[] => [...ids].sort((a, b) => a - b);

describe('skip scan', () => {
  test('finds what includes finds, folded and not, with the characters that lower-case to ASCII', () => {
    const rnd = seededRandom(77).int;
    // A small alphabet makes needles overlap and share blocks; K (KELVIN SIGN) and İ lower-case to k and i.
    const textAlphabet = ['k', 'K', 'i', 'I', 'a', 'A', ':', '\u212a', '\u0130', '\u0307', 'é', '\u4e2d', '\0'];
    const needleAlphabet = ['k', 'i', 'a', ':'];
    const word = (alphabet: readonly string[], min: number, max: number): string =>
      Array.from({ length: min + rnd(max - min + 1) }, () => alphabet[rnd(alphabet.length)]!).join('');
    for (let round = 0; round < 40; round++) {
      const lower = Array.from({ length: 1 + rnd(12) }, () => word(needleAlphabet, 5, 9));
      const folded = new SkipScanner(lower.map((needle, id) => ({ needle, id })), true);
      const mixed = lower.map((n) => n.replace(/k/g, 'K'));
      const raw = new SkipScanner(mixed.map((needle, id) => ({ needle, id })), false);
      for (let k = 0; k < 150; k++) {
        const text = word(textAlphabet, 0, 60);
        const a = new Set<number>();
        folded.scan(text, (id) => a.add(id));
        const wantFolded = lower.map((n, i) => (text.toLowerCase().includes(n) ? i : -1)).filter((i) => i >= 0);
        assert.deepEqual(sorted(a), wantFolded, `folded ${JSON.stringify(lower)} in ${JSON.stringify(text)}`);
        const b = new Set<number>();
        raw.scan(text, (id) => b.add(id));
        const wantRaw = mixed.map((n, i) => (text.includes(n) ? i : -1)).filter((i) => i >= 0);
        assert.deepEqual(sorted(b), wantRaw, `raw ${JSON.stringify(mixed)} in ${JSON.stringify(text)}`);
      }
    }
  });

  test('a needle planted anywhere in a long text is found (shifts never jump over a match)', () => {
    const rnd = seededRandom(5).int;
    const needles = ['sekurlsa::', 'lsadump::', 'privilege::debug', 'kerberos::golden', 'mimidrv.sys'];
    const scanner = new SkipScanner(needles.map((needle, id) => ({ needle, id })), true);
    const filler = 'abcdefghijklmnopqrstuvwxyz:.\\ ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
    for (let k = 0; k < 500; k++) {
      const id = rnd(needles.length);
      const before = Array.from({ length: rnd(300) }, () => filler[rnd(filler.length)]!).join('');
      const after = Array.from({ length: rnd(40) }, () => filler[rnd(filler.length)]!).join('');
      const text = before + needles[id]!.toUpperCase() + after;
      const found = new Set<number>();
      scanner.scan(text, (i) => found.add(i));
      assert.ok(found.has(id), `${needles[id]} in ${text}`);
    }
  });

  test('only long ASCII needles without NUL suit it', () => {
    assert.equal(skipScanSuits(['mimikatz', 'sekurlsa::']), true);
    assert.equal(skipScanSuits(['mimikatz', 'kali']), false);
    assert.equal(skipScanSuits(['mimikätz']), false);
    assert.equal(skipScanSuits(['mimi\0katz']), false);
    assert.equal(skipScanSuits([]), false);
    assert.throws(() => new SkipScanner([{ needle: 'kali', id: 0 }], true));
  });
});

describe('keyword scans narrowed per route', () => {
  const contains = (needle: string): ValueMatch => ({ kind: 'pattern', parts: [{ kind: 'any' }, { kind: 'text', text: needle }, { kind: 'any' }], cased: false });
  const keyword = (needle: string): Expr => ({ kind: 'keyword', match: contains(needle) });

  test('each route finds the keywords its rules read, gate or not, and rules of other routes stay silent', () => {
    const rules = [
      // Every log: long keywords (a skip scan).
      detection('everywhere', keyword('sekurlsa::logonpasswords')),
      // One channel: a short keyword (an automaton) that other routes never look for.
      detection('app', keyword('kali'), [{ label: 'app', scope: scope({ channels: ['Application'] }), condition: keyword('kali') }]),
      // Two keywords that must both be there: only one can be the gate; the other is read too.
      detection('both', and(keyword('invoke-mimikatz'), keyword('dumpcreds')), [
        { label: 'sec', scope: scope({ channels: ['Security'] }), condition: and(keyword('invoke-mimikatz'), keyword('dumpcreds')) },
      ]),
    ];
    const ids = (channel: string, fields: Record<string, FieldValue>): string[] =>
      run(rules, [event(fields, { channel, provider: null, eventId: 4688 })]).findings.map((f) => f.rule.id).sort();
    assert.deepEqual(ids('Application', { Data: 'kali SEKURLSA::LogonPasswords' }), ['app', 'everywhere']);
    assert.deepEqual(ids('Security', { Data: 'kali SEKURLSA::LogonPasswords' }), ['everywhere']);
    assert.deepEqual(ids('Security', { CommandLine: 'powershell Invoke-Mimikatz', Other: ['x', 'DumpCreds'] }), ['both']);
    assert.deepEqual(ids('Security', { CommandLine: 'powershell Invoke-Mimikatz' }), []);
    // One engine, events alternating between routes: nothing narrowed for one route leaks into the next.
    const { findings } = run(rules, [
      event({ Data: 'kali' }, { channel: 'Application', provider: null, eventId: 1 }),
      event({ A: 'invoke-mimikatz', B: 'dumpcreds kali' }, { channel: 'Security', provider: null, eventId: 1 }),
      event({ Data: 'kali sekurlsa::logonpasswords' }, { channel: 'Application', provider: null, eventId: 1 }),
      event({ A: 'sekurlsa::logonpasswords' }, { channel: 'System', provider: null, eventId: 1 }),
    ]);
    assert.deepEqual(
      findings.map((f) => (f.kind === 'match' ? `${f.event.channel}:${f.rule.id}` : f.kind)),
      ['Application:app', 'Security:both', 'Application:everywhere', 'Application:app', 'System:everywhere'],
    );
  });
});
