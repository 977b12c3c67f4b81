/** Serving benchmarks: batch prediction against the ranker alone on the same rows. */
package org.sieveml.benchmarks.serving;
