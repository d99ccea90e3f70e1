/**
 * The rule cache's per-file part (src/cli/hunt/document-cache.ts) through the real loader: after
 * a rule file changes, only that file is parsed again and the load equals one from scratch (a
 * filter applied once, a correlation linked, a broken rule reported); a file moved, other
 * options (strict, placeholders) or a damaged store parse again; another rule set's files stay
 * in the store.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { realBackend, type BackendLoad, type LoadOptions } from '../../src/cli/hunt/api.js';
import { tempDirs } from '../helpers/temp-dirs.js';
import { imageRuleYaml } from '../helpers/image-rule.js';

const tempDir = tempDirs();

function detection(id: string, title: string, image: string): string {
  return imageRuleYaml(id, title, image, { level: 'high' });
}

const FILES: Record<string, string> = {
  'appcmd.yml': detection('6f1c2a43-0d55-4b8e-9a61-1f2a3b4c5d01', 'Appcmd run', '\\appcmd.exe'),
  'gacutil.yml': detection('6f1c2a43-0d55-4b8e-9a61-1f2a3b4c5d02', 'Gacutil run', '\\gacutil.exe'),
  'pair.yml': detection('6f1c2a43-0d55-4b8e-9a61-1f2a3b4c5d03', 'Certutil run', '\\certutil.exe') + '---\n' + detection('6f1c2a43-0d55-4b8e-9a61-1f2a3b4c5d04', 'Bitsadmin run', '\\bitsadmin.exe'),
  // Narrows the appcmd rule: the loader's filter pass rewrites that rule's condition.
  'filter.yml': `title: Not from the deployment agent
id: 6f1c2a43-0d55-4b8e-9a61-1f2a3b4c5d05
logsource:
  category: process_creation
  product: windows
filter:
  rules:
    - 6f1c2a43-0d55-4b8e-9a61-1f2a3b4c5d01
  selection:
    ParentImage|endswith: '\\agent.exe'
  condition: not selection
`,
  'burst.yml': `title: Appcmd burst
id: 6f1c2a43-0d55-4b8e-9a61-1f2a3b4c5d06
correlation:
  type: event_count
  rules:
    - 6f1c2a43-0d55-4b8e-9a61-1f2a3b4c5d01
  group-by:
    - Computer
  timespan: 10m
  condition:
    gte: 3
level: high
`,
  'broken.yml': 'title: Broken\ndetection: [unclosed\n',
  'expand.yml': `title: Admin tool from a placeholder
id: 6f1c2a43-0d55-4b8e-9a61-1f2a3b4c5d07
logsource:
  category: process_creation
  product: windows
detection:
  selection:
    User|expand: '%Admins%'
  condition: selection
level: medium
`,
};

function writeRules(dir: string, files: Record<string, string> = FILES): string {
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

async function load(rules: string, options: Partial<LoadOptions> = {}): Promise<BackendLoad> {
  return (await realBackend()).load([rules], { strict: false, placeholders: { Admins: ['root'] }, ...options });
}

/** What a load gave, without how it was served. */
function outcome(l: BackendLoad): unknown {
  return { rules: l.rules, reports: l.reports };
}

test('after one rule file changes, only it is parsed, and the load equals a load from scratch', async () => {
  const rules = writeRules(tempDir('vigil-doc-rules-'));
  const cache = tempDir('vigil-doc-cache-');
  const first = await load(rules, { ruleCacheDir: cache });
  assert.equal(first.cache, 'miss');
  assert.deepEqual(first.parsedFiles, { parsed: 7, reused: 0 });
  assert.deepEqual(outcome(first), outcome(await load(rules)));
  assert.ok(first.reports.some((r) => r.file.endsWith('broken.yml') && r.status === 'not-loaded'));
  const appcmd = first.rules.find((r) => r.meta.id.endsWith('5d01'));
  assert.ok(appcmd !== undefined && JSON.stringify(appcmd).includes('agent.exe'), 'the filter is applied');

  const same = await load(rules, { ruleCacheDir: cache });
  assert.equal(same.cache, 'hit', 'an unchanged set is the whole-set entry');
  assert.equal(same.parsedFiles, null);

  writeFileSync(path.join(rules, 'gacutil.yml'), FILES['gacutil.yml']!.replace('level: high', 'level: critical'));
  const edited = await load(rules, { ruleCacheDir: cache });
  assert.equal(edited.cache, 'miss');
  assert.deepEqual(edited.parsedFiles, { parsed: 1, reused: 6 });
  // Read-back documents go through the filter and correlation passes again, once.
  assert.deepEqual(outcome(edited), outcome(await load(rules)));
  assert.equal(edited.rules.find((r) => r.meta.id.endsWith('5d02'))?.meta.level, 'critical');

  // Same text under another name: the documents name their file, so it is parsed again.
  renameSync(path.join(rules, 'appcmd.yml'), path.join(rules, 'appcmd-renamed.yml'));
  const moved = await load(rules, { ruleCacheDir: cache });
  assert.deepEqual(moved.parsedFiles, { parsed: 1, reused: 6 });
  assert.deepEqual(outcome(moved), outcome(await load(rules)));
  assert.ok(moved.reports.some((r) => r.file.endsWith('appcmd-renamed.yml')));
});

test('other parse options are another store: strict and placeholder values parse every file', async () => {
  const rules = writeRules(tempDir('vigil-doc-scope-rules-'));
  const cache = tempDir('vigil-doc-scope-cache-');
  await load(rules, { ruleCacheDir: cache });
  const strict = await load(rules, { ruleCacheDir: cache, strict: true });
  assert.deepEqual(strict.parsedFiles, { parsed: 7, reused: 0 });
  const other = await load(rules, { ruleCacheDir: cache, placeholders: { Admins: ['admin'] } });
  assert.deepEqual(other.parsedFiles, { parsed: 7, reused: 0 });
  assert.deepEqual(outcome(other), outcome(await load(rules, { placeholders: { Admins: ['admin'] } })));
  assert.ok(JSON.stringify(other.rules).includes('admin') && !JSON.stringify(other.rules).includes('"root"'));
  assert.equal(readdirSync(cache).filter((n) => n.startsWith('documents-')).length, 3);
});

test("another rule set's files stay in the store; a damaged store is reported, parsed again and replaced", async () => {
  const cache = tempDir('vigil-doc-two-cache-');
  const a = writeRules(tempDir('vigil-doc-a-'));
  const b = writeRules(tempDir('vigil-doc-b-'), { 'only.yml': FILES['gacutil.yml']! });
  await load(a, { ruleCacheDir: cache });
  assert.deepEqual((await load(b, { ruleCacheDir: cache })).parsedFiles, { parsed: 1, reused: 0 });
  writeFileSync(path.join(a, 'pair.yml'), FILES['pair.yml']!.replace('level: high', 'level: low'));
  assert.deepEqual((await load(a, { ruleCacheDir: cache })).parsedFiles, { parsed: 1, reused: 6 });

  const [store] = readdirSync(cache).filter((n) => n.startsWith('documents-'));
  writeFileSync(path.join(cache, store!), readFileSync(path.join(cache, store!)).subarray(0, 100));
  // Not the original text: that set is still a whole-set entry, which would not read the store.
  writeFileSync(path.join(a, 'pair.yml'), FILES['pair.yml']!.replace('level: high', 'level: informational'));
  const damaged = await load(a, { ruleCacheDir: cache });
  assert.match(damaged.cacheProblem ?? '', /rule document cache .* unusable/);
  assert.deepEqual(damaged.parsedFiles, { parsed: 7, reused: 0 });
  assert.deepEqual(outcome(damaged), outcome(await load(a)));
  writeFileSync(path.join(a, 'pair.yml'), FILES['pair.yml']!.replace('level: high', 'level: medium'));
  const replaced = await load(a, { ruleCacheDir: cache });
  assert.equal(replaced.cacheProblem, null);
  assert.deepEqual(replaced.parsedFiles, { parsed: 1, reused: 6 });
});
