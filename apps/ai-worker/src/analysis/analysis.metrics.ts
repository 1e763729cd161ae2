import { Counter, Gauge, register } from 'prom-client';

/** Steps the configured provider failed and the local provider answered instead (alert: StatexAiFallbacks). */
export const fallbacks =
  (register.getSingleMetric('statex_ai_fallbacks_total') as Counter<string> | undefined) ??
  new Counter({ name: 'statex_ai_fallbacks_total', help: 'Analysis steps answered by the local fallback because the configured provider failed, by step and failed provider', labelNames: ['step', 'from'] });

/** 1 while the circuit breaker to a provider is open (alert: StatexAiCircuitOpen). */
export const circuitOpen =
  (register.getSingleMetric('statex_ai_circuit_breaker_open') as Gauge<string> | undefined) ??
  new Gauge({ name: 'statex_ai_circuit_breaker_open', help: '1 while the circuit breaker to the AI provider is open (steps go to the local fallback without asking it)', labelNames: ['provider'] });
