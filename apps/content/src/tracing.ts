import { startTracing } from '@statex/observability/tracing';

// Imported first by main.ts: tracing (when configured) must patch modules before they are loaded.
startTracing('content');
