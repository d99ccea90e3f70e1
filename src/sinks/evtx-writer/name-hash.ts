/**
 * The 16-bit name hash stored in every BinXml name (MS-EVEN6 NameHash): over the UTF-16 code
 * units, hash = hash * 65599 + unit, keeping the low 16 bits. Windows files agree (EventData is
 * 0x8244, Data is 0x6f8a in real Sysmon chunks). The chunk's common string table buckets names
 * by hash % 64.
 */
export function nameHash(name: string): number {
  let hash = 0;
  for (let i = 0; i < name.length; i++) hash = (Math.imul(hash, 65599) + name.charCodeAt(i)) >>> 0;
  return hash & 0xffff;
}

export const STRING_BUCKETS = 64;
export const TEMPLATE_BUCKETS = 32;
