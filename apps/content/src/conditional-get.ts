import { applyDecorators } from '@nestjs/common';
import { ApiHeader, ApiNotModifiedResponse } from '@nestjs/swagger';

/** A GET that answers 304 to an If-None-Match naming its current ETag; both are in the document. */
export const ConditionalGet = () =>
  applyDecorators(
    ApiHeader({ name: 'If-None-Match', required: false, description: 'ETags from earlier answers (or *): 304 while one is still current' }),
    ApiNotModifiedResponse({ description: 'The If-None-Match ETag is still current' }),
  );

/** If-None-Match: `*`, or a list of ETags, weak or strong (compared weakly, as RFC 9110 says for GET). */
export function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((tag) => {
    const candidate = tag.trim();
    return candidate === '*' || candidate.replace(/^W\//, '') === etag;
  });
}
