import { CanActivate, ExecutionContext, ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Role } from '@statex/contracts';
import { AuthUser, hasAnyRole } from './auth-user';
import { ACCESS_RULE, AccessRule } from './auth.decorators';
import { bearerToken } from './bearer-token';
import { TokenVerifier } from './token.verifier';

/** Routes without a rule of their own: admins only (deny by default). */
const DEFAULT_ROLES: Role[] = ['admin'];

/**
 * The global guard of every StateX service: a route answers only callers whose token has the
 * role it names (`@Roles`), any signed-in caller (`@Authenticated`), or anyone (`@Public`).
 * Message handlers are not HTTP and pass: the broker is inside the trust boundary.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly verifier: TokenVerifier,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest & { user?: AuthUser }>();
    const rule = this.reflector.getAllAndOverride<AccessRule | undefined>(ACCESS_RULE, [context.getHandler(), context.getClass()]);
    const token = bearerToken(request.headers);

    if (rule?.kind === 'public') {
      // A valid token still tells a public route who is calling; a bad one is ignored there.
      if (token) request.user = await this.verifier.verify(token).catch(() => undefined);
      return true;
    }
    if (!token) {
      void http.getResponse<FastifyReply>().header('www-authenticate', 'Bearer');
      throw new UnauthorizedException('This route needs an access token: send Authorization: Bearer <token> (POST /api/auth/login on user-portal)');
    }
    try {
      request.user = await this.verifier.verify(token);
    } catch (error) {
      if (error instanceof UnauthorizedException) void http.getResponse<FastifyReply>().header('www-authenticate', 'Bearer error="invalid_token"');
      throw error;
    }
    const roles = rule?.kind === 'authenticated' ? null : rule?.kind === 'roles' ? rule.roles : DEFAULT_ROLES;
    if (roles && !hasAnyRole(request.user, roles)) {
      throw new ForbiddenException(`This route needs the role ${roles.join(' or ')}; the token has ${request.user.roles.join(', ') || 'none'}`);
    }
    return true;
  }
}
