package org.sieveml.core.pipeline;

import java.util.function.Consumer;

/**
 * Where a {@link ServingLog} writes the requests it logs: a file ({@link CsvServedRequestSink}), a
 * callback into the host ({@link #callback(Consumer)}), or the host's own implementation (a Parquet
 * writer, a message queue).
 *
 * <p>Thread-safety: a {@link ServingLog} calls its sink from one thread at a time (a background task of
 * its executor, or the thread that closes it), with happens-before between calls, so an implementation
 * needs no synchronization of its own for the log's use. An exception from {@link #write} costs that one
 * record (the log counts it as failed and goes on); it never reaches a request.
 */
public interface ServedRequestSink extends AutoCloseable {

  /**
   * Writes one record.
   *
   * @param request the record, not null
   * @throws RuntimeException if the record cannot be written; the log counts it and goes on
   */
  void write(ServedRequest request);

  /**
   * Pushes written records towards durable storage. The log calls it each time its queue runs empty.
   * The default does nothing.
   */
  default void flush() {}

  /**
   * Flushes and releases the sink. The log calls it once, from {@link ServingLog#close()}, after the
   * last {@link #write}. The default does nothing.
   */
  @Override
  default void close() {}

  /**
   * A sink that hands each record to a host callback (on the log's background thread).
   *
   * @param callback receives each record; it may throw, which the log counts as a failed write
   * @return the sink
   * @throws IllegalArgumentException if the callback is null
   */
  static ServedRequestSink callback(Consumer<ServedRequest> callback) {
    if (callback == null) {
      throw new IllegalArgumentException("callback must not be null");
    }
    return new ServedRequestSink() {
      @Override
      public void write(ServedRequest request) {
        callback.accept(request);
      }

      @Override
      public String toString() {
        return "ServedRequestSink.callback(" + callback + ")";
      }
    };
  }
}
