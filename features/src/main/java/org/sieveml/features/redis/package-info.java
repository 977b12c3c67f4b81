/**
 * A shared online store on Redis ({@link org.sieveml.features.redis.RedisOnlineStore}): rows, window
 * tiles and marks of every replica in one place, updated by Lua scripts that apply the same per-key
 * rules as the embedded store; on a single server with a Caffeine near-cache kept coherent by Redis
 * client-side-caching invalidations, on Redis Cluster with every key of one entity in one hash slot.
 * Needs {@code io.lettuce:lettuce-core} on the class path (an optional dependency of this module).
 */
package org.sieveml.features.redis;
