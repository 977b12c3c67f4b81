package org.sieveml.ranking.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * Issue 15 (RegistryFuzzTest#modelJson): XGBoost model JSON was read with unchecked casts and indices,
 * so a missing field threw NullPointerException, a field of the wrong type ClassCastException, a child
 * index outside its tree IndexOutOfBoundsException, and a cycle in a tree ran past the relabelling queue
 * (or would loop forever at prediction). Every field is now checked before use and a malformed model is
 * refused with an IllegalArgumentException naming the field and the value.
 */
class TreeEnsembleTest {

  /** A model of one tree of depth 1 over 2 features: feature 1 &lt; 0.5 goes left (leaf -1), else right (+2). */
  static String model(String objective, String baseScore, String left, String right, String split,
      String conditions, String defaults) {
    return "{\"learner\":{\"learner_model_param\":{\"base_score\":\"" + baseScore + "\",\"num_class\":\"0\","
        + "\"num_feature\":\"2\"},\"objective\":{\"name\":\"" + objective + "\"},\"gradient_booster\":{\"name\":"
        + "\"gbtree\",\"model\":{\"trees\":[{\"left_children\":" + left + ",\"right_children\":" + right
        + ",\"split_indices\":" + split + ",\"split_conditions\":" + conditions + ",\"default_left\":" + defaults
        + ",\"split_type\":[0,0,0]}]}}}}";
  }

  static String good() {
    return model("reg:squarederror", "5E-1", "[1,-1,-1]", "[2,-1,-1]", "[1,0,0]", "[0.5,-1,2]", "[0,0,0]");
  }

  @Test
  void aValidModelPredictsAlongItsTree() {
    TreeEnsemble t = TreeEnsemble.fromModelJson(good());
    assertEquals(1, t.treeCount());
    assertEquals(2, t.numFeatures());
    assertEquals(0.5 - 1, t.predict(new double[] {9, 0.25}, 0), 0.0);
    assertEquals(0.5 + 2, t.predict(new double[] {9, 0.75}, 0), 0.0);
    assertEquals(0.5 + 2, t.predict(new double[] {9, Double.NaN}, 0), 0.0, "missing goes right (default_left 0)");
  }

  private static void refused(String json, String expected) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TreeEnsemble.fromModelJson(json),
        expected);
    assertTrue(e.getMessage().contains(expected), "expected '" + expected + "' in: " + e.getMessage());
  }

  @Test
  void missingFieldsAndWrongTypesAreRefusedNamingTheField() {
    refused("{}", "learner is missing");
    refused("[1]", "the model JSON is an array; expected an object");
    refused(good().replace("\"left_children\":[1,-1,-1],", ""), "trees[0].left_children is missing");
    refused(good().replace("\"base_score\":\"5E-1\"", "\"base_score\":0.5"), "base_score is 0.5; expected a string");
    refused(good().replace("\"base_score\":\"5E-1\"", "\"base_score\":\"half\""), "base_score is 'half'");
    refused(good().replace("\"num_feature\":\"2\"", "\"num_feature\":\"-3\""), "num_feature is -3");
    refused(good().replace("{\"name\":\"reg:squarederror\"}", "\"reg\""), "learner.objective is 'reg'");
    refused(good().replace("[0.5,-1,2]", "[0.5,\"x\",2]"), "split_conditions[1] is 'x'; expected a number");
    refused(good().replace("[0.5,-1,2]", "[0.5,-1,1e300]"), "split_conditions[2] is 1.0E300; expected a finite");
    refused(good().replace("[1,0,0]", "[1.5,0,0]"), "split_indices[0] is 1.5; expected an integer");
    refused(good().replace("\"default_left\":[0,0,0]", "\"default_left\":[0,0]"),
        "default_left has 2 entries; expected one per node (3)");
    refused(good().replace("\"trees\":[{", "\"trees\":[7,{").replace("}]}}}}", "}]}}}}"),
        "trees[0] is 7.0; expected an object");
  }

  @Test
  void malformedTreesAreRefused() {
    // a cycle: the right child of the root is the root
    refused(model("reg:squarederror", "0", "[1,-1,-1]", "[0,-1,-1]", "[1,0,0]", "[0.5,-1,2]", "[0,0,0]"),
        "node 0 is reached twice");
    // a shared subtree: both children are node 1
    refused(model("reg:squarederror", "0", "[1,-1,-1]", "[1,-1,-1]", "[1,0,0]", "[0.5,-1,2]", "[0,0,0]"),
        "node 1 is reached twice");
    refused(model("reg:squarederror", "0", "[1,-1,-1]", "[7,-1,-1]", "[1,0,0]", "[0.5,-1,2]", "[0,0,0]"),
        "node 0 has the child 7; expected a node in [0, 3)");
    refused(model("reg:squarederror", "0", "[1,-1,-1]", "[-1,-1,-1]", "[1,0,0]", "[0.5,-1,2]", "[0,0,0]"),
        "node 0 has children 1 and -1");
    refused(model("reg:squarederror", "0", "[1,-1,-1]", "[2,-1,-1]", "[2,0,0]", "[0.5,-1,2]", "[0,0,0]"),
        "split_indices[0] is 2; expected a feature in [0, 2)");
    refused(model("reg:squarederror", "0", "[]", "[]", "[]", "[]", "[]"), "left_children is empty");
  }

  @Test
  void aLogisticBaseScoreMustBeAProbability() {
    refused(model("binary:logistic", "1", "[1,-1,-1]", "[2,-1,-1]", "[1,0,0]", "[0.5,-1,2]", "[0,0,0]"),
        "base_score is 1.0; expected a probability in (0, 1)");
    TreeEnsemble t = TreeEnsemble.fromModelJson(
        model("binary:logistic", "5E-1", "[1,-1,-1]", "[2,-1,-1]", "[1,0,0]", "[0.5,-1,2]", "[0,0,0]"));
    assertEquals((float) (1 / (1 + Math.exp(1))), t.predict(new double[] {0, 0}, 0), 0.0);
  }
}
