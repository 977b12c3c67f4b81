package org.sieveml.kafka;

import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Turns a Kafka record into an event of one view. Built in: {@link JsonDecoder} (a JSON object, values
 * by field name) and {@link CsvDecoder} (one CSV line); Avro, Protobuf or any other encoding plugs in by
 * implementing this interface (decode with the host's own schema registry client, then build the
 * {@link DecodedEvent}).
 *
 * <p>Implementations must be thread-safe (the runner may decode on several threads) and must not keep
 * the record.
 */
@FunctionalInterface
public interface RecordDecoder {

  /**
   * Decodes one record.
   *
   * @param record the record (key and value as bytes; either may be null)
   * @return the event, or null when the record holds no event for this view (it is skipped, not a
   *     poison record)
   * @throws PoisonRecordException when the record cannot be decoded, naming the field, the value and
   *     what was expected; any other runtime exception is treated as a poison record too
   */
  DecodedEvent decode(ConsumerRecord<byte[], byte[]> record);
}
