import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Role } from '@statex/contracts';
import { hasAnyRole } from './auth-user';
import { ACCESS_COOKIE } from './bearer-token';
import { TokenVerifier } from './token.verifier';

export interface BrowserLoginOptions {
  /** The protected path, e.g. `/queues`: the login page is `<prefix>/login`. */
  prefix: string;
  title: string;
  roles: Role[];
  userPortalUrl: string;
  /** Secure cookies (HTTPS only): on in production. */
  secure: boolean;
  verifier: TokenVerifier;
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title: string, prefix: string, error?: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · ${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:22rem;margin:4rem auto;padding:0 1rem}label{display:block;margin:.8rem 0 .2rem}input{width:100%;padding:.5rem;box-sizing:border-box}button{margin-top:1rem;padding:.5rem 1rem}.error{color:#b00020}</style>
</head><body>
<h1>${escapeHtml(title)}</h1>
<p>Sign in with a StateX operator or admin account.</p>
${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="${prefix}/login">
<label for="email">Email</label><input id="email" name="email" type="email" autocomplete="username" required>
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>
</body></html>`;
}

/**
 * A sign-in page for a dashboard that a person opens in a browser, where no Authorization
 * header can be added. The password goes to user-portal's login (the same throttling and
 * checks as the API); the short-lived access token comes back as an HttpOnly, SameSite=Strict
 * cookie scoped to the dashboard's path, and the refresh token is revoked at once: when the
 * access token expires, the operator signs in again.
 */
export function browserLogin(options: BrowserLoginOptions) {
  const { prefix } = options;
  const cookie = (value: string, maxAge: number) =>
    `${ACCESS_COOKIE}=${encodeURIComponent(value)}; Path=${prefix}; Max-Age=${maxAge}; HttpOnly; SameSite=Strict${options.secure ? '; Secure' : ''}`;
  const show = (reply: FastifyReply, status: number, error?: string) =>
    reply.status(status).header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-store').send(page(options.title, prefix, error));

  return async (instance: FastifyInstance): Promise<void> => {
    instance.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 4096 }, (_req, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(String(body))));
    });

    instance.get(`${prefix}/login`, async (_request, reply) => show(reply, 200));

    instance.post(`${prefix}/login`, async (request, reply) => {
      const form = (request.body ?? {}) as Record<string, unknown>;
      const email = typeof form.email === 'string' ? form.email : '';
      const password = typeof form.password === 'string' ? form.password : '';
      if (!email || !password) return show(reply, 400, 'Enter your email and password.');
      const base = options.userPortalUrl.replace(/\/$/, '');
      let res: Response;
      try {
        res = await fetch(`${base}/api/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email, password }),
          signal: AbortSignal.timeout(10_000),
        });
      } catch {
        return show(reply, 503, 'Sign-in is unavailable right now: user-portal does not answer.');
      }
      if (res.status === 429) {
        void reply.header('retry-after', res.headers.get('retry-after') ?? '60');
        return show(reply, 429, 'Too many attempts. Wait a minute and try again.');
      }
      if (res.status !== 200) return show(reply, 401, 'Wrong email or password.');
      const tokens = (await res.json()) as { accessToken: string; refreshToken: string; expiresIn: number };
      // The dashboard keeps no session of its own: the refresh token is not needed.
      await fetch(`${base}/api/auth/logout`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ refreshToken: tokens.refreshToken }),
        signal: AbortSignal.timeout(10_000),
      }).catch(() => undefined);
      const user = await options.verifier.verify(tokens.accessToken).catch(() => undefined);
      if (!user) return show(reply, 503, 'The token from user-portal could not be verified.');
      if (!hasAnyRole(user, options.roles)) return show(reply, 403, `This account is not allowed here (needs the role ${options.roles.join(' or ')}).`);
      return reply.header('set-cookie', cookie(tokens.accessToken, tokens.expiresIn)).header('cache-control', 'no-store').redirect(prefix, 303);
    });

    instance.get(`${prefix}/logout`, async (_request, reply) => reply.header('set-cookie', cookie('', 0)).redirect(`${prefix}/login`, 303));
  };
}
