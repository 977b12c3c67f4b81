package org.sieveml.serving;

import java.util.List;
import org.sieveml.core.FeatureFrame;
import org.sieveml.core.FeatureVector;
import org.sieveml.ranking.FeatureEncoder;
import org.sieveml.ranking.ModelProvenance;
import org.sieveml.ranking.Ranker;

/** A ranker that sleeps before scoring a frame: a slow model, so that a kill lands mid-run. */
final class SlowRanker implements Ranker {
  private final Ranker d;
  private final long millis;

  SlowRanker(Ranker delegate, long millis) {
    this.d = delegate;
    this.millis = millis;
  }

  @Override
  public String name() {
    return d.name();
  }

  @Override
  public FeatureEncoder encoder() {
    return d.encoder();
  }

  @Override
  public OutputKind outputKind() {
    return d.outputKind();
  }

  @Override
  public ModelProvenance provenance() {
    return d.provenance();
  }

  @Override
  public Ranker withName(String name) {
    return new SlowRanker(d.withName(name), millis);
  }

  @Override
  public double predict(FeatureVector features) {
    return d.predict(features);
  }

  @Override
  public double[] predict(FeatureFrame frame) {
    if (millis > 0) {
      try {
        Thread.sleep(millis);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
    return d.predict(frame);
  }

  @Override
  public double[] predict(List<FeatureVector> features) {
    return d.predict(features);
  }
}
