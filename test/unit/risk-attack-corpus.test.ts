/**
 * Every ATT&CK technique and tactic tag in the SigmaHQ rules has an entry in mappings/attack/, so
 * Sigma findings always get their tactics (skipped when the corpus is absent).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { yamlFiles } from '../../bench/hunt-corpus.js';
import { corpusPath, NO_CORPUS } from '../helpers/corpus.js';
import { defaultAttackCatalog, normalizeTechniqueId } from '../../src/risk/index.js';

const SIGMAHQ = corpusPath('sigma', 'sigmahq-rules');

function tagsOf(doc: unknown): string[] {
  if (typeof doc !== 'object' || doc === null) return [];
  const tags = (doc as { tags?: unknown }).tags;
  return Array.isArray(tags) ? tags.filter((t): t is string => typeof t === 'string') : [];
}

test('every technique and tactic tag in the SigmaHQ rules is in the ATT&CK map', { skip: SIGMAHQ === null ? NO_CORPUS : false, timeout: 120_000 }, (t) => {
  const attack = defaultAttackCatalog();
  const techniques = new Map<string, number>();
  const tactics = new Map<string, number>();
  let files = 0;
  for (const file of yamlFiles(SIGMAHQ!)) {
    files++;
    for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
      if (!('toJS' in doc) || doc.errors.length > 0) continue;
      for (const tag of tagsOf(doc.toJS())) {
        const lower = tag.toLowerCase();
        if (!lower.startsWith('attack.')) continue;
        const id = normalizeTechniqueId(tag);
        if (id !== null) techniques.set(id, (techniques.get(id) ?? 0) + 1);
        else if (/^attack\.[a-z][a-z_-]*$/.test(lower)) tactics.set(lower.slice('attack.'.length), (tactics.get(lower.slice('attack.'.length)) ?? 0) + 1);
      }
    }
  }
  const missingTechniques = [...techniques.keys()].filter((id) => attack.technique(id) === undefined).sort();
  const missingTactics = [...tactics.keys()].filter((s) => attack.tactic(s) === undefined).sort();
  const covered = techniques.size - missingTechniques.length;
  t.diagnostic(`${files} rule files; ${covered}/${techniques.size} distinct technique ids covered (${((100 * covered) / Math.max(1, techniques.size)).toFixed(1)}%); ${tactics.size} tactic names`);
  assert.ok(files > 1000, `expected the SigmaHQ corpus, found ${files} files`);
  assert.ok(techniques.size > 300, `only ${techniques.size} technique ids found; tag collection is broken`);
  assert.deepEqual(missingTechniques, [], `techniques missing from mappings/attack/techniques.yml: ${missingTechniques.join(' ')}`);
  // Group (gNNNN) and software (sNNNN) tags are neither; everything else must be a tactic.
  assert.deepEqual(
    missingTactics.filter((s) => !/^[gs]\d{4}$/.test(s)),
    [],
  );
  for (const id of techniques.keys()) assert.ok((attack.technique(id)?.tactics.length ?? 0) > 0, `${id} resolves to no tactic`);
});
