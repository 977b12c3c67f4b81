/**
 * A shared online store on Redis ({@link org.sieveml.features.redis.RedisOnlineStore}) with a Caffeine
 * near-cache kept coherent by Redis client-side-caching invalidations. Needs {@code io.lettuce:lettuce-core}
 * on the class path (an optional dependency of this module).
 */
package org.sieveml.features.redis;
