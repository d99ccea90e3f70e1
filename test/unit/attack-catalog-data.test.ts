/**
 * The ATT&CK catalog as plain data (what the rule cache keeps beside the rules): it survives V8
 * serialization and gives the same answers as the catalog read from the YAML files; priming the
 * shipped catalog takes only data read from the folder in use.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deserialize, serialize } from 'node:v8';
import {
  attackCatalogFromData,
  defaultAttackCatalog,
  defaultAttackCatalogData,
  defaultAttackDir,
  loadAttackCatalog,
  primeDefaultAttackCatalog,
  type AttackCatalogData,
} from '../../src/risk/attack.js';

test('the catalog as data, serialized and read back, answers as the YAML files do', () => {
  const data = defaultAttackCatalogData();
  assert.ok(data !== null);
  assert.equal(data.dir, defaultAttackDir());
  const back = attackCatalogFromData(deserialize(serialize(data)) as AttackCatalogData);
  const fromFiles = loadAttackCatalog();
  assert.equal(back.techniqueCount, fromFiles.techniqueCount);
  assert.deepEqual(back.tactics(), fromFiles.tactics());
  assert.deepEqual(back.techniques(), fromFiles.techniques());
  // A sub-technique without tactics of its own has its parent's; a tactic by its older short name.
  assert.deepEqual(back.technique('T1505.004')?.tactics, fromFiles.technique('T1505.004')?.tactics);
  assert.ok((back.technique('T1505.004')?.tactics.length ?? 0) > 0);
  assert.equal(back.tactic('defense-evasion')?.id, fromFiles.tactic('defense-evasion')?.id);
});

test('priming keeps the catalog already read, and ignores data of another folder', () => {
  const current = defaultAttackCatalog();
  const data = defaultAttackCatalogData()!;
  const empty: AttackCatalogData = { dir: data.dir, tactics: [], techniques: [] };
  primeDefaultAttackCatalog(empty);
  assert.equal(defaultAttackCatalog(), current, 'a catalog read already stays');
  primeDefaultAttackCatalog({ ...empty, dir: '/elsewhere/attack' });
  primeDefaultAttackCatalog(null);
  primeDefaultAttackCatalog(undefined);
  assert.equal(defaultAttackCatalog(), current);
});
