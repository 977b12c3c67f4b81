/** Ranking benchmarks: scoring cost of our rankers against the raw libraries they are built on. */
package org.sieveml.benchmarks.ranking;
