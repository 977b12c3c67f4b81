package org.sieveml.spark;

import java.io.Serializable;
import org.sieveml.features.OnlineStore;
import org.sieveml.features.redis.RedisOnlineStore;

/**
 * Opens an online store inside a Spark task: materialization writes partition by partition, each task
 * through a store it opens from this serializable configuration, never through an object captured on
 * the driver. {@link #redis} covers the usual case; a host can supply its own (e.g. with credentials
 * read from the executor's environment rather than shipped with the job).
 *
 * <p>Implementations must be serializable; {@link #open()} is called once per task and the task closes
 * what it returns.
 */
@FunctionalInterface
public interface OnlineStoreFactory extends Serializable {

  /**
   * Opens a store.
   *
   * @return a new store, closed by the caller
   */
  OnlineStore open();

  /**
   * The Redis online store with the given settings, opened per task.
   *
   * @param uri e.g. {@code redis://host:6379}
   * @param prefix the key prefix (as {@link RedisOnlineStore.Builder#prefix(String)})
   * @return a factory
   */
  static OnlineStoreFactory redis(String uri, String prefix) {
    return new RedisSettings(uri, prefix, false);
  }

  /**
   * The settings of a Redis online store (standalone or cluster), opened per task. Immutable.
   *
   * @param uri the server or seed URI
   * @param prefix the key prefix
   * @param cluster whether the URI names a Redis Cluster seed
   */
  record RedisSettings(String uri, String prefix, boolean cluster) implements OnlineStoreFactory {

    /**
     * Settings, checked on the driver.
     *
     * @param uri the server or seed URI
     * @param prefix the key prefix
     * @param cluster whether the URI names a Redis Cluster seed
     * @throws IllegalArgumentException naming the value if the URI or prefix is not usable
     */
    public RedisSettings {
      RedisOnlineStore.builder(uri).prefix(prefix); // validates both, without connecting
    }

    @Override
    public OnlineStore open() {
      return RedisOnlineStore.builder(uri).prefix(prefix).cluster(cluster).build();
    }
  }
}
