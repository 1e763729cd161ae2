import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { SMOKE_RUNS } from '../bench/smoke';

/**
 * The benchmarks as a CI smoke (`npm run bench:smoke`, built by `npm test`): each one, short, must
 * start its project and its reference, finish and print its table with the ratio. Their figures,
 * from a few seconds on a machine running the suite, are printed, never asserted.
 */
describe('benchmarks, short, as a smoke', () => {
  it('every benchmark in bench/ runs its project beside its reference and prints its table', async () => {
    const smoke = resolve(__dirname, '..', 'dist', 'bench', 'smoke.js');
    expect(existsSync(smoke)).toBe(true);
    const { code, output } = await new Promise<{ code: number | null; output: string }>((done) => {
      const child = spawn(process.execPath, [smoke], { stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
      child.on('close', (exit) => done({ code: exit, output: text }));
    });
    process.stdout.write(output);
    const ran = [...output.matchAll(/^== bench ([a-z-]+): ran in/gm)].map((m) => m[1]);
    expect({ code, ran }).toEqual({ code: 0, ran: SMOKE_RUNS.map((r) => r.bench) });
  }, 600_000);
});
