/** Risk-based alerting as Splunk ES does it (docs/risk.md). */
export * from './types.js';
export {
  AttackCatalog,
  attackCatalogFromText,
  defaultAttackCatalog,
  defaultAttackDir,
  loadAttackCatalog,
  normalizeTacticShort,
  normalizeTechniqueId,
  type AttackTactic,
  type AttackTechnique,
} from './attack.js';
export { fillMessage, mitreAnnotations, parseEscuTime, rowEventTime, severityForScore, WarningCounter, type CountedWarning, type FilledMessage } from './common.js';
export {
  defaultRiskDir,
  incidentRulesFromText,
  loadIncidentRules,
  loadSigmaRiskConfig,
  sigmaRiskConfigFromText,
  type IncidentRule,
  type ScoreThresholdRule,
  type SeverityBand,
  type SigmaRiskConfig,
  type TacticThresholdRule,
} from './config.js';
export {
  detectionRiskScore,
  notablesFromRun,
  riskEventsFromRun,
  riskFromRuns,
  riskObjectScore,
  searchNameOf,
  type RiskContext,
  type RiskDetectionView,
  type RiskRunInput,
  type RiskSpec,
} from './detection-risk.js';
export { bareUserName, riskEventsFromSigmaFinding, sigmaAttackTags, usableUser, type SigmaFindingInput, type SigmaRiskContext, type SigmaRuleView } from './sigma-risk.js';
export { evaluateIncidentRules, eventsByEntity, scoreCrossing, tacticCrossing, type EntityEvents } from './incident-rules.js';
export { rankEntities } from './ranking.js';
