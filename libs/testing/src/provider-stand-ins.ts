import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

/** A scripted answer: the next requests get these (status, body, headers) before normal service resumes. */
export interface ScriptedAnswer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

abstract class HttpStandIn {
  private server?: Server;
  port = 0;
  readonly requests: { path: string; headers: IncomingMessage['headers']; body: any }[] = [];
  private readonly script: ScriptedAnswer[] = [];

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Queues answers for the next requests (e.g. a 429, then normal service). */
  answerNext(...answers: ScriptedAnswer[]): void {
    this.script.push(...answers);
  }

  protected abstract handle(path: string, headers: IncomingMessage['headers'], body: any): ScriptedAnswer;

  /** A hook for slow servers. */
  protected async beforeAnswer(): Promise<void> {}

  async start(port = 0): Promise<this> {
    this.server = createServer((req, res) => void this.serve(req, res));
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', () => resolve()));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    let body: any = raw;
    try {
      body = raw ? JSON.parse(raw) : {};
    } catch {
      body = Object.fromEntries(new URLSearchParams(raw));
    }
    const path = req.url ?? '/';
    this.requests.push({ path, headers: req.headers, body });
    const answer = this.script.shift() ?? this.handle(path, req.headers, body);
    await this.beforeAnswer();
    if (res.destroyed) return;
    res.writeHead(answer.status, { 'content-type': 'application/json', ...(answer.headers ?? {}) });
    res.end(JSON.stringify(answer.body));
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }
}

/**
 * Answers as the Telegram Bot API does: `POST /bot<token>/sendMessage` returns
 * `{ok: true, result: Message}`; an unknown token is a 401, and errors carry
 * `{ok: false, error_code, description, parameters?: {retry_after}}`.
 */
export class TelegramBotApiStandIn extends HttpStandIn {
  private nextMessageId = 1;

  constructor(readonly token = '123456:TEST-TOKEN') {
    super();
  }

  /** Telegram's flood control answer. */
  static tooManyRequests(retryAfterSeconds: number): ScriptedAnswer {
    return { status: 429, body: { ok: false, error_code: 429, description: `Too Many Requests: retry after ${retryAfterSeconds}`, parameters: { retry_after: retryAfterSeconds } } };
  }

  static chatNotFound(): ScriptedAnswer {
    return { status: 400, body: { ok: false, error_code: 400, description: 'Bad Request: chat not found' } };
  }

  static serverError(): ScriptedAnswer {
    return { status: 502, body: { ok: false, error_code: 502, description: 'Bad Gateway' } };
  }

  sent(): { chatId: string; text: string }[] {
    return this.requests.filter((r) => r.path.endsWith('/sendMessage')).map((r) => ({ chatId: String(r.body.chat_id), text: String(r.body.text) }));
  }

  protected handle(path: string, _headers: IncomingMessage['headers'], body: any): ScriptedAnswer {
    const match = /^\/bot([^/]+)\/(\w+)$/.exec(path);
    if (!match || match[1] !== this.token) return { status: 401, body: { ok: false, error_code: 401, description: 'Unauthorized' } };
    if (match[2] !== 'sendMessage') return { status: 404, body: { ok: false, error_code: 404, description: 'Not Found: method not found' } };
    if (!body.chat_id || !body.text) return { status: 400, body: { ok: false, error_code: 400, description: 'Bad Request: message text is empty' } };
    const id = this.nextMessageId++;
    return {
      status: 200,
      body: { ok: true, result: { message_id: id, date: Math.floor(Date.now() / 1000), chat: { id: Number(body.chat_id), type: 'private' }, text: body.text } },
    };
  }
}

/**
 * Answers as the WhatsApp Business Cloud API does: `POST /<phone number id>/messages` with
 * a Bearer token returns `{messaging_product, contacts: [{input, wa_id}], messages: [{id}]}`;
 * errors carry `{error: {message, type, code}}`.
 */
export class WhatsAppCloudApiStandIn extends HttpStandIn {
  private nextId = 1;

  constructor(
    readonly phoneNumberId = '1234567890',
    readonly token = 'test-whatsapp-token',
  ) {
    super();
  }

  static tooManyRequests(retryAfterSeconds: number): ScriptedAnswer {
    return { status: 429, headers: { 'retry-after': String(retryAfterSeconds) }, body: { error: { message: '(#130429) Rate limit hit', type: 'OAuthException', code: 130429 } } };
  }

  static invalidRecipient(): ScriptedAnswer {
    return { status: 400, body: { error: { message: '(#131030) Recipient phone number not in allowed list', type: 'OAuthException', code: 131030 } } };
  }

  static serverError(): ScriptedAnswer {
    return { status: 500, body: { error: { message: 'An unknown error has occurred.', type: 'OAuthException', code: 1 } } };
  }

  sent(): any[] {
    return this.requests.filter((r) => r.path === `/${this.phoneNumberId}/messages`).map((r) => r.body);
  }

  protected handle(path: string, headers: IncomingMessage['headers'], body: any): ScriptedAnswer {
    if (headers.authorization !== `Bearer ${this.token}`) return { status: 401, body: { error: { message: 'Invalid OAuth access token.', type: 'OAuthException', code: 190 } } };
    if (path !== `/${this.phoneNumberId}/messages`) return { status: 404, body: { error: { message: 'Unknown path', type: 'GraphMethodException', code: 100 } } };
    if (body.messaging_product !== 'whatsapp' || !body.to || !['text', 'template'].includes(body.type)) {
      return { status: 400, body: { error: { message: '(#100) Invalid parameter', type: 'OAuthException', code: 100 } } };
    }
    return { status: 200, body: { messaging_product: 'whatsapp', contacts: [{ input: body.to, wa_id: body.to }], messages: [{ id: `wamid.TEST${this.nextId++}` }] } };
  }
}

/**
 * Answers as an OpenAI-compatible chat-completions server does (`POST /v1/chat/completions`):
 * `{id, object: 'chat.completion', model, choices: [{index, message: {role, content}, finish_reason}], usage}`.
 * `reply` decides the content from the request; scripted answers and `delayMs` simulate 429s,
 * 5xx, nonsense and timeouts.
 */
export class ChatCompletionsStandIn extends HttpStandIn {
  delayMs = 0;

  constructor(public reply: (request: { model: string; messages: { role: string; content: string }[] }) => string) {
    super();
  }

  static tooManyRequests(retryAfterSeconds = 0): ScriptedAnswer {
    return { status: 429, headers: retryAfterSeconds ? { 'retry-after': String(retryAfterSeconds) } : {}, body: { error: { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded' } } };
  }

  static content(content: string): ScriptedAnswer {
    return { status: 200, body: ChatCompletionsStandIn.completion('stand-in', content) };
  }

  static completion(model: string, content: string): unknown {
    return {
      id: `chatcmpl-${Math.random().toString(36).slice(2)}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model,
      choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 120, completion_tokens: 30, total_tokens: 150 },
    };
  }

  calls(): number {
    return this.requests.filter((r) => r.path === '/v1/chat/completions').length;
  }

  protected handle(path: string, headers: IncomingMessage['headers'], body: any): ScriptedAnswer {
    if (path !== '/v1/chat/completions') return { status: 404, body: { error: { message: 'Not found' } } };
    if (!headers.authorization?.startsWith('Bearer ')) return { status: 401, body: { error: { message: 'Missing API key' } } };
    return { status: 200, body: ChatCompletionsStandIn.completion(body.model, this.reply(body)) };
  }

  protected override async beforeAnswer(): Promise<void> {
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
  }
}
