/**
 * security_content model and loader (no execution):
 *   const load = await loadContent(root);
 *   const lookup = macroLookup(load, loadMacroOverrides(userText, userFile));
 *   for (const d of load.detections) checkDetectionSearch(d, lookup);
 */
export type * from './model.js';
export { DETECTION_TYPES, contentFileStem, tagsRiskScore } from './model.js';
export { deploymentFor, loadContent } from './load.js';
export { type MacrosConfLoad, loadMacrosConf } from './macros-conf.js';
export { type ContentMacroLookup, FILTER_DEFAULT_DEFINITION, type MacroOverrides, loadMacroOverrides, macroLookup } from './macro-lookup.js';
export { type SearchCheck, checkDetectionSearch } from './check.js';
export { type Pos, type ValuePositions, positionInValue } from './yaml-located.js';
