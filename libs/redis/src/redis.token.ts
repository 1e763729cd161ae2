/** The shared ioredis client (caches, throttling). */
export const REDIS = Symbol('REDIS');
