package org.sieveml.spark;

import java.io.Serializable;
import org.sieveml.features.FeatureRegistry;

/**
 * Where Spark tasks get the feature definitions: the same code that builds the host's
 * {@link FeatureRegistry} on the driver, run again in each task (definitions are code, as in Feast's
 * repository files and Chronon's Python definitions). Nothing is re-declared for Spark, and no
 * driver-side object is captured: a source is serialized with the job and called in the task.
 *
 * <p>Typically a method reference to a static factory, {@code MyFeatures::registry}. The driver checks
 * that the definitions a task builds have the same versions as its own and fails the job naming the
 * view otherwise (e.g. an application jar older than the driver's).
 *
 * <p>Implementations must be serializable and thread-safe; each call returns a new registry.
 */
@FunctionalInterface
public interface RegistrySource extends Serializable {

  /**
   * Builds the registry.
   *
   * @return a registry holding the entities, views and services
   */
  FeatureRegistry get();
}
