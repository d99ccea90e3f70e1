/**
 * Validation of Sigma rule files the way `sigma check` does, and more: the loader's own checks
 * (schema, condition identifiers, duplicate keys, logsource resolution, modifiers, regexes) with
 * schema-level warnings raised to errors, plus tags checked one by one against the spec's
 * namespaces and ATT&CK (mappings/attack/techniques.yml).
 */
import { readFile } from 'node:fs/promises';
import type { AttackCatalog } from '../../risk/attack.js';
import { loadSigmaRules } from '../../sigma/loader.js';
import { getValue, parseYamlDocuments, type YNode } from '../../sigma/yaml-tree.js';
import { finding, fromDiagnostic, type Finding } from './types.js';

/** Loader warnings that break the spec's schema: errors for `vigil validate`. */
const SCHEMA_CODES = new Set([
  'sigma.meta.date', 'sigma.meta.status', 'sigma.meta.level', 'sigma.meta.id', 'sigma.meta.related', 'sigma.meta.title',
  'sigma.meta.shape', 'sigma.document.duplicate-key', 'sigma.detection.duplicate-key', 'sigma.meta.id-duplicate',
  'sigma.logsource.list', 'sigma.detection.duplicate-identifier',
]);
/** Loader errors about the running environment, not the rule: warnings here (a placeholder config is given at hunt time). */
const ENVIRONMENT_CODES = new Set(['sigma.placeholder.missing', 'sigma.placeholder.none']);
/** Loader codes replaced by the per-tag check below. */
const REPLACED = new Set(['sigma.meta.tag']);

const TAG_FORM = /^[a-z0-9_-]+\.[a-z0-9._-]+$/;
const NAMESPACES = new Set(['attack', 'car', 'cve', 'detection', 'stp', 'tlp']);
const ATTACK_OTHER = /^(?:g|s|ds|m|c|ta)\d{4}$/;
const TECHNIQUE_TAG = /^t\d{4}(?:\.\d{3})?$/;
const MAX_TAGS = 1000;

/** Products of the Sigma taxonomy appendix (facts; Vigil runs only windows). */
const KNOWN_PRODUCTS = new Set([
  'windows', 'linux', 'macos', 'aws', 'azure', 'gcp', 'm365', 'okta', 'onelogin', 'github', 'google_workspace', 'cisco',
  'zeek', 'apache', 'nginx', 'django', 'python', 'ruby_on_rails', 'spring', 'sql', 'fortios', 'juniper', 'paloalto',
  'huawei', 'bitbucket', 'jvm', 'nodejs', 'fortigate', 'dns', 'modsecurity', 'opencanary', 'qualys', 'velocity', 'kubernetes', 'antivirus', 'rpc_firewall', 'windows_defender',
]);

export async function validateSigmaFiles(files: readonly string[], attack: AttackCatalog): Promise<Finding[]> {
  const out: Finding[] = [];
  if (files.length === 0) return out;
  const load = await loadSigmaRules([...files]);
  for (const report of load.reports) {
    for (const p of report.problems) {
      if (p.severity === 'info' || REPLACED.has(p.code)) continue;
      out.push(fromDiagnostic(p, ENVIRONMENT_CODES.has(p.code) ? 'warning' : p.severity === 'error' || SCHEMA_CODES.has(p.code) ? 'error' : 'warning'));
    }
  }
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      continue; // reported by the loader
    }
    for (const doc of parseYamlDocuments(text, file)) {
      if (doc.root?.kind !== 'map') continue;
      const tags = getValue(doc.root, 'tags');
      if (tags?.kind === 'seq') checkTags(tags.items.slice(0, MAX_TAGS), file, attack, out);
      const logsource = getValue(doc.root, 'logsource');
      const product = logsource?.kind === 'map' ? getValue(logsource, 'product') : undefined;
      if (product?.kind === 'scalar' && product.type === 'string' && !KNOWN_PRODUCTS.has(product.text)) {
        out.push(finding('warning', 'validate.sigma.logsource-product', `logsource product '${product.text}' is not in the Sigma taxonomy`, file, product.loc));
      }
    }
  }
  return out;
}

function checkTags(items: readonly YNode[], file: string, attack: AttackCatalog, out: Finding[]): void {
  for (const item of items) {
    if (item.kind !== 'scalar') continue;
    const tag = item.text;
    const bad = (message: string, severity: 'error' | 'warning' = 'error'): void => void out.push(finding(severity, 'validate.sigma.tag', message, file, item.loc));
    if (!TAG_FORM.test(tag)) {
      bad(`tag '${tag}' is not of the form namespace.value (lowercase)`);
      continue;
    }
    const dot = tag.indexOf('.');
    const ns = tag.slice(0, dot);
    const value = tag.slice(dot + 1);
    if (!NAMESPACES.has(ns)) {
      bad(`tag namespace '${ns}' is not one of the spec's (${[...NAMESPACES].join(', ')})`, 'warning');
      continue;
    }
    if (ns !== 'attack') continue;
    if (TECHNIQUE_TAG.test(value)) {
      if (attack.technique(value) === undefined) bad(`ATT&CK technique '${value.toUpperCase()}' does not exist (mappings/attack/techniques.yml)`);
    } else if (!ATTACK_OTHER.test(value)) {
      if (attack.tactic(value) === undefined) bad(`'${value}' is not an ATT&CK tactic`);
      else if (value.includes('_')) bad(`tag '${tag}' uses the Sigma v1 underscore form; v2 uses dashes`, 'warning');
    }
  }
}
