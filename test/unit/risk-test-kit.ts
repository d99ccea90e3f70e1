/** Hand-built inputs for the risk tests: detection runs, rows and risk events. */
import type { DetectionRun } from '../../src/engine/spl/runner.js';
import type { RiskDetectionView, RiskRunInput, RiskSpec } from '../../src/risk/index.js';
import type { Row, SplValue } from '../../src/spl/exec/types.js';

// DetectionRun must satisfy the risk layer's narrow input as it is (checked at compile time).
export const detectionRunFits = (run: DetectionRun): RiskRunInput => run;

export function row(fields: Record<string, SplValue>): Row {
  return new Map(Object.entries(fields));
}

export interface DetectionOptions {
  readonly name?: string;
  readonly type?: string;
  readonly risk?: RiskSpec | null;
  readonly techniques?: readonly string[];
  readonly stories?: readonly string[];
  readonly securityDomain?: string | null;
}

export function rbaRisk(message: string, objects: readonly { field: string; type: 'user' | 'system' | 'other'; score: number }[], threats: readonly { field: string; type: string }[] = []): RiskSpec {
  return { kind: 'rba', message, riskObjects: objects, threatObjects: threats };
}

export function detection(o: DetectionOptions = {}): RiskDetectionView {
  return {
    name: o.name ?? 'Windows IIS Components Add New Module',
    id: `id-${o.name ?? 'x'}`,
    type: o.type ?? 'TTP',
    description: 'test detection',
    risk: o.risk === undefined ? rbaRisk('A new IIS module $module$ was added on $dest$', [{ field: 'dest', type: 'system', score: 64 }]) : o.risk,
    tags: { analyticStory: o.stories ?? ['IIS Components'], mitreAttackId: o.techniques ?? ['T1505', 'T1505.004'], securityDomain: o.securityDomain === undefined ? 'endpoint' : o.securityDomain },
    origin: { file: 'detections/test.yml' },
  };
}

export function run(d: RiskDetectionView, rows: readonly Row[], opts: { risk?: boolean; notable?: boolean; time?: number; earliest?: number | null; latest?: number | null } = {}): RiskRunInput {
  return {
    plan: { detection: d, actions: { risk: opts.risk ?? true, notable: opts.notable ?? d.type === 'TTP' } },
    window: { time: opts.time ?? 1_700_003_600, earliest: opts.earliest === undefined ? 1_699_999_400 : opts.earliest, latest: opts.latest === undefined ? 1_700_003_000 : opts.latest },
    rows,
  };
}
