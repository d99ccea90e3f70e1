/**
 * A Sigma process-creation rule on `Image|endswith`, the shape most rule-loading tests need:
 * `extra` adds lines to the selection (indented by four spaces, each after a line break).
 */
export function imageRuleYaml(id: string, title: string, image: string, options: { readonly level?: string; readonly extra?: string } = {}): string {
  return `title: ${title}
id: ${id}
status: test
logsource:
  category: process_creation
  product: windows
detection:
  selection:
    Image|endswith: '${image}'${options.extra ?? ''}
  condition: selection
level: ${options.level ?? 'medium'}
`;
}
