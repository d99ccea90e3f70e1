/** The Sigma front end: YAML rules → IR rules, with one report per document. */
export { collectRuleFiles, loadSigmaRules, loadSigmaText } from './loader.js';
export { loadPlaceholderConfig, parsePlaceholderConfig } from './placeholders.js';
export type { PlaceholderConfig } from './placeholders.js';
export type { LogsourceResolver, ParsedDocumentStore, RuleKind, RuleReport, RuleFileWalk, RuleSetLoad, RuleStatus, SigmaLoadOptions } from './types.js';
export { NOT_WINDOWS_CODE } from './types.js';
