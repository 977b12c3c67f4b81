/**
 * Ingestion from Apache Kafka into SieveML feature views and windows, exactly once in effect.
 */
package org.sieveml.kafka;
