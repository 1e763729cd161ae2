import { ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { waitFor } from './wait-for';

/**
 * A built app (`dist/apps/<app>/src/main.js`) started as its own process, as
 * `npm start` and production run it. Output is kept for diagnosing failures.
 */
export class ServiceProcess {
  private child?: ChildProcess;
  output = '';

  constructor(
    readonly app: string,
    readonly port: number,
    private readonly env: Record<string, string>,
  ) {}

  /** The running process's id (undefined before start). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  start(): this {
    const main = resolve(__dirname, '../../../dist/apps', this.app, 'src/main.js');
    // A restarted app keeps the end of its previous run's output: what a stopped process said on its way out.
    if (this.output) this.output = `${this.output.slice(-5_000)}\n--- ${this.app} restarted ---\n`;
    this.child = spawn(process.execPath, [main], { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-20_000);
    };
    this.child.once('exit', (code, signal) => this.exits.push({ code, signal }));
    this.child.stdout!.on('data', keep);
    this.child.stderr!.on('data', keep);
    return this;
  }

  async ready(timeoutMs = 45_000): Promise<void> {
    await waitFor(
      async () => {
        if (this.child && (this.child.exitCode !== null || this.child.signalCode !== null)) throw new Error(`${this.app} exited: ${this.output.slice(-2000)}`);
        const res = await fetch(`${this.url}/health/ready`);
        return res.status === 200;
      },
      { timeoutMs, intervalMs: 250, what: `${this.app} to be ready` },
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n--- ${this.app} output ---\n${this.output.slice(-3000)}`);
    });
  }

  /** SIGTERM (graceful) by default; SIGKILL simulates a crash. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    child.kill(signal);
    const timer = setTimeout(() => {
      this.forcedStops += 1;
      child.kill('SIGKILL');
    }, 15_000);
    await exited;
    clearTimeout(timer);
  }

  /** Stops that did not end within 15 s of their signal and were ended with SIGKILL. */
  forcedStops = 0;

  /**
   * How each run ended, oldest first. A graceful stop re-raises its SIGTERM once the app has
   * closed (Nest's shutdown hooks), so it ends by that signal; an exit code means it crashed.
   */
  readonly exits: Array<{ code: number | null; signal: NodeJS.Signals | null }> = [];
}
