/**
 * End to end: the real `vigil` program simulates the IIS intrusion into a temp folder, then
 * hunts each format's folder with our IIS rules. Every attack event the manifest lists must be
 * found by its intended rule in every format, and nothing else may be found (benign events stay
 * quiet). Classic WinEventLog text carries EventData only inside the rendered message; the
 * reader recovers it through mappings/winevtlog/labels.yml, checked here against the XML form.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runVigil as vigil, type VigilRun as Run } from '../helpers/run-vigil.js';

const FORMATS = ['evtx', 'xml', 'winevtlog', 'jsonl'] as const;
type Format = (typeof FORMATS)[number];
const PROCESS_BEHAVIOURS = [
  'appcmd-install-module', 'appcmd-add-module', 'ps-new-webglobalmodule', 'ps-enable-webglobalmodule',
  'ps-set-webglobalmodule', 'gacutil-install', 'appcmd-disable-http-logging',
];

interface AttackEntry { behaviour: string; rule_id: string; channel: string; file: string; event_id: number; record_id: number; host: string }
interface Manifest { seed: number; attack: AttackEntry[]; benign: { total: number }; files: Record<string, string[]> }
interface Finding { kind: string; rule: { id: string }; variant: string; event: { file: string; record_id: number | null; event_id: number; computer: string } }

const key = (file: string, record: number | null): string => `${file}#${record}`;

let dir = '';
let manifest: Manifest;
const findings = new Map<Format, Finding[]>();

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'vigil-simulate-hunt-'));
  const sim = await vigil(['simulate', 'iis', '--out', dir, '--seed', '7', '--benign', '400']);
  assert.equal(sim.code, 0, sim.stderr);
  manifest = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')) as Manifest;
  // Findings only: risk events and notables are tested with the risk code.
  const runs = await Promise.all(FORMATS.map((f) => vigil(['hunt', path.join(dir, f), '--rules', 'content/sigma/iis', '--format', 'jsonl', '--threads', '1', '--no-risk'])));
  FORMATS.forEach((f, i) => {
    const run = runs[i]!;
    assert.equal(run.code, 0, `hunt ${f}: ${run.stderr}`);
    assert.doesNotMatch(run.stderr, /not loaded:/, `every IIS rule loads (${f})`);
    findings.set(f, run.stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Finding));
  });
});

after(async () => {
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

test('the manifest lists attack events for every behaviour and the benign events', () => {
  const behaviours = new Set(manifest.attack.map((a) => a.behaviour));
  assert.equal(behaviours.size, 12, [...behaviours].join(', '));
  assert.equal(manifest.benign.total, 400);
});

test('the benign data holds near misses, so "no finding on benign events" has teeth', async () => {
  const sysmon = await readFile(path.join(dir, 'xml', 'Sysmon.xml'), 'utf8');
  const powershell = await readFile(path.join(dir, 'xml', 'PowerShell.xml'), 'utf8');
  const config = await readFile(path.join(dir, 'xml', 'IIS-Configuration.xml'), 'utf8');
  assert.match(sysmon, /appcmd\.exe set config \/section:httpLogging \/dontLog:false/, 'appcmd that keeps logging on');
  assert.match(sysmon, /appcmd\.exe" list (modules|config \/section:httpLogging)/, 'appcmd listing modules or the logging section');
  assert.match(powershell, /Get-WebGlobalModule \|/, 'a read-only WebGlobalModule cmdlet');
  assert.match(powershell, /Get-WebConfigurationProperty [^<]*httpLogging[^<]*dontLog/, 'reading (not setting) dontLog');
  assert.match(config, /<Data Name='Configuration'>\/system\.webServer\/(?!globalModules)/, 'IIS configuration changes elsewhere');
});

for (const format of FORMATS) {
  test(`${format}: each attack event is detected by its intended rule`, async (t) => {
    const got = findings.get(format)!;
    const byEvent = new Map<string, Finding[]>();
    for (const f of got) {
      const stem = path.basename(f.event.file).replace(/\.[^.]+$/, '');
      const list = byEvent.get(key(stem, f.event.record_id)) ?? [];
      list.push(f);
      byEvent.set(key(stem, f.event.record_id), list);
    }
    for (const e of manifest.attack) {
      const name = `${e.behaviour}: ${e.file} EventID ${e.event_id} record ${e.record_id}`;
      const check = (): void => {
        const hits = byEvent.get(key(e.file, e.record_id)) ?? [];
        assert.deepEqual(hits.map((h) => h.rule.id), [e.rule_id], `${name}: expected exactly rule ${e.rule_id}`);
        assert.equal(hits[0]!.event.event_id, e.event_id);
        assert.equal(hits[0]!.event.computer, e.host);
      };
      await t.test(name, check);
    }
  });

  test(`${format}: no finding on benign events`, () => {
    const attack = new Set(manifest.attack.map((e) => key(e.file, e.record_id)));
    const got = findings.get(format)!;
    assert.ok(got.length > 0, 'the hunt found something');
    for (const f of got) {
      assert.equal(f.kind, 'match');
      const stem = path.basename(f.event.file).replace(/\.[^.]+$/, '');
      assert.ok(attack.has(key(stem, f.event.record_id)), `finding on a benign event: ${f.event.file} record ${f.event.record_id} by rule ${f.rule.id}`);
    }
  });
}

for (const format of FORMATS) {
  test(`${format}: process creations fire as both Sysmon 1 and Security 4688`, async (t) => {
    const got = findings.get(format)!;
    for (const behaviour of PROCESS_BEHAVIOURS) {
      const entries = manifest.attack.filter((e) => e.behaviour === behaviour && (e.event_id === 1 || e.event_id === 4688));
      assert.deepEqual(entries.map((e) => e.event_id).sort((a, b) => a - b), [1, 4688], `${behaviour} is written as Sysmon 1 and 4688`);
      const variants = (eventId: number): string[] => {
        const e = entries.find((x) => x.event_id === eventId)!;
        return got.filter((f) => path.basename(f.event.file).startsWith(`${e.file}.`) && f.event.record_id === e.record_id).map((f) => f.variant);
      };
      await t.test(`${behaviour}: sysmon variant`, () => assert.deepEqual(variants(1), ['sysmon']));
      await t.test(`${behaviour}: security-4688 variant`, () => assert.deepEqual(variants(4688), ['security-4688']));
    }
  });
}

interface Dumped { channel: string; record_id: number; event_id: number; provider: string; fields: Record<string, unknown> }

/** Fields of the XML form that are System data, not EventData: no message renders them. */
const SYSTEM_ONLY = new Set(['Provider_Guid', 'Provider_EventSourceName', 'EventID_Qualifiers', 'Version', 'Level', 'Task', 'Opcode', 'Keywords', 'Execution_ProcessID', 'Execution_ThreadID', 'TimeCreated', 'Correlation_ActivityID']);
/** EventData the Windows message template leaves out, so classic text cannot carry it. */
const NOT_IN_MESSAGE: Readonly<Record<number, readonly string[]>> = { 29: ['OldValue', 'NewValue'] };

async function dump(format: Format): Promise<Dumped[]> {
  const run = await vigil(['dump', path.join(dir, format), '--quiet']);
  assert.equal(run.code, 0, run.stderr);
  return run.stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Dumped);
}

test('winevtlog: the message gives back the EventData of the XML form (events the IIS rules read)', async () => {
  const [xml, text] = await Promise.all([dump('xml'), dump('winevtlog')]);
  const byRecord = new Map(text.map((r) => [`${r.channel}#${r.record_id}`, r]));
  const checked = new Map<number, number>();
  for (const x of xml) {
    if (![1, 3, 11, 4688, 4104, 29].includes(x.event_id)) continue;
    const c = byRecord.get(`${x.channel}#${x.record_id}`);
    assert.ok(c !== undefined, `winevtlog has ${x.channel} record ${x.record_id}`);
    assert.equal(c.provider, x.provider, `${x.channel} record ${x.record_id}: provider`);
    const absent = NOT_IN_MESSAGE[x.event_id] ?? [];
    for (const [name, value] of Object.entries(x.fields)) {
      if (SYSTEM_ONLY.has(name) || value === '') continue;
      if (absent.includes(name)) assert.equal(c.fields[name], undefined, `${name} is not in the ${x.event_id} message`);
      else assert.deepEqual(c.fields[name], value, `EventID ${x.event_id} record ${x.record_id}: ${name}`);
    }
    checked.set(x.event_id, (checked.get(x.event_id) ?? 0) + 1);
  }
  for (const id of [1, 4688, 4104, 29]) assert.ok((checked.get(id) ?? 0) > 0, `the simulation has EventID ${id} events to compare`);
});

test('simulate: usage errors exit 2 and write nothing', async () => {
  const missingOut = await vigil(['simulate', 'iis']);
  assert.equal(missingOut.code, 2, missingOut.stderr);
  assert.match(missingOut.stderr, /--out/);
  const badFormat = await vigil(['simulate', 'iis', '--out', path.join(dir, 'never'), '--formats', 'evtx,csv']);
  assert.equal(badFormat.code, 2);
  assert.match(badFormat.stderr, /csv/);
  const badScenario = await vigil(['simulate', 'exchange', '--out', path.join(dir, 'never')]);
  assert.equal(badScenario.code, 2);
  await assert.rejects(readFile(path.join(dir, 'never', 'manifest.json')));
});

test('simulate: --formats writes only the formats asked for', async () => {
  const out = path.join(dir, 'only-xml');
  const run = await vigil(['simulate', 'iis', '--out', out, '--formats', 'xml', '--benign', '10', '--seed', '3']);
  assert.equal(run.code, 0, run.stderr);
  const m = JSON.parse(await readFile(path.join(out, 'manifest.json'), 'utf8')) as Manifest;
  assert.deepEqual(Object.keys(m.files), ['xml']);
  assert.equal(m.benign.total, 10);
  await assert.rejects(readFile(path.join(out, 'evtx', 'Security.evtx')));
});

test('rules check: every IIS rule loads cleanly (no warnings), tagged T1505.004', async () => {
  const run = await vigil(['rules', 'check', 'content/sigma/iis', '--format', 'json', '--strict']);
  assert.equal(run.code, 0, run.stderr);
  const report = JSON.parse(run.stdout) as { rules: Array<{ status: string; id: string; problems: unknown[] }> };
  assert.equal(report.rules.length, 9);
  for (const r of report.rules) {
    assert.equal(r.status, 'loaded', r.id);
    assert.deepEqual(r.problems, [], r.id);
  }
  // Every rule the manifest names is one of them.
  const ids = new Set(report.rules.map((r) => r.id));
  for (const e of manifest.attack) assert.ok(ids.has(e.rule_id), e.rule_id);
  for (const name of await readdir('content/sigma/iis')) {
    const text = await readFile(path.join('content/sigma/iis', name), 'utf8');
    assert.match(text, /^ {4}- attack\.persistence$/m, name);
    assert.match(text, /^ {4}- attack\.t1505\.004$/m, name);
    assert.match(text, /^falsepositives:$/m, name);
    assert.match(text, /^level: (low|medium|high|critical)$/m, name);
  }
});
