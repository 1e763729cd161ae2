import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';

/**
 * A client span around a call to something outside the process that no instrumentation sees
 * (SMTP through nodemailer). A no-op while tracing is off.
 */
export async function clientSpan<T>(name: string, attributes: Record<string, string | number | boolean>, work: () => Promise<T>): Promise<T> {
  return trace.getTracer('@statex/observability').startActiveSpan(name, { kind: SpanKind.CLIENT, attributes }, async (span) => {
    try {
      return await work();
    } catch (error) {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      throw error;
    } finally {
      span.end();
    }
  });
}
