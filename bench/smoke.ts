/**
 * `npm run bench:smoke`: every benchmark once, short (a few seconds a round), as CI runs them: each
 * must start its project and its reference, finish, and print its table with the ratio. The figures
 * of a short run on a busy machine are noise, so nothing is asserted about them; the benchmark's
 * own command, with its default lengths, gives the figures docs/benchmarks.md records.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

/** Each benchmark with arguments that keep it short, and a line its table must print. */
export const SMOKE_RUNS: Array<{ bench: string; args: string[]; prints: RegExp }> = [
  { bench: 'intake', args: ['2', '1'], prints: /ratio/i },
  { bench: 'journey', args: ['5', '3', '2'], prints: /p50 ratio platform\/reference/ },
  { bench: 'footprint', args: ['2'], prints: /MB/ },
  { bench: 'logging', args: ['2000', '20000'], prints: /lines\/s/ },
  { bench: 'auth', args: ['2'], prints: /Authentication cost/ },
  { bench: 'ai-workers', args: ['20', '10'], prints: /ratio:\s+[\d.]+x/ },
];

function run(bench: string, args: string[]): Promise<{ code: number | null; output: string; ms: number }> {
  const started = Date.now();
  return new Promise((done) => {
    const child = spawn(process.execPath, [resolve(__dirname, `${bench}.bench.js`), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const take = (chunk: Buffer) => {
      output += chunk.toString();
      process.stdout.write(chunk);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('close', (code) => done({ code, output, ms: Date.now() - started }));
  });
}

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const failed: string[] = [];
  for (const { bench, args, prints } of SMOKE_RUNS.filter((r) => only.length === 0 || only.includes(r.bench))) {
    process.stdout.write(`\n== bench ${bench} ${args.join(' ')}\n`);
    const { code, output, ms } = await run(bench, args);
    const ok = code === 0 && prints.test(output);
    process.stdout.write(`== bench ${bench}: ${ok ? 'ran' : `FAILED (exit ${code}${prints.test(output) ? '' : `, no line matching ${prints}`})`} in ${(ms / 1000).toFixed(1)} s\n`);
    if (!ok) failed.push(bench);
  }
  if (failed.length > 0) {
    console.error(`bench smoke: ${failed.join(', ')} failed`);
    process.exit(1);
  }
}

// Run as a command; imported (by the smoke test, for the list), it does nothing.
if (require.main === module) void main();
