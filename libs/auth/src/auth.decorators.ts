import { applyDecorators, createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiExtension, ApiForbiddenResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { Role } from '@statex/contracts';
import type { AuthUser } from './auth-user';

export const ACCESS_RULE = 'statex:access';

/**
 * Who may call a route. A route with no rule is for admins only: forgetting a decorator
 * closes a route, it never opens one.
 */
export type AccessRule = { kind: 'public' } | { kind: 'authenticated' } | { kind: 'roles'; roles: Role[] };

/**
 * The OpenAPI extension on each operation that says who may call it, as the guard reads it
 * (`{ kind: 'roles', roles: [...] }`); an operation without it is for admins only. Clients and the
 * contract fuzz read it to know which token an operation needs.
 */
export const ACCESS_EXTENSION = 'x-statex-access';

const access = (rule: AccessRule) => applyDecorators(SetMetadata(ACCESS_RULE, rule), ApiExtension(ACCESS_EXTENSION, rule));

/** Anyone, without a token (a token, when sent and valid, still tells the handler who calls). */
export const Public = () => access({ kind: 'public' });

/** Any signed-in caller, whatever their role. */
export const Authenticated = () =>
  applyDecorators(
    access({ kind: 'authenticated' }),
    ApiBearerAuth(),
    ApiUnauthorizedResponse({ description: 'No access token, or an invalid or expired one' }),
  );

/** Callers holding at least one of these roles. */
export const Roles = (...roles: Role[]) =>
  applyDecorators(
    access({ kind: 'roles', roles }),
    ApiBearerAuth(),
    ApiUnauthorizedResponse({ description: 'No access token, or an invalid or expired one' }),
    ApiForbiddenResponse({ description: `The token lacks the role: ${roles.join(' or ')}` }),
  );

/** The verified caller (undefined on a public route called without a token). */
export const CurrentUser = createParamDecorator((_data: unknown, ctx: ExecutionContext): AuthUser | undefined => {
  return ctx.switchToHttp().getRequest<{ user?: AuthUser }>().user;
});
