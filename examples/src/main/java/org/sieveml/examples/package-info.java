/**
 * Runnable case studies that wire SieveML's modules together in-process, as a host service would.
 *
 * <p>{@link org.sieveml.examples.Flagship} is the README's run command: today a seeded recommendation
 * demo of the two-stage pipeline ({@link org.sieveml.examples.PipelineDemo}); the full case studies
 * (MovieLens, ad CTR, fraud, ETA, search) arrive with their own issue.
 */
package org.sieveml.examples;
