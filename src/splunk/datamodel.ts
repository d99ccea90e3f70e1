/**
 * CIM data-model rows (`Endpoint.Processes` ...) of an event. INTERFACE STUB.
 */
import type { VigilEvent } from '../core/event.js';
import type { Row } from '../spl/exec/types.js';

/** The event's row in `dataset` (e.g. `Endpoint.Processes`), fields prefixed `Processes.`; null when the event is not in it. */
export function datamodelRow(event: VigilEvent, dataset: string): Row | null {
  void event;
  void dataset;
  return null;
}
