/** content/splunk, Vigil's IIS Components pack: loads cleanly, searches parse, risk as designed. */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { type ContentLoad, type Detection, checkDetectionSearch, contentFileStem, deploymentFor, loadContent, macroLookup } from '../../src/content/index.js';
import { contentDir } from '../../src/core/mappings-dir.js';
import type { Command, Pipeline } from '../../src/spl/index.js';
import { applyTimeModifier } from '../../src/spl/time/relative.js';
import { compileSearchExpr } from '../../src/spl/exec/search-match.js';
import { DEFAULT_LIMITS, type ExecContext, type SplValue } from '../../src/spl/exec/types.js';
import { parseSpl } from '../../src/spl/index.js';

/** The nine detections (splunk-iis-components.md §1): name, id, type, base score, risk and threat object fields. */
const EXPECTED: readonly { name: string; id: string; type: string; score: number; risk: string[]; threat: string[] }[] = [
  { name: 'Windows IIS Components Add New Module', id: '38fe731c-1f13-43d4-b878-a5bbe44807e3', type: 'Anomaly', score: 64, risk: ['user', 'dest'], threat: ['parent_process_name', 'process_name'] },
  { name: 'Windows IIS Components New Module Added', id: '55f22929-cfd3-4388-ba5c-4d01fac7ee7e', type: 'TTP', score: 48, risk: ['dest'], threat: [] },
  { name: 'Windows IIS Components Module Failed to Load', id: '40c2ba5b-dd6a-496b-9e6e-c9524d0be167', type: 'Anomaly', score: 25, risk: ['dest'], threat: [] },
  { name: 'Windows IIS Components Get-WebGlobalModule Module Query', id: '20db5f70-34b4-4e83-8926-fa26119de173', type: 'Hunting', score: 1, risk: ['dest'], threat: [] },
  { name: 'Windows PowerShell IIS Components WebGlobalModule Usage', id: '33fc9f6f-0ce7-4696-924e-a69ec61a3d57', type: 'Anomaly', score: 64, risk: ['Computer'], threat: [] },
  { name: 'Windows Disable Windows Event Logging Disable HTTP Logging', id: '23fb6787-255f-4d5b-9a66-9fd7504032b5', type: 'TTP', score: 64, risk: ['user', 'dest'], threat: ['parent_process_name', 'process_name'] },
  { name: 'Windows PowerShell Disable HTTP Logging', id: '27958de0-2857-43ca-9d4c-b255cf59dcab', type: 'TTP', score: 64, risk: ['Computer'], threat: [] },
  { name: 'Windows Server Software Component GACUtil Install to GAC', id: '7c025ef0-9e65-4c57-be39-1c13dbb1613e', type: 'TTP', score: 49, risk: ['user', 'dest'], threat: ['parent_process_name', 'process_name'] },
  { name: 'Windows PowerShell Add Module to Global Assembly Cache', id: '3fc16961-97e5-4a5b-a079-e4ab0d9763eb', type: 'TTP', score: 64, risk: ['Computer'], threat: [] },
];

/** Files `vigil simulate iis --out examples/iis` writes (src/simulate/write-iis.ts). */
const SIMULATED = new Set([
  ...['evtx', 'xml', 'winevtlog', 'jsonl'].flatMap((format) =>
    ['Security', 'Sysmon', 'PowerShell', 'Application', 'IIS-Configuration'].map((stem) => `examples/iis/${format}/${stem}.${{ evtx: 'evtx', xml: 'xml', winevtlog: 'log', jsonl: 'jsonl' }[format]}`),
  ),
  'examples/iis/inventory/webglobalmodule.log',
]);

/** Detections whose `<stem>_filter` macro carries the pack's tuning (README "Tuning"); the others pass everything. */
const TUNED = new Set([
  'Windows IIS Components New Module Added',
  'Windows IIS Components Get-WebGlobalModule Module Query',
  'Windows Disable Windows Event Logging Disable HTTP Logging',
  'Windows PowerShell Disable HTTP Logging',
]);

const TSTATS = new Set(['Windows IIS Components Add New Module', 'Windows Disable Windows Event Logging Disable HTTP Logging', 'Windows Server Software Component GACUtil Install to GAC']);

let load: ContentLoad;
const byName = (name: string): Detection => {
  const d = load.detections.find((x) => x.name === name);
  assert.ok(d, `detection '${name}' is loaded`);
  return d;
};
const lastCommand = (p: Pipeline): Command => p.commands.at(-1)!;

before(async () => {
  load = await loadContent(contentDir('splunk', 'detections'));
});

describe('IIS Components pack', () => {
  test('loads nine detections, the story, macros, data sources and deployments without problems', () => {
    const problems = load.diagnostics.filter((d) => d.severity !== 'info');
    assert.deepEqual(problems, [], problems.map((p) => `${p.location.file}:${p.location.line}: ${p.message}`).join('\n'));
    assert.equal(load.detections.length, 9);
    assert.deepEqual(load.stories.map((s) => s.name), ['IIS Components']);
    assert.equal(load.dataSources.length, 6);
    assert.deepEqual(load.deployments.map((d) => d.type).sort(), ['Anomaly', 'Correlation', 'Hunting', 'TTP']);
    assert.ok(load.files.every((f) => f.status === 'loaded'), 'every file is loaded');
    const macros = new Set(load.macros.map((m) => m.name));
    for (const m of ['security_content_summariesonly', 'summariesonly_config', 'oldsummaries_config', 'fillnull_config', 'security_content_ctime', 'sysmon', 'powershell', 'wineventlog_application', 'iis_operational_logs', 'iis_get_webglobalmodule']) {
      assert.ok(macros.has(m), `macro ${m}`);
    }
  });

  test('names, ids and types are the ESCU ones, and file names follow the stem rule', () => {
    for (const e of EXPECTED) {
      const d = byName(e.name);
      assert.equal(d.id, e.id, e.name);
      assert.equal(d.type, e.type, e.name);
      assert.ok(d.origin.file.endsWith(join('detections', 'endpoint', `${contentFileStem(e.name)}.yml`)), d.origin.file);
    }
  });

  test('every search parses after macro expansion and ends with its own filter macro', () => {
    const lookup = macroLookup(load);
    for (const d of load.detections) {
      assert.ok(d.search.trimEnd().endsWith(`| \`${d.filterMacro}\``), `${d.name} ends with ${d.filterMacro}`);
      const checked = checkDetectionSearch(d, lookup);
      assert.equal(checked.kind, 'parsed', checked.kind === 'failed' ? checked.diagnostics.map((x) => x.message).join('\n') : '');
      if (checked.kind !== 'parsed') continue;
      const resolved = lookup.resolve(d.filterMacro, 0);
      assert.equal(resolved?.source, 'yaml', `${d.filterMacro} comes from the pack`);
      if (TUNED.has(d.name)) assert.notEqual(resolved?.definition, 'search *', `${d.filterMacro} is tuned`);
      else assert.equal(resolved?.definition, 'search *', `${d.filterMacro} passes everything through`);
      assert.match(resolved?.definition ?? '', /^search /, `${d.filterMacro} is one search command`);
      // The filter's search is the last command once expanded.
      assert.equal(lastCommand(checked.ast).kind, 'search', d.name);
      const first = checked.ast.commands[0]!;
      assert.equal(first.kind, TSTATS.has(d.name) ? 'tstats' : 'search', `${d.name} starts with ${first.kind}`);
    }
  });

  test('source macros are parenthesised and select what Vigil labels each format with', () => {
    const lookup = macroLookup(load);
    const def = (name: string): string => lookup(name, 0)?.definition ?? '';
    for (const m of ['sysmon', 'powershell', 'wineventlog_application', 'iis_operational_logs', 'iis_get_webglobalmodule']) {
      assert.match(def(m), /^\(.*\)$/, m);
    }
    assert.match(def('powershell'), /source="XmlWinEventLog:Microsoft-Windows-PowerShell\/Operational"/);
    assert.match(def('powershell'), /source="WinEventLog:Microsoft-Windows-PowerShell\/Operational"/);
    assert.match(def('sysmon'), /source="WinEventLog:Microsoft-Windows-Sysmon\/Operational"/);
    assert.match(def('wineventlog_application'), /source="WinEventLog:Application"/);
    assert.equal(def('iis_operational_logs'), '(sourcetype="IIS:Configuration:Operational" OR source="XmlWinEventLog:Microsoft-IIS-Configuration/Operational")');
    assert.equal(def('iis_get_webglobalmodule'), '(sourcetype="Pwsh:InstalledIISModules")');
    assert.equal(lookup('drop_dm_object_name', 1)?.definition, 'rename $object$.* AS *', 'the CIM built-in is used');
  });

  test('risk: impact × confidence / 100, risk objects from victims, threat objects from attacker process names', () => {
    for (const e of EXPECTED) {
      const d = byName(e.name);
      assert.ok(d.risk?.kind === 'tags', `${e.name} uses tags risk`);
      if (d.risk?.kind !== 'tags') continue;
      assert.equal(d.risk.riskScore, e.score, e.name);
      assert.equal(d.risk.declaredRiskScore, e.score, `${e.name}: tags.risk_score agrees`);
      assert.deepEqual(d.risk.riskObjects.map((o) => o.field), e.risk, e.name);
      assert.ok(d.risk.riskObjects.every((o) => o.score === e.score), e.name);
      assert.deepEqual(d.risk.riskObjects.map((o) => o.type), e.risk.map((f) => (f === 'user' ? 'user' : 'system')), e.name);
      assert.deepEqual(d.risk.threatObjects.map((o) => o.field), e.threat, e.name);
      assert.ok(d.risk.threatObjects.every((o) => o.type === 'process'), e.name);
      // Every $token$ of the message is a field the search outputs.
      const tokens = [...d.risk.message.matchAll(/\$([A-Za-z_]+)\$/g)].map((m) => m[1]!);
      assert.ok(tokens.length > 0, `${e.name} message names fields`);
      for (const t of tokens) assert.ok(d.search.includes(t), `${e.name}: message token ${t} appears in the search`);
    }
    assert.deepEqual(EXPECTED.map((e) => e.score), [64, 48, 25, 1, 64, 64, 64, 49, 64]);
  });

  test('tags: ATT&CK, kill chain, NIST by type, CIS 10', () => {
    for (const d of load.detections) {
      const disablesLogging = d.name.includes('HTTP Logging');
      assert.deepEqual(d.tags.mitreAttackId, disablesLogging ? ['T1505.004', 'T1562.002'] : ['T1505.004'], d.name);
      assert.deepEqual(d.tags.killChainPhases, disablesLogging ? ['Installation', 'Actions on Objectives'] : ['Installation'], d.name);
      assert.deepEqual(d.tags.nist, [d.type === 'TTP' ? 'DE.CM' : 'DE.AE'], d.name);
      assert.deepEqual(d.tags.cis20, ['CIS 10'], d.name);
      assert.deepEqual(d.tags.analyticStory, ['IIS Components'], d.name);
      assert.equal(d.tags.assetType, 'Endpoint');
      assert.equal(d.tags.securityDomain, 'endpoint');
      assert.ok(d.tags.product.length > 0 && d.tags.requiredFields.includes('_time'), d.name);
      for (const s of d.dataSource) assert.ok(load.dataSources.some((x) => x.name === s), `${d.name}: data source ${s}`);
    }
  });

  test('every detection has a test on files the IIS simulation writes', () => {
    for (const d of load.detections) {
      assert.ok(d.tests.length > 0, `${d.name} has a test`);
      for (const t of d.tests) {
        assert.ok(t.attackData.length > 0, `${d.name}: ${t.name} has attack data`);
        for (const a of t.attackData) {
          assert.ok(SIMULATED.has(a.data), `${d.name}: ${a.data} is written by vigil simulate iis`);
          assert.ok(a.source !== null && a.sourcetype !== null, `${d.name}: ${a.data} has source and sourcetype`);
        }
      }
    }
    // The tests' source labels are what the searches select.
    assert.equal(byName('Windows IIS Components New Module Added').tests[0]!.attackData[0]!.sourcetype, 'IIS:Configuration:Operational');
    assert.equal(byName('Windows PowerShell Disable HTTP Logging').tests[0]!.attackData[0]!.source, 'XmlWinEventLog:Microsoft-Windows-PowerShell/Operational');
  });

  test('the story exists and all nine detections belong to it', () => {
    const story = load.stories[0]!;
    assert.equal(story.name, 'IIS Components');
    assert.ok(story.description.length > 40 && story.narrative.length > 200);
    const members = load.detections.filter((d) => d.tags.analyticStory.includes(story.name)).map((d) => d.name).sort();
    assert.deepEqual(members, EXPECTED.map((e) => e.name).sort());
    for (const e of EXPECTED) assert.ok(story.narrative.replace(/\s+/g, ' ').includes(e.name), `narrative names ${e.name}`);
  });

  test('deployments: hourly, [-70m@m, -10m@m), actions by type', () => {
    for (const d of load.detections) {
      const dep = deploymentFor(load, d);
      assert.ok(dep?.scheduling, d.name);
      assert.equal(dep.scheduling.cronSchedule, '0 * * * *');
      assert.equal(dep.scheduling.scheduleWindow, 'auto');
      const at = Date.UTC(2024, 6, 2, 15) / 1000;
      assert.equal(at - applyTimeModifier(dep.scheduling.earliestTime, at), 70 * 60);
      assert.equal(at - applyTimeModifier(dep.scheduling.latestTime, at), 10 * 60);
      const kinds = dep.alertActions.map((a) => a.kind).sort();
      const expected = { TTP: ['notable', 'risk'], Anomaly: ['risk'], Hunting: [], Correlation: ['notable'] }[d.type as 'TTP'];
      assert.deepEqual(kinds, expected, d.name);
    }
    const correlation = load.deployments.find((d) => d.type === 'Correlation');
    assert.deepEqual(correlation?.alertActions.map((a) => a.kind), ['notable']);
  });

  test('the pack README exists', () => {
    assert.ok(existsSync(join(contentDir('splunk', 'detections'), 'README.md')));
  });

  test('tuned filters say what they remove and how to undo it; the README lists each', () => {
    const readme = readFileSync(join(contentDir('splunk', 'detections'), 'README.md'), 'utf8');
    const tuning = readme.slice(readme.indexOf('## Tuning'));
    assert.ok(readme.includes('## Tuning'), 'README has a Tuning section');
    for (const name of TUNED) {
      const d = byName(name);
      const macro = load.macros.find((m) => m.name === d.filterMacro);
      assert.ok(macro, d.filterMacro);
      assert.match(macro.description ?? '', /`search \*` for ESCU's untuned behaviour/, `${d.filterMacro}: how to reset`);
      assert.match(macro.description ?? '', /vigil hunt --macros/, `${d.filterMacro}: how to override`);
      assert.ok(tuning.includes(`\`${d.filterMacro}\``), `README Tuning names ${d.filterMacro}`);
    }
  });

  test('tuned filters keep logging and module tampering, and drop the admin look-alikes', () => {
    const ctx: ExecContext = { now: 0, earliest: null, latest: null, lookup: () => undefined, limits: DEFAULT_LIMITS, warn: () => {} };
    const keeps = (detection: string, fields: Record<string, SplValue>): boolean => {
      const def = macroLookup(load)(byName(detection).filterMacro, 0)?.definition ?? '';
      const command = parseSpl(def).commands[0];
      assert.ok(command?.kind === 'search' && command.expr !== null, def);
      return compileSearchExpr(command.expr)(new Map(Object.entries(fields)), ctx);
    };
    const appcmd = (args: string): boolean => keeps('Windows Disable Windows Event Logging Disable HTTP Logging', { process: `C:\\Windows\\System32\\inetsrv\\appcmd.exe ${args}` });
    for (const bad of ['set config /section:httplogging /dontLog:true', 'set config -section:system.webServer/httpLogging -dontLog:"True"',
      'set config -section:system.applicationHost/sites /siteDefaults.logFile.enabled:false', 'uninstall module HttpLoggingModule',
      "set config /section:globalModules /-[name='HttpLoggingModule']"]) assert.ok(appcmd(bad), bad);
    for (const fine of ['set config /section:httpLogging /dontLog:false', 'list config /section:httpLogging',
      `set config "intranet" /section:defaultDocument /+files.[value='index.aspx']`]) assert.ok(!appcmd(fine), fine);

    const script = (text: string): boolean => keeps('Windows PowerShell Disable HTTP Logging', { ScriptBlockText: text });
    assert.ok(script("Set-ItemProperty 'IIS:\\Sites\\Default Web Site' -Name logFile.enabled -Value false"));
    assert.ok(script("Set-ItemProperty IIS:\\Sites\\intranet -Name logfile.enabled -Value $false"));
    assert.ok(script("Set-WebConfigurationProperty -Filter system.webServer/httpLogging -Name dontLog -Value $true; Get-Item IIS:\\"));
    assert.ok(!script("Get-WebConfigurationProperty -PSPath 'MACHINE/WEBROOT/APPHOST' -Filter 'system.webServer/httpLogging' -Name dontLog"));
    assert.ok(!script("Set-ItemProperty 'IIS:\\Sites\\Default Web Site' -Name logFile.enabled -Value true"));

    const commit = (element: string): boolean =>
      keeps('Windows IIS Components New Module Added', { Message: `Changes to '${element}' at 'MACHINE/WEBROOT/APPHOST' have successfully been committed.` });
    for (const added of ["/system.webServer/globalModules/add[@name='X']", "/system.webServer/modules/add[@name='X']",
      "/system.webServer/isapiFilters/add[@name='X']", "/system.webServer/handlers/add[@name='X']"]) assert.ok(commit(added), added);
    for (const other of ["/system.webServer/defaultDocument/files/add[@value='index.aspx']", '/system.webServer/httpLogging/@selectiveLogging',
      "/system.applicationHost/applicationPools/add[@name='DefaultAppPool']/recycling/periodicRestart/@time"]) assert.ok(!commit(other), other);

    const module = (name: string, image: string): boolean => keeps('Windows IIS Components Get-WebGlobalModule Module Query', { name, image });
    assert.ok(!module('StaticFileModule', '%windir%\\System32\\inetsrv\\static.dll'));
    assert.ok(!module('ManagedEngineV4.0_64bit', '%windir%\\Microsoft.NET\\Framework64\\v4.0.30319\\webengine4.dll'));
    assert.ok(module('StaticFileModule', 'C:\\Windows\\Temp\\static.dll'), 'a stock name loaded from elsewhere');
    assert.ok(module('IISHttpCompressExt', 'C:\\Windows\\System32\\inetsrv\\iiscmp.dll'), 'an unknown module in the IIS folder');
  });
});
