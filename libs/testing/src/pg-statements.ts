import { AsyncLocalStorage } from 'node:async_hooks';
import { Client } from 'pg';

/**
 * Counts the statements this process's pg clients send, each under the label of the async context
 * it was sent from (`run`, or `enterWith` for a context entered from outside, such as an HTTP
 * request's); statements sent outside any label are not recorded. For the round-trip guards: a
 * test that fails when a hot path starts costing more database round trips. `restore()` puts pg back.
 */
export class PgStatementCounter {
  readonly statements: Array<{ label: string; text: string }> = [];
  private readonly context = new AsyncLocalStorage<string>();
  private readonly original = Client.prototype.query;
  private readonly unwrap: Array<() => void> = [];

  constructor() {
    const { context, statements, original } = this;
    Client.prototype.query = function (this: Client, ...args: unknown[]) {
      const label = context.getStore();
      const first = args[0] as string | { text?: string };
      if (label !== undefined) statements.push({ label, text: typeof first === 'string' ? first : (first?.text ?? '?') });
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof Client.prototype.query;
  }

  /** Runs `work` (and everything it awaits) under `label`. */
  run<T>(label: string, work: () => T): T {
    return this.context.run(label, work);
  }

  /**
   * Runs every later call of `target[method]` (a service's prototype method, say) under the label
   * `labelOf` gives for its arguments, until `restore()`.
   */
  labelCalls<T extends object>(target: T, method: keyof T & string, labelOf: (...args: never[]) => string): void {
    const counter = this;
    const original = target[method] as unknown as (...args: unknown[]) => unknown;
    (target as Record<string, unknown>)[method] = function (this: unknown, ...args: unknown[]) {
      return counter.run((labelOf as (...a: unknown[]) => string)(...args), () => original.apply(this, args));
    };
    this.unwrap.push(() => ((target as Record<string, unknown>)[method] = original));
  }

  /** Labels the rest of the current async context (an event listener's, say). */
  enterWith(label: string): void {
    this.context.enterWith(label);
  }

  /** The statements sent under `label`, whitespace folded, each cut to `length` characters. */
  of(label: string, length = 60): string[] {
    return this.statements.filter((s) => s.label === label).map((s) => s.text.replace(/\s+/g, ' ').slice(0, length));
  }

  restore(): void {
    Client.prototype.query = this.original;
    for (const unwrap of this.unwrap.splice(0).reverse()) unwrap();
  }
}
