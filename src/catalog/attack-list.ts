/**
 * Every technique of the ATT&CK table, for the matrix. The catalog class answers by id only, so
 * the ids are read from the same mappings file and each is looked up there (one source of facts).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { TECHNIQUES_FILE, defaultAttackDir, type AttackCatalog, type AttackTechnique } from '../risk/attack.js';

export function listTechniques(attack: AttackCatalog, dir: string = defaultAttackDir()): AttackTechnique[] {
  const doc = parse(readFileSync(path.join(dir, TECHNIQUES_FILE), 'utf8')) as { techniques?: Record<string, unknown> } | null;
  const ids = Object.keys(doc?.techniques ?? {});
  return ids.map((id) => attack.technique(id)).filter((t): t is AttackTechnique => t !== undefined);
}
