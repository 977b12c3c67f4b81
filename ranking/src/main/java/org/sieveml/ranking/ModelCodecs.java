package org.sieveml.ranking;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.tribuo.Model;
import org.tribuo.protos.core.ModelProto;

/**
 * One codec per model kind the {@link ModelRegistry} stores: how a model becomes {@code model.bin} plus
 * manifest properties, and back. Dispatch is by the model's class when writing and by the manifest's
 * {@code kind} when reading; no Java deserialization, and Tribuo's protobuf loader only ever sees a
 * file whose class name is on the kind's allowlist. Stateless, thread-safe.
 */
final class ModelCodecs {

  /** Manifest key prefix of the model's provenance. */
  static final String PROVENANCE = "provenance.";

  private ModelCodecs() {}

  /** How one model kind is stored. Implementations are stateless. */
  interface Codec {
    /** The manifest's {@code kind}. */
    String kind();

    /** The model's bytes. */
    byte[] encode(Ranker model);

    /** Manifest properties beyond the common ones (provenance and kind-specific fields). */
    default Map<String, String> describe(Ranker model) {
      Map<String, String> m = new LinkedHashMap<>();
      model.provenance().toProperties().forEach((k, v) -> m.put(PROVENANCE + k, v));
      return m;
    }

    /**
     * Rebuilds the model.
     *
     * @param label the model's name and version, its name once loaded
     * @param encoder the encoder from the manifest
     * @param bytes the model's bytes (checksum already verified)
     * @param manifest the manifest's properties
     * @param sha256 the bytes' checksum, to fingerprint models registered before provenance was stored
     * @throws IllegalArgumentException or IllegalStateException if the bytes or manifest are unusable
     */
    Ranker decode(String label, FeatureEncoder encoder, byte[] bytes, Properties manifest, String sha256);
  }

  private static final Codec GBDT = new Codec() {
    @Override
    public String kind() {
      return "xgboost-json";
    }

    @Override
    public byte[] encode(Ranker model) {
      return ((GbdtRanker) model).modelJson().getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public Ranker decode(String label, FeatureEncoder encoder, byte[] bytes, Properties manifest, String sha256) {
      String json = new String(bytes, StandardCharsets.UTF_8);
      return GbdtRanker.fromModelJson(label, encoder, json, provenance(manifest, PROVENANCE, kind(), sha256));
    }
  };

  private static final Codec LINEAR = new TribuoCodec("tribuo-linear-sgd",
      org.tribuo.classification.sgd.linear.LinearSGDModel.class) {
    @Override
    public byte[] encode(Ranker model) {
      return ((LinearRanker) model).tribuoModel().serialize().toByteArray();
    }

    @Override
    Ranker wrap(String label, FeatureEncoder encoder, Model<?> m, ModelProvenance p) {
      return LinearRanker.fromTribuo(label, encoder, m, p);
    }
  };

  private static final Codec REGRESSION = new TribuoCodec("tribuo-linear-regression",
      org.tribuo.regression.sgd.linear.LinearSGDModel.class) {
    @Override
    public byte[] encode(Ranker model) {
      return ((LinearRegressor) model).tribuoModel().serialize().toByteArray();
    }

    @Override
    Ranker wrap(String label, FeatureEncoder encoder, Model<?> m, ModelProvenance p) {
      return LinearRegressor.fromTribuo(label, encoder, m, p);
    }
  };

  private static final Codec FM = new TribuoCodec("tribuo-fm",
      org.tribuo.classification.sgd.fm.FMClassificationModel.class) {
    @Override
    public byte[] encode(Ranker model) {
      return ((FmRanker) model).tribuoModel().serialize().toByteArray();
    }

    @Override
    Ranker wrap(String label, FeatureEncoder encoder, Model<?> m, ModelProvenance p) {
      return FmRanker.fromTribuo(label, encoder, m, p);
    }
  };

  /**
   * A base model plus its calibration. {@code model.bin}: the magic {@code SVCAL1}, then big-endian
   * int-length-prefixed UTF-8 base kind, calibrator text ({@link Calibrator#toText}, empty for none),
   * and the base model's bytes; the down-sampling rate is a double after the base kind. Every length is
   * checked against what remains before anything is allocated.
   */
  private static final Codec CALIBRATED = new Codec() {
    private final byte[] magic = "SVCAL1".getBytes(StandardCharsets.US_ASCII);

    @Override
    public String kind() {
      return "calibrated";
    }

    @Override
    public byte[] encode(Ranker model) {
      CalibratedRanker c = (CalibratedRanker) model;
      Codec base = forModel(c.base());
      ByteArrayOutputStream bos = new ByteArrayOutputStream();
      try (DataOutputStream out = new DataOutputStream(bos)) {
        out.write(magic);
        chunk(out, base.kind().getBytes(StandardCharsets.UTF_8));
        out.writeDouble(c.negativeSamplingRate());
        chunk(out, c.calibrator() == null ? new byte[0] : c.calibrator().toText().getBytes(StandardCharsets.UTF_8));
        chunk(out, base.encode(c.base()));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return bos.toByteArray();
    }

    private void chunk(DataOutputStream out, byte[] b) throws IOException {
      out.writeInt(b.length);
      out.write(b);
    }

    @Override
    public Map<String, String> describe(Ranker model) {
      CalibratedRanker c = (CalibratedRanker) model;
      Map<String, String> m = Codec.super.describe(model);
      Codec base = forModel(c.base());
      m.put("calibrated.base.kind", base.kind());
      m.put("calibrated.negativeSamplingRate", Double.toString(c.negativeSamplingRate()));
      m.put("calibrated.base.name", c.base().name());
      base.describe(c.base()).forEach((k, v) -> m.put("calibrated.base." + k, v));
      return m;
    }

    @Override
    public Ranker decode(String label, FeatureEncoder encoder, byte[] bytes, Properties manifest, String sha256) {
      ByteBuffer in = ByteBuffer.wrap(bytes);
      byte[] head = new byte[magic.length];
      if (bytes.length < magic.length || !java.util.Arrays.equals(readInto(in, head), magic)) {
        throw new IllegalArgumentException("calibrated model does not start with " + new String(magic,
            StandardCharsets.US_ASCII));
      }
      String baseKind = new String(chunk(in, "base kind", 64), StandardCharsets.UTF_8);
      if (in.remaining() < 8) {
        throw new IllegalArgumentException("calibrated model ends before its negative sampling rate");
      }
      double rate = in.getDouble();
      String cal = new String(chunk(in, "calibrator", 64 << 20), StandardCharsets.UTF_8);
      byte[] baseBytes = chunk(in, "base model", Integer.MAX_VALUE);
      if (in.hasRemaining()) {
        throw new IllegalArgumentException("calibrated model has " + in.remaining() + " trailing bytes");
      }
      Codec base = forKind(baseKind);
      if (base == null || base == this) {
        throw new IllegalArgumentException("calibrated model's base kind is '" + baseKind + "'; expected one of "
            + List.of(GBDT.kind(), LINEAR.kind(), FM.kind()));
      }
      Properties baseManifest = new Properties();
      manifest.stringPropertyNames().stream().filter(k -> k.startsWith("calibrated.base."))
          .forEach(k -> baseManifest.setProperty(k.substring("calibrated.base.".length()), manifest.getProperty(k)));
      String baseName = baseManifest.getProperty("name", label);
      Ranker b = base.decode(baseName, encoder, baseBytes, baseManifest, sha256);
      Calibrator calibrator = cal.isEmpty() ? null : Calibrator.parse(cal);
      return CalibratedRanker.restore(label, b, calibrator, rate, provenance(manifest, PROVENANCE, kind(), sha256));
    }

    private byte[] readInto(ByteBuffer in, byte[] b) {
      in.get(b);
      return b;
    }

    private byte[] chunk(ByteBuffer in, String what, int max) {
      if (in.remaining() < 4) {
        throw new IllegalArgumentException("calibrated model ends before the length of its " + what);
      }
      int n = in.getInt();
      if (n < 0 || n > max || n > in.remaining()) {
        throw new IllegalArgumentException("calibrated model's " + what + " length is " + n + "; expected 0.."
            + Math.min(max, in.remaining()));
      }
      byte[] b = new byte[n];
      in.get(b);
      return b;
    }
  };

  private static final List<Codec> ALL = List.of(GBDT, LINEAR, REGRESSION, FM, CALIBRATED);

  /**
   * The codec that writes a model.
   *
   * @throws IllegalArgumentException for a model class this registry does not store
   */
  static Codec forModel(Ranker model) {
    if (model instanceof GbdtRanker) {
      return GBDT;
    } else if (model instanceof LinearRanker) {
      return LINEAR;
    } else if (model instanceof LinearRegressor) {
      return REGRESSION;
    } else if (model instanceof FmRanker) {
      return FM;
    } else if (model instanceof CalibratedRanker) {
      return CALIBRATED;
    }
    throw new IllegalArgumentException("ranker is a " + model.getClass().getName()
        + "; expected GbdtRanker, LinearRanker, LinearRegressor, FmRanker or CalibratedRanker");
  }

  /** The codec of a manifest kind, or null if unknown. */
  static Codec forKind(String kind) {
    for (Codec c : ALL) {
      if (c.kind().equals(kind)) {
        return c;
      }
    }
    return null;
  }

  /**
   * The provenance stored under {@code prefix}; for versions registered before provenance was stored, a
   * stand-in naming the kind with the model bytes' checksum as the data fingerprint, seed 0 and 0 rows.
   */
  static ModelProvenance provenance(Properties manifest, String prefix, String kind, String sha256) {
    Map<String, String> p = new TreeMap<>();
    for (String k : manifest.stringPropertyNames()) {
      if (k.startsWith(prefix)) {
        p.put(k.substring(prefix.length()), manifest.getProperty(k));
      }
    }
    if (p.isEmpty()) {
      Map<String, String> params = new TreeMap<>();
      String legacy = manifest.getProperty("provenance");
      if (legacy != null) {
        params.put("description", legacy);
      }
      return ModelProvenance.restored("registry kind " + kind, params, sha256);
    }
    return ModelProvenance.fromProperties(p);
  }

  /** Codecs for Tribuo protobuf models, with a one-class allowlist each. */
  private abstract static class TribuoCodec implements Codec {
    private final String kind;
    private final String className;

    TribuoCodec(String kind, Class<?> modelClass) {
      this.kind = kind;
      this.className = modelClass.getName();
    }

    @Override
    public String kind() {
      return kind;
    }

    abstract Ranker wrap(String label, FeatureEncoder encoder, Model<?> m, ModelProvenance p);

    @Override
    public Ranker decode(String label, FeatureEncoder encoder, byte[] bytes, Properties manifest, String sha256) {
      ModelProto proto;
      try {
        proto = ModelProto.parseFrom(bytes);
      } catch (IOException e) {
        throw new IllegalStateException("not a valid Tribuo protobuf: " + e, e);
      }
      // Tribuo instantiates the class named in the file: only the class this kind writes is let through
      if (!className.equals(proto.getClassName())) {
        throw new IllegalStateException("kind " + kind + " names class '" + proto.getClassName() + "', expected "
            + className);
      }
      Model<?> m;
      try {
        m = Model.deserialize(proto);
      } catch (RuntimeException e) {
        throw new IllegalStateException("Tribuo cannot read it: " + e, e);
      }
      return wrap(label, encoder, m, provenance(manifest, PROVENANCE, kind, sha256));
    }
  }
}
