import { LOG_REDACTED } from '@statex/observability';

/**
 * The logging service's own scrub, after the services' own redaction (`redactLogLine`): whatever a
 * client sends, no token, password, cookie or authorization header reaches the store.
 */
const SECRET_KEY = /pass(word|wd|phrase)?$|secret|token|authori[sz]ation|cookie|api[-_]?key|credential|private[-_]?key/i;
/** What a secret reads as, here as in the services' own lines. */
export const REDACTED = LOG_REDACTED;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

const TEXT_PATTERNS: Array<[RegExp, string]> = [
  // Authorization header values, in any casing.
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi, `$1 ${REDACTED}`],
  // A JWT anywhere: three base64url parts, the first two JSON.
  [/\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, REDACTED],
  // key=value and "key": "value" pairs whose key names a secret (query strings, messages, JSON text).
  [/\b([\w-]*(?:password|passwd|secret|token|api[-_]?key|authorization|cookie)[\w-]*)(["']?\s*[:=]\s*["']?)([^\s"'&,;}]+)/gi, `$1$2${REDACTED}`],
  // Credentials in URLs: scheme://user:password@host.
  [/\b([a-z][a-z0-9+.-]*:\/\/[^:/\s@]+:)[^@\s/]+@/gi, `$1${REDACTED}@`],
];

/** Text PostgreSQL can store: no NUL, no lone surrogate. */
export function storable(text: string): string {
  return text.replace(/\u0000/g, '').replace(LONE_SURROGATE, '\ufffd');
}

export function scrubText(text: string): string {
  let out = storable(text);
  for (const [pattern, replacement] of TEXT_PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

/** How deep scrubValue walks; what is nested deeper is replaced by TOO_DEEP. */
export const SCRUB_MAX_DEPTH = 8;
export const TOO_DEEP = `[Truncated: nested deeper than ${SCRUB_MAX_DEPTH} levels]`;

/**
 * A copy with every secret-named field replaced and every string scrubbed. An object or array
 * nested deeper than SCRUB_MAX_DEPTH is not kept as it came (it would reach the store unscrubbed:
 * a NUL there was a 500, a secret there was stored): it becomes TOO_DEEP.
 */
export function scrubValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return scrubText(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth > SCRUB_MAX_DEPTH) return TOO_DEEP;
  if (Array.isArray(value)) return value.map((item) => scrubValue(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [rawKey, item] of Object.entries(value)) {
    const key = storable(rawKey);
    out[key] = SECRET_KEY.test(key) && item !== null && item !== undefined && item !== '' ? REDACTED : scrubValue(item, depth + 1);
  }
  return out;
}
