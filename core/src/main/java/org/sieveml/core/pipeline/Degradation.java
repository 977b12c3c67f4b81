package org.sieveml.core.pipeline;

import java.util.Objects;

/**
 * A record, carried in a {@link PipelineResponse}, that a stage did not do its job for this request,
 * why, and what the pipeline did instead ({@link Stage#fallback()}). Immutable and thread-safe.
 */
public final class Degradation {

  /** Why a stage degraded. */
  public enum Reason {
    /** The stage threw an exception. */
    ERROR,
    /** The stage returned, but after its budget ran out; its output was discarded. */
    OVER_BUDGET,
    /** The request's budget was spent before the stage could start; it was skipped. */
    BUDGET_EXHAUSTED,
    /** The stage returned output that breaks its contract (wrong size, wrong schema, NaN...). */
    INVALID_OUTPUT,
    /** The stage was not run because a stage it depends on degraded (e.g. scoring after features). */
    SKIPPED
  }

  private final Stage stage;
  private final String component;
  private final Reason reason;
  private final String detail;

  /**
   * Creates a degradation record.
   *
   * @param stage the stage that degraded
   * @param component the name of the generator, feature source, scorer or re-ranker
   * @param reason why
   * @param detail a human-readable explanation (exception message, timings)
   */
  public Degradation(Stage stage, String component, Reason reason, String detail) {
    this.stage = Objects.requireNonNull(stage, "stage");
    this.component = Objects.requireNonNull(component, "component");
    this.reason = Objects.requireNonNull(reason, "reason");
    this.detail = Objects.requireNonNull(detail, "detail");
  }

  /**
   * The stage that degraded.
   *
   * @return the stage
   */
  public Stage stage() {
    return stage;
  }

  /**
   * The component within the stage (a generator's name for {@link Stage#CANDIDATES}).
   *
   * @return the component name
   */
  public String component() {
    return component;
  }

  /**
   * Why it degraded.
   *
   * @return the reason
   */
  public Reason reason() {
    return reason;
  }

  /**
   * The explanation: the exception's message, or the time taken against the budget.
   *
   * @return the detail
   */
  public String detail() {
    return detail;
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof Degradation)) {
      return false;
    }
    Degradation d = (Degradation) o;
    return stage == d.stage && reason == d.reason && component.equals(d.component) && detail.equals(d.detail);
  }

  @Override
  public int hashCode() {
    return Objects.hash(stage, component, reason, detail);
  }

  @Override
  public String toString() {
    return stage + "/" + component + ": " + reason + " (" + detail + "); " + stage.fallback();
  }
}
