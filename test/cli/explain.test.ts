/**
 * `vigil explain`: a built-in detection by name (text and JSON), a Sigma rule by file with a
 * small corpus that shares one of its indicators, ambiguous and unknown rules, bad usage.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../../src/cli/command.js';
import { makeExplainCommand } from '../../src/cli/commands/explain.js';
import { tempDirs } from '../helpers/temp-dirs.js';
import { imageRuleYaml } from '../helpers/image-rule.js';

/** Temporary folders of this file, removed when its tests end. */
const tempDir = tempDirs();
// The rule cache these in-process runs use: one of their own, not the user's.
const cacheDir = tempDir('vigil-explain-cache-');
process.env['VIGIL_CACHE_DIR'] = cacheDir;

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const cmd = makeExplainCommand({ stdout: (t) => void (out += t), stderr: (t) => void (err += t), contentRoot: path.join(process.cwd(), 'content') });
  const code = await cmd.run(argv);
  return { code, out, err };
}

function sigmaRule(id: string, title: string, image: string, extra = ''): string {
  return imageRuleYaml(id, title, image, { extra });
}

function corpusDir(): { dir: string; ruleFile: string } {
  const dir = tempDir('vigil-explain-cli-');
  mkdirSync(path.join(dir, 'rules'));
  mkdirSync(path.join(dir, 'more'));
  const ruleFile = path.join(dir, 'rules', 'a.yml');
  writeFileSync(ruleFile, sigmaRule('aaaaaaaa-0000-4000-8000-000000000001', 'Appcmd A', '\\appcmd.exe', "\n    CommandLine|contains: 'list '"));
  writeFileSync(path.join(dir, 'rules', 'b.yml'), sigmaRule('aaaaaaaa-0000-4000-8000-000000000002', 'Appcmd B', '\\APPCMD.EXE'));
  writeFileSync(path.join(dir, 'more', 'c.yml'), sigmaRule('aaaaaaaa-0000-4000-8000-000000000003', 'Other C', '\\appcmd.exe'));
  writeFileSync(path.join(dir, 'more', 'd.yml'), sigmaRule('aaaaaaaa-0000-4000-8000-000000000004', 'Other D', '\\notepad.exe'));
  return { dir, ruleFile };
}

test('explain a built-in detection by name: pipeline stages, macros and indicator counts', async () => {
  const r = await run(['Windows IIS Components Add New Module']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /1\. tstats:/);
  assert.match(r.out, /data model: Endpoint\.Processes/);
  assert.match(r.out, /Macros: .*security_content_summariesonly/);
  // Another built-in detection (the HTTP logging one) also looks for appcmd.exe.
  assert.match(r.out, /Processes\.process_name equals "appcmd\.exe" {2}— [1-9]\d* other rules? in the corpus share/);
  assert.match(r.out, /indicator index built in \d+ ms/);
});

test('explain --format json gives the stages and each indicator with others', async () => {
  const r = await run(['38fe731c-1f13-43d4-b878-a5bbe44807e3', '--format', 'json']);
  assert.equal(r.code, 0, r.err);
  const doc = JSON.parse(r.out) as { kind: string; pipeline: { command: string }[]; indicators: { field: string; op: string; value: string; others: number }[]; corpus: { rules: number } };
  assert.equal(doc.kind, 'spl');
  assert.equal(doc.pipeline[0]?.command, 'tstats');
  const appcmd = doc.indicators.find((i) => i.field === 'Processes.process_name' && i.value === 'appcmd.exe');
  assert.ok(appcmd && appcmd.others >= 1, JSON.stringify(doc.indicators));
  assert.ok(doc.corpus.rules >= 10, 'the built-in Sigma and Splunk content are the corpus');
});

test('explain a Sigma file: rule paths plus --corpus are counted, the rule itself is not', async () => {
  const { dir, ruleFile } = corpusDir();
  const r = await run([ruleFile, '--rules', path.join(dir, 'rules'), '--corpus', path.join(dir, 'more')]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /selection selection:/);
  // b (folded case) and c share it; d does not.
  assert.match(r.out, /Image endswith "\\appcmd\.exe" {2}— 2 other rules in the corpus share it/);
  assert.match(r.out, /NewProcessName endswith "\\appcmd\.exe" {2}— 2 other rules/);
  assert.match(r.out, /CommandLine contains "list " {2}— 0 other rules/);
  assert.match(r.out, /corpus: 4 rules/);
});

test('explain reads Sigma rules from the rule cache: the same explanation as parsing them, and an edit shows', async () => {
  const { dir, ruleFile } = corpusDir();
  const args = [ruleFile, '--rules', path.join(dir, 'rules'), '--corpus', path.join(dir, 'more'), '--format', 'json'];
  const withoutTiming = (out: string): unknown => {
    const doc = JSON.parse(out) as Record<string, unknown>;
    delete doc['timing'];
    return doc;
  };
  const entries = (): number => readdirSync(cacheDir).filter((n) => n.startsWith('sigma-')).length;
  const before = entries();
  const first = await run(args);
  assert.equal(first.code, 0, first.err);
  assert.equal(entries(), before + 2, 'the rule paths and the corpus paths are each a cached set');
  const cached = await run(args);
  assert.deepEqual(withoutTiming(cached.out), withoutTiming(first.out));
  assert.equal(entries(), before + 2);
  const parsed = await run([...args, '--no-rule-cache']);
  assert.deepEqual(withoutTiming(parsed.out), withoutTiming(first.out));
  // A corpus rule edited to share the CommandLine indicator: counted at once.
  writeFileSync(path.join(dir, 'more', 'd.yml'), sigmaRule('aaaaaaaa-0000-4000-8000-000000000004', 'Other D', '\\notepad.exe', "\n    CommandLine|contains: 'list '"));
  const edited = JSON.parse((await run(args)).out) as { indicators: { field: string; value: string; others: number }[] };
  assert.equal(edited.indicators.find((i) => i.field === 'CommandLine' && i.value === 'list ')?.others, 1, JSON.stringify(edited.indicators));
});

test('explain by title and id searches the rule paths; ambiguous and unknown rules exit 1', async () => {
  const { dir } = corpusDir();
  const byTitle = await run(['appcmd b', '--rules', dir, '--no-corpus']);
  assert.equal(byTitle.code, 0, byTitle.err);
  assert.match(byTitle.out, /^Appcmd B\n/);
  assert.doesNotMatch(byTitle.out, /other rules/);
  const ambiguous = await run(['Appcmd', '--rules', dir]);
  assert.equal(ambiguous.code, 1);
  assert.match(ambiguous.err, /matches 2 rules/);
  const unknown = await run(['no-such-rule', '--rules', dir]);
  assert.equal(unknown.code, 1);
  assert.match(unknown.err, /no rule or detection matches 'no-such-rule'/);
  const missing = await run(['x', '--rules', path.join(dir, 'absent')]);
  assert.equal(missing.code, 1);
});

test('explain usage errors', async () => {
  await assert.rejects(run([]), UsageError);
  await assert.rejects(run(['a', 'b']), UsageError);
  await assert.rejects(run(['a', '--format', 'xml']), UsageError);
});
