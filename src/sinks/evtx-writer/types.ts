/**
 * What the EVTX writer accepts: one event as Windows would log it, with System facts as plain
 * fields and EventData/UserData as ordered name/value pairs. Plain JS values pick a natural BinXml
 * type; a `{ type, value }` wrapper forces one.
 */

/** Explicitly typed value, mapped one-to-one onto a BinXml value type. */
export type TypedWriterValue =
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'ansi'; readonly value: string }
  | { readonly type: 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32'; readonly value: number }
  | { readonly type: 'int64' | 'uint64'; readonly value: bigint | number }
  | { readonly type: 'real32' | 'real64'; readonly value: number }
  | { readonly type: 'bool'; readonly value: boolean }
  | { readonly type: 'binary'; readonly value: Uint8Array | string }
  | { readonly type: 'guid'; readonly value: string }
  | { readonly type: 'sizet'; readonly value: bigint | number }
  | { readonly type: 'filetime'; readonly value: Date | string | bigint }
  | { readonly type: 'systemtime'; readonly value: Date | string }
  | { readonly type: 'sid'; readonly value: string }
  | { readonly type: 'hex32'; readonly value: number }
  | { readonly type: 'hex64'; readonly value: bigint | number | string };

export type WriterValueType = TypedWriterValue['type'];

/**
 * `string` → UTF-16 string, `number` → uint32/int32 when it is an integer in range (else int64
 * or real64), `bigint` → uint64/int64, `boolean` → bool, `null` → null, `Date` → FILETIME,
 * `string[]` → array of UTF-16 strings (0x81; the Data element repeats once per item).
 */
export type WriterValue = string | number | bigint | boolean | null | Date | TypedWriterValue | readonly string[];

export interface WriterProvider {
  readonly name: string;
  /** `{XXXXXXXX-...}` or without braces. */
  readonly guid?: string;
  /** Classic (EventLog API) sources name themselves here. */
  readonly eventSourceName?: string;
}

export interface WriterEvent {
  readonly provider: WriterProvider;
  readonly eventId: number;
  readonly qualifiers?: number;
  readonly version?: number;
  readonly level?: number;
  readonly task?: number;
  readonly opcode?: number;
  /** bigint, or a `0x...` / decimal string. */
  readonly keywords?: bigint | string;
  /** Date, or ISO-8601 text that may carry up to 7 fractional digits (100 ns). */
  readonly timeCreated: Date | string;
  /** EventRecordID; the writer counts on from the previous record when absent. */
  readonly recordId?: number;
  readonly correlation?: { readonly activityId?: string; readonly relatedActivityId?: string };
  readonly execution?: { readonly processId: number; readonly threadId: number };
  readonly channel: string;
  readonly computer: string;
  /** SID text (`S-1-5-18`). */
  readonly userId?: string;
  /** `<EventData><Data Name=...>`; an empty name gives an unnamed `<Data>` (classic events). */
  readonly eventData?: ReadonlyArray<readonly [name: string, value: WriterValue]>;
  /** `<UserData><element xmlns=...><field>value</field>...`; exclusive with eventData. */
  readonly userData?: {
    readonly element: string;
    readonly xmlns?: string;
    readonly fields: ReadonlyArray<readonly [string, WriterValue]>;
  };
}
