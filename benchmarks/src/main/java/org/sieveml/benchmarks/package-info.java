/**
 * SieveML's benchmarks and the scorecard that reports them.
 *
 * <p>Entry point: {@link org.sieveml.benchmarks.Scorecard}, which runs every registered comparison of
 * one of our JMH benchmarks against its anchor and prints one {@code SCORE} line per figure. The JMH
 * benchmarks live in one sub-package per area, e.g. {@link org.sieveml.benchmarks.pipeline}; each can
 * also be run alone with {@code java -jar benchmarks/target/benchmarks.jar <regex>}.
 */
package org.sieveml.benchmarks;
