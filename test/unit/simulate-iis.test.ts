/**
 * The IIS simulation: same seed → same bytes, different seed → different data; the manifest
 * agrees with what the files hold (record ids, EventIDs, hosts, benign counts); 4688 carries hex
 * process ids; rule ids in the manifest name real rule files.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BEHAVIOURS, CHANNELS, buildIisScenario } from '../../src/simulate/iis-scenario.js';
import { SIM_FORMATS, buildManifest, writeIisSimulation, type Manifest } from '../../src/simulate/write-iis.js';
import { openAll, readAll } from './inputs-helpers.js';

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out.push(path.relative(dir, path.join(entry.parentPath, entry.name)));
  }
  return out.sort();
}

async function simulate(t: { after: (fn: () => Promise<void>) => void }, seed: number, benign: number): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'vigil-sim-unit-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeIisSimulation(dir, buildIisScenario(seed, benign), SIM_FORMATS);
  return dir;
}

test('same seed gives the same bytes in every file; another seed differs', async (t) => {
  const a = await simulate(t, 42, 120);
  const b = await simulate(t, 42, 120);
  const c = await simulate(t, 43, 120);
  const files = await listFiles(a);
  assert.deepEqual(await listFiles(b), files);
  assert.ok(files.includes('evtx/Sysmon.evtx') && files.includes('winevtlog/Security.log') && files.includes('inventory/webglobalmodule.log'));
  for (const f of files) assert.ok((await readFile(path.join(a, f))).equals(await readFile(path.join(b, f))), `${f} differs between two runs of seed 42`);
  assert.notDeepEqual(await readFile(path.join(a, 'xml/Security.xml')), await readFile(path.join(c, 'xml/Security.xml')));
});

test('manifest: every behaviour, both process-creation event types, and counts that match the files', async (t) => {
  const dir = await simulate(t, 9, 250);
  const manifest = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')) as Manifest;
  assert.deepEqual([...new Set(manifest.attack.map((a) => a.behaviour))].sort(), [...BEHAVIOURS].sort());
  assert.equal(manifest.benign.total, 250);
  assert.equal(Object.values(manifest.benign.by_kind).reduce((x, y) => x + y, 0), 250);

  // Each attack entry is in the XML file it names, with that record id, EventID and host.
  const lines = new Map<string, string[]>();
  for (const { stem } of Object.values(CHANNELS)) {
    lines.set(stem, (await readFile(path.join(dir, 'xml', `${stem}.xml`), 'utf8')).split('\n').filter((l) => l !== ''));
  }
  const total = [...lines.values()].reduce((n, l) => n + l.length, 0);
  assert.equal(total, manifest.attack.length + manifest.benign.total, 'every event is either an attack entry or benign');
  for (const e of manifest.attack) {
    const found = lines.get(e.file)!.filter((l) => l.includes(`<EventRecordID>${e.record_id}</EventRecordID>`));
    assert.equal(found.length, 1, `${e.behaviour}: record ${e.record_id} in ${e.file}`);
    assert.match(found[0]!, new RegExp(`<EventID(?: Qualifiers='\\d+')?>${e.event_id}</EventID>`));
    assert.ok(found[0]!.includes(`<Computer>${e.host}</Computer>`));
    assert.ok(found[0]!.includes(`<Channel>${e.channel}</Channel>`));
    assert.equal(e.technique, 'T1505.004');
  }
  // Record ids are unique per file and ascending in file order.
  for (const [stem, l] of lines) {
    const ids = l.map((x) => Number(/<EventRecordID>(\d+)</.exec(x)![1]));
    assert.deepEqual(ids, [...ids].sort((x, y) => x - y), `${stem} ascending`);
    assert.equal(new Set(ids).size, ids.length, `${stem} unique`);
  }
  for (const behaviour of ['appcmd-install-module', 'gacutil-install', 'appcmd-disable-http-logging', 'ps-new-webglobalmodule']) {
    const ids = manifest.attack.filter((a) => a.behaviour === behaviour).map((a) => a.event_id);
    assert.ok(ids.includes(1) && ids.includes(4688), `${behaviour} as Sysmon 1 and 4688: ${ids.join(',')}`);
  }
  // 4688 process ids are hex as Windows writes them.
  const security4688 = lines.get('Security')!.filter((l) => l.includes('<EventID>4688</EventID>'));
  assert.ok(security4688.length > 0);
  for (const l of security4688) assert.match(l, /<Data Name='NewProcessId'>0x[0-9a-f]+<\/Data>.*<Data Name='ProcessId'>0x[0-9a-f]+<\/Data>/);
  // Rule ids and files the manifest names exist in content/sigma/iis.
  for (const e of manifest.attack) {
    const rule = await readFile(path.join('content/sigma/iis', e.rule_file), 'utf8');
    assert.match(rule, new RegExp(`^id: ${e.rule_id}$`, 'm'));
  }
  // One rogue module in the inventory, the one the attack installed.
  const inventory = (await readFile(path.join(dir, 'inventory/webglobalmodule.log'), 'utf8')).split('\n').filter((l) => l !== '');
  const rogue = inventory.filter((l) => !l.includes('image="%windir%\\System32\\inetsrv\\'));
  assert.equal(rogue.length, 1);
  assert.ok(rogue[0]!.includes(`name="${manifest.rogue_module.name}"`) && rogue[0]!.includes(manifest.rogue_module.image.replace(/\\/g, '\\')));
});

test('benign count is exact, including zero; bad seeds are refused', () => {
  for (const n of [0, 1, 2, 3, 57]) assert.equal(buildManifest(buildIisScenario(5, n), ['xml']).benign.total, n);
  assert.throws(() => buildIisScenario(-1, 10), RangeError);
  assert.throws(() => buildIisScenario(1.5, 10), RangeError);
});

test('every format reads back with every event accounted for, and the same record ids', async (t) => {
  const dir = await simulate(t, 21, 150);
  const manifest = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')) as Manifest;
  const idsByFormat = new Map<string, string[]>();
  for (const format of SIM_FORMATS) {
    const { inputs, errors } = await openAll([path.join(dir, format)]);
    assert.deepEqual(errors, []);
    const ids: string[] = [];
    for (const input of inputs) {
      const items = await readAll(input);
      const problems = items.filter((i) => i.kind !== 'event');
      assert.deepEqual(problems, [], `${format}: ${input.name}`);
      for (const i of items) if (i.kind === 'event') ids.push(`${path.basename(input.name).replace(/\.[^.]+$/, '')}#${i.event.provenance.recordId}`);
    }
    assert.equal(ids.length, manifest.attack.length + manifest.benign.total, format);
    idsByFormat.set(format, ids.sort());
  }
  for (const format of SIM_FORMATS) assert.deepEqual(idsByFormat.get(format), idsByFormat.get('evtx'), `${format} record ids = evtx record ids`);
});

test('classic WinEventLog: Sysmon message labels give Image/CommandLine; 4688 labels keep their rendered names', async (t) => {
  const dir = await simulate(t, 4, 0);
  const fieldsOf = async (stem: string, eventId: number): Promise<Record<string, unknown>> => {
    const { inputs } = await openAll([path.join(dir, 'winevtlog', `${stem}.log`)]);
    for (const i of await readAll(inputs[0]!)) if (i.kind === 'event' && i.event.eventId === eventId) return i.event.fields as Record<string, unknown>;
    throw new Error(`no ${eventId} in ${stem}`);
  };
  const sysmon = await fieldsOf('Sysmon', 1);
  assert.match(String(sysmon['Image']), /\\appcmd\.exe$/);
  assert.match(String(sysmon['CommandLine']), / install module \/name:/);
  const security = await fieldsOf('Security', 4688);
  assert.match(String(security['New_Process_Name']), /\\appcmd\.exe$/);
  assert.match(String(security['Process_Command_Line']), / install module \/name:/);
  assert.match(String(security['New_Process_ID']), /^0x[0-9a-f]+$/);
});

test('the WebAdministration provider step: a 4104 Set-ItemProperty on the site log file, after the dontLog change', () => {
  const s = buildIisScenario(12, 60);
  const powershell = s.channels.get('powershell')!;
  const at = (behaviour: string): number => powershell.findIndex((e) => e.label.kind === 'attack' && e.label.behaviour === behaviour);
  const step = powershell.filter((e) => e.label.kind === 'attack' && e.label.behaviour === 'ps-disable-site-logfile');
  assert.equal(step.length, 1);
  const text = step[0]!.event.eventData?.find(([n]) => n === 'ScriptBlockText')?.[1];
  assert.equal(text, "Set-ItemProperty 'IIS:\\Sites\\Default Web Site' -Name logFile.enabled -Value false");
  assert.equal(step[0]!.event.eventId, 4104);
  assert.ok(at('ps-disable-site-logfile') > at('ps-disable-http-logging'), 'after the Set-WebConfigurationProperty step');
  // Only a script block, like the dontLog step: no process start or configuration commit of its own.
  const others = [...s.channels.values()].flat().filter((e) => e.label.kind === 'attack' && e.label.behaviour === 'ps-disable-site-logfile');
  assert.equal(others.length, 1);
  assert.equal(buildManifest(s, ['xml']).attack.find((a) => a.behaviour === 'ps-disable-site-logfile')?.rule_file, 'ps_script_http_logging_disabled.yml');
});
