/**
 * SieveML features: entities, feature views (plain, windowed, on-demand), point-in-time training
 * data, the offline log, the online stores (embedded, Caffeine tier, Redis), materialization and push.
 *
 * <p>Exports only the public API; {@code org.sieveml.features.internal} is not exported.
 */
module org.sieveml.features {
  requires transitive org.sieveml.core;
  requires com.github.benmanes.caffeine;
  requires org.slf4j;
  // optional: only hosts that use RedisOnlineStore put Lettuce on their path
  requires static lettuce.core;

  exports org.sieveml.features;
  exports org.sieveml.features.redis;
}
