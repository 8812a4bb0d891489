// Alert vocabulary. The numeric values are the FlatBuffers enums of
// fbs/records.fbs, so a worker writes them into records unchanged.

import { AnomalyType } from '../fb/generated/tickflow/fb/anomaly-type';
import { Severity } from '../fb/generated/tickflow/fb/severity';
import { ANOMALY_TYPES, SEVERITIES } from './records';

export { AnomalyType, Severity };

export const SEVERITY_OF: Readonly<Record<AnomalyType, Severity>> = {
  [AnomalyType.PRICE_SPIKE]: Severity.CRITICAL,
  [AnomalyType.VOLUME_SURGE]: Severity.WARNING,
  [AnomalyType.COMBINED_ANOMALY]: Severity.HIGH,
  [AnomalyType.SPREAD_WIDENING]: Severity.WARNING,
  [AnomalyType.HIGH_VOLATILITY]: Severity.WARNING,
};

/** The JSON name of each enum value (records.ts lists them in enum order). */
export const ANOMALY_NAMES: readonly string[] = ANOMALY_TYPES;
export const SEVERITY_NAMES: readonly string[] = SEVERITIES;

/** One alert, filled in place by the engine; a sink copies what it keeps. */
export class AlertFields {
  anomalyType: AnomalyType = AnomalyType.PRICE_SPIKE;
  severity: Severity = Severity.CRITICAL;
  timestamp = 0;
  price: number | null = null;
  volume: number | null = null;
  priceZscore: number | null = null;
  volumeRatio: number | null = null;
  spreadRatio: number | null = null;
  volatility: number | null = null;
  /** The triggering tick's source position (see fbs/records.fbs), or the window end for HIGH_VOLATILITY. */
  origin = 0;

  set(type: AnomalyType, timestamp: number): this {
    this.anomalyType = type;
    this.severity = SEVERITY_OF[type];
    this.timestamp = timestamp;
    this.price = null;
    this.volume = null;
    this.priceZscore = null;
    this.volumeRatio = null;
    this.spreadRatio = null;
    this.volatility = null;
    this.origin = 0;
    return this;
  }
}
