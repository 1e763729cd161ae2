import { Histogram, register } from 'prom-client';

/** The stages of a lead's journey that are timed from its acceptance. */
export const TIMED_STAGES = ['acknowledged', 'analyzed', 'answered'] as const;

/**
 * Accepted → acknowledged, analysed and answered, observed once per lead when its status first
 * reaches the stage (the time is the event's, so a late-consumed event still measures the journey).
 */
export const journeyStageDuration =
  (register.getSingleMetric('statex_journey_stage_duration_seconds') as Histogram<string> | undefined) ??
  new Histogram({
    name: 'statex_journey_stage_duration_seconds',
    help: 'Time from a lead accepted to its status first reaching a stage (acknowledged, analyzed, answered)',
    labelNames: ['stage'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600],
  });
