/**
 * Feature views and the feature store: entities, typed views with TTL, point-in-time-correct training
 * data from the offline store, and the online store for serving.
 *
 * <p>This module's implementation arrives with its own issue; today it holds only the module boundary
 * (it depends on {@code sieveml-core} and Caffeine) so that hosts and the BOM can already name it.
 */
package org.sieveml.features;
