package org.sieveml.features;

/**
 * An {@link OnlineStore} could not answer: its server is down, unreachable or too slow. The message
 * names the store, the operation and the cause; nothing was served from possibly stale state.
 *
 * <p>Immutable and thread-safe, like any exception once thrown.
 */
public class OnlineStoreUnavailableException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what failed, where, and why
   * @param cause the underlying failure
   */
  public OnlineStoreUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
