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

/**
 * Every spelling of the request's path that the router may have acted on: as sent, percent-decoded
 * (find-my-way decodes before routing, so `/%71ueues` is `/queues` to it) and the route it matched.
 * A check on the raw URL alone can be walked around.
 */
export function pathsOf(request: FastifyRequest): string[] {
  const raw = request.url.split('?')[0];
  let decoded = raw;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    // Not valid percent-encoding: the router refuses it too; the raw path stands.
  }
  const route = request.routeOptions?.url;
  return [...new Set([raw, decoded, ...(route ? [route] : [])])];
}

/** Checks every request to a protected path before anything else runs. */
export function protectPaths(fastify: FastifyInstance, verifier: TokenVerifier, paths: ProtectedPath[]): void {
  if (paths.length === 0) return;
  fastify.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const spellings = pathsOf(request);
    const rule = paths.find((p) => spellings.some((path) => matches(path, p.prefix)));
    if (!rule) return;
    const open = [`${rule.prefix}/login`, `${rule.prefix}/logout`];
    if (rule.browser && spellings.every((path) => open.includes(path))) return;
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
