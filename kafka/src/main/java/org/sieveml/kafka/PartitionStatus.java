package org.sieveml.kafka;

/**
 * Where one assigned partition stands in a {@link KafkaIngestion}.
 *
 * @param topic the topic
 * @param partition the partition
 * @param position the stored position the runner resumes from (the lowest over the topic's views;
 *     {@code Long.MIN_VALUE} before anything was stored)
 * @param lag records between the consumer's position and the partition's end, or -1 when unknown
 * @param lastEventTime the latest event time applied from this partition, or {@code Long.MIN_VALUE}
 * @param records records applied from this partition by this runner (events and dead letters)
 */
public record PartitionStatus(String topic, int partition, long position, long lag, long lastEventTime, long records) {}
