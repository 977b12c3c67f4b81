package org.sieveml.core.internal;

import java.util.AbstractList;
import java.util.RandomAccess;

/**
 * A fixed, read-only list view over the first {@code size} slots of an array, with a monomorphic
 * {@code get}: the one list type the pipeline hands its stages, so their loops stay cheap. The owner
 * must not change the array while the view is shared. Not public API.
 *
 * @param <T> the element type
 */
public final class ReadOnlyArrayList<T> extends AbstractList<T> implements RandomAccess {
  private final Object[] elements;
  private final int size;

  /**
   * Views {@code elements[0..size)}.
   *
   * @param elements the backing array, not copied
   * @param size how many leading slots are elements
   */
  public ReadOnlyArrayList(Object[] elements, int size) {
    if (size < 0 || size > elements.length) {
      throw new IllegalArgumentException("size " + size + " outside [0, " + elements.length + "]");
    }
    this.elements = elements;
    this.size = size;
  }

  @Override
  @SuppressWarnings("unchecked")
  public T get(int index) {
    if (index >= size) {
      throw new IndexOutOfBoundsException("index " + index + ", size " + size);
    }
    return (T) elements[index];
  }

  @Override
  public int size() {
    return size;
  }
}
