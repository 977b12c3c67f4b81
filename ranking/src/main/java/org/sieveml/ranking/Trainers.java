package org.sieveml.ranking;

import java.util.function.Supplier;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.sieveml.core.FeatureFrame;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Argument checks and set-up shared by the trainers, and the bridge of Tribuo's logging to slf4j.
 *
 * <p>Tribuo and OLCUT log through {@code java.util.logging} (two INFO lines per training, to stderr by
 * default). The first time a trainer runs, one handler is added to the JUL loggers {@code org.tribuo} and
 * {@code com.oracle.labs.olcut} — those two only, never the root logger — forwarding each record to the slf4j
 * logger of the same name (levels mapped: SEVERE→error, WARNING→warn, INFO→info, CONFIG/FINE→debug, finer→trace),
 * and those loggers stop passing records to JUL's parent handlers. A host sees Tribuo in its slf4j backend and
 * nothing on stderr. A host that configures JUL itself sets the system property
 * {@code sieveml.tribuo.logging=jul} and the loggers are left untouched.
 *
 * <p>Thread-safety: stateless apart from the one-time bridge set-up, which is thread-safe.
 */
final class Trainers {
  private static final java.util.regex.Pattern NAME = java.util.regex.Pattern.compile("[^\\p{Cntrl}]{1,200}");
  /** Strong references: JUL holds loggers weakly, and a collected logger loses its handler. */
  private static final java.util.logging.Logger[] BRIDGED = {
      java.util.logging.Logger.getLogger("org.tribuo"), java.util.logging.Logger.getLogger("com.oracle.labs.olcut")};

  static {
    if (!"jul".equals(System.getProperty("sieveml.tribuo.logging"))) {
      for (java.util.logging.Logger l : BRIDGED) {
        l.addHandler(new Slf4jHandler());
        l.setUseParentHandlers(false);
      }
    }
  }

  private Trainers() {}

  static String name(String v) {
    if (v == null || !NAME.matcher(v).matches()) {
      throw new IllegalArgumentException("name is '" + v + "'; expected 1 to 200 printable characters");
    }
    return v;
  }

  static int atLeast(String field, int v, int min) {
    if (v < min) {
      throw new IllegalArgumentException(field + " is " + v + "; expected >= " + min);
    }
    return v;
  }

  static double positive(String field, double v) {
    if (!(v > 0) || Double.isInfinite(v)) {
      throw new IllegalArgumentException(field + " is " + v + "; expected finite and > 0");
    }
    return v;
  }

  /** The encoder with its standardized columns fitted on the frame, when they need it. */
  static FeatureEncoder fitted(FeatureEncoder encoder, FeatureFrame frame) {
    if (frame == null) {
      throw new IllegalArgumentException("frame is null; expected training rows");
    }
    return encoder.needsFit() ? encoder.fit(frame) : encoder;
  }

  /** Runs Tribuo training with its logging routed to slf4j (set up once, see the class comment). */
  static <T> T quietly(Supplier<T> training) {
    return training.get();
  }

  /** Forwards JUL records to slf4j. */
  private static final class Slf4jHandler extends Handler {
    @Override
    public void publish(LogRecord r) {
      if (r == null) {
        return;
      }
      Logger log = LoggerFactory.getLogger(r.getLoggerName() == null ? "org.tribuo" : r.getLoggerName());
      String msg = r.getMessage();
      if (msg != null && r.getParameters() != null && r.getParameters().length > 0) {
        try {
          msg = java.text.MessageFormat.format(msg, r.getParameters());
        } catch (IllegalArgumentException e) {
          // keep the raw message
        }
      }
      int level = r.getLevel().intValue();
      if (level >= Level.SEVERE.intValue()) {
        log.error(msg, r.getThrown());
      } else if (level >= Level.WARNING.intValue()) {
        log.warn(msg, r.getThrown());
      } else if (level >= Level.INFO.intValue()) {
        log.info(msg, r.getThrown());
      } else if (level >= Level.FINE.intValue()) {
        log.debug(msg, r.getThrown());
      } else {
        log.trace(msg, r.getThrown());
      }
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  }
}
