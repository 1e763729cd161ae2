import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Role } from '@statex/contracts';
import { AuthUser, hasAnyRole } from './auth-user';
import { ACCESS_COOKIE, bearerToken, cookieValue } from './bearer-token';
import { TokenVerifier } from './token.verifier';

/**
 * A path outside Nest's routing (Swagger, a dashboard mounted as a Fastify plugin, metrics
 * when configured so) that needs a token with one of `roles`. With `browser`, the token may
 * also come from the session cookie that the path's login page sets, and a browser without
 * one is sent to that page.
 */
export interface ProtectedPath {
  prefix: string;
  roles: Role[];
  browser?: boolean;
}

function matches(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(`${prefix}/`) || path.startsWith(`${prefix}-`);
}

/** Checks every request to a protected path before anything else runs. */
export function protectPaths(fastify: FastifyInstance, verifier: TokenVerifier, paths: ProtectedPath[]): void {
  if (paths.length === 0) return;
  fastify.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split('?')[0];
    const rule = paths.find((p) => matches(path, p.prefix));
    if (!rule) return;
    if (rule.browser && (path === `${rule.prefix}/login` || path === `${rule.prefix}/logout`)) return;
    const token = bearerToken(request.headers) ?? (rule.browser ? cookieValue(request.headers, ACCESS_COOKIE) : undefined);
    const wantsPage = rule.browser && request.method === 'GET' && /text\/html/.test(request.headers.accept ?? '');
    if (!token) {
      if (wantsPage) return reply.redirect(`${rule.prefix}/login`, 302);
      return reply.status(401).header('www-authenticate', 'Bearer').send({ statusCode: 401, message: `${rule.prefix} needs an access token with the role ${rule.roles.join(' or ')}` });
    }
    let user: AuthUser;
    try {
      user = await verifier.verify(token);
    } catch (error) {
      const status = (error as { getStatus?: () => number }).getStatus?.() ?? 401;
      if (wantsPage && status === 401) return reply.redirect(`${rule.prefix}/login`, 302);
      return reply.status(status).send({ statusCode: status, message: (error as Error).message });
    }
    if (!hasAnyRole(user, rule.roles)) {
      return reply.status(403).send({ statusCode: 403, message: `${rule.prefix} needs the role ${rule.roles.join(' or ')}; the token has ${user.roles.join(', ') || 'none'}` });
    }
    (request as FastifyRequest & { user?: AuthUser }).user = user;
  });
}
