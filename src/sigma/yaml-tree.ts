/** The Sigma front end's YAML: the located tree of core/yaml-tree.ts, its problems under `sigma.yaml`. */
import { parseLocatedYaml, type YDocument } from '../core/yaml-tree.js';

export { describe, getPair, getValue, locate, quotedScalar, type Loc, type YDocument, type YMap, type YNode, type YPair, type YScalar } from '../core/yaml-tree.js';

export function parseYamlDocuments(text: string, file: string): YDocument[] {
  return parseLocatedYaml(text, file, 'sigma.yaml').documents;
}
